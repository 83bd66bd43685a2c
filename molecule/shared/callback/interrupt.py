# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only: kill ansible-playbook the moment a task whose name contains
$INSIGHTENGINE_INTERRUPT_AFTER reports a change, before any handler runs -
what a lost connection or a Ctrl-C does to a run between a configuration
write and its reload."""

from __future__ import annotations

import os
import signal

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: interrupt
type: aggregate
short_description: kill the run after a named task changed something (tests only)
description: [Kills ansible-playbook right after a task whose name contains $INSIGHTENGINE_INTERRUPT_AFTER changed.]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "interrupt"
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_on_ok(self, result) -> None:
        marker = os.environ.get("INSIGHTENGINE_INTERRUPT_AFTER", "")
        if marker and marker in result._task.get_name() and result._result.get("changed"):
            with open(os.environ.get("INSIGHTENGINE_INTERRUPT_MARK", "/dev/null"), "a", encoding="utf-8") as mark:
                mark.write(f"killed after {result._task.get_name()} on {result._host.get_name()}\n")
            os.killpg(os.getpgid(0), signal.SIGKILL)
