#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nginx_info
short_description: Read what the nginx role must know before it changes nginx
version_added: 0.3.0
description:
  - Named C(insightengine.hardening.nginx_facts) before 0.3.0 (it returns no C(ansible_facts));
    the old name still works and is deprecated.
  - Reads, without changing anything, the state the P(insightengine.hardening.nginx#role) role decides on.
  - The installed nginx version (C(nginx -v)), whether the running configuration is valid (C(nginx -t)),
    the packages that are missing, whether the host has IPv6, the state of files the role writes
    (mode, owner, SHA-1), and the certificate's expiry and OCSP responder.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.read_only
options:
  files:
    description: Paths whose existence, mode, owner and checksum (SHA-1) to read.
    type: list
    elements: str
    default: []
  certificate:
    description: The certificate (PEM) whose expiry and OCSP responder URL to read; empty for none.
    type: str
    default: ""
  packages:
    description: Packages that should be installed; RV(packages) lists those that are not (C(missing)).
    type: list
    elements: str
    default: []
  site_file:
    description: The role's own site file, left out of RV(http_directives).
    type: str
    default: /etc/nginx/conf.d/insightengine-hardening.conf
  ciphers:
    description: OpenSSL cipher lists to check with the host's C(openssl ciphers); RV(ciphers_invalid) lists the bad ones.
    type: list
    elements: str
    default: []
seealso:
  - module: insightengine.hardening.nginx_verify
"""

EXAMPLES = r"""
- name: Read nginx
  insightengine.hardening.nginx_info:
    files: [/etc/nginx/conf.d/insightengine-hardening.conf]
    certificate: /etc/nginx/tls/insightengine.crt
    packages: [nginx, libnginx-mod-http-headers-more-filter]
  register: nginx_state
"""

RETURN = r"""
version:
  description: The installed nginx version, null when nginx is not installed.
  type: str
  returned: always
  sample: 1.22.1
config_valid:
  description: Whether C(nginx -t) accepts the current configuration (null when nginx is not installed).
  type: bool
  returned: always
config_error:
  description: C(nginx -t)'s complaint when the configuration is not valid.
  type: str
  returned: always
ciphers_invalid:
  description: The lists of O(ciphers) the host's OpenSSL does not accept (nginx would not start with them).
  type: list
  elements: str
  returned: always
ipv6:
  description: Whether the host has IPv6 addresses (an IPv6 listen would fail without).
  type: bool
  returned: always
files:
  description: Existence, mode, owner, group and SHA-1 of each path in O(files).
  type: dict
  returned: always
certificate:
  description: Whether the certificate is C(readable), its SHA-256 C(fingerprint), C(days_left) until it expires, its
    C(ocsp_uri) (empty when it has none) and its C(names), from one C(openssl x509) call.
  type: dict
  returned: always
  sample:
    {readable: true, fingerprint: "9f86d0...", days_left: 824.9, ocsp_uri: "", names: ["DNS:web1.example"], name_matches: null}
http_directives:
  description:
    - Directives set in the http block (inherited by every server), by name, with the file and arguments.
    - The role's own file is left out.
  type: dict
  returned: always
  sample: {ssl_protocols: [{file: /etc/nginx/nginx.conf, args: [TLSv1.2, TLSv1.3]}]}
main_file:
  description: nginx's main configuration file (the first file C(nginx -T) prints).
  type: str
  returned: always
  sample: /etc/nginx/nginx.conf
reload_pending:
  description:
    - Whether a file nginx reads is newer than its newest worker (nginx starts new workers on every
      successful reload), with the C(newer) files; null when nginx does not run.
  type: dict
  returned: always
  sample: {pending: false, newer: []}
packages:
  description: C(missing), the packages of O(packages) that are not installed, and C(unwanted) (always empty here), the
    same shape in every info module of the collection.
  type: dict
  returned: always
  sample: {missing: [modsecurity-crs], unwanted: []}
units:
  description: Per unit, C(enabled) (C(systemctl)'s unit file state, C(not-found) for an unknown unit), C(active) and
    C(need_daemon_reload), the same shape in every info module of the collection.
  type: dict
  returned: always
  sample: {nginx.service: {enabled: enabled, active: active, need_daemon_reload: false}}
"""

import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _nginx as ngx


def nginx_version(host: _host.HostReader) -> str | None:
    return host.tool_version("nginx", "-v", r"nginx/(\d+\.\d+\.\d+)")


def gather(params: dict[str, t.Any], host: _host.HostReader) -> dict[str, t.Any]:
    version = nginx_version(host)
    valid, error = None, None
    text, directives = "", []
    if version:
        rc, out, err = host.run(host.which("nginx") or "nginx", "-T")
        valid = rc == 0
        error = None if valid else (err or out).strip()[-1000:]
        if valid:
            text, directives = out, ngx.parse_nginx_t(out)
    inet6 = host.read("/proc/net/if_inet6")
    return {
        "version": version,
        "config_valid": valid,
        "config_error": error,
        "ipv6": bool(inet6 and inet6.strip()),
        **host.state(files=params["files"], units=["nginx.service"], packages=params["packages"]),
        "certificate": host.certificate(params["certificate"]),
        "ciphers_invalid": _host.ciphers_invalid(host, params["ciphers"]),
        # What other files set for every server (the http block), so the role
        # hardens nginx.conf's defaults and never sets a directive twice.
        "http_directives": ngx.http_level(directives, params["site_file"]),
        "main_file": next(iter(ngx.files_of(text)), "/etc/nginx/nginx.conf") if text else "/etc/nginx/nginx.conf",
        "reload_pending": ngx.reload_pending(host, text, directives) if text else {"pending": None, "newer": []},
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "files": {"type": "list", "elements": "str", "default": []},
            "certificate": {"type": "str", "default": ""},
            "packages": {"type": "list", "elements": "str", "default": []},
            "site_file": {"type": "str", "default": "/etc/nginx/conf.d/insightengine-hardening.conf"},
            "ciphers": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    _host.exit_info(module, gather)


if __name__ == "__main__":
    main()
