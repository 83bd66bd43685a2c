# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by every verify module; see module_utils/_findings.py.
    DOCUMENTATION = r"""
options:
  disabled:
    description:
      - Controls switched off, as a mapping of control ID to the reason (the roles name the switch).
      - Each is reported with status C(disabled) and that reason, never silently left out; nothing is read for it.
    type: dict
    default: {}
    aliases: [skip]
  not_applicable:
    description:
      - Controls that cannot apply on this host, as a mapping of control ID to the reason
        (for example a WAF or disk encryption that another system provides).
      - Each is reported with status C(not_applicable) and that reason.
    type: dict
    default: {}
  waivers:
    description:
      - Accepted exceptions, as a mapping of control ID to C(reason), C(approver) and C(expires) (a date, C(YYYY-MM-DD)).
      - A control that fails, warns or cannot be checked is reported C(waived) with the waiver's reason, and keeps
        what was found; after its expiry date the control fails, whatever was found.
      - A waiver for a control ID the layer lacks, or without a reason, an approver or a valid date, is refused.
      - The roles take them from the inventory variable C(insightengine_hardening_waivers).
    type: dict
    default: {}
  strict:
    description:
      - Fail the task when a control fails or cannot be checked, after every finding is collected;
        the result still carries all of them.
      - With V(false), the task succeeds and each failing control is printed as a warning, which is
        what a scheduled C(--check) drift audit wants.
    type: bool
    default: true
notes:
  - Every finding has the same shape in every layer of this collection
    (C(id), C(title), C(guide), C(status), C(expected), C(actual), C(evidence), C(reason), C(remediation), C(waiver)),
    so one report can hold the whole stack; C(docs/report.schema.json) describes it.
"""
