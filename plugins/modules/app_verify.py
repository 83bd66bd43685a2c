#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: app_verify
short_description: Verify the app layer of the hardening guide from the running containers
version_added: 0.5.0
description:
  - Returns one finding per control of the app layer (C(APP-01) to C(APP-08)), each with the guide line it implements,
    a status, what was expected, what was found, the evidence and how to fix it.
  - Judges what runs, not the Compose file - C(docker inspect) of every container of the project (user, read-only
    root, memory, CPU and pids limits, capabilities, privileged, no-new-privileges, published addresses, health,
    restart policy, environment names), the user the main process really runs as (C(/proc/PID/status)), the
    configuration it holds (C(/proc/PID/environ); values of secret-like names are never read into a finding), the
    last scan record of each running image judged again with today's waivers, the modes of the configuration and
    secret files and each secret's age.
  - Never changes anything.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.findings
  - insightengine.hardening.read_only
options:
  project:
    description: The Compose project name.
    type: str
    required: true
  directory:
    description: The project's directory (scan records in C(scans)).
    type: path
    required: true
  services:
    description: The services that must run.
    type: list
    elements: str
    required: true
  production:
    description: APP-07. Configuration names and the only values the guide accepts.
    type: dict
    default: {APP_ENV: production, SSL_ENABLED: "true", COOKIE_SECURE: "true", DEBUG: "false"}
  files:
    description: APP-07. Configuration files and the loosest mode each may have.
    type: dict
    default: {}
  secrets:
    description: APP-08. Secret name to the file it is kept in on the host.
    type: dict
    default: {}
  secret_owner:
    description: APP-08. The UID that must own each secret file (the service's; the files are mounted as they are).
    type: str
  secret_max_age_days:
    description: APP-08. A secret older than this is due for rotation.
    type: int
    default: 90
  scan:
    description: APP-06. C(threshold), C(ignore_unfixed), C(waivers) and C(max_age_days) of the scan gate.
    type: dict
    default: {}
seealso:
  - module: insightengine.hardening.app_info
"""

EXAMPLES = r"""
- name: Verify the application's containers
  insightengine.hardening.app_verify:
    project: insightengine
    directory: /opt/insightengine
    services: [web]
    secrets: {jwt_secret: /opt/insightengine/secrets/jwt_secret}
    strict: false
  register: app_audit
"""

RETURN = r"""
layer:
  description: Always C(app).
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
import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _app, _host
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import (
    Findings,
    findings_argument_spec,
    run_verify,
)

CONTAINER_CONTROLS = ("APP-01", "APP-02", "APP-03", "APP-04", "APP-05")
SOURCE = "docker inspect of every container of the project"


def process_uid(host: _host.HostReader, pid: t.Any) -> str | None:
    text = host.read(f"/proc/{int(pid)}/status") if str(pid).isdigit() and int(pid) > 0 else None
    for line in (text or "").splitlines():
        if line.startswith("Uid:"):
            return line.split()[2]  # effective
    return None


class AppVerifier:
    def __init__(self, params: dict[str, t.Any], host: _host.HostReader, findings: Findings):
        self.p = params
        self.host = host
        self.f = findings
        self.containers = [c for c in _app.project_containers(host, params["project"]) if (c.get("State") or {}).get("Running")]
        self.by_service = {_app.summary(c)["service"]: c for c in self.containers}
        # What each main process holds (read once): None where /proc cannot be read.
        self.environ = {
            service: _app.process_environment(host, (c.get("State") or {}).get("Pid")) for service, c in self.by_service.items()
        }

    def run(self) -> None:
        if not self.host.which("docker"):
            for cid in (*CONTAINER_CONTROLS, "APP-06", "APP-07", "APP-08"):
                self.f.error(cid, "no docker CLI on the host: the containers cannot be read")
            return
        self.containers_controls()
        self.scans()
        self.configuration()
        self.secrets()

    def containers_controls(self) -> None:
        missing = [s for s in self.p["services"] if s not in self.by_service]
        problems = _app.project_problems(self.containers)
        for container in self.containers:
            uid = process_uid(self.host, (container.get("State") or {}).get("Pid"))
            if uid in (None, "0"):
                name = _app.summary(container)["service"]
                problems.setdefault("APP-01", {}).setdefault(name, []).append(f"the main process runs as UID {uid or '?'}")
        expected = {
            "APP-01": "a fixed non-root UID:GID, and the process runs as it",
            "APP-02": "read-only root file system",
            "APP-03": "memory, CPU and pids limits",
            "APP-04": "cap_drop ALL, no-new-privileges, not privileged",
            "APP-05": "published on 127.0.0.1 only, healthy, restart policy",
        }
        for cid in CONTAINER_CONTROLS:
            found = dict(problems.get(cid, {}))
            if missing:
                found["(not running)"] = missing
            actual = found or dict.fromkeys(self.by_service, "as wanted")
            reason = None
            if missing:
                reason = f"no running container for {', '.join(missing)}"
            self.f.check(cid, not found, {"services": self.p["services"], "each": expected[cid]}, actual, reason, SOURCE)

    def scans(self) -> None:
        scan = {"threshold": "HIGH", "ignore_unfixed": False, "waivers": {}, "max_age_days": 7, **self.p["scan"]}
        today = datetime.date.today()
        results, ok = {}, True
        for container in self.containers:
            s = _app.summary(container)
            record = _app.read_scan_record(self.host, self.p["directory"], s["image"])
            if not record:
                results[s["image"]] = "never scanned"
                ok = False
                continue
            decision = _app.gate_findings(
                record.get("findings") or [], scan["threshold"], scan["ignore_unfixed"], scan["waivers"], today
            )
            scanned = str(record.get("scanned", ""))[:10]
            age = _app.record_age_days(record, today)
            problems = [
                f"{f['severity']} {f['id']} {f['package']}{' [' + f['reason'] + ']' if f.get('reason') else ''}"
                for f in decision["blocking"]
            ]
            if age is None or age > scan["max_age_days"]:
                problems.append(f"last scan {scanned or '?'} is older than {scan['max_age_days']} days")
            if record.get("id") and record["id"] != s["image_id"]:
                problems.append("the running image is not the one scanned")
            ok = ok and not problems
            results[s["image"]] = {
                "scanned": scanned,
                "source": record.get("source"),
                "blocking": problems,
                "waived": [{"id": f["id"], **f["waiver"]} for f in decision["waived"]],
                "ignored_unfixed": len(decision["ignored_unfixed"]),
            }
        if not self.containers:
            ok = False
            results = {"(none)": "no running container to judge"}
        self.f.check(
            "APP-06",
            ok,
            {"threshold": scan["threshold"], "max_age_days": scan["max_age_days"], "blocking": []},
            results,
            source="the scan record of each running image, judged again with today's waivers",
        )

    def configuration(self) -> None:
        wanted = {k: str(val) for k, val in self.p["production"].items()}
        held, wrong = {}, {}
        for service, container in self.by_service.items():
            env = self.environ[service]
            if env is None:
                names = [str(e).split("=", 1) for e in (container.get("Config") or {}).get("Env") or []]
                env = {n[0]: n[1] if len(n) > 1 else "" for n in names}
            values = {k: env.get(k) for k in wanted}
            held[service] = values
            bad = {k: val for k, val in values.items() if str(val).lower() != wanted[k]}
            if bad:
                wrong[service] = bad
        files = {}
        for path, loosest in self.p["files"].items():
            state = self.host.stat(path)
            if not state["exists"]:
                files[path] = "missing"
            elif int(state["mode"], 8) & ~int(str(loosest), 8):
                files[path] = f"{state['mode']} (looser than {loosest})"
        if not self.containers:
            wrong["(none)"] = "no running container to judge"
        self.f.check(
            "APP-07",
            not wrong and not files,
            {"configuration": wanted, "files_at_most": self.p["files"]},
            {"wrong": wrong, "files": files} if wrong or files else {"held": held},
            source="/proc/PID/environ of each container's main process; stat",
        )

    def secrets(self) -> None:
        leaked = {}
        for service, container in self.by_service.items():
            names = [str(e).split("=", 1)[0] for e in (container.get("Config") or {}).get("Env") or []]
            env = self.environ[service] or {}
            bad = sorted({n for n in [*names, *env] if _app.secret_like(n)})
            if bad:
                leaked[service] = bad
        now = time.time()
        files, due = {}, {}
        for name, path in self.p["secrets"].items():
            state = self.host.stat(path)
            mtime = self.host.mtime(path)
            if not state["exists"] or mtime is None:
                files[name] = "missing"
                continue
            owner = str(self.host.uid(path))
            if int(state["mode"], 8) & 0o037:
                files[name] = f"mode {state['mode']} (at most 0440)"
            elif self.p["secret_owner"] and owner != str(self.p["secret_owner"]):
                files[name] = f"owned by UID {owner}, not the service's {self.p['secret_owner']} (it cannot read it)"
            age = (now - mtime) / 86400
            if age > self.p["secret_max_age_days"]:
                due[name] = f"{age:.0f} days old: due for rotation (max {self.p['secret_max_age_days']})"
        ok = not leaked and not files and not due
        actual = (
            {"environment": leaked, "files": files, "rotation_due": due} if not ok else {"secrets": sorted(self.p["secrets"])}
        )
        self.f.check(
            "APP-08",
            ok,
            {"environment": "no secret-like names", "files": "0400/0440", "max_age_days": self.p["secret_max_age_days"]},
            actual,
            source="docker inspect (Config.Env names), /proc/PID/environ names; the secret files' modes and ages",
        )


def main() -> None:
    argument_spec = {
        "project": {"type": "str", "required": True},
        "directory": {"type": "path", "required": True},
        "services": {"type": "list", "elements": "str", "required": True},
        "production": {"type": "dict", "default": dict(_app.PRODUCTION)},
        "files": {"type": "dict", "default": {}},
        # Names and paths of secrets, never their values.
        "secrets": {"type": "dict", "default": {}, "no_log": False},
        "secret_owner": {"type": "str", "no_log": False},
        "secret_max_age_days": {"type": "int", "default": 90, "no_log": False},
        "scan": {"type": "dict", "default": {}},
        **findings_argument_spec(),
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    host = _host.HostReader.for_module(module)
    run_verify(module, "app", _app.CATALOG, lambda findings: AppVerifier(module.params, host, findings).run())


if __name__ == "__main__":
    main()
