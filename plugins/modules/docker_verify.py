#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_verify
short_description: Verify the docker layer of the hardening guide from the engine's effective state
version_added: 0.4.0
description:
  - Reads the effective state of the Docker engine and returns one finding per control of the docker layer
    (C(DKR-01) to C(DKR-07)), each with the guide line it implements, a status, what was expected, what was found,
    the evidence and how to fix it.
  - What dockerd runs with, not the file a role wrote; C(docker info) (live-restore, log driver, user namespaces),
    the default bridge's options (inter-container traffic, the address ports are published on), the number of
    C(docker-proxy) processes, and C(daemon.json) only for what neither shows and only when dockerd started after the
    file last changed; where dockerd serves its API (its command line and C(hosts)); the socket's owner and mode; the
    docker group's members, primary members included; the owners and modes of the engine's files; the rules the
    kernel holds (C(iptables-save)) and which published ports they let other hosts reach.
  - Never changes anything.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.findings
  - insightengine.hardening.read_only
  - insightengine.hardening.docker_engine
options:
  compose:
    description: DKR-01. Whether Compose must answer (C(docker compose) or C(docker-compose)).
    type: bool
    default: true
  daemon:
    description:
      - DKR-02. The daemon settings, as the role's variables name them (C(docker_daemon_published_address),
        C(docker_daemon_log_driver), C(docker_daemon_log_max_size), C(docker_daemon_log_max_files),
        C(docker_daemon_ulimits), C(docker_daemon_userns_remap)).
    type: dict
    default: {}
  group_members:
    description: DKR-04. The accounts allowed in the docker group.
    type: list
    elements: str
    default: []
seealso:
  - module: insightengine.hardening.docker_info
"""

EXAMPLES = r"""
- name: Verify the engine
  insightengine.hardening.docker_verify:
    daemon:
      docker_daemon_published_address: 127.0.0.1
      docker_daemon_log_driver: journald
      docker_daemon_log_max_size: 10m
      docker_daemon_log_max_files: 5
      docker_daemon_ulimits: {nofile: {soft: 4096, hard: 16384}}
      docker_daemon_userns_remap: ""
    group_members: [deploy]
    firewall_allow: [{port: "8443", proto: tcp, from: 10.0.0.0/8}]
    strict: false
  register: docker_audit
"""

RETURN = r"""
layer:
  description: Always C(docker).
  type: str
  returned: always
findings:
  description:
    - One finding per control, always all of them.
    - See M(insightengine.hardening.os_verify) and C(docs/report.schema.json).
  type: list
  elements: dict
  returned: always
summary:
  description: Number of findings per status.
  type: dict
  returned: always
failed_controls:
  description: IDs of the failing controls.
  type: list
  elements: str
  returned: always
report:
  description: One line per control.
  type: list
  elements: str
  returned: always
"""

import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _docker as dkr
from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import (
    Findings,
    findings_argument_spec,
    run_verify,
)


class DockerVerifier:
    def __init__(self, params: dict[str, t.Any], host: _host.HostReader, findings: Findings):
        self.p = params
        self.f = findings
        self.state = dkr.read_engine(host, params["daemon_file"])
        self.engine = self.state["engine"]
        self.units = host.units([dkr.FIREWALL_UNIT])

    def run(self) -> None:
        if not self.engine["installed"] or not self.engine["running"]:
            message = "no Docker engine is installed" if not self.engine["installed"] else "dockerd does not answer (docker info)"
            for control in dkr.CATALOG:
                self.f.error(control.id, message)
            return
        self.engine_and_compose()
        self.daemon()
        self.socket()
        self.group()
        self.files()
        self.firewall()
        self.loopback()

    def engine_and_compose(self) -> None:
        compose = self.engine["compose"]
        actual = {"package": self.engine["package"], "version": self.engine["version"], "compose": compose}
        ok = bool(self.engine["version"]) and (compose is not None or not self.p["compose"])
        reason = None if ok else "Compose does not answer (neither docker compose nor docker-compose)"
        self.f.check(
            "DKR-01", ok, {"engine": "answers", "compose": "answers" if self.p["compose"] else "not required"}, actual, reason
        )

    def daemon(self) -> None:
        values = self.p["daemon"]
        if not values:
            self.f.error("DKR-02", "no daemon settings given")
            return
        wanted = dkr.daemon_settings({**values, "docker_daemon_extra": {}})
        info, bridge, daemon = self.engine["info"], self.state["bridge"], self.state["daemon"]
        loaded = daemon["document"] if not daemon["restart_pending"] else None
        effective = {
            # what the engine says it runs with
            "live-restore": info.get("LiveRestoreEnabled"),
            "debug": info.get("Debug"),
            "log-driver": info.get("LoggingDriver"),
            "icc": {"false": False, "true": True}.get(str(bridge.get("com.docker.network.bridge.enable_icc")).lower()),
            "ip": bridge.get("com.docker.network.bridge.host_binding_ipv4"),
            "userland-proxy": True if daemon["proxies"] else (loaded or {}).get("userland-proxy"),
            # what neither shows: daemon.json as dockerd loaded it
            "no-new-privileges": (loaded or {}).get("no-new-privileges"),
            "log-opts": (loaded or {}).get("log-opts"),
            "default-ulimits": (loaded or {}).get("default-ulimits"),
        }
        userns = any("name=userns" in str(o) for o in info.get("SecurityOptions") or [])
        effective["userns-remap"] = wanted.get("userns-remap") if userns else None
        expected = {**wanted, "debug": False}
        if "userns-remap" not in expected:
            expected["userns-remap"] = None
        if "log-opts" not in expected:
            effective.pop("log-opts")
        if "default-ulimits" not in expected:
            effective.pop("default-ulimits")
        wrong = {k: effective.get(k) for k, v in expected.items() if effective.get(k) != v}
        if daemon["restart_pending"]:
            wrong["restart_pending"] = f"{daemon['path']} changed after dockerd started"
        source = (
            "docker info (LiveRestoreEnabled, LoggingDriver, SecurityOptions); docker network inspect bridge (icc, ip); "
            "docker-proxy processes; daemon.json as dockerd loaded it (no-new-privileges, log-opts, default-ulimits)"
        )
        self.f.check("DKR-02", not wrong, expected, wrong or effective, source=source)

    def socket(self) -> None:
        sock = self.state["socket"]
        found = {k: sock.get(k) for k in ("owner", "group", "mode")} if sock.get("exists") else {"exists": False}
        tcp = [h for h in self.state["daemon"]["hosts"] if h.startswith("tcp://")]
        document = self.state["daemon"]["document"] or {}
        tls = document.get("tlsverify") is True or "--tlsverify" in self.state["daemon"]["cmdline"].split("\0")
        open_tcp = [] if tls else tcp
        ok = found == {"owner": "root", "group": "docker", "mode": "0660"} and not open_tcp
        self.f.check(
            "DKR-03",
            ok,
            {"owner": "root", "group": "docker", "mode": "0660", "tcp_without_tls": []},
            {**found, "hosts": self.state["daemon"]["hosts"], "tcp_without_tls": open_tcp},
        )

    def group(self) -> None:
        members = self.state["group"]["members"]
        outside = sorted(set(members) - set(self.p["group_members"]))
        reason = (
            f"root-equivalent through the docker group and not in docker_group_members: {', '.join(outside)}" if outside else None
        )
        self.f.check(
            "DKR-04",
            not outside,
            {"members_within": sorted(self.p["group_members"])},
            {"members": members, "outside": outside},
            reason,
        )

    def files(self) -> None:
        wrong = self.state["files_wrong"]
        expected = {
            item["path"]: f"{item['owner']}:{item['group']} {item['mode']} or stricter (CIS {item['cis']})"
            for item in self.state["cis_files"]
        }
        actual = {item["path"]: item["found"] for item in wrong} if wrong else dict.fromkeys(expected, "as wanted")
        self.f.check("DKR-05", not wrong, expected, actual)

    def firewall(self) -> None:
        allow = self.p["firewall_allow"]
        tables = self.state["iptables"]
        if tables is None:
            self.f.error("DKR-06", "iptables-save cannot be read (not root, or no iptables)")
            return
        rules = dkr.firewall_rules(allow)
        state = dkr.firewall_state(tables, rules, [])
        reachable, held = [], []
        for entry in self.state["published"]:
            if dkr.loopback_only(entry["address"]):
                continue
            label = f"{entry['address']}:{entry['port']}/{entry['proto']} ({entry['container']})"
            sources = dkr.allowed_by(entry["port"], entry["proto"], allow)
            (reachable if sources else held).append(f"{label} from {', '.join(sources)}" if sources else label)
        problems = []
        if not state["forward_jumps"]:
            problems.append("FORWARD does not jump to DOCKER-USER before its first accepting rule")
        if not state["jump"]:
            problems.append(f"DOCKER-USER does not start with -j {dkr.CHAIN}")
        if state["chain"] != rules:
            problems.append(f"{dkr.CHAIN} holds {state['chain']!r}, not the rules the allow list makes")
        if self.units[dkr.FIREWALL_UNIT]["enabled"] != "enabled":
            problems.append(f"{dkr.FIREWALL_UNIT} is not enabled: the rules would be gone after a reboot")
        self.f.check(
            "DKR-06",
            not problems,
            {"chain": rules, "published_ports_reachable_only_as_allowed": True},
            {"problems": problems, "reachable": reachable, "held": held},
            "; ".join(problems) or None,
        )

    def loopback(self) -> None:
        if not dkr.needs_loopback_guard(self.engine["version"]):
            self.f.not_applicable("DKR-07", f"Docker {self.engine['version']} drops these packets itself (28.0 and later)")
            return
        if not self.p["loopback_guard"]:
            self.f.disable("DKR-07", "disabled (loopback_guard: false)")
            return
        tables = self.state["iptables"]
        if tables is None:
            self.f.error("DKR-07", "iptables-save cannot be read (not root, or no iptables)")
            return
        state = dkr.firewall_state(tables, [], dkr.loopback_rules(True))
        self.f.compare(
            "DKR-07", {"chain": dkr.loopback_rules(True), "jump": True}, {"chain": state["raw_chain"], "jump": state["raw_jump"]}
        )


def main() -> None:
    argument_spec = {
        "compose": {"type": "bool", "default": True},
        "daemon": {"type": "dict", "default": {}},
        "group_members": {"type": "list", "elements": "str", "default": []},
        **dkr.engine_argument_spec(),
        **findings_argument_spec(),
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    host = _host.HostReader.for_module(module)
    run_verify(module, "docker", dkr.CATALOG, lambda findings: DockerVerifier(module.params, host, findings).run())


if __name__ == "__main__":
    main()
