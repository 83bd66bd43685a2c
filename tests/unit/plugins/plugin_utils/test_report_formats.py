"""The report's JUnit, SARIF and HTML renderings, checked by tools that are
not this collection's (junitparser, the SARIF 2.1.0 JSON Schema, html.parser
and a headless Chromium), on a document with every status and with what a
hostile host could put into a finding."""

from __future__ import annotations

import copy
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "cases"))
import report_checks

from ansible_collections.insightengine.hardening.plugins.plugin_utils import _report_formats as formats

HOSTILE = "</script><script>alert(1)</script>\"'><img src=x onerror=alert(2)>]]>&amp;\x00\x1b[31m\u2028é"


def control(cid: str, status: str, **extra) -> dict:
    base = {
        "id": cid,
        "title": f"Control {cid}",
        "status": status,
        "reason": None,
        "expected": {"setting": "no"},
        "actual": {"setting": "yes"} if status in ("fail", "warn", "waived") else {"setting": "no"},
        "evidence": {"source": "sshd -T", "read": {"setting": "no"}},
        "remediation": None,
        "guide": "Security Hardening Guide §1",
        "waiver": None,
        "changed": False,
        "changed_by": [],
    }
    base.update(extra)
    return base


def document() -> dict:
    statuses = ("pass", "fail", "error", "warn", "waived", "disabled", "not_applicable")
    web = [control(f"OS-{i + 1:02d}", s) for i, s in enumerate(statuses)]
    web[1]["reason"] = HOSTILE
    web[1]["remediation"] = "Set PermitRootLogin no"
    web[1]["changed"], web[1]["changed_by"] = True, ["insightengine.hardening.os : OS-02 | Write the drop-in"]
    web[1]["diffs"] = [{"task": web[1]["changed_by"][0], "diff": f"--- a\n+++ b\n@@ -1 +1 @@\n-PermitRootLogin no\n+{HOSTILE}\n"}]
    web[2]["reason"] = "ssh -T failed: exit 255"
    web[4].update(
        reason="waived until 2099-01-01",
        waiver={"reason": "legacy client", "approver": "sec-team", "expires": "2099-01-01", "found": "fail"},
    )
    web[5]["reason"] = "os_ssh_enabled: false"
    web[6]["reason"] = "kernel modules belong to the host kernel (docker container)"
    db = [control("PG-01", "pass"), control("PG-02", "fail", evidence={"source": "pg_hba_file_rules", "read": HOSTILE})]
    hosts = [
        {
            "host": "web1.example.com",
            "layers": [{"layer": "os", "controls": web}, {"layer": "nginx", "controls": [control("NGX-01", "pass")]}],
            "failed_tasks": [],
            "unattributed_changes": [],
        },
        {
            "host": f"db{HOSTILE}",
            "layers": [{"layer": "postgres", "controls": db}],
            "failed_tasks": [{"task": "insightengine.hardening.postgres : Read the cluster", "msg": HOSTILE}],
            "unattributed_changes": ["a task <b>without</b> an ID"],
        },
    ]
    summary = dict.fromkeys(statuses, 0)
    for host in hosts:
        for layer in host["layers"]:
            layer["summary"] = dict.fromkeys(statuses, 0)
            for c in layer["controls"]:
                layer["summary"][c["status"]] += 1
                summary[c["status"]] += 1
        host["summary"] = {s: sum(x["summary"][s] for x in host["layers"]) for s in statuses}
    return {
        "schema_version": "1.1",
        "collection": {"name": "insightengine.hardening", "version": "0.7.0"},
        "generated_at": "2026-12-04T20:00:00Z",
        "check_mode": False,
        "diff_mode": False,
        "summary": summary,
        "hosts": hosts,
    }


def test_the_test_document_follows_the_shipped_schema():
    import jsonschema

    schema = json.loads((report_checks.ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.validate(document(), schema, format_checker=jsonschema.FormatChecker())


def test_junit_parses_with_one_case_per_host_and_control(tmp_path):
    doc = document()
    path = tmp_path / "report.xml"
    path.write_text(formats.junit(doc), encoding="utf-8")
    report_checks.check_junit(path, doc)
    # What XML cannot carry is dropped, the rest arrives as text.
    root = ET.parse(path).getroot()  # noqa: S314 - our own output
    failure = root.find(".//testcase[@name='OS-02 Control OS-02']/failure")
    assert failure.get("message") == report_checks.valid_xml_text(HOSTILE)
    assert "Set PermitRootLogin no" in failure.text and "changed by: insightengine.hardening.os" in failure.text
    suites = list(root.iter("testsuite"))
    assert [s.get("name") for s in suites] == ["web1.example.com", report_checks.valid_xml_text(f"db{HOSTILE}")]
    tasks = [c for c in suites[1].iter("testcase") if c.get("classname").endswith(".tasks")]
    assert len(tasks) == 1 and tasks[0].find("error").get("message") == report_checks.valid_xml_text(HOSTILE)


def test_sarif_follows_the_sarif_2_1_0_schema(tmp_path):
    doc = document()
    path = tmp_path / "report.sarif"
    path.write_text(json.dumps(formats.sarif(doc)), encoding="utf-8")
    log = report_checks.check_sarif(path, doc)
    (run,) = log["runs"]
    assert run["invocations"][0]["executionSuccessful"] is False  # a task failed
    assert [n["descriptor"]["id"] for n in run["invocations"][0]["toolExecutionNotifications"]] == ["task-failed"]
    levels = {r["ruleId"]: (r["kind"], r["level"]) for r in run["results"] if r["properties"]["host"] == "web1.example.com"}
    assert levels == {
        "OS-01": ("pass", "none"),
        "OS-02": ("fail", "error"),
        "OS-03": ("fail", "error"),
        "OS-04": ("fail", "warning"),
        "OS-05": ("fail", "error"),
        "OS-06": ("informational", "none"),
        "OS-07": ("notApplicable", "none"),
        "NGX-01": ("pass", "none"),
    }
    # The host's name is one path segment of the artifact's URI, whatever it holds.
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert all(uri.count("/") == 2 and " " not in uri and "<" not in uri for uri in uris), uris


def test_the_sarif_schema_check_can_fail(tmp_path):
    """The schema is really applied: a result with an unknown kind, and one
    without its message, are refused."""
    doc = document()
    for breaking in ({"kind": "broken"}, {"message": None}):
        log = formats.sarif(doc)
        result = log["runs"][0]["results"][0]
        for key, value in breaking.items():
            if value is None:
                del result[key]
            else:
                result[key] = value
        path = tmp_path / "bad.sarif"
        path.write_text(json.dumps(log))
        with pytest.raises(AssertionError):
            report_checks.check_sarif(path, doc)


def test_html_is_self_contained_and_shows_hostile_text_as_text():
    doc = document()
    text = formats.html_page(doc)
    report_checks.check_html_static(text, doc)
    assert "<img" not in text and "<script>alert" not in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<dt>diff of insightengine.hardening.os : OS-02 | Write the drop-in</dt><dd><pre>--- a\n+++ b" in text


def test_html_counts_follow_the_document_not_a_stale_summary():
    doc = copy.deepcopy(document())
    doc["hosts"][0]["layers"][0]["controls"].append(control("OS-19", "fail"))
    doc["summary"]["fail"] += 1
    report_checks.check_html_static(formats.html_page(doc), doc)


def test_html_renders_in_chromium_without_console_errors(tmp_path):
    doc = document()
    page = tmp_path / "report.html"
    page.write_text(formats.html_page(doc), encoding="utf-8")
    seen = report_checks.check_html_in_browser(page, doc, tmp_path / "report.png")
    assert seen["title"] == "Hardening report: 2 host(s), 3 failing"


def test_an_empty_report_renders_everywhere(tmp_path):
    doc = {**document(), "hosts": [], "summary": dict.fromkeys(report_checks.STATUSES, 0)}
    (tmp_path / "r.xml").write_text(formats.junit(doc))
    report_checks.check_junit(tmp_path / "r.xml", doc)
    (tmp_path / "r.sarif").write_text(json.dumps(formats.sarif(doc)))
    report_checks.check_sarif(tmp_path / "r.sarif", doc)
    report_checks.check_html_static(formats.html_page(doc), doc)
