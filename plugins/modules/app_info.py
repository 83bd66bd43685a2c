#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: app_info
short_description: Read what the app role must know before it deploys the application
version_added: 0.5.0
description:
  - Reads, without changing anything, the state the P(insightengine.hardening.app#role) role decides on.
  - Compose (C(docker compose) or C(docker-compose)) and its version; every container of the Compose project (service,
    configuration hash label, image, status, health; never its environment); the local ID of each wanted image; the
    last scan record of each image and which images are due for a scan; Trivy's path and version; the state of the
    role's files.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.read_only
options:
  project:
    description: The Compose project name.
    type: str
    required: true
  directory:
    description: The project's directory; scan records are in its C(scans) subdirectory.
    type: path
    required: true
  images:
    description: The images the project runs.
    type: list
    elements: str
    default: []
  files:
    description: Paths whose existence, mode, owner and checksum (SHA-1) to read.
    type: list
    elements: str
    default: []
  scan_max_age_days:
    description: A scan record older than this is due again.
    type: int
    default: 7
  reported:
    description: Images judged on a report given on the controller; they are always due (judging costs no scan).
    type: list
    elements: str
    default: []
  accepted:
    description:
      - Service to the control IDs its definition leaves under a waiver; any other problem
        M(insightengine.hardening.app_verify) would find in its running container makes the service RV(drifted).
    type: dict
    default: {}
  trivy:
    description: The Trivy program (a name looked up in C(PATH), or a path).
    type: str
    default: trivy
seealso:
  - module: insightengine.hardening.app_scan
  - module: insightengine.hardening.app_deploy
  - module: insightengine.hardening.app_verify
"""

EXAMPLES = r"""
- name: Read the project
  insightengine.hardening.app_info:
    project: insightengine
    directory: /opt/insightengine
    images: [registry.example/insightengine:1.4.2]
  register: app_state
"""

RETURN = r"""
compose:
  description: C(argv) and C(version) of Compose; null when neither C(docker compose) nor C(docker-compose) answers.
  type: dict
  returned: always
  sample: {argv: [/usr/bin/docker, compose], version: 2.26.1}
containers:
  description: Every container of the project, with C(service), C(hash), C(image), C(image_id), C(status) and C(health).
  type: list
  elements: dict
  returned: always
image_ids:
  description: Each wanted image's local ID, null where the engine does not have it.
  type: dict
  returned: always
scans:
  description: The last scan record of each wanted image (null where there is none).
  type: dict
  returned: always
scans_due:
  description: The images whose scan record is missing, older than O(scan_max_age_days) or of another image ID.
  type: list
  elements: str
  returned: always
drifted:
  description:
    - The services whose running container no longer is what their definition makes (recreated by hand without
      C(read_only), a secret put into its environment, ...), whatever its labels say; the role recreates them.
  type: list
  elements: str
  returned: always
trivy:
  description: C(path) and C(version) of Trivy (null when it is not installed; the version only when a scan is due).
  type: dict
  returned: always
files:
  description: Per path in O(files), its state (C(exists), C(mode), C(owner), C(group), C(sha1)).
  type: dict
  returned: always
"""

import datetime
import os
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _app, _docker, _host


def scans_due(
    records: dict[str, t.Any], ids: dict[str, str | None], max_age: int, reported: list[str], today: datetime.date
) -> list[str]:
    """The images to scan (or to judge on CI's report) afresh: no local
    image yet, no record, an old one, one of another image, one from a
    report that is given (judged every run: it costs no scan) or that is no
    longer given (a scan replaces it)."""
    out = []
    for image, record in records.items():
        age = _app.record_age_days(record, today)
        from_report = bool(record) and record.get("source") == "report"
        if (
            not ids.get(image)
            or not record
            or age is None
            or age > max_age
            or record.get("id") != ids[image]
            or image in reported
            or from_report
        ):
            out.append(image)
    return out


def gather(params: dict[str, t.Any], host: _host.HostReader) -> dict[str, t.Any]:
    images = list(dict.fromkeys(params["images"]))
    trivy = (
        host.which(params["trivy"])
        if "/" not in params["trivy"]
        else (params["trivy"] if os.access(params["trivy"], os.X_OK) else None)
    )
    ids = _app.image_ids(host, images)
    scans = {image: _app.read_scan_record(host, params["directory"], image) for image in images}
    containers = _app.project_containers(host, params["project"])
    due = scans_due(scans, ids, params["scan_max_age_days"], params["reported"], datetime.date.today())
    version = None
    if trivy and due:  # only when it will scan: a converged host does not start it
        _rc, out, _err = host.run(trivy, "--version")
        version = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Version:")), None)
    return {
        "compose": _docker.compose_command(host),
        "containers": [_app.summary(c) for c in containers],
        "drifted": _app.drifted(containers, params["accepted"]),
        "image_ids": ids,
        "scans": scans,
        "scans_due": due,
        "trivy": {"path": trivy, "version": version},
        **host.state(files=params["files"]),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "project": {"type": "str", "required": True},
            "directory": {"type": "path", "required": True},
            "images": {"type": "list", "elements": "str", "default": []},
            "files": {"type": "list", "elements": "str", "default": []},
            "scan_max_age_days": {"type": "int", "default": 7},
            "reported": {"type": "list", "elements": "str", "default": []},
            "accepted": {"type": "dict", "default": {}},
            "trivy": {"type": "str", "default": "trivy"},
        },
        supports_check_mode=True,
    )
    _host.exit_info(module, gather)


if __name__ == "__main__":
    main()
