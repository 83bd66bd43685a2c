#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_verify
short_description: The pre-flight checklist of the hardening guide, judged on what the host runs
version_added: 0.7.0
description:
  - Returns one finding per item of the guide's pre-flight checklist (C(PRE-01) to C(PRE-05)), in the format of the
    layers' verify modules, so the report callback shows them beside the layers (layer C(preflight)).
  - C(PRE-01) default credentials - every login role of the PostgreSQL cluster whose stored SCRAM or MD5 verifier
    matches a known default or placeholder password (or the role's own name), the application's secret files that
    hold one, Alertmanager receivers whose URL or password holds one, and accounts that log in without a password or
    are an installer's default account with a usable one. Passwords are tried against the verifiers; none is printed.
  - C(PRE-02) debug mode - the project's running containers' environment (C(DEBUG=true), C(APP_ENV=development) and
    the like), nginx's effective configuration (C(error_log ... debug), C(autoindex on)) and PostgreSQL's log levels.
  - C(PRE-03) backups - the backup timer active and enabled, the latest complete backup younger than
    C(backup.max_age_hours), the latest restore test passed and younger than C(backup.restore_max_age_hours).
  - C(PRE-04) monitoring - rsyslog, the node exporter and Alertmanager running, the exporters answering on loopback,
    and a test alert (C(InsightEnginePreflightTest)) posted to Alertmanager, after which a request to its receivers
    succeeded within C(monitoring.timeout) seconds (Alertmanager's counters of requests to the receivers and of the failed ones).
    The alert is the one thing this module sends; C(monitoring.test_alert=false) leaves it out.
  - C(PRE-05) advisories - the security updates C(apt-get -s upgrade) would install, the age of each image's last scan
    record, and the date the operator recorded for the last review of the advisories, against its period.
  - A part whose component the host does not run (no cluster, no nginx, no application) is not judged; a control with
    no part to judge on this host is not applicable.
  - Changes nothing on the host.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.findings
options:
  default_passwords:
    description: PRE-01. Passwords to treat as defaults besides the built-in list (site-specific placeholders).
    type: list
    elements: str
    default: []
  default_accounts:
    description: PRE-01. Accounts that must not log in with a password (an installer's default accounts).
    type: list
    elements: str
    default: [pi, ubuntu, debian, admin, user, guest, test, demo, vagrant, oracle, centos]
  app:
    description:
      - PRE-01, PRE-02, PRE-05. The application - C(project) (the Compose project name), C(directory) (its files,
        C(secrets) and C(scans) in it), C(max_scan_age_days).
    type: dict
    default: {}
  backup:
    description:
      - PRE-03. C(directory) (the backups), C(timer) and C(restore_timer), C(restore_status) (the restore test's
        record), C(max_age_hours) and C(restore_max_age_hours).
    type: dict
    default: {}
  monitoring:
    description:
      - PRE-04. C(alertmanager) (loopback address and port), C(exporters) (name to loopback C(host:port)),
        C(test_alert) (send one), C(timeout) (seconds to wait for its delivery).
    type: dict
    default: {}
  advisories:
    description:
      - PRE-05. C(reviewed) (the date, YYYY-MM-DD, of the last review of the advisories for the dependencies) and
        C(period_days) (how old it may be).
    type: dict
    default: {}
seealso:
  - module: insightengine.hardening.postgres_verify
  - module: insightengine.hardening.monitoring_verify
"""

EXAMPLES = r"""
- name: The pre-flight checklist
  insightengine.hardening.preflight_verify:
    app: {project: insightengine, directory: /opt/insightengine, max_scan_age_days: 7}
    backup: {directory: /var/backups/postgresql, max_age_hours: 26}
    monitoring: {alertmanager: "127.0.0.1:9093", exporters: {node: "127.0.0.1:9100"}}
    advisories: {reviewed: "2026-11-20", period_days: 30}
    strict: false
  register: preflight
"""

RETURN = r"""
layer:
  description: Always C(preflight).
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

import datetime
import json
import os
import socket
import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _app, _host, _monitoring, _postgres, _preflight
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import (
    Findings,
    findings_argument_spec,
    run_verify,
)

Q_LOGIN_ROLES = "select coalesce(json_object_agg(rolname, rolpassword), '{}') from pg_authid where rolcanlogin"
PG_SETTINGS = _preflight.PG_DEBUG_SETTINGS + _preflight.PG_DEBUG_SWITCHES


def post_alert(address: str, labels: dict[str, str], timeout: float = 5.0) -> str | None:
    """POST one alert to Alertmanager's v2 API on loopback; None, or the error."""
    import http.client

    host, _sep, port = address.rpartition(":")
    now = datetime.datetime.now(datetime.timezone.utc)
    body = json.dumps(
        [
            {
                "labels": labels,
                "annotations": {"summary": "insightengine.hardening pre-flight test alert (PRE-04); no action needed"},
                "startsAt": now.isoformat(),
                "endsAt": (now + datetime.timedelta(minutes=2)).isoformat(),
            }
        ]
    )
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request("POST", "/api/v2/alerts", body=body, headers={"Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            return None if answer.status == 200 else f"HTTP {answer.status}"
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


class PreflightVerifier:
    def __init__(self, params: dict[str, t.Any], host: t.Any, findings: Findings):
        self.p = params
        self.host = host
        self.f = findings
        self.today = datetime.date.today()
        # A stopped cluster is still a database host: its checks report the
        # reader's error instead of passing as if there were none.
        clusters = sorted(_postgres.read_clusters(host), key=lambda c: not c.get("running"))
        self.pg = _postgres.PgReader(host, clusters[0]) if clusters else None
        self.units = host.units(
            [
                "rsyslog.service",
                "prometheus-node-exporter.service",
                "prometheus-alertmanager.service",
                self.backup.get("timer") or _postgres.BACKUP_UNITS[0],
                self.backup.get("restore_timer") or _postgres.BACKUP_UNITS[1],
            ]
        )

    @property
    def backup(self) -> dict[str, t.Any]:
        return self.p["backup"] or {}

    def run(self) -> None:
        for cid, method in (
            ("PRE-01", self.credentials),
            ("PRE-02", self.debug),
            ("PRE-03", self.backups),
            ("PRE-04", self.monitoring),
            ("PRE-05", self.advisories),
        ):
            if self.f.wanted(cid):
                method()

    # PRE-01 -----------------------------------------------------------------
    def credentials(self) -> None:
        extra = self.p["default_passwords"]
        expected = {
            "database roles": "none with a default password",
            "application secrets": "none default",
            "alert receivers": "no default password",
            "accounts": "none without a password, no default account",
        }
        actual: dict[str, t.Any] = {}
        if self.pg:
            roles = self.pg.query(Q_LOGIN_ROLES)
            if roles is None:
                self.f.error("PRE-01", f"reading the login roles: {self.pg.error}")
                return
            hits = _preflight.default_password_roles(roles, _postgres.scram_matches, extra)
            actual["database roles"] = hits or expected["database roles"]
        else:
            expected.pop("database roles")
        directory = (self.p["app"] or {}).get("directory")
        secrets_dir = os.path.join(directory, "secrets") if directory else ""
        if secrets_dir and os.path.isdir(secrets_dir):
            files = {path: self.host.read(path) for path in self.host.list_dir(secrets_dir) if os.path.isfile(path)}
            found = _preflight.default_secret_files(files, extra)
            actual["application secrets"] = found or expected["application secrets"]
        else:
            expected.pop("application secrets")
        config = self.host.read("/etc/prometheus/alertmanager.yml")
        if config is not None:
            found = _preflight.alertmanager_default_secrets(config, extra)
            actual["alert receivers"] = found or expected["alert receivers"]
        else:
            expected.pop("alert receivers")
        shadow = self.host.read("/etc/shadow")
        if shadow is None:
            self.f.error("PRE-01", "cannot read /etc/shadow (run as root)")
            return
        problems = _preflight.default_accounts(_preflight.shadow_login_accounts(shadow), self.p["default_accounts"])
        actual["accounts"] = problems or expected["accounts"]
        self.f.compare("PRE-01", expected, actual)

    # PRE-02 -----------------------------------------------------------------
    def debug(self) -> None:
        expected: dict[str, t.Any] = {}
        actual: dict[str, t.Any] = {}
        project = (self.p["app"] or {}).get("project")
        docker = self.host.which("docker")
        if project and docker:
            rc, out, _err = self.host.run(docker, "ps", "-q", "--filter", f"label=com.docker.compose.project={project}")
            ids = out.split() if rc == 0 else []
            if ids:
                rc, out, err = self.host.run(docker, "inspect", *ids)
                if rc != 0:
                    self.f.error("PRE-02", f"docker inspect: {err.strip()[:200]}")
                    return
                found = {}
                for container in json.loads(out or "[]"):
                    entries = _preflight.container_debug((container.get("Config") or {}).get("Env") or [])
                    if entries:
                        found[container.get("Name", "").lstrip("/")] = entries
                expected["application"] = "no debug setting in any container"
                actual["application"] = found or expected["application"]
        nginx = self.host.which("nginx")
        if nginx:
            rc, out, err = self.host.run(nginx, "-T")
            if rc != 0:
                self.f.error("PRE-02", f"nginx -T: {(err or out).strip()[-200:]}")
                return
            expected["nginx"] = "no debug error_log, no autoindex"
            actual["nginx"] = _preflight.nginx_debug(out) or expected["nginx"]
        if self.pg:
            settings = self.pg.settings(PG_SETTINGS)
            if not settings:
                self.f.error("PRE-02", f"reading PostgreSQL's settings: {self.pg.error or 'nothing returned'}")
                return
            expected["postgresql"] = "no debug log level, no debug output"
            actual["postgresql"] = _preflight.postgres_debug(settings) or expected["postgresql"]
        if not expected:
            self.f.not_applicable("PRE-02", "no application, nginx or PostgreSQL on this host")
            return
        self.f.compare("PRE-02", expected, actual)

    # PRE-03 -----------------------------------------------------------------
    def backups(self) -> None:
        if not self.pg:
            self.f.not_applicable("PRE-03", "no PostgreSQL cluster on this host")
            return
        b = self.backup
        max_age = float(b.get("max_age_hours", 26))
        restore_max_age = float(b.get("restore_max_age_hours", 26))
        timer = b.get("timer") or _postgres.BACKUP_UNITS[0]
        restore_timer = b.get("restore_timer") or _postgres.BACKUP_UNITS[1]
        expected = {
            "backup timer": "enabled, active",
            "latest backup (hours)": f"<= {max_age:g}",
            "restore test timer": "enabled, active",
            "latest restore test": f"passed, <= {restore_max_age:g} hours ago",
        }
        state = _postgres.latest_backup(b.get("directory") or "/var/backups/postgresql")
        latest = state.get("latest")
        status = _postgres.restore_status(b.get("restore_status") or "/var/lib/postgresql/insightengine-restore-test.json")
        if status is None:
            restore = "no restore test has run"
        elif not status.get("ok"):
            restore = f"failed: {status.get('error') or 'see its journal'}"
        elif status.get("age_hours") is None or status["age_hours"] > restore_max_age:
            restore = f"passed {status.get('age_hours')} hours ago"
        else:
            restore = expected["latest restore test"]
        actual = {
            "backup timer": self._timer(timer),
            "latest backup (hours)": "no complete backup"
            if not latest
            else (expected["latest backup (hours)"] if latest["age_hours"] <= max_age else latest["age_hours"]),
            "restore test timer": self._timer(restore_timer),
            "latest restore test": restore,
        }
        self.f.compare("PRE-03", expected, actual)

    def _timer(self, name: str) -> str:
        unit = self.units.get(name) or self.host.units([name])[name]
        return f"{unit['enabled']}, {unit['active']}"

    # PRE-04 -----------------------------------------------------------------
    def monitoring(self) -> None:
        m = self.p["monitoring"] or {}
        if not any(
            self.units[u]["enabled"] not in ("not-found", "unknown")
            for u in ("rsyslog.service", "prometheus-node-exporter.service")
        ):
            self.f.not_applicable(
                "PRE-04", "neither rsyslog nor the node exporter is installed: the monitoring layer is not applied here"
            )
            return
        expected: dict[str, t.Any] = {"rsyslog": "active", "node exporter": "active"}
        actual: dict[str, t.Any] = {
            "rsyslog": self.units["rsyslog.service"]["active"],
            "node exporter": self.units["prometheus-node-exporter.service"]["active"],
        }
        for name, address in sorted((m.get("exporters") or {"node": "127.0.0.1:9100"}).items()):
            status, _body = _monitoring.http_get(f"http://{address}/metrics")
            expected[f"{name} exporter /metrics"] = "HTTP 200"
            actual[f"{name} exporter /metrics"] = "HTTP 200" if status == 200 else (f"HTTP {status}" if status else "no answer")
        alertmanager = m.get("alertmanager") or "127.0.0.1:9093"
        if self.units["prometheus-alertmanager.service"]["enabled"] in ("not-found", "unknown"):
            expected["test alert"] = "delivered (or Alertmanager runs elsewhere)"
            actual["test alert"] = expected["test alert"]
        elif not m.get("test_alert", True):
            expected["test alert"] = "not sent (monitoring.test_alert false)"
            actual["test alert"] = expected["test alert"]
        else:
            expected["test alert"] = "delivered to the receivers"
            actual["test alert"] = self._test_alert(alertmanager, float(m.get("timeout", 60)))
        self.f.compare("PRE-04", expected, actual)

    def _test_alert(self, address: str, timeout: float) -> str:
        status, metrics = _monitoring.http_get(f"http://{address}/metrics")
        if status != 200:
            return f"Alertmanager does not answer on {address} ({metrics[:120] if status is None else f'HTTP {status}'})"
        sent, failed = _preflight.notification_requests(metrics)
        # A host label of this run's own: a new alert group, sent after group_wait (not group_interval).
        run = f"{socket.gethostname()}/preflight-{int(time.time())}"
        error = post_alert(address, {"alertname": "InsightEnginePreflightTest", "host": run, "severity": "info"})
        if error:
            return f"Alertmanager refused the test alert: {error}"
        deadline = time.monotonic() + timeout
        failures = 0.0
        while time.monotonic() < deadline:
            time.sleep(1)
            status, metrics = _monitoring.http_get(f"http://{address}/metrics")
            if status != 200:
                continue
            now_sent, now_failed = _preflight.notification_requests(metrics)
            failures = now_failed - failed
            if now_sent - sent > failures:
                return "delivered to the receivers"
            if failures >= 3:  # Alertmanager retries a refused notification: three refusals answer it
                break
        if failures:
            return f"not delivered: the receivers refused {int(failures)} request(s) (see Alertmanager's journal)"
        return f"not delivered within {timeout:g} s"

    # PRE-05 -----------------------------------------------------------------
    def advisories(self) -> None:
        a = self.p["advisories"] or {}
        period = int(a.get("period_days", 30))
        expected: dict[str, t.Any] = {"pending security updates": "none", "last review (days ago)": f"<= {period}"}
        apt = self.host.which("apt-get")
        if apt:
            rc, out, err = self.host.run(apt, "-s", "-o", "Debug::NoLocking=1", "dist-upgrade")
            if rc != 0:
                self.f.error("PRE-05", f"apt-get -s dist-upgrade: {(err or out).strip()[-200:]}")
                return
            pending = _preflight.pending_security_updates(out)
        else:
            pending = []
        age = _preflight.review_age_days(a.get("reviewed") or "", self.today)
        actual: dict[str, t.Any] = {
            "pending security updates": pending or "none",
            "last review (days ago)": "never recorded (insightengine_preflight_advisories_reviewed)"
            if age is None
            else (expected["last review (days ago)"] if 0 <= age <= period else age),
        }
        app = self.p["app"] or {}
        scans = os.path.join(app.get("directory") or "", "scans")
        if app.get("directory") and os.path.isdir(scans):
            max_days = int(app.get("max_scan_age_days", 7))
            expected["image scans (days old)"] = f"each <= {max_days}"
            old = {}
            for path in self.host.list_dir(scans, ".json"):
                try:
                    record = json.loads(self.host.read(path) or "")
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    old[os.path.basename(path)] = "unreadable"
                    continue
                days = _app.record_age_days(record, self.today)
                if days is None or days > max_days:
                    old[str(record.get("image", os.path.basename(path)))] = "no scan date" if days is None else days
            actual["image scans (days old)"] = old or expected["image scans (days old)"]
        self.f.compare("PRE-05", expected, actual)


def main() -> None:
    argument_spec = {
        "default_passwords": {"type": "list", "elements": "str", "default": [], "no_log": True},
        "default_accounts": {"type": "list", "elements": "str", "default": list(_preflight.DEFAULT_ACCOUNTS)},
        "app": {"type": "dict", "default": {}},
        "backup": {"type": "dict", "default": {}},
        "monitoring": {"type": "dict", "default": {}},
        "advisories": {"type": "dict", "default": {}},
        **findings_argument_spec(),
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    host = _host.HostReader.for_module(module)
    run_verify(
        module,
        "preflight",
        _preflight.CATALOG,
        lambda findings: PreflightVerifier(module.params, host, findings).run(),
    )


if __name__ == "__main__":
    main()
