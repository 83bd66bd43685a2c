#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: validate_inputs
short_description: Validate a layer's role variables before the role changes anything
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin). Reads the public variables of a layer's role from the
    task's variables, as M(ansible.builtin.validate_argument_spec) does, and checks each against the
    grammar of the place it lands in (the sshd drop-in, sysctl.d, apt.conf.d, a systemd unit,
    postgresql.conf, pg_hba.conf, an nginx site), that is ranges, networks read by Python's C(ipaddress),
    normalised absolute paths, cipher lists judged by OpenSSL, and no control character anywhere.
  - Returns every variable normalised (C("2222") becomes C(2222), C(false) for a yes/no option becomes
    C("no")); the roles render their files from these values only.
  - With O(host), also runs the layer's checks that need the host, on what its info module read, such as
    changes that would lock the SSH login user out, clusters that cannot be taken over, configuration
    that cannot be validated.
  - Fails with one sentence per problem, each starting with the variable's name. Secrets are never
    part of the message or the result.
author:
  - InsightEngine platform team (@insightengine)
options:
  layer:
    description: The layer whose role variables to check (C(os), C(postgres), C(nginx)).
    type: str
    required: true
  host:
    description: The result of the layer's info module (for example C(insightengine.hardening.os_info)).
    type: dict
attributes:
  action:
    support: full
    description: An action plugin; nothing runs on the host.
  async:
    support: none
    description: It returns at once.
  bypass_host_loop:
    support: none
    description: It runs once per host, on that host's variables.
  check_mode:
    support: full
    description: Reads variables only; the same in check mode.
  delegation:
    support: none
    description: Runs on the controller; there is nothing to delegate.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  platform:
    support: full
    platforms: all
    description: Any host; only the controller runs it.
seealso:
  - module: ansible.builtin.validate_argument_spec
"""

EXAMPLES = r"""
- name: Check the os role's variables before anything changes
  insightengine.hardening.validate_inputs:
    layer: os
  register: os_inputs

- name: Refuse changes that would lock the login user out
  insightengine.hardening.validate_inputs:
    layer: os
    host: "{{ os_host_state }}"
"""

RETURN = r"""
msg:
  description: What was checked, or every problem found.
  type: str
  returned: always
  sample: "os_ssh_port must be between 1 and 65535, got 70000"
errors:
  description: One sentence per problem, each starting with the variable's name.
  type: list
  elements: str
  returned: failure
  sample: ["os_ssh_allow_users[0] must be USER or USER@HOST (globs * and ? allowed), got \"deploy\\nMatch User root\""]
"<variable>":
  description: Each of the layer's variables, normalised (secrets left out).
  type: raw
  returned: success
  sample: {os_ssh_port: 2222, os_ssh_allow_tcp_forwarding: "no"}
"""
