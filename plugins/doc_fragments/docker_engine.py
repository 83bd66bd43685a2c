# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # What both docker modules take to read the engine and the kernel's rules.
    DOCUMENTATION = r"""
options:
  firewall_allow:
    description:
      - DKR-06. The allow list (C(port), C(proto), C(from)) that ports published by containers are held to; the
        firewall rules are derived from it.
    type: list
    elements: dict
    default: []
  loopback_guard:
    description: DKR-07. Whether the raw-table rule for ports published on 127.0.0.1 is wanted (engines before 28.0 only).
    type: bool
    default: true
  daemon_file:
    description: dockerd's configuration file.
    type: path
    default: /etc/docker/daemon.json
"""
