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
  - Optionally writes the same report as JSON, for dashboards and tickets.
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
  show_passed:
    description: List passing controls too, not only failing and skipped ones.
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
#
# Output at the end of `ansible-playbook insightengine.hardening.site --check`:
#
# HARDENING REPORT (check mode: the state before any change) *******************
# web1 os: 15 pass, 1 fail, 1 skipped
#   OS-02   FAIL     SSH root login disabled: permitrootlogin=yes (want no)  <- would change
#   OS-07   SKIPPED  SSH access limited to listed users and groups: no AllowUsers or AllowGroups configured
"""

import json
import re

from ansible import constants as C
from ansible import context
from ansible.plugins.callback import CallbackBase

_CONTROL = re.compile(r"\b([A-Z]{2,4})-(\d{2})(?:\.\.(\d{2}))?")


def control_ids(task_name: str) -> set[str]:
    """Control IDs a task name claims: "OS-02..07, OS-17 | ..." -> OS-02..OS-07, OS-17."""
    head = task_name.split("|", 1)[0] if "|" in task_name else ""
    ids = set()
    for prefix, first, last in _CONTROL.findall(head):
        for number in range(int(first), int(last or first) + 1):
            ids.add(f"{prefix}-{number:02d}")
    return ids


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "insightengine.hardening.report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.check_mode = False
        self.layers: dict[str, dict[str, dict]] = {}
        self.changed: dict[str, set[str]] = {}

    def v2_playbook_on_play_start(self, play) -> None:
        self.check_mode = bool(context.CLIARGS.get("check")) or bool(play.check_mode)

    def _collect(self, result) -> None:
        host = result._host.get_name()
        data = result._result
        if data.get("changed"):  # a loop task is changed when any of its items is
            self.changed.setdefault(host, set()).update(control_ids(result._task.get_name()))
        if "layer" in data and isinstance(data.get("report"), list):
            self.layers.setdefault(host, {})[data["layer"]] = {
                "summary": data.get("summary", {}),
                "failed_controls": data.get("failed_controls", []),
                "report": data["report"],
                "findings": data.get("findings", []),
            }

    def v2_runner_on_ok(self, result) -> None:
        self._collect(result)

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._collect(result)

    def v2_playbook_on_stats(self, stats) -> None:
        if not self.layers:
            return
        verb = "would change" if self.check_mode else "changed"
        title = "HARDENING REPORT" + (" (check mode: the state before any change)" if self.check_mode else "")
        self._display.banner(title)
        show_passed = self.get_option("show_passed")
        document = {"check_mode": self.check_mode, "hosts": {}}
        for host in sorted(self.layers):
            changed = self.changed.get(host, set())
            document["hosts"][host] = {}
            for layer, data in self.layers[host].items():
                summary = data["summary"]
                counts = ", ".join(
                    f"{summary.get(status, 0)} {status}"
                    for status in ("pass", "fail", "warn", "skipped")
                    if status != "warn" or summary.get(status)
                )
                head = f"{host} {layer}: {counts}"
                self._display.display(head, color=C.COLOR_ERROR if summary.get("fail") else C.COLOR_OK)
                lines = []
                for line in data["report"]:
                    cid = line.split(None, 1)[0]
                    status = line.split()[1] if len(line.split()) > 1 else ""
                    mark = f"  <- {verb}" if cid in changed and status != "SKIPPED" else ""
                    lines.append({"id": cid, "status": status.lower(), "line": line, verb.replace(" ", "_"): cid in changed})
                    if status == "PASS" and not show_passed and not mark:
                        continue
                    color = {"FAIL": C.COLOR_ERROR, "WARN": C.COLOR_WARN, "SKIPPED": C.COLOR_SKIP}.get(status, C.COLOR_OK)
                    if mark and status != "FAIL":
                        color = C.COLOR_CHANGED
                    self._display.display(f"  {line}{mark}", color=color)
                document["hosts"][host][layer] = {**data, "controls": lines, verb.replace(" ", "_"): sorted(changed)}
        path = self.get_option("path")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, sort_keys=True)
            self._display.display(f"report written to {path}")
