#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: os_verify
short_description: Verify the os layer of the hardening guide from the effective state
version_added: 0.1.0
description:
  - Reads the effective state of the host and returns one finding per control of the os layer
    (C(OS-01) to C(OS-19)), each with the guide line it implements, a status
    (see RV(findings[].status)), what was expected, what was found, the evidence and how to fix it.
  - Reads what the system really uses, not the files a role wrote.
    SSH from C(sshd -T -C) for every connection a C(Match) block can change (the login user, root,
    each user and group a block names, its addresses and ports), and as a client on the host sees it
    (C(ssh -vv) authenticating with nothing, to the running sshd - the algorithms it offers, the
    authentication methods, the banner); a file newer than sshd's last reload fails the SSH controls;
    the ports C(sshd) listens on; the firewall from C(ufw status verbose);
    updates from C(apt-config dump) and systemd timers; packages from C(dpkg-query);
    kernel parameters from C(/proc/sys); core dump limits from systemd's manager and pam_limits.
  - Never changes anything. In a container, kernel parameters that the host kernel owns are
    C(not_applicable) with the reason, never failed.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.findings
  - insightengine.hardening.read_only
options:
  packages_absent:
    description: OS-01. Packages that must not be installed.
    type: list
    elements: str
    default: []
  no_recommends:
    description: OS-01. Whether APT must be set not to install recommended and suggested packages.
    type: bool
    default: true
  ssh_port:
    description: OS-04. The only port C(sshd) may be configured for and listen on.
    type: int
    default: 22
  ssh_dropin:
    description: The drop-in the os role writes (its changes count for the reload check).
    type: path
    default: /etc/ssh/sshd_config.d/00-insightengine-hardening.conf
  login_user:
    description:
      - The account whose connection sshd is evaluated for (with root, and each user and group a
        C(Match) block names), and whom the client probe authenticates as. Empty means C(SUDO_USER) or root.
    type: str
    default: ""
  ssh_crypto:
    description:
      - OS-05. The exact algorithm lists C(sshd -T) must report, keyed by C(sshd -T) option name
        (C(kexalgorithms), C(ciphers), C(macs), C(hostkeyalgorithms), C(pubkeyacceptedalgorithms)).
      - Whatever is configured, SHA-1, MD5, CBC, 64-bit MACs, NIST-curve ECDH and small DH groups
        fail the control, and so do DH group-exchange moduli under 3072 bits when group exchange
        is enabled.
    type: dict
    default: {}
  ssh_settings:
    description: OS-06. Expected values of C(sshd -T) options, keyed by lower-case option name.
    type: dict
    default: {}
  ssh_allow_users:
    description: OS-07. The expected C(AllowUsers) patterns. With O(ssh_allow_groups) empty too, OS-07 is disabled.
    type: list
    elements: str
    default: []
  ssh_allow_groups:
    description: OS-07. The expected C(AllowGroups) names.
    type: list
    elements: str
    default: []
  firewall_defaults:
    description: OS-08. Expected UFW default policies by direction.
    type: dict
    default:
      incoming: deny
      outgoing: allow
  firewall_rules:
    description: OS-09. Incoming rules that must be in place (IPv4), each with C(port), C(proto) and C(from).
    type: list
    elements: dict
    default: []
  updates:
    description:
      - OS-10. Expected unattended-upgrades settings.
      - C(origins) is the exact C(Unattended-Upgrade::Origins-Pattern) list (empty accepts any list
        that has a security origin); C(reboot) and C(reboot_time) the automatic reboot settings;
        C(restart_services) asks for needrestart restarting services after updates.
    type: dict
    default: {}
  net_sysctl:
    description: OS-11. Expected network kernel parameters.
    type: dict
    default: {}
  kernel_sysctl:
    description: OS-16. Expected kernel parameters.
    type: dict
    default: {}
  umask:
    description: OS-13. The expected C(UMASK) of /etc/login.defs, applied to sessions by pam_umask.
    type: str
    default: "027"
  password_aging:
    description: OS-14. Expected /etc/login.defs values, for example C(PASS_MAX_DAYS).
    type: dict
    default: {}
  file_permissions:
    description:
      - OS-15. Paths with the most permissive C(mode) allowed, and their C(owner) and C(group).
      - Paths that do not exist are reported, not failed.
    type: list
    elements: dict
    default: []
  banner:
    description: OS-17. The text /etc/issue and /etc/issue.net must hold.
    type: str
    default: ""
  ssh_banner:
    description: OS-17. Whether C(sshd) must show /etc/issue.net before login.
    type: bool
    default: true
  kernel_modules_disabled:
    description:
      - OS-18. Kernel modules modprobe must refuse to load (an C(install MODULE /bin/false) rule), and
        that must not be loaded.
      - In a container the host kernel owns its modules; OS-18 is C(not_applicable) with that reason.
    type: list
    elements: str
    default: []
  password_quality:
    description:
      - OS-19. Expected pwquality settings (C(minlen), C(minclass), ...; a flag such as
        C(enforce_for_root) as V(1)). C(pam_pwquality) must be in /etc/pam.d/common-password, and
        with the dictionary check on, cracklib's dictionary must exist (else every password fails).
    type: dict
    default: {}
seealso:
  - module: insightengine.hardening.os_info
"""

EXAMPLES = r"""
- name: Audit SSH root login and the firewall only
  insightengine.hardening.os_verify:
    ssh_port: 2222
    firewall_rules:
      - {port: 2222, proto: tcp, from: any}
      - {port: 443, proto: tcp, from: any}
    disabled:
      OS-01: not audited here
    strict: false
  register: os_audit

- name: Show what drifted
  ansible.builtin.debug:
    msg: "{{ os_audit.report }}"
"""

RETURN = r"""
layer:
  description: The layer the findings belong to.
  type: str
  returned: always
  sample: os
findings:
  description:
    - One finding per control, in control order, always all of them (also when the task fails).
    - The shape is the collection's findings contract, described by C(docs/report.schema.json).
  type: list
  elements: dict
  returned: always
  contains:
    id:
      description: The control ID.
      type: str
      sample: OS-02
    title:
      description: What the control ensures.
      type: str
      sample: SSH root login disabled
    guide:
      description: The line of the hardening guide the control implements.
      type: str
    status:
      description:
        - C(pass), C(fail), C(warn) (advisory), C(waived) (a current waiver covers a failure),
          C(disabled) (switched off), C(not_applicable) (cannot apply here, see RV(findings[].reason)) or
          C(error) (the check could not run).
      type: str
      sample: fail
    expected:
      description: What the control expects.
      type: raw
      sample: {permitrootlogin: "no"}
    actual:
      description: What the host has (for a failure, only the values that differ).
      type: raw
      sample: {permitrootlogin: "yes"}
    evidence:
      description: What the finding was judged on, the command or request (C(source)) and the value read (C(read));
        null for disabled and not applicable controls.
      type: dict
      sample: {source: "sshd -T -C user=root,...", read: {permitrootlogin: "yes"}}
    reason:
      description: Why the control is disabled, not applicable, waived or in error.
      type: str
    remediation:
      description: How to fix the control; null when it passes or was not judged.
      type: str
    waiver:
      description: The waiver for this control (reason, approver, expires, and C(found), the status it replaced), or null.
      type: dict
summary:
  description: How many controls have each status.
  type: dict
  returned: always
  sample: {pass: 15, fail: 1, warn: 0, waived: 0, disabled: 1, not_applicable: 2, error: 0}
failed_controls:
  description: IDs of the controls that fail or could not be checked.
  type: list
  elements: str
  returned: always
  sample: [OS-02]
report:
  description: One readable line per control.
  type: list
  elements: str
  returned: always
  sample:
    - "OS-02   FAIL           SSH root login disabled: permitrootlogin=yes (want no)"
"""

import os
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host, _os, _ssh, _ufw
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import (
    Findings,
    findings_argument_spec,
    run_verify,
)

SSH_CONTROLS = ("OS-02", "OS-03", "OS-04", "OS-05", "OS-06", "OS-07")
PENDING = "sshd reloaded since its files changed"


def _group_members(pattern: str) -> list[str]:
    """Existing users whose groups (supplementary or primary) match an sshd group pattern list."""
    return _host.members_of(lambda name: _ssh.match_pattern_list(name, pattern) == 1)


SECURITY_ORIGIN = ("security", "Security")


class OsVerifier:
    def __init__(self, params: dict[str, t.Any], reader: _os.OsReader, findings: Findings):
        self.p = params
        self.reader = reader
        self.f = findings

    def run(self) -> None:
        self.packages()
        self.ssh()
        self.firewall()
        self.updates()
        self.sysctls("OS-11", self.p["net_sysctl"])
        self.sysctls("OS-16", self.p["kernel_sysctl"])
        self.core_dumps()
        self.login_defs()
        self.file_permissions()
        self.banner()
        self.kernel_modules()
        self.password_quality()

    # OS-01
    def packages(self) -> None:
        if not self.f.wanted("OS-01"):
            return
        installed = self.reader.installed_packages()
        present = sorted(set(self.p["packages_absent"]) & installed)
        expected: dict[str, t.Any] = {"installed": []}
        actual: dict[str, t.Any] = {"installed": present}
        if self.p["no_recommends"]:
            apt = self.reader.apt_config()
            expected.update({"APT::Install-Recommends": False, "APT::Install-Suggests": False})
            actual.update(
                {
                    "APT::Install-Recommends": bool(_os.apt_true(apt, "APT::Install-Recommends")),
                    "APT::Install-Suggests": bool(_os.apt_true(apt, "APT::Install-Suggests")),
                }
            )
        self.f.compare("OS-01", expected, actual)

    # OS-02 .. OS-07
    def ssh(self) -> None:
        config, error = self.reader.sshd()
        if config is None:
            for cid in (*SSH_CONTROLS, "OS-17"):
                if self.f.wanted(cid) and (cid != "OS-17" or self.p["ssh_banner"]):
                    self.f.error(cid, error or "sshd configuration unreadable")
            return
        self.evaluate_connections(config, error)

        if self.f.wanted("OS-02"):
            self.per_connection("OS-02", {"permitrootlogin": "no"}, users=("root",))
        if self.f.wanted("OS-03"):
            self.key_only()
        if self.f.wanted("OS-04"):
            configured = sorted(int(p) for p in config.get("port", []))
            listening = self.reader.sshd_listening_ports()
            actual = {"configured": configured, "listening": listening}
            ok = configured == [self.p["ssh_port"]] and (listening is None or listening == [self.p["ssh_port"]])
            expected = {"configured": [self.p["ssh_port"]], "listening": [self.p["ssh_port"]]}
            self.pending(expected, actual)
            self.f.check("OS-04", ok and not self.ssh_pending, expected, actual)
        if self.f.wanted("OS-05"):
            self.ssh_crypto(config)
        if self.f.wanted("OS-06"):
            expected = {k.lower(): str(v) for k, v in self.p["ssh_settings"].items()}
            self.per_connection("OS-06", expected)
        if self.f.wanted("OS-07"):
            users, groups = self.p["ssh_allow_users"], self.p["ssh_allow_groups"]
            if not users and not groups:
                self.f.disable("OS-07", "no AllowUsers or AllowGroups configured (os_ssh_allow_users, os_ssh_allow_groups)")
            else:
                actual = {
                    "allowusers": sorted(_ssh.sshd_words(config, "allowusers")),
                    "allowgroups": sorted(_ssh.sshd_words(config, "allowgroups")),
                }
                expected = {"allowusers": sorted(users), "allowgroups": sorted(groups)}
                self.pending(expected, actual)
                self.f.compare("OS-07", expected, actual)

    def pending(self, expected: dict[str, t.Any], actual: dict[str, t.Any]) -> None:
        """sshd serves what it loaded at its last (re)load: when a file it
        reads is newer, the files are not what clients get."""
        if self.ssh_pending:
            expected[PENDING] = True
            actual[PENDING] = False

    def evaluate_connections(self, config: dict[str, list[str]], error: str | None) -> None:
        """sshd -T -C for every connection a Match block can change, and a
        client's probe of the running sshd for each user involved."""
        state = _os.sshd_state(self.reader, config, error, self.p["ssh_dropin"])
        self.ssh_pending = bool(state["reload_pending"])
        listeners = self.reader.sshd_listeners() or []
        port = (
            self.p["ssh_port"]
            if any(p == self.p["ssh_port"] for _a, p in listeners)
            else (listeners[0][1] if listeners else self.p["ssh_port"])
        )
        address = next((a for a, p in listeners if p == port), "127.0.0.1")
        address = {"0.0.0.0": "127.0.0.1", "*": "127.0.0.1", "::": "::1"}.get(address, address)  # noqa: S104
        login = self.p["login_user"] or os.environ.get("SUDO_USER") or "root"
        blocks = _ssh.match_blocks(_ssh.config_lines("/etc/ssh/sshd_config", self.reader.read))
        specs, notes = _ssh.connection_specs(blocks, login, _group_members, (address, port))
        self.ssh_evaluated = []
        for spec in specs:
            effective, spec_error = self.reader.sshd_for(_ssh.spec_argument(spec))
            self.ssh_evaluated.append((spec, effective or {}, spec_error))
        self.ssh_notes = notes
        # A client on this host, as the login user and as each user a Match
        # block names: what the running sshd offers them, and what its files
        # say it should (a difference is a reload that did not happen).
        self.probes = []
        users = list(dict.fromkeys([login, *(s["user"] for s in specs)]))[:6]
        for user in users if listeners else []:
            spec = {"user": user, "host": address, "addr": address, "laddr": address, "lport": port}
            effective, spec_error = self.reader.sshd_for(_ssh.spec_argument(spec))
            files_say = _ssh.offered_methods(effective) if effective and not spec_error else None
            self.probes.append((f"{user}@{address}:{port}", self.reader.ssh_probe(user, address, port), files_say))
        self.probe = self.probes[0][1] if self.probes else None

    def per_connection(self, cid: str, expected: dict[str, str], users: tuple[str, ...] = ()) -> None:
        """Expected sshd -T values for every connection a Match block can
        change (and the default ones): the first connection that differs
        fails the control, with what that client gets and which block says so."""
        wrong: dict[str, t.Any] = {}
        checked = []
        for spec, effective, spec_error in self.ssh_evaluated:
            if users and spec["user"] not in users:
                continue
            checked.append(_ssh.describe(spec))
            if spec_error:
                wrong.setdefault("sshd -T -C", spec_error)
                continue
            for key, value in expected.items():
                got = _ssh.sshd_value(effective, key)
                if got != value and key not in wrong:
                    wrong[key] = f"{got} for {_ssh.describe(spec)} ({spec['why']})"
        expected = dict(expected)
        self.pending(expected, wrong)
        actual: t.Any = wrong or {"connections checked": checked, **({"not evaluated": self.ssh_notes} if self.ssh_notes else {})}
        self.f.check(cid, not wrong, expected, actual)

    def key_only(self) -> None:
        """OS-03 for every connection a Match block can change, and as a
        client on this host sees it: the methods the running sshd offers."""
        expected = {
            "passwordauthentication": "no",
            "kbdinteractiveauthentication": "no",
            "pubkeyauthentication": "yes",
            "permitemptypasswords": "no",
            "hostbasedauthentication": "no",
        }
        self.per_connection("OS-03", expected)
        finding = self.f.get("OS-03")
        problems = []
        for where, probe, files_say in self.probes:
            offered = probe.get("methods")
            if offered is None:
                problems.append(f"{where}: no answer ({probe.get('error') or 'the probe saw no authentication methods'})")
            elif offered != ["publickey"]:
                problem = f"a client ({where}) is offered {','.join(offered)}"
                if files_say is not None and offered != files_say:
                    problem += f"; sshd's files say {','.join(files_say)}: sshd runs an older configuration (reload pending)"
                problems.append(problem)
        if problems:
            actual = finding.actual if isinstance(finding.actual, dict) and finding.status == "fail" else {}
            expected_client = {**expected, "methods offered to a client": "publickey"}
            self.f.override("OS-03", False, expected_client, {**actual, "client": "; ".join(problems)})
        elif finding.status == "pass" and self.probes:
            offered = {where: ",".join(probe.get("methods") or []) for where, probe, _files in self.probes}
            finding.actual = {**finding.actual, "methods offered to a client": offered}

    def ssh_crypto(self, config: dict[str, list[str]]) -> None:
        keys = ("kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms")
        actual: dict[str, t.Any] = {k: _ssh.sshd_list(config, k) for k in keys}
        expected: dict[str, t.Any] = {k: list(v) for k, v in self.p["ssh_crypto"].items() if v}
        expected["weak"] = []
        actual["weak"] = sorted({a for k in keys for a in _ssh.weak_algorithms(actual[k])})
        if any(k.startswith("diffie-hellman-group-exchange") for k in actual["kexalgorithms"]):
            moduli_file = _ssh.sshd_value(config, "modulifile") or "/etc/ssh/moduli"
            min_bits = _ssh.parse_moduli_min_bits(self.reader.read(moduli_file) or "")
            expected["moduli under 3072 bits"] = False
            actual["moduli under 3072 bits"] = min_bits is not None and min_bits < _ssh.MODULI_MIN_BITS
        if self.probe and self.probe.get("kex"):
            served = self.probe["kex"]
            for key in ("kexalgorithms", "ciphers", "macs"):
                if expected.get(key):
                    expected[f"served {key}"] = expected[key]
                    actual[f"served {key}"] = served.get(key)
            if expected.get("hostkeyalgorithms"):
                extra = sorted(set(served.get("hostkeyalgorithms") or []) - set(expected["hostkeyalgorithms"]))
                expected["served hostkeyalgorithms beyond the list"] = []
                actual["served hostkeyalgorithms beyond the list"] = extra
            actual["weak"] = sorted(
                {
                    *actual["weak"],
                    *(a for k in ("kexalgorithms", "ciphers", "macs") for a in _ssh.weak_algorithms(served.get(k) or [])),
                }
            )
        self.pending(expected, actual)
        self.f.compare("OS-05", expected, actual)

    # OS-08, OS-09
    def firewall(self) -> None:
        if not (self.f.wanted("OS-08") or self.f.wanted("OS-09")):
            return
        ufw = self.reader.ufw()
        if ufw is None:
            for cid in ("OS-08", "OS-09"):
                if self.f.wanted(cid):
                    self.f.error(cid, "ufw is not installed")
            return
        if self.f.wanted("OS-08"):
            expected = {"active": True, **{f"default {k}": v for k, v in self.p["firewall_defaults"].items()}}
            actual = {"active": ufw["active"], **{f"default {k}": ufw["defaults"].get(k) for k in self.p["firewall_defaults"]}}
            if ufw.get("error"):
                actual["error"] = ufw["error"]
            self.f.compare("OS-08", expected, actual)
        if self.f.wanted("OS-09"):
            wanted = [f"{r['port']}/{r.get('proto', 'tcp')} from {r.get('from', 'any')}" for r in self.p["firewall_rules"]]
            missing = [
                text
                for text, r in zip(wanted, self.p["firewall_rules"])
                if not (ufw["active"] and _ufw.ufw_allows(ufw["rules"], r["port"], r.get("proto", "tcp"), r.get("from", "any")))
            ]
            actual = {
                "active": ufw["active"],
                "missing": missing,
                "rules": [f"{r['to']} {r['action']} from {r['from']}" for r in ufw["rules"] if not r["v6"]],
            }
            self.f.check("OS-09", not missing, {"active": True, "allowed": wanted}, actual)

    # OS-10
    def updates(self) -> None:
        if not self.f.wanted("OS-10"):
            return
        apt = self.reader.apt_config()
        wanted = self.p["updates"]
        origins = apt.get("Unattended-Upgrade::Origins-Pattern", []) + apt.get("Unattended-Upgrade::Allowed-Origins", [])
        actual = {
            "unattended-upgrades installed": "unattended-upgrades" in self.reader.installed_packages(),
            "APT::Periodic::Update-Package-Lists": bool(_os.apt_true(apt, "APT::Periodic::Update-Package-Lists")),
            "APT::Periodic::Unattended-Upgrade": bool(_os.apt_true(apt, "APT::Periodic::Unattended-Upgrade")),
            "security origin": any(s in o for o in origins for s in SECURITY_ORIGIN),
            **{
                timer: unit["enabled"]
                for timer, unit in self.reader.units(["apt-daily.timer", "apt-daily-upgrade.timer"]).items()
            },
        }
        expected: dict[str, t.Any] = {
            "unattended-upgrades installed": True,
            "APT::Periodic::Update-Package-Lists": True,
            "APT::Periodic::Unattended-Upgrade": True,
            "security origin": True,
            "apt-daily.timer": "enabled",
            "apt-daily-upgrade.timer": "enabled",
        }
        if wanted.get("origins"):
            expected["origins"] = list(wanted["origins"])
            actual["origins"] = apt.get("Unattended-Upgrade::Origins-Pattern", [])
        if "reboot" in wanted:
            expected["Unattended-Upgrade::Automatic-Reboot"] = bool(wanted["reboot"])
            actual["Unattended-Upgrade::Automatic-Reboot"] = bool(_os.apt_true(apt, "Unattended-Upgrade::Automatic-Reboot"))
            if wanted["reboot"] and wanted.get("reboot_time"):
                expected["Unattended-Upgrade::Automatic-Reboot-Time"] = str(wanted["reboot_time"])
                times = apt.get("Unattended-Upgrade::Automatic-Reboot-Time") or [None]
                actual["Unattended-Upgrade::Automatic-Reboot-Time"] = times[-1]
        if wanted.get("restart_services"):
            files = ["/etc/needrestart/needrestart.conf", *self.reader.list_dir("/etc/needrestart/conf.d", ".conf")]
            expected["needrestart restart mode"] = "a"
            actual["needrestart restart mode"] = _os.parse_needrestart_mode(self.reader.read(f) or "" for f in files)
        self.f.compare("OS-10", expected, actual)

    # OS-11, OS-16
    def sysctls(self, cid: str, wanted: dict[str, t.Any]) -> None:
        if not self.f.wanted(cid):
            return
        plan = _os.sysctl_plan(self.reader, wanted, self.reader.container())
        if not plan["values"]:
            reasons = sorted(set(plan["not_applicable"].values()))
            if reasons:
                self.f.not_applicable(cid, "; ".join(reasons), actual=plan["not_applicable"])
            else:
                self.f.disable(cid, "no parameters configured")
            return
        expected = {k: _os.normalize_sysctl(wanted[k]) for k in plan["values"]}
        if plan["drift"]:
            self.f.check(cid, False, expected, {k: plan["values"][k] for k in plan["drift"]})
        else:
            self.f.check(cid, True, expected, {"values": plan["values"], "not applicable": plan["not_applicable"]})

    # OS-12
    def core_dumps(self) -> None:
        if not self.f.wanted("OS-12"):
            return
        files = ["/etc/security/limits.conf", *self.reader.list_dir("/etc/security/limits.d", ".conf")]
        limits = _os.parse_limits(self.reader.read(f) or "" for f in files)
        expected = {"limits * hard core": "0", "limits root hard core": "0"}
        actual = {"limits * hard core": limits.get("*"), "limits root hard core": limits.get("root")}
        manager = self.reader.systemd_property("DefaultLimitCORE")
        if manager is not None:
            expected["systemd DefaultLimitCORE"] = "0"
            actual["systemd DefaultLimitCORE"] = manager
        self.f.compare("OS-12", expected, actual)

    # OS-13, OS-14
    def login_defs(self) -> None:
        defs = _os.parse_login_defs(self.reader.read("/etc/login.defs") or "")
        if self.f.wanted("OS-13"):
            session = self.reader.read("/etc/pam.d/common-session") or ""
            self.f.compare(
                "OS-13",
                {"UMASK": self.p["umask"], "pam_umask": True},
                {"UMASK": defs.get("UMASK"), "pam_umask": _os.pam_has_module(session, "pam_umask.so")},
            )
        if self.f.wanted("OS-14"):
            expected = {k: str(v) for k, v in self.p["password_aging"].items()}
            self.f.compare("OS-14", expected, {k: defs.get(k) for k in expected})

    # OS-15
    def file_permissions(self) -> None:
        if not self.f.wanted("OS-15"):
            return
        wrong, absent, modes = {}, [], {}
        for item in self.p["file_permissions"]:
            st = self.reader.stat(item["path"])
            if not st["exists"]:
                absent.append(item["path"])
                continue
            modes[item["path"]] = f"{st['mode']} {st['owner']}:{st['group']}"
            problems = _os.permission_problems(st, item)
            if problems:
                wrong[item["path"]] = ", ".join(problems)
        expected = {i["path"]: f"{i['mode']} {i.get('owner', '')}:{i.get('group', '')}" for i in self.p["file_permissions"]}
        if wrong:
            self.f.check("OS-15", False, expected, wrong)
        else:
            self.f.check("OS-15", True, expected, {"modes": modes, "absent": absent})

    # OS-17
    def banner(self) -> None:
        if not self.f.wanted("OS-17"):
            return
        text = self.p["banner"].strip()
        expected: dict[str, t.Any] = {"/etc/issue": text, "/etc/issue.net": text}
        actual: dict[str, t.Any] = {p: (self.reader.read(p) or "").strip() for p in expected}
        if self.p["ssh_banner"]:
            config, error = self.reader.sshd()
            expected["sshd banner"] = "/etc/issue.net"
            actual["sshd banner"] = _ssh.sshd_value(config, "banner") if config else error
            probe = getattr(self, "probe", None)
            if probe is not None:
                expected["banner a client is shown"] = text
                actual["banner a client is shown"] = (
                    (probe.get("banner") or "").strip() if probe.get("methods") is not None else probe.get("error")
                )
        self.f.compare("OS-17", expected, actual)

    # OS-18
    def kernel_modules(self) -> None:
        if not self.f.wanted("OS-18"):
            return
        container = self.reader.container()
        if container:
            self.f.not_applicable("OS-18", f"kernel modules belong to the host kernel ({container} container)")
            return
        modules = self.p["kernel_modules_disabled"]
        loadable = sorted(m for m in modules if not _os.module_refused(self.reader.modprobe_install(m)))
        loaded = self.reader.loaded_modules() or set()
        self.f.compare(
            "OS-18",
            {"loadable": [], "loaded": []},
            {"loadable": loadable, "loaded": sorted(m for m in modules if m.replace("-", "_") in loaded)},
        )

    # OS-19
    def password_quality(self) -> None:
        if not self.f.wanted("OS-19"):
            return
        files = ["/etc/security/pwquality.conf", *self.reader.list_dir("/etc/security/pwquality.conf.d", ".conf")]
        settings = _os.parse_pwquality(self.reader.read(f) or "" for f in files)
        wanted = {k: str(v) for k, v in self.p["password_quality"].items()}
        password = self.reader.read("/etc/pam.d/common-password") or ""
        expected: dict[str, t.Any] = {"pam_pwquality": True, **wanted}
        actual: dict[str, t.Any] = {
            "pam_pwquality": _os.pam_has_module(password, "pam_pwquality.so"),
            **{k: settings.get(k) for k in wanted},
        }
        if settings.get("dictcheck", "1") != "0":
            # Without cracklib's dictionary every password fails the check.
            expected["cracklib dictionary"] = True
            actual["cracklib dictionary"] = self.reader.stat(_os.CRACKLIB_DICTIONARY)["exists"]
        self.f.compare("OS-19", expected, actual)


def main() -> None:
    argument_spec = {
        "packages_absent": {"type": "list", "elements": "str", "default": []},
        "no_recommends": {"type": "bool", "default": True},
        "ssh_port": {"type": "int", "default": 22},
        "ssh_dropin": {"type": "path", "default": "/etc/ssh/sshd_config.d/00-insightengine-hardening.conf"},
        "login_user": {"type": "str", "default": ""},
        "ssh_crypto": {"type": "dict", "default": {}},
        "ssh_settings": {"type": "dict", "default": {}},
        "ssh_allow_users": {"type": "list", "elements": "str", "default": []},
        "ssh_allow_groups": {"type": "list", "elements": "str", "default": []},
        "firewall_defaults": {"type": "dict", "default": {"incoming": "deny", "outgoing": "allow"}},
        "firewall_rules": {"type": "list", "elements": "dict", "default": []},
        "updates": {"type": "dict", "default": {}},
        "net_sysctl": {"type": "dict", "default": {}},
        "kernel_sysctl": {"type": "dict", "default": {}},
        "umask": {"type": "str", "default": "027"},
        "password_aging": {"type": "dict", "default": {}, "no_log": False},
        "file_permissions": {"type": "list", "elements": "dict", "default": []},
        "banner": {"type": "str", "default": ""},
        "ssh_banner": {"type": "bool", "default": True},
        "kernel_modules_disabled": {"type": "list", "elements": "str", "default": []},
        "password_quality": {"type": "dict", "default": {}, "no_log": False},
    }
    argument_spec.update(findings_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    reader = _os.OsReader.for_module(module)
    run_verify(module, "os", _os.CATALOG, lambda findings: OsVerifier(module.params, reader, findings).run())


if __name__ == "__main__":
    main()
