# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: report
type: aggregate
short_description: Print a per-host, per-control hardening report at the end of a run
version_added: 0.1.0
description:
  - Collects the findings that the verify modules of this collection return
    (M(insightengine.hardening.os_verify) and the other layers) and, at the end of the run, prints
    one line per control and host, with the tasks that changed (or, in check mode, would change)
    for that control.
  - Run with C(--check --diff) on a schedule, it is the drift report of a fleet.
  - Optionally writes the same report as JSON, for dashboards and tickets - one entry per host, layer and
    control, each with its finding (status, expected, actual, evidence, remediation, waiver), the tasks
    that changed it (C(changed_by); in check mode the tasks that would change it) and, with C(--diff), what
    each of them changed (C(diffs), unified diffs; none for tasks whose output is hidden). The keys are the same
    in check mode and in a normal run; C(docs/report.schema.json) in the collection is the JSON Schema
    of the document, and C(schema_version) says which version of it a report follows.
requirements:
  - Enable it, for example C(ANSIBLE_CALLBACKS_ENABLED=insightengine.hardening.report).
options:
  path:
    description: Write the report as JSON to this file as well (it is replaced on each run).
    type: path
    env:
      - name: INSIGHTENGINE_HARDENING_REPORT
    ini:
      - section: callback_insightengine_hardening_report
        key: path
  junit:
    description:
      - Write the report as JUnit XML to this file as well, one test suite per host, one test case per layer and control
        (C(fail) a failure, C(error) an error; disabled, not applicable and waived controls skipped with the reason).
    type: path
    version_added: 0.7.0
    env:
      - name: INSIGHTENGINE_HARDENING_REPORT_JUNIT
    ini:
      - section: callback_insightengine_hardening_report
        key: junit
  sarif:
    description:
      - Write the report as SARIF 2.1.0 to this file as well, for code scanning views, with one rule per control, one result
        per host and control; waived controls carry an accepted suppression with the waiver.
    type: path
    version_added: 0.7.0
    env:
      - name: INSIGHTENGINE_HARDENING_REPORT_SARIF
    ini:
      - section: callback_insightengine_hardening_report
        key: sarif
  html:
    description:
      - Write the report as one self-contained HTML page to this file as well, with the counts per status (each a filter), a
        search box, a per-host and per-layer overview, and each finding's evidence and remediation.
    type: path
    version_added: 0.7.0
    env:
      - name: INSIGHTENGINE_HARDENING_REPORT_HTML
    ini:
      - section: callback_insightengine_hardening_report
        key: html
  show_passed:
    description: List passing controls too, not only those that fail, warn, are waived, disabled or not applicable.
    type: bool
    default: true
    env:
      - name: INSIGHTENGINE_HARDENING_REPORT_SHOW_PASSED
    ini:
      - section: callback_insightengine_hardening_report
        key: show_passed
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = insightengine.hardening.report
# [callback_insightengine_hardening_report]
# path = /var/log/hardening/drift.json
# junit = /var/log/hardening/drift.junit.xml
# sarif = /var/log/hardening/drift.sarif
# html = /var/log/hardening/drift.html
#
# Output at the end of `ansible-playbook insightengine.hardening.site --check`:
#
# HARDENING REPORT (check mode: the state before any change) *******************
# web1 os: 14 pass, 1 fail, 1 disabled, 3 not applicable
#   OS-02   FAIL           SSH root login disabled: permitrootlogin=yes (want no)  <- would change
#   OS-07   DISABLED       SSH access limited to listed users and groups: no AllowUsers or AllowGroups configured
#   OS-18   NOT_APPLICABLE Unused kernel modules cannot load: kernel modules belong to the host kernel (docker container)
"""

import datetime
import difflib
import json
import re
from pathlib import Path

from ansible import constants as C
from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.insightengine.hardening.plugins.module_utils._findings import STATUSES, _difference
from ansible_collections.insightengine.hardening.plugins.plugin_utils import _report_formats

SCHEMA_VERSION = "1.1"
# A diff kept per task and control, at most (a report stays readable and bounded).
DIFF_LIMIT = 16_000
_CONTROL = re.compile(r"\b([A-Z]{2,4})-(\d{2})(?:\.\.(\d{2}))?")
_COLORS = {"fail": C.COLOR_ERROR, "error": C.COLOR_ERROR, "warn": C.COLOR_WARN, "waived": C.COLOR_WARN}


def control_ids(task_name: str) -> set[str]:
    """Control IDs a task name claims: "OS-02..07, OS-17 | ..." -> OS-02..OS-07, OS-17."""
    head = task_name.split("|", 1)[0] if "|" in task_name else ""
    ids = set()
    for prefix, first, last in _CONTROL.findall(head):
        for number in range(int(first), int(last or first) + 1):
            ids.add(f"{prefix}-{number:02d}")
    return ids


def _side(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str) + "\n"


def diff_text(diff) -> str:
    """A task's diff (what --diff shows: a mapping with before and after, or
    prepared text; a list of them) as unified diff text."""
    if isinstance(diff, list):
        return "".join(diff_text(d) for d in diff)
    if not isinstance(diff, dict):
        return ""
    if diff.get("prepared"):
        text = str(diff["prepared"])
        return text if text.endswith("\n") else text + "\n"
    before, after = _side(diff.get("before")), _side(diff.get("after"))
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=str(diff.get("before_header") or "before"),
        tofile=str(diff.get("after_header") or "after"),
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def result_diff(data: dict) -> str:
    """The diff of a task result and of each of its loop items; nothing
    for a result whose output is hidden (no_log)."""
    if data.get("censored") or data.get("_ansible_no_log"):
        return ""
    text = diff_text(data.get("diff"))
    for item in data.get("results") or []:
        if isinstance(item, dict) and item.get("changed") and not item.get("_ansible_no_log"):
            text += diff_text(item.get("diff"))
    if len(text) > DIFF_LIMIT:
        text = text[:DIFF_LIMIT] + f"\n... ({len(text) - DIFF_LIMIT} more characters)\n"
    return text


def _counts(statuses) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _collection_version() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        return json.loads((root / "MANIFEST.json").read_text())["collection_info"]["version"]
    except (OSError, ValueError, KeyError):
        pass
    try:
        match = re.search(r"^version:\s*(\S+)", (root / "galaxy.yml").read_text(), re.M)
    except OSError:
        return None
    return match.group(1).strip("'\"") if match else None


def build(
    findings: dict,
    changed: dict,
    unattributed: dict,
    failed: dict,
    check_mode: bool,
    diff_mode: bool,
    diffs: dict | None = None,
) -> dict:
    """The report document (docs/report.schema.json) from what a run returned:
    the verify results per host and layer, the task names that changed each
    control per host, the changes no control claims, the failed tasks, and
    (diffs: host -> control -> [{task, diff}]) what each change was."""
    diffs = diffs or {}
    hosts = []
    for host in sorted(set(findings) | set(failed) | set(changed) | set(unattributed)):
        layers = []
        for layer, result in findings.get(host, {}).items():
            controls = []
            for finding in result.get("findings", []):
                tasks = sorted(changed.get(host, {}).get(finding["id"], ()))
                controls.append(
                    {
                        **finding,
                        "changed": bool(tasks),
                        "changed_by": tasks,
                        "diffs": list(diffs.get(host, {}).get(finding["id"], [])),
                    }
                )
            layers.append({"layer": layer, "summary": _counts(c["status"] for c in controls), "controls": controls})
        statuses = [c["status"] for layer in layers for c in layer["controls"]]
        hosts.append(
            {
                "host": host,
                "summary": _counts(statuses),
                "layers": layers,
                "failed_tasks": failed.get(host, []),
                "unattributed_changes": sorted(unattributed.get(host, ())),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "collection": {"name": "insightengine.hardening", "version": _collection_version()},
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "check_mode": check_mode,
        "diff_mode": diff_mode,
        "summary": _counts(c["status"] for h in hosts for layer in h["layers"] for c in layer["controls"]),
        "hosts": hosts,
    }


def _write(path: str, text: str) -> None:
    """Replace the file at once: a reader never sees half a report."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "insightengine.hardening.report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.check_mode = False
        self.diff_mode = False
        self.findings: dict[str, dict[str, dict]] = {}
        self.changed: dict[str, dict[str, set[str]]] = {}
        self.unattributed: dict[str, set[str]] = {}
        self.failed: dict[str, list[dict[str, str]]] = {}
        self.diffs: dict[str, dict[str, list[dict[str, str]]]] = {}

    def v2_playbook_on_play_start(self, play) -> None:
        self.check_mode = bool(context.CLIARGS.get("check")) or bool(play.check_mode)
        self.diff_mode = bool(context.CLIARGS.get("diff")) or bool(getattr(play, "diff", False))

    def _collect(self, result) -> None:
        host = result._host.get_name()
        data = result._result
        name = result._task.get_name()
        if data.get("changed"):  # a loop task is changed when any of its items is
            ids = control_ids(name)
            text = result_diff(data)
            for cid in ids:
                self.changed.setdefault(host, {}).setdefault(cid, set()).add(name)
                if text:
                    self.diffs.setdefault(host, {}).setdefault(cid, []).append({"task": name, "diff": text})
            if not ids:
                self.unattributed.setdefault(host, set()).add(name)
        if "layer" in data and isinstance(data.get("findings"), list):
            self.findings.setdefault(host, {})[data["layer"]] = {"findings": data["findings"]}

    def v2_runner_on_ok(self, result) -> None:
        self._collect(result)

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._collect(result)
        if not ignore_errors:
            msg = result._result.get("msg", "")
            self.failed.setdefault(result._host.get_name(), []).append({"task": result._task.get_name(), "msg": str(msg)})

    def v2_playbook_on_stats(self, stats) -> None:
        document = build(self.findings, self.changed, self.unattributed, self.failed, self.check_mode, self.diff_mode, self.diffs)
        if self.findings:
            self._show(document)
        # The renderings read the document as the JSON file holds it.
        plain = json.loads(json.dumps(document, default=str))
        writers = {
            "path": lambda: json.dumps(plain, indent=2, sort_keys=True) + "\n",
            "junit": lambda: _report_formats.junit(plain),
            "sarif": lambda: json.dumps(_report_formats.sarif(plain), indent=2) + "\n",
            "html": lambda: _report_formats.html_page(plain),
        }
        for option, render in writers.items():
            path = self.get_option(option)
            if path:
                _write(path, render())
                self._display.display(f"report written to {path}")

    def _show(self, document: dict) -> None:
        verb = "would change" if self.check_mode else "changed"
        title = "HARDENING REPORT" + (" (check mode: the state before any change)" if self.check_mode else "")
        self._display.banner(title)
        show_passed = self.get_option("show_passed")
        for host in document["hosts"]:
            for layer in host["layers"]:
                summary = layer["summary"]
                counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in summary.items() if n or s in ("pass", "fail"))
                bad = summary["fail"] or summary["error"]
                self._display.display(f"{host['host']} {layer['layer']}: {counts}", color=C.COLOR_ERROR if bad else C.COLOR_OK)
                for control in layer["controls"]:
                    status = control["status"]
                    mark = f"  <- {verb}" if control["changed"] else ""
                    if status == "pass" and not show_passed and not mark:
                        continue
                    line = f"  {control['id']:<7} {status.upper():<14} {control['title']}"
                    if control["reason"]:
                        line += f": {control['reason']}"
                    elif status == "fail":
                        line += f": {_difference(control['expected'], control['actual'])}"
                    color = _COLORS.get(status, C.COLOR_SKIP if status in ("disabled", "not_applicable") else C.COLOR_OK)
                    if mark and status not in ("fail", "error"):
                        color = C.COLOR_CHANGED
                    self._display.display(line + mark, color=color)
            for task in host["unattributed_changes"]:
                self._display.display(f"{host['host']}: {verb} by a task that names no control: {task}", color=C.COLOR_CHANGED)
