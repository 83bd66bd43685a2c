# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Attributes of the modules that only read a host (facts and verify modules).
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: The module never changes anything, in check mode or not.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
"""
