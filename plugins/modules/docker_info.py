#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_info
short_description: Read what the docker role must know before it changes the Docker engine
version_added: 0.4.0
description:
  - Reads, without changing anything, the state the P(insightengine.hardening.docker#role) role decides on.
  - The engine (C(dockerd --version), the package it came from, whether it has C(dockerd --validate)) and Compose
    (C(docker compose) or C(docker-compose)); C(docker info), the default bridge's options and the published ports;
    C(/etc/docker/daemon.json) as parsed, whether it changed after dockerd started, and where dockerd serves its API;
    the socket, the docker group's members, the CIS owners and modes of the engine's files, and the rules the kernel
    holds (C(iptables-save)) against those the firewall needs.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.read_only
  - insightengine.hardening.docker_engine
options:
  engine:
    description:
      - Whether an engine should be installed where none is; RV(packages) then lists Debian's C(docker.io)
        (and C(docker-cli) where the release splits it).
    type: bool
    default: true
  compose:
    description: Whether Compose should be installed where neither C(docker compose) nor C(docker-compose) answers.
    type: bool
    default: true
  packages:
    description: Further packages that should be installed.
    type: list
    elements: str
    default: []
  users:
    description: Account names whose existence to check; RV(users_missing) lists those that do not exist.
    type: list
    elements: str
    default: []
  files:
    description: Paths whose existence, mode, owner and checksum (SHA-1) to read.
    type: list
    elements: str
    default: []
  daemon:
    description:
      - The role's daemon settings (C(docker_daemon_published_address), C(docker_daemon_log_driver),
        C(docker_daemon_log_max_size), C(docker_daemon_log_max_files), C(docker_daemon_ulimits),
        C(docker_daemon_userns_remap), C(docker_daemon_extra)); C(wanted) in RV(daemon) is the daemon.json they make with the
        keys others set. Empty for none.
    type: dict
    default: {}
seealso:
  - module: insightengine.hardening.docker_verify
"""

EXAMPLES = r"""
- name: Read the engine
  insightengine.hardening.docker_info:
    firewall_allow: [{port: "443", proto: tcp, from: any}]
  register: docker_state
"""

RETURN = r"""
engine:
  description:
    - C(installed), C(package), C(version), C(validate) (has C(dockerd --validate)), C(running), C(cli),
      C(compose) (C(version) and C(command), null when none), C(log_drivers) and a few C(info) fields of C(docker info).
  type: dict
  returned: always
  sample:
    {installed: true, package: docker.io, version: 26.1.5+dfsg1, validate: true, running: true,
     compose: {version: 2.26.1, command: docker compose}}
daemon:
  description:
    - The daemon file (C(path), C(exists), C(document), C(error) when it does not parse), the C(units) files,
      when dockerd C(started), its C(hosts), whether the file changed after it started (C(restart_pending)) and the number of
      C(docker-proxy) processes (C(proxies)), and with O(daemon) the file to write (C(wanted), text).
  type: dict
  returned: always
bridge:
  description: The default bridge network's options (C(com.docker.network.bridge.enable_icc), C(...host_binding_ipv4)).
  type: dict
  returned: always
published:
  description: Published ports (C(container), C(address), C(port), C(proto)).
  type: list
  elements: dict
  returned: always
socket:
  description: Owner, group and mode of C(/run/docker.sock).
  type: dict
  returned: always
group:
  description: The docker group (C(exists), C(gid), C(members), primary members included).
  type: dict
  returned: always
users_missing:
  description: The names of O(users) that are not accounts on the host.
  type: list
  elements: str
  returned: always
cis_files:
  description:
    - The engine's files the CIS Docker Benchmark names, with the wanted owner, group, most permissive mode and what
      was found.
  type: list
  elements: dict
  returned: always
files_wrong:
  description: The entries of RV(cis_files) whose owner, group or mode is not as wanted (C(found) says what is there).
  type: list
  elements: dict
  returned: always
firewall:
  description:
    - What the kernel holds (C(chain), C(jump), C(raw_chain), C(raw_jump), C(docker_user), C(forward_jumps)),
      the C(rules) and C(raw_rules) wanted, whether they differ (C(pending)) and the C(restore) text that loads them.
  type: dict
  returned: always
iptables:
  description: C(iptables-save) by table and chain (null when it cannot be read).
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
  description: C(enabled), C(active) and C(need_daemon_reload) of docker.service, docker.socket and the firewall unit.
  type: dict
  returned: always
"""

import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _docker as dkr
from ansible_collections.insightengine.hardening.plugins.module_utils import _host

UNITS = ("docker.service", "docker.socket", dkr.FIREWALL_UNIT)


def wanted_packages(host: _host.HostReader, params: dict[str, t.Any], engine: dict[str, t.Any]) -> list[str]:
    wanted = list(params["packages"])

    def known(name: str) -> bool:
        return host.run("apt-cache", "show", "--no-all-versions", name)[0] == 0 if host.which("apt-cache") else False

    if params["engine"] and not engine["installed"]:
        wanted += ["docker.io"] + (["docker-cli"] if known("docker-cli") else [])
    if params["compose"] and not engine["compose"]:
        candidates = ["docker-compose-plugin"] if engine["package"] == "docker-ce" else []
        wanted += next(([c] for c in [*candidates, "docker-compose-v2", "docker-compose"] if known(c)), [])
    return wanted


def gather(params: dict[str, t.Any], host: _host.HostReader) -> dict[str, t.Any]:
    found = dkr.read_engine(host, params["daemon_file"])
    engine = found["engine"]
    filter_rules = dkr.firewall_rules(params["firewall_allow"])
    raw_rules = dkr.loopback_rules(params["loopback_guard"] and dkr.needs_loopback_guard(engine["version"]))
    firewall = dkr.firewall_state(found["iptables"] or {}, filter_rules, raw_rules)
    firewall.update(rules=filter_rules, raw_rules=raw_rules, restore=dkr.render_restore(filter_rules, raw_rules))
    daemon = found["daemon"]
    daemon["wanted"] = (
        dkr.render_daemon_json(dkr.daemon_json(daemon["document"], params["daemon"]))
        if params["daemon"] and daemon["document"] is not None
        else None
    )
    state = host.state(files=params["files"], units=UNITS, packages=wanted_packages(host, params, engine))
    return {**found, **state, "firewall": firewall, "users_missing": host.missing_users(params["users"])}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "engine": {"type": "bool", "default": True},
            "compose": {"type": "bool", "default": True},
            "packages": {"type": "list", "elements": "str", "default": []},
            "users": {"type": "list", "elements": "str", "default": []},
            "files": {"type": "list", "elements": "str", "default": []},
            "daemon": {"type": "dict", "default": {}},
            **dkr.engine_argument_spec(),
        },
        supports_check_mode=True,
    )
    _host.exit_info(module, gather)


if __name__ == "__main__":
    main()
