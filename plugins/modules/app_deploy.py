#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: app_deploy
short_description: Bring a Compose project up and wait until its containers are healthy
version_added: 0.5.0
description:
  - Runs C(up --detach --remove-orphans) of the Compose project with Compose v2 (C(docker compose)) or docker-compose
    1.x, which recreates exactly the services whose definition (their configuration hash) changed, then waits until
    the container of every service in O(services) runs and its health check says healthy.
  - Fails, with each service's state and its health check's last output, when one exits, turns unhealthy or is not
    healthy within O(timeout); the app role then brings the previous project back.
  - In check mode nothing runs; the result says a deploy would happen.
author:
  - InsightEngine platform team (@insightengine)
options:
  project:
    description: The Compose project name.
    type: str
    required: true
  file:
    description: The Compose file.
    type: path
    required: true
  compose:
    description: The Compose command (C(compose.argv) of M(insightengine.hardening.app_info)).
    type: list
    elements: str
    required: true
  services:
    description: The services that must run and be healthy.
    type: list
    elements: str
    required: true
  force_recreate:
    description: Recreate every container, also those whose definition did not change (drift behind Compose's back).
    type: bool
    default: false
  timeout:
    description: Seconds to wait for health.
    type: int
    default: 120
seealso:
  - module: insightengine.hardening.app_info
"""

EXAMPLES = r"""
- name: Deploy
  insightengine.hardening.app_deploy:
    project: insightengine
    file: /opt/insightengine/compose.yaml
    compose: [/usr/bin/docker, compose]
    services: [web]
"""

RETURN = r"""
containers:
  description: The project's containers after the deploy (C(service), C(hash), C(status), C(health), ...).
  type: list
  elements: dict
  returned: success
"""

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _app, _host


def last_health_output(container: dict[str, t.Any]) -> str:
    log = ((container.get("State") or {}).get("Health") or {}).get("Log") or []
    return " ".join(str(log[-1].get("Output") or "").split())[:300] if log else ""


def look(module: AnsibleModule, services: list[str]) -> tuple[str, list[dict[str, t.Any]], list[str]]:
    """One look at the project's containers: "healthy" (every service runs
    and is healthy, or has no health check), "failed" (one has no
    container, exited or is unhealthy) or "pending"; and what is wrong."""
    host = _host.HostReader.for_module(module)  # a new reader: each look reads afresh
    containers = _app.project_containers(host, module.params["project"])
    by_service: dict[str, list[dict[str, t.Any]]] = {}
    for container in containers:
        by_service.setdefault(_app.summary(container)["service"], []).append(container)
    failed, pending, problems = False, False, []
    for service in services:
        if not by_service.get(service):
            failed = True
            problems.append(f"{service}: no container")
        for container in by_service.get(service) or []:
            s = _app.summary(container)
            state = f"{s['name']}: {s['status']}, health {s['health'] or 'none'} {last_health_output(container)}".rstrip()
            if s["status"] in ("exited", "dead") or s["health"] == "unhealthy":
                failed = True
                problems.append(state)
            elif s["status"] != "running" or s["health"] not in (None, "healthy"):
                pending = True
                problems.append(state)
    verdict = "failed" if failed else "pending" if pending else "healthy"
    return verdict, [_app.summary(c) for c in containers], problems


def wait(module: AnsibleModule, services: list[str]) -> tuple[bool, list[dict[str, t.Any]], list[str]]:
    deadline = time.monotonic() + module.params["timeout"]
    while True:
        verdict, containers, problems = look(module, services)
        if verdict != "pending" or time.monotonic() >= deadline:
            return verdict == "healthy", containers, problems
        time.sleep(2)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "project": {"type": "str", "required": True},
            "file": {"type": "path", "required": True},
            "compose": {"type": "list", "elements": "str", "required": True},
            "services": {"type": "list", "elements": "str", "required": True},
            "force_recreate": {"type": "bool", "default": False},
            "timeout": {"type": "int", "default": 120},
        },
        supports_check_mode=True,
    )
    p = module.params
    if module.check_mode:
        module.exit_json(changed=True, containers=[])
    argv = [*p["compose"], "--project-name", p["project"], "--file", p["file"], "up", "--detach", "--remove-orphans"]
    if p["force_recreate"]:
        argv.append("--force-recreate")
    rc, out, err = module.run_command(argv, check_rc=False, environ_update={"LC_ALL": "C"})
    if rc != 0:
        module.fail_json(msg=f"compose up failed (exit {rc}): {' '.join((err or out).strip().splitlines()[-5:])}", changed=True)
    healthy, containers, problems = wait(module, p["services"])
    if not healthy:
        module.fail_json(
            msg="the new containers did not become healthy: " + "; ".join(problems), containers=containers, changed=True
        )
    module.exit_json(changed=True, containers=containers)


if __name__ == "__main__":
    main()
