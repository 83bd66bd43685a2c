#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: app_scan
short_description: Scan images with Trivy and decide whether they may be deployed
version_added: 0.5.0
description:
  - Scans each image with Trivy on the host (C(trivy image --format json)), or reads the Trivy JSON report given for it
    (one written in CI), and applies the gate of the app layer (control C(APP-06)) - a vulnerability at or above
    O(threshold) (unfixed ones too unless O(ignore_unfixed)), a secret or a failed misconfiguration at or above it,
    blocks; a current waiver lets the finding pass and is listed; an expired one blocks it again.
  - Never changes anything but Trivy's cache; the role writes the records it returns and stops the deploy on a block.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.read_only
options:
  images:
    description: The images to judge, each as the engine names it.
    type: list
    elements: str
    required: true
  records:
    description:
      - Image to its last scan record (RV(insightengine.hardening.app_info#module:scans)); an image in O(images) that is
        not in O(rescan) is judged on its record, with today's waivers, and not scanned again.
    type: dict
    default: {}
  rescan:
    description: The images to scan (or to judge on their report) afresh; null for all of O(images).
    type: list
    elements: str
  reports:
    description: Image to a Trivy JSON report (the parsed document); such an image is not scanned on the host.
    type: dict
    default: {}
  trivy:
    description: The Trivy program.
    type: str
    default: trivy
  scanners:
    description: Trivy's scanners (C(vuln) needs Trivy's database, downloaded unless O(offline)).
    type: list
    elements: str
    default: [vuln, secret, misconfig]
  offline:
    description: Do not update Trivy's databases (a vulnerability scan then needs one already in the cache).
    type: bool
    default: false
  cache_dir:
    description: Trivy's cache directory.
    type: path
    default: /var/cache/insightengine-trivy
  threshold:
    description: The lowest severity that blocks.
    type: str
    choices: [UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL]
    default: HIGH
  ignore_unfixed:
    description: Let vulnerabilities without a fixed version pass (they are listed).
    type: bool
    default: false
  waivers:
    description: Finding ID to C(reason), C(approver) and C(expires) (YYYY-MM-DD).
    type: dict
    default: {}
seealso:
  - module: insightengine.hardening.app_info
"""

EXAMPLES = r"""
- name: Scan before deploying
  insightengine.hardening.app_scan:
    images: [registry.example/insightengine:1.4.2]
    threshold: HIGH
    waivers:
      CVE-2024-1234: {reason: not reachable in our build, approver: sec-team, expires: "2027-01-31"}
  register: app_gate
"""

RETURN = r"""
pass:
  description: Whether every image may be deployed.
  type: bool
  returned: always
images:
  description:
    - Per image, C(pass), C(source) (C(trivy) or C(report)), the C(blocking), C(waived) and C(ignored_unfixed)
      findings (each C(kind), C(id), C(package), C(installed), C(fixed), C(severity), C(title)), C(text) (the readable
      list of what blocks), C(record) (the JSON the role keeps on the host) and C(record_name) (its file name).
  type: dict
  returned: always
message:
  description: The readable list of every blocking finding, empty when all pass.
  type: str
  returned: always
"""

import datetime
import json
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _app, _host


def judge(module: AnsibleModule, image: str) -> dict[str, t.Any]:
    p = module.params
    record = p["records"].get(image)
    if p["rescan"] is not None and image not in p["rescan"] and isinstance(record, dict):
        # Every deploy passes the gate, also on a record that is not due again.
        decision = _app.gate_findings(record.get("findings") or [], p["threshold"], p["ignore_unfixed"], p["waivers"])
        text = _app.render_blocking(image, decision) if decision["blocking"] else ""
        return {**decision, "source": f"the scan record of {str(record.get('scanned', '?'))[:10]}", "text": text}
    source = "report"
    report = p["reports"].get(image)
    if report is None:
        source = "trivy"
        trivy = module.get_bin_path(p["trivy"]) if "/" not in p["trivy"] else p["trivy"]
        if not trivy:
            return {"pass": False, "error": f"Trivy ({p['trivy']}) is not installed: {image} cannot be scanned"}
        argv = _app.trivy_argv(trivy, image, scanners=p["scanners"], cache_dir=p["cache_dir"], offline=p["offline"])
        rc, out, err = module.run_command(argv, check_rc=False, environ_update={"LC_ALL": "C"})
        try:
            report = json.loads(out) if rc == 0 else None
        except ValueError:
            report = None
        if report is None:
            tail = " ".join((err or out).strip().splitlines()[-3:])
            return {"pass": False, "error": f"Trivy could not scan {image} (exit {rc}): {tail}"}
    try:
        findings = _app.at_threshold(_app.scan_findings(report), p["threshold"])
    except ValueError as exc:
        return {"pass": False, "error": f"the report for {image} is {exc}"}
    decision = _app.gate_findings(findings, p["threshold"], p["ignore_unfixed"], p["waivers"])
    # A report keeps its own date: a record judged again on every run stays the same file.
    stamp = report.get("CreatedAt") if source == "report" and isinstance(report, dict) else None
    record = {
        "image": image,
        "id": _app.image_ids(_host.HostReader.for_module(module), [image])[image],
        "scanned": str(stamp or datetime.datetime.now(datetime.timezone.utc).isoformat()),
        "source": source,
        "threshold": p["threshold"],
        "scanners": p["scanners"] if source == "trivy" else None,
        "findings": findings,
    }
    return {
        **decision,
        "source": source,
        "text": _app.render_blocking(image, decision) if decision["blocking"] else "",
        "record": json.dumps(record, indent=1, sort_keys=True) + "\n",
        "record_name": _app.scan_record_name(image),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "images": {"type": "list", "elements": "str", "required": True},
            "records": {"type": "dict", "default": {}},
            "rescan": {"type": "list", "elements": "str"},
            "reports": {"type": "dict", "default": {}},
            "trivy": {"type": "str", "default": "trivy"},
            "scanners": {"type": "list", "elements": "str", "default": ["vuln", "secret", "misconfig"]},
            "offline": {"type": "bool", "default": False},
            "cache_dir": {"type": "path", "default": "/var/cache/insightengine-trivy"},
            "threshold": {"type": "str", "default": "HIGH", "choices": list(_app.SEVERITIES)},
            "ignore_unfixed": {"type": "bool", "default": False},
            "waivers": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    results = {image: judge(module, image) for image in module.params["images"]}
    lines = [r.get("error") or r["text"] for r in results.values() if not r["pass"]]
    module.exit_json(
        changed=False, images=results, message="\n".join(lines), **{"pass": all(r["pass"] for r in results.values())}
    )


if __name__ == "__main__":
    main()
