# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The statement that sets a PostgreSQL role's password as a SCRAM-SHA-256
verifier computed here (see scram_alter_role.yml)."""

from __future__ import annotations

import re
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.insightengine.hardening.plugins.module_utils._postgres import scram_verifier

ROLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def scram_alter_role(password: str, role: str) -> str:
    if not isinstance(role, str) or not ROLE.fullmatch(role):
        raise AnsibleFilterError("scram_alter_role: role must be a plain PostgreSQL role name")
    if not isinstance(password, str) or not password:
        raise AnsibleFilterError("scram_alter_role: the password must be a non-empty string")
    # The verifier is base64 and $ : only: nothing in it needs quoting.
    return f"ALTER ROLE \"{role}\" PASSWORD '{scram_verifier(password)}';\n"


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"scram_alter_role": scram_alter_role}
