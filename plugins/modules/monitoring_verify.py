#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: monitoring_verify
short_description: Verify the monitoring layer of the hardening guide from what journald and rsyslog run with
version_added: 0.6.0
description:
  - Reads the effective state of journald and rsyslog and returns one finding per control of the monitoring layer
    (C(MON-01) to C(MON-08)), each with the guide line it implements, a status, what was expected, what was found,
    the evidence and how to fix it.
  - journald's merged configuration and whether journald started after it changed, the journal on disk, and with a
    verification key C(journalctl --verify) of the sealed files.
  - rsyslogd's configuration as C(rsyslogd -N1) checks it and whether rsyslogd started after every file it reads changed;
    then, as a client, a TLS session to the log host that verifies its certificate by name with the CA rsyslogd uses,
    presents the host's client certificate and, for RELP, is answered by the server (RELP C(open) accepted); the bytes
    spooled in the forwarding queue.
  - On the log host, the listeners (C(/proc/net/tcp)), a session with a client certificate accepted and one without
    refused, and the retention file.
  - For alerting, the units and whether they started after their files changed, each endpoint bound to loopback only and
    refused on the host's other addresses, the rules Prometheus has loaded, its targets and Alertmanagers, Alertmanager's
    receivers, and mtail's counters; for fail2ban, the jails the running server has, their journal matches or files, and
    the ports their action blocks.
  - Never changes anything.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.findings
  - insightengine.hardening.read_only
options:
  journal:
    description: MON-01. The [Journal] settings journald must run with (C(Storage), C(SystemMaxUse), ...); empty for none.
    type: dict
    default: {}
  seal_key:
    description: MON-01. The journal's verification key (from C(journalctl --setup-keys)); empty when not sealed.
    type: str
    default: ""
  forward:
    description:
      - MON-02. The forwarding target (C(host), C(port), C(protocol) relp or tcp, C(tls), C(peer_name)); empty for none.
    type: dict
    default: {}
  receiver:
    description: MON-03. The log host's listeners (C(relp_port), C(tcp_port), 0 for none), C(name) in its certificate.
    type: dict
    default: {}
  tls_files:
    description: The CA, certificate and key rsyslogd uses, in that order.
    type: list
    elements: str
    default: []
  files:
    description: The configuration files each control needs (C(forward), C(receiver), C(replay), C(logrotate)).
    type: dict
    default: {}
  alerting:
    description:
      - MON-04. C(endpoints) (job to loopback host:port; with a C(postgres) job its exporter must report C(pg_up 1)),
        the C(alerts) Prometheus must have loaded, whether
        C(prometheus) and C(alertmanager) run here, the C(receivers) Alertmanager routes to (webhook, email), the units
        (C(services)) that must run; with C(files), the files each unit reads.
    type: dict
    default: {}
  fail2ban:
    description:
      - MON-05. The C(jails) (name to C(journalmatch) or C(file), C(port), and where bans must also hold for the ports
        containers publish, C(docker_chain) and C(docker_port)) and the ban C(action).
    type: dict
    default: {}
  service_files:
    description:
      - For each unit of MON-04 to MON-08, the files it reads (a change after it started means it runs an older one).
    type: dict
    default: {}
  auditd:
    description:
      - MON-06. The C(rules) the kernel must have loaded (as C(auditctl -l) prints them), the C(failure) mode, whether
        the rules are C(immutable); empty for none. Not applicable in a container.
    type: dict
    default: {}
  aide:
    description: MON-07. The check C(timer), its C(calendar) and the last check's C(max_age_seconds); empty for none.
    type: dict
    default: {}
  audit:
    description: MON-08. The audit C(timer), its C(calendar), the C(period_days) and the verify C(bundle)'s path; empty for none.
    type: dict
    default: {}
seealso:
  - module: insightengine.hardening.monitoring_info
"""

EXAMPLES = r"""
- name: Verify the monitoring layer
  insightengine.hardening.monitoring_verify:
    journal: {Storage: persistent, SystemMaxUse: 1G}
    forward: {host: logs.example.com, port: 2514, protocol: relp, tls: true, peer_name: logs.example.com}
    tls_files: [/etc/insightengine/rsyslog/ca.pem, /etc/insightengine/rsyslog/cert.pem, /etc/insightengine/rsyslog/key.pem]
    strict: false
  register: monitoring_audit
"""

RETURN = r"""
layer:
  description: Always C(monitoring).
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

import ipaddress
import json
import re
import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring as mon
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import (
    Findings,
    findings_argument_spec,
    run_verify,
)


class MonitoringVerifier:
    def __init__(self, params: dict[str, t.Any], host: _host.HostReader, findings: Findings):
        self.p = params
        self.host = host
        self.f = findings
        self.tls = [*params["tls_files"], "", "", ""][:3]
        self.units = host.units(mon.UNITS)
        self._rsyslog: dict[str, t.Any] | None = None
        self._services: dict[str, dict[str, t.Any]] | None = None
        self._calendars: dict[str, str | None] | None = None

    @property
    def rsyslog(self) -> dict[str, t.Any]:
        if self._rsyslog is None:
            self._rsyslog = mon.read_rsyslog(self.host, [f for f in self.tls if f])
        return self._rsyslog

    def run(self) -> None:
        seal_key = self.p["seal_key"] if self.f.wanted("MON-01") else ""
        journald = mon.read_journald(self.host, seal_key) if self.f.wanted("MON-01") or self.f.wanted("MON-02") else {}
        if self.f.wanted("MON-01"):
            self.journal(journald)
        if self.f.wanted("MON-02"):
            self.forward(journald)
        if self.f.wanted("MON-03"):
            self.receiver()
        if self.f.wanted("MON-04"):
            self.alerting()
        if self.f.wanted("MON-05"):
            self.fail2ban()
        if self.f.wanted("MON-06"):
            self.auditd()
        if self.f.wanted("MON-07"):
            self.aide()
        if self.f.wanted("MON-08"):
            self.audit()

    @property
    def services(self) -> dict[str, dict[str, t.Any]]:
        """The units of MON-04 and MON-05, read once for both."""
        if self._services is None:
            self._services = mon.read_services(self.host, self.p["service_files"])
        return self._services

    def _service_problems(self, units: t.Iterable[str], states: dict[str, dict[str, t.Any]] | None = None) -> list[str]:
        problems = []
        for unit in units:
            state = (states or {}).get(unit) or self.services.get(unit) or mon.read_services(self.host, {unit: []})[unit]
            if state.get("active") != "active":
                problems.append(f"{unit} is {state.get('active')}")
            elif state["stale"]:
                problems.append(f"{unit} runs an older configuration than {', '.join(state['stale'])}")
            if state.get("enabled") not in mon.RUNNING_ENABLED:
                problems.append(f"{unit} is {state.get('enabled')}, not enabled")
        return problems

    def alerting(self) -> None:
        spec = self.p["alerting"]
        if not spec.get("endpoints"):
            self.f.error("MON-04", "no alerting endpoints given")
            return
        problems = self._service_problems(spec.get("services", []))
        actual: dict[str, t.Any] = {"listening": {}, "open_elsewhere": []}
        others = mon.host_addresses(self.host)
        ports = {job: int(e.rsplit(":", 1)[1]) for job, e in spec["endpoints"].items()}
        if spec.get("alertmanager"):
            ports["alertmanager-cluster"] = 9094
        for job, port in ports.items():
            addresses = _host.listeners(self.host, port) or []
            actual["listening"][job] = addresses
            open_all = [a for a in addresses if not _loopback(a)]
            if open_all:
                problems.append(f"{job} (port {port}) listens on {', '.join(open_all)}: open beyond loopback")
            elif not addresses and job != "alertmanager-cluster":
                problems.append(f"nothing listens for {job} on port {port}")
            reached = [a for a in others if mon.connects(a, port)]
            if reached:
                actual["open_elsewhere"].append(f"{job}: {', '.join(reached)}")
                problems.append(f"{job} (port {port}) answers on {', '.join(reached)}")
        base = {job: f"http://{endpoint}" for job, endpoint in spec["endpoints"].items()}
        problems += self._mtail(base["mtail"], actual) + self._node(base["node"], actual)
        if "postgres" in base:
            problems += self._postgres(base["postgres"], actual)
        if spec.get("prometheus"):
            problems += self._prometheus(base["prometheus"], spec, actual)
        if spec.get("alertmanager"):
            problems += self._alertmanager(base["alertmanager"], spec, actual)
        self.f.check(
            "MON-04",
            not problems,
            {"listening": "loopback only", "alerts": spec.get("alerts", []), "receivers": spec.get("receivers", [])},
            actual,
            "; ".join(problems) or None,
        )

    def _mtail(self, base: str, actual: dict[str, t.Any]) -> list[str]:
        status, body = mon.http_get(base + "/metrics")
        counters = sorted(set(re.findall(r"^(insightengine_[a-z0-9_]+_total)\{", body, re.M))) if status == 200 else []
        actual["mtail_counters"] = len(counters)
        if status != 200:
            return [f"mtail does not answer: {body or status}"]
        return [] if counters else ["mtail exports none of the role's counters (its program is not loaded)"]

    def _node(self, base: str, actual: dict[str, t.Any]) -> list[str]:
        status, body = mon.http_get(base + "/metrics")
        actual["node_exporter"] = status == 200 and "node_exporter_build_info" in body
        return [] if actual["node_exporter"] else [f"the node exporter does not answer: {body[:200] or status}"]

    def _postgres(self, base: str, actual: dict[str, t.Any]) -> list[str]:
        status, body = mon.http_get(base + "/metrics")
        up = re.search(r"^pg_up(?:\{[^}]*\})? (\S+)$", body, re.M) if status == 200 else None
        actual["postgres_exporter"] = {"answers": status == 200, "pg_up": float(up.group(1)) if up else None}
        if status != 200:
            return [f"the PostgreSQL exporter does not answer: {body[:200] or status}"]
        return [] if up and float(up.group(1)) == 1 else ["the PostgreSQL exporter cannot reach the server (pg_up is not 1)"]

    def _prometheus(self, base: str, spec: dict[str, t.Any], actual: dict[str, t.Any]) -> list[str]:
        # Right after a restart Prometheus replays its WAL: wait for it to be ready.
        deadline = time.monotonic() + 30
        while mon.http_get(base + "/-/ready")[0] != 200 and time.monotonic() < deadline:
            time.sleep(1)
        problems = []
        status, body = mon.http_get(base + "/api/v1/rules?type=alert")
        loaded = set()
        if status == 200:
            for group in json.loads(body).get("data", {}).get("groups", []):
                loaded |= {r.get("name") for r in group.get("rules", []) if r.get("health", "ok") != "err"}
        else:
            problems.append(f"Prometheus does not answer: {body[:200] or status}")
        missing = sorted(set(spec.get("alerts", [])) - loaded)
        actual["alerts_loaded"] = len(loaded)
        if status == 200 and missing:
            problems.append(f"Prometheus has not loaded the alerts {', '.join(missing)}")
        status, body = mon.http_get(base + "/api/v1/targets?state=active")
        if status == 200:
            targets = json.loads(body).get("data", {}).get("activeTargets", [])
            down = [
                f"{t_['labels'].get('job')} ({t_.get('lastError') or 'down'})" for t_ in targets if t_.get("health") == "down"
            ]
            actual["targets"] = {"up": sum(t_.get("health") == "up" for t_ in targets), "down": down}
            if down:
                problems.append(f"Prometheus cannot scrape {', '.join(down)}")
        if spec.get("alertmanager"):
            # Prometheus discovers its Alertmanagers a moment after it is ready.
            while True:
                status, body = mon.http_get(base + "/api/v1/alertmanagers")
                active = json.loads(body).get("data", {}).get("activeAlertmanagers", []) if status == 200 else []
                if active or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            actual["alertmanagers"] = [a.get("url") for a in active]
            if not active:
                problems.append("Prometheus sends alerts to no Alertmanager")
        return problems

    def _alertmanager(self, base: str, spec: dict[str, t.Any], actual: dict[str, t.Any]) -> list[str]:
        status, body = mon.http_get(base + "/api/v2/status")
        if status != 200:
            return [f"Alertmanager does not answer: {body[:200] or status}"]
        config = json.loads(body).get("config", {}).get("original", "")
        kinds = [k for k, key in (("webhook", "webhook_configs:"), ("email", "email_configs:")) if key in config]
        actual["receivers"] = kinds
        missing = sorted(set(spec.get("receivers", [])) - set(kinds))
        return [f"Alertmanager routes to no {', '.join(missing)} receiver"] if missing else []

    def fail2ban(self) -> None:
        spec = self.p["fail2ban"]
        jails = spec.get("jails") or {}
        action = spec.get("action") or "nftables"
        problems = self._service_problems(["fail2ban.service"])
        state = mon.read_fail2ban(self.host, jails, action)
        if not state["installed"]:
            problems.append("fail2ban is not installed")
        elif not state["running"]:
            problems.append("fail2ban-client status: the server does not answer")
        for name, jail in jails.items():
            running = state["jail"].get(name)
            if running is None:
                if state["running"]:
                    problems.append(f"the jail {name} is not running")
                continue
            if jail.get("journalmatch") and running["journal_matches"] != jail["journalmatch"]:
                problems.append(f"{name} reads {running['journal_matches'] or running['files']!r}, not the journal of sshd")
            if jail.get("file") and jail["file"] not in (running["files"] or ""):
                problems.append(f"{name} does not read {jail['file']}")
            if str(jail.get("port")) != str(running["port"]):
                problems.append(f"{name} blocks port {running['port']}, not {jail.get('port')}")
            if jail.get("docker_chain") and mon.DOCKER_ACTION not in (running.get("actions") or []):
                problems.append(f"{name} has no {mon.DOCKER_ACTION} action (its bans do not hold for published ports)")
        docker = any(j.get("docker_chain") for j in jails.values())
        docker_rules = mon.docker_user_rules(self.host) if docker else None
        if docker and state["running"]:
            problems += mon.docker_ban_problems(docker_rules, jails)
        self.f.check(
            "MON-05",
            not problems,
            {"jails": {n: {"port": j.get("port"), "reads": j.get("journalmatch") or j.get("file")} for n, j in jails.items()}},
            {
                "running": state["running"],
                "jails": state["jails"],
                "jail": state["jail"],
                **({"docker_user": docker_rules} if docker else {}),
            },
            "; ".join(problems) or None,
        )

    def auditd(self) -> None:
        spec = self.p["auditd"]
        if not spec:
            self.f.error("MON-06", "no audit rules given")
            return
        state = mon.read_auditd(self.host)
        expected = {
            "rules": [mon.audit_rule_line(w) for w in spec.get("rules", [])],
            "enabled": "2" if spec.get("immutable") else "1 or 2",
        }
        if state["container"]:
            self.f.not_applicable(
                "MON-06",
                f"this host is a container ({state['container']}): the kernel's audit belongs to the machine it runs on "
                "(audit it there)",
                expected,
                {"container": state["container"]},
            )
            return
        unit = {"auditd.service": {**state.get("unit", {}), "stale": []}}
        problems = self._service_problems(unit, unit) if state["installed"] else ["auditd is not installed"]
        status = state["status"]
        if state["error"]:
            problems.append(f"auditctl: {state['error']}")
        elif status.get("enabled") not in ("1", "2"):
            problems.append(f"the kernel's audit is not enabled (enabled {status.get('enabled')})")
        elif spec.get("immutable") and status.get("enabled") != "2":
            problems.append("the rules are not locked (enabled 1, not 2)")
        loaded = mon.loaded_watches(state["rules"])
        missing = mon.missing_watches(state, spec.get("rules", []))
        if missing and not state["error"]:
            problems.append(f"the kernel has not loaded {len(missing)} rules: {'; '.join(missing[:5])}")
        if str(spec.get("failure", "")) and status.get("failure") not in (None, str(spec.get("failure"))):
            problems.append(f"failure mode {status.get('failure')}, not {spec.get('failure')}")
        self.f.check(
            "MON-06",
            not problems,
            expected,
            {"enabled": status.get("enabled"), "rules_loaded": len(loaded), "missing": missing, "lost": status.get("lost")},
            "; ".join(problems) or None,
        )

    @property
    def calendars(self) -> dict[str, str | None]:
        """The timers' calendars (MON-07, MON-08) as systemd normalizes them, in one call."""
        if self._calendars is None:
            wanted = [c for c in (self.p["aide"].get("calendar"), self.p["audit"].get("calendar")) if c]
            self._calendars = dict(zip(wanted, mon.normalized_calendars(self.host, wanted)))
        return self._calendars

    def _schedule_problems(self, timer: str, calendar: str | None) -> list[str]:
        """What the loaded timer runs on (systemctl's TimersCalendar), against the calendar it should."""
        if not calendar:
            return []
        loaded = mon.loaded_calendar((self.services.get(timer) or {}).get("TimersCalendar", ""))
        wanted = self.calendars.get(calendar)
        if wanted is None:
            return [f"systemd-analyze cannot read the calendar {calendar!r}"]
        if loaded and wanted not in loaded:
            return [f"{timer} runs on {', '.join(loaded)}, not {wanted} ({calendar})"]
        return []

    def aide(self) -> None:
        spec = self.p["aide"]
        if not spec:
            self.f.error("MON-07", "no AIDE settings given")
            return
        timer = spec.get("timer", "insightengine-aide-check.timer")
        problems = self._service_problems([timer]) + self._schedule_problems(timer, spec.get("calendar"))
        db, conf = self.host.mtime(mon.AIDE_DB), self.host.mtime(mon.AIDE_CONF)
        last = mon.read_json_state(self.host, mon.AIDE_LAST)
        actual: dict[str, t.Any] = {"baseline": bool(db), "last_check": None}
        if not self.host.which("aide"):
            problems.append("aide is not installed")
        if db is None:
            problems.append(f"there is no baseline ({mon.AIDE_DB})")
        elif conf is not None and conf > db:
            problems.append(f"the baseline is older than {mon.AIDE_CONF}")
        if last is None:
            problems.append("no check has run (insightengine-aide-check.service)")
        elif last.get("error"):
            problems.append(f"the last check failed: {last['error']}")
        else:
            age = time.time() - float(last.get("time") or 0)
            counts = {k: int(last.get(k) or 0) for k in ("changed", "added", "removed")}
            actual["last_check"] = {"age_hours": round(age / 3600, 1), **counts}
            limit = float(spec.get("max_age_seconds") or 2 * 86400)
            if age > limit:
                problems.append(f"the last check ran {round(age / 3600)} h ago (at most {int(limit) // 3600} h)")
            # A check older than the baseline reported what the new baseline accepted.
            if db is not None and float(last.get("time") or 0) >= int(db) and sum(counts.values()):
                shown = ", ".join(last.get("entries", [])[:10])
                problems.append(
                    f"the last check found {counts['changed']} changed, {counts['added']} added and {counts['removed']} "
                    f"removed since the baseline: {shown}"
                )
        self.f.check("MON-07", not problems, {"baseline": True, "changes": 0}, actual, "; ".join(problems) or None)

    def audit(self) -> None:
        spec = self.p["audit"]
        if not spec:
            self.f.error("MON-08", "no audit settings given")
            return
        timer = spec.get("timer", "insightengine-audit.timer")
        problems = self._service_problems([timer]) + self._schedule_problems(timer, spec.get("calendar"))
        last = mon.read_json_state(self.host, mon.AUDIT_LAST)
        period = int(spec.get("period_days") or 92) * 86400
        actual: dict[str, t.Any] = {"last_audit": None}
        installed = {"Lynis": self.host.which("lynis"), "the verify bundle": self.host.mtime(spec.get("bundle", ""))}
        for program, path in installed.items():
            if not path:
                problems.append(f"{program} is not installed")
        if last is None:
            running = self.host.units(["insightengine-audit.service"])["insightengine-audit.service"]["active"]
            if running in ("activating", "active"):
                actual["last_audit"] = "the first audit is running"
            else:
                problems.append("no audit has been recorded (start insightengine-audit.service)")
        else:
            age = time.time() - float(last.get("time") or 0)
            lynis = last.get("lynis") or {}
            verify = last.get("verify") or {}
            actual["last_audit"] = {
                "age_days": round(age / 86400, 1),
                "hardening_index": lynis.get("hardening_index"),
                "lynis_warnings": len(lynis.get("warnings") or []),
                "verify_failed": {layer: v.get("failed") for layer, v in verify.items() if v.get("failed")},
            }
            if age > period:
                problems.append(f"the last audit ran {round(age / 86400)} days ago (period {period // 86400} days)")
            if lynis.get("error"):
                problems.append(f"Lynis failed at the last audit: {lynis['error']}")
            errors = [f"{layer}: {v['error']}" for layer, v in verify.items() if v.get("error")]
            if errors or last.get("verify_error"):
                problems.append(f"the scheduled verify failed: {'; '.join(errors) or last.get('verify_error')}")
        self.f.check(
            "MON-08",
            not problems,
            {"timer": timer, "period_days": period // 86400},
            actual,
            "; ".join(problems) or None,
        )

    def journal(self, journald: dict[str, t.Any]) -> None:
        expected = dict(self.p["journal"])
        if not expected:
            self.f.error("MON-01", "no journal settings given")
            return
        settings = journald["settings"]
        actual = {key: settings.get(key) for key in expected}
        problems = [f"{key}={actual[key]} (want {value})" for key, value in expected.items() if actual[key] != value]
        if journald["stale"]:
            problems.append(f"changed after journald started: {', '.join(journald['stale'])}")
        if not journald["persistent"]:
            problems.append(f"no journal on disk in {journald['directory'] or '/var/log/journal'}")
        sealed = expected.get("Seal") == "yes"
        if sealed and not journald["sealing_key"]:
            problems.append("Seal=yes but there is no sealing key (journalctl --setup-keys)")
        if sealed and self.p["seal_key"] and journald["verified"] is False:
            problems.append(
                "journalctl --verify with the verification key fails: " + "; ".join(journald.get("verify_output") or [])
            )
        actual.update(persistent=journald["persistent"], stale=journald["stale"], verified=journald["verified"])
        self.f.check(
            "MON-01",
            not problems,
            {**expected, "persistent": True, "stale": []},
            actual,
            "; ".join(problems) or None,
            source="systemd-analyze cat-config systemd/journald.conf; journald's start time; /var/log/journal"
            + ("; journalctl --verify --verify-key" if sealed and self.p["seal_key"] else ""),
        )

    def _rsyslog_problems(self, conf: str) -> list[str]:
        unit, state = self.units["rsyslog.service"], self.rsyslog
        problems = []
        if not state["installed"]:
            return ["rsyslogd is not installed"]
        if unit["active"] != "active":
            problems.append(f"rsyslog.service is {unit['active']}")
        if unit["enabled"] not in mon.RUNNING_ENABLED:
            problems.append(f"rsyslog.service is {unit['enabled']}, not enabled")
        if state["valid"] is False:
            problems.append("rsyslogd -N1 rejects the configuration: " + "; ".join(state["errors"][:3]))
        if state["stale"]:
            problems.append(f"changed after rsyslogd started (not loaded): {', '.join(state['stale'])}")
        if not conf or self.host.mtime(conf) is None:
            problems.append(f"{conf or 'the configuration file'} is missing: rsyslogd has no such action")
        return problems

    def forward(self, journald: dict[str, t.Any]) -> None:
        target = self.p["forward"]
        if not target.get("host"):
            self.f.error("MON-02", "no forwarding target given")
            return
        files = self.p["files"]
        problems = self._rsyslog_problems(files.get("forward", ""))
        if journald.get("settings", {}).get("ForwardToSyslog", "yes") != "no":
            problems.append(
                "journald still passes messages to the syslog socket (ForwardToSyslog): they would be forwarded twice"
            )
        replay = files.get("replay", "")
        if replay and (self.host.mtime(replay) is None or replay not in self.rsyslog.get("dropins", [])):
            problems.append(f"the replay drop-in {replay} is missing or not loaded (systemctl daemon-reload)")
        port, tls = int(target.get("port") or 0), bool(target.get("tls"))
        session = (
            mon.tls_session(
                target["host"],
                port,
                ca=self.tls[0],
                name=target.get("peer_name") or target["host"],
                cert=self.tls[1] if target.get("client_cert", True) else "",
                key=self.tls[2] if target.get("client_cert", True) else "",
                relp=target.get("protocol") == "relp",
            )
            if tls
            else {"accepted": mon.connects(target["host"], port, timeout=5), "error": "plaintext: nothing verifies the log host"}
        )
        if not session["accepted"]:
            problems.append(f"the log host does not accept this host: {session['error']}")
        spool = self.rsyslog.get("spool_bytes", 0)
        actual = {
            "target": f"{target['host']}:{port}",
            "protocol": target.get("protocol"),
            "tls": session.get("protocol") if tls else "none",
            "accepted": session["accepted"],
            "spool_bytes": spool,
            "rsyslog_started": self.rsyslog.get("started"),
        }
        if spool and session["accepted"]:
            actual["note"] = f"{spool} bytes still spooled; the queue drains now that the log host answers"
        ok = not problems and (tls or not target.get("tls_required", True))
        self.f.check(
            "MON-02",
            ok,
            {
                "target": f"{target['host']}:{port}",
                "tls": "verified by name" if tls else "none",
                "accepted": True,
                "loaded": True,
            },
            actual,
            "; ".join(problems) or None,
        )

    def receiver(self) -> None:
        spec = self.p["receiver"]
        files = self.p["files"]
        problems = self._rsyslog_problems(files.get("receiver", ""))
        name = spec.get("name") or "localhost"
        listeners = {}
        for key, relp in (("relp_port", True), ("tcp_port", False)):
            port = int(spec.get(key) or 0)
            if not port:
                continue
            addresses = _host.listeners(self.host, port) or []
            # On the log host itself a refusal comes within milliseconds.
            probe = {"ca": self.tls[0], "name": name, "relp": relp, "settle": 0.3}
            with_cert = mon.tls_session("127.0.0.1", port, cert=self.tls[1], key=self.tls[2], **probe)
            without = mon.tls_session("127.0.0.1", port, **probe)
            listeners[str(port)] = {
                "listening": addresses,
                "with_client_certificate": with_cert["accepted"],
                "without_client_certificate": without["accepted"],
            }
            if not addresses:
                problems.append(f"nothing listens on port {port}")
            elif not with_cert["accepted"]:
                problems.append(f"port {port} refuses a certificate of the CA: {with_cert['error']}")
            if without["accepted"]:
                problems.append(f"port {port} accepts a sender without a client certificate")
        rotate = files.get("logrotate", "")
        if rotate and self.host.mtime(rotate) is None:
            problems.append(f"{rotate} is missing: received logs are kept without bound")
        self.f.check(
            "MON-03",
            not problems,
            {port: {"with_client_certificate": True, "without_client_certificate": False} for port in listeners} or "listeners",
            {"listeners": listeners, "logrotate": rotate},
            "; ".join(problems) or None,
        )


def _loopback(address: str) -> bool:
    """Whether a listener ("127.0.0.1:9100", "[::1]:9100") is bound to loopback."""
    try:
        return ipaddress.ip_address(address.rsplit(":", 1)[0].strip("[]")).is_loopback
    except ValueError:
        return False


def main() -> None:
    argument_spec = {
        "journal": {"type": "dict", "default": {}},
        "seal_key": {"type": "str", "default": "", "no_log": True},
        "forward": {"type": "dict", "default": {}},
        "receiver": {"type": "dict", "default": {}},
        "tls_files": {"type": "list", "elements": "str", "default": []},
        "files": {"type": "dict", "default": {}},
        "alerting": {"type": "dict", "default": {}},
        "fail2ban": {"type": "dict", "default": {}},
        "service_files": {"type": "dict", "default": {}},
        "auditd": {"type": "dict", "default": {}},
        "aide": {"type": "dict", "default": {}},
        "audit": {"type": "dict", "default": {}},
        **findings_argument_spec(),
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    host = _host.HostReader.for_module(module)
    run_verify(module, "monitoring", mon.CATALOG, lambda findings: MonitoringVerifier(module.params, host, findings).run())


if __name__ == "__main__":
    main()
