#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: monitoring_info
short_description: Read what the monitoring role must know before it changes journald, rsyslog, the alerting and fail2ban
version_added: 0.6.0
description:
  - Reads, without changing anything, the state the P(insightengine.hardening.monitoring#role) role decides on.
  - journald's merged configuration (C(systemd-analyze cat-config)), the files it reads and whether journald started after
    they last changed; whether the journal is on disk and sealed.
  - rsyslogd's version, whether its configuration checks (C(rsyslogd -N1)), whether the running rsyslogd started after every
    file it reads (configuration and TLS material) changed, and the bytes in the forwarding queue's spool.
  - The TLS certificate this host presents to the log host or to its senders (names, days left, issued by the CA file).
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.read_only
options:
  packages:
    description: Packages that should be installed; RV(packages) lists the missing ones.
    type: list
    elements: str
    default: []
  files:
    description: Paths whose existence, mode, owner and checksum (SHA-1) to read.
    type: list
    elements: str
    default: []
  tls_files:
    description: The CA, certificate and key rsyslogd reads (their changes need a restart too); empty for none.
    type: list
    elements: str
    default: []
  cert_names:
    description: The names the certificate (the second of O(tls_files)) must be valid for.
    type: list
    elements: str
    default: []
  ports:
    description: Ports the log host should listen on; RV(listening) says where each one is bound.
    type: list
    elements: int
    default: []
  services:
    description:
      - The units of the alerting and bans (MON-04, MON-05), each with the files it reads.
      - RV(services) says which need a restart.
    type: dict
    default: {}
  integrity:
    description: Read the kernel's audit, the AIDE baseline and the scheduled audit's record (MON-06 to MON-08).
    type: bool
    default: false
  audit_watches:
    description:
      - The audit watches (C(path), C(perm), C(key)) of MON-06. C(existing) in RV(integrity) says which paths exist,
        and C(missing_watches) which of those the kernel has not loaded.
    type: list
    elements: dict
    default: []
seealso:
  - module: insightengine.hardening.monitoring_verify
"""

EXAMPLES = r"""
- name: Read journald and rsyslog
  insightengine.hardening.monitoring_info:
    packages: [rsyslog, rsyslog-relp]
    tls_files: [/etc/insightengine/rsyslog/ca.pem, /etc/insightengine/rsyslog/cert.pem, /etc/insightengine/rsyslog/key.pem]
    cert_names: [web1.example.com]
  register: monitoring_state
"""

RETURN = r"""
journald:
  description:
    - C(settings) (the merged [Journal] section), the configuration C(files), when journald C(started), the files changed
      after that (C(stale)), the journal C(directory), whether it is C(persistent) and has a C(sealing_key).
  type: dict
  returned: always
rsyslog:
  description:
    - C(installed), C(version), C(valid) (C(rsyslogd -N1) succeeds) and its C(errors), when rsyslogd C(started), the files
      changed after that (C(stale)), the C(dropins) systemd loaded for rsyslog.service, and C(spool_bytes) waiting in the
      forwarding queue.
  type: dict
  returned: always
certificate:
  description:
    - The certificate in O(tls_files) as C(openssl x509) reads it (C(readable), C(days_left), C(names), C(name_matches) for
      the first of O(cert_names)), whether it C(covers) every name, and whether the CA file C(verifies) it.
  type: dict
  returned: always
listening:
  description: For each of O(ports), the addresses a socket listens on.
  type: dict
  returned: always
files:
  description: Existence, mode, owner, group and SHA-1 of each path in O(files).
  type: dict
  returned: always
packages:
  description: C(missing), the packages to install, and C(unwanted) (always empty here), the same shape in every info module.
  type: dict
  returned: always
units:
  description: C(enabled), C(active) and C(need_daemon_reload) of rsyslog.service, syslog.socket and systemd-journald.service.
  type: dict
  returned: always
services:
  description:
    - For each unit of O(services), its state, when it C(started), the files changed after that (C(stale)) and whether it
      needs a C(restart) (not running, not enabled, stale, or its unit file not loaded).
  type: dict
  returned: always
sshd_ports:
  description: The ports sshd listens on (C(sshd -T)); empty without sshd.
  type: list
  elements: int
  returned: always
nginx_installed:
  description: Whether nginx is installed (its jails apply).
  type: bool
  returned: always
docker_ban_problems:
  description:
    - What iptables' C(DOCKER-USER) lacks of what the running fail2ban set up there (its jails with the
      C(insightengine-docker-user) action, their chain and ports); fail2ban restarts to put it back.
  type: list
  elements: str
  returned: always
docker_installed:
  description: Whether Docker's engine is installed (bans must then hold for the ports its containers publish).
  type: bool
  returned: always
postgres_installed:
  description: Whether a PostgreSQL server is installed (C(/usr/lib/postgresql/VERSION/bin/postgres)); its exporter applies.
  type: bool
  returned: always
fail2ban_jails:
  description: The jails the running fail2ban server has (empty when it does not answer).
  type: list
  elements: str
  returned: always
integrity:
  description:
    - With O(integrity), for MON-06 to MON-08 - C(auditd) (C(container), C(installed), C(status) from C(auditctl -s),
      the C(rules) the kernel has loaded), the paths of O(audit_watches) that exist (C(existing)), whether the AIDE
      baseline is missing or older than its configuration
      (C(aide_baseline_stale)), whether a check ran since the baseline (C(aide_checked_since_baseline)), and whether
      a scheduled audit was ever recorded (C(audit_recorded)), the watches of O(audit_watches) that exist and that the
      kernel has not loaded (C(missing_watches); none in a container), and the scheduled verify's arguments so far
      (C(verify_args)).
  type: dict
  returned: always
"""

import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring as mon


def gather(params: dict[str, t.Any], host: _host.HostReader) -> dict[str, t.Any]:
    tls_files = params["tls_files"]
    state = host.state(files=params["files"], units=mon.UNITS, packages=params["packages"])
    jails = mon.read_fail2ban(host, (), "")["jails"]  # one status read for both answers below
    return {
        **state,
        "journald": mon.read_journald(host),
        "rsyslog": mon.read_rsyslog(host, tls_files),
        "certificate": mon.read_certificate(host, tls_files, params["cert_names"]),
        "listening": {str(port): _host.listeners(host, port) or [] for port in params["ports"]},
        "services": mon.read_services(host, params["services"]),
        "sshd_ports": mon.sshd_ports(host)[0],
        "nginx_installed": bool(host.which("nginx")),
        "postgres_installed": mon.postgres_installed(host),
        "docker_installed": bool(host.which("dockerd")),
        "docker_ban_problems": mon.docker_bans_lost(host, jails) if host.which("dockerd") else [],
        "fail2ban_jails": jails,
        "integrity": mon.read_integrity(host, params["audit_watches"]) if params["integrity"] else {},
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "files": {"type": "list", "elements": "str", "default": []},
            "tls_files": {"type": "list", "elements": "str", "default": []},
            "cert_names": {"type": "list", "elements": "str", "default": []},
            "ports": {"type": "list", "elements": "int", "default": []},
            "services": {"type": "dict", "default": {}},
            "integrity": {"type": "bool", "default": False},
            "audit_watches": {"type": "list", "elements": "dict", "default": []},
        },
        supports_check_mode=True,
    )
    _host.exit_info(module, gather)


if __name__ == "__main__":
    main()
