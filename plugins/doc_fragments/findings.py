# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by every verify module; see module_utils/_findings.py.
    DOCUMENTATION = r"""
options:
  skip:
    description:
      - Controls not to evaluate, as a mapping of control ID to the reason.
      - Each is reported with status C(skipped) and that reason, never silently left out.
    type: dict
    default: {}
  strict:
    description:
      - Fail the task when a control fails. The result still carries every finding.
      - With V(false), the task succeeds and each failing control is printed as a warning, which is
        what a scheduled C(--check) drift audit wants.
    type: bool
    default: true
notes:
  - Every finding has the same shape in every layer of this collection
    (C(id), C(title), C(guide), C(status), C(expected), C(actual), C(reason), C(remediation)),
    so one report can hold the whole stack.
"""
