# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Whether a file on the host differs from what a role would write: the
one stale-template test of every role (see differs.yml)."""

from __future__ import annotations

import hashlib
import typing as t

from ansible.errors import AnsibleFilterError


def differs(
    files: dict[str, dict[str, t.Any]],
    item: dict[str, t.Any],
    content: str,
    owner: str = "root",
    group: str | None = None,
    mode: str = "0644",
) -> bool:
    if not isinstance(item, dict) or "dest" not in item:
        raise AnsibleFilterError("differs: item must be a mapping with dest (and optionally mode, owner, group)")
    state = (files or {}).get(item["dest"]) or {}
    if not state.get("exists"):
        return True
    wanted_group = item.get("group", group)
    return (
        state.get("sha1") != hashlib.sha1(str(content).encode("utf-8")).hexdigest()  # noqa: S324 - Ansible's checksum
        or state.get("mode") != str(item.get("mode", mode))
        or state.get("owner") != item.get("owner", owner)
        or (wanted_group is not None and state.get("group") != wanted_group)
    )


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"differs": differs}
