# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The app role's Compose file from its validated services (see
compose_project.yml)."""

from __future__ import annotations

import hashlib
import json
import typing as t

import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.insightengine.hardening.plugins.module_utils import _app


def compose_project(
    services: dict[str, dict[str, t.Any]], secrets: dict[str, dict[str, t.Any]], network: str, subnet: str = ""
) -> dict[str, t.Any]:
    if not isinstance(services, dict) or not isinstance(secrets, dict):
        raise AnsibleFilterError("compose_project: services and secrets must be mappings")
    versions = {}
    for name, secret in secrets.items():
        if not isinstance(secret, dict) or "file" not in secret or not isinstance(secret.get("value"), str):
            raise AnsibleFilterError(f"compose_project: secret {name} must have file and value")
        # A digest names the version; the value never reaches the file.
        versions[name] = {"file": secret["file"], "version": hashlib.sha256(secret["value"].encode()).hexdigest()[:12]}
    try:
        document, hashes = _app.compose_project(services, versions, network, subnet)
    except ValueError as exc:
        raise AnsibleFilterError(f"compose_project: {exc}") from exc
    text = "# Written by insightengine.hardening.app: changes here are undone at its next run.\n"
    # Plain types (Ansible's tagged values are subclasses the YAML dumper refuses).
    document = json.loads(json.dumps(document))
    text += yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=1000)
    return {"text": text, "hashes": hashes, "images": sorted({s["image"] for s in document["services"].values()})}


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"compose_project": compose_project}
