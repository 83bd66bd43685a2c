"""The findings format shared by every verify module."""

from __future__ import annotations

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Control, Findings

CATALOG = [
    Control("T-01", "First", "guide line one", "fix one"),
    Control("T-02", "Second", "guide line two", "fix two"),
    Control("T-03", "Third", "guide line three", "fix three"),
]


def test_every_control_gets_one_finding_in_catalog_order():
    findings = Findings("test", CATALOG, skip={"T-03": "disabled (t_three_enabled: false)"})
    findings.compare("T-02", {"a": "1", "b": "2"}, {"a": "1", "b": "3"})
    findings.check("T-01", True, "x", "x")
    result = findings.result(strict=False)
    assert [f["id"] for f in result["findings"]] == ["T-01", "T-02", "T-03"]
    assert [f["status"] for f in result["findings"]] == ["pass", "fail", "skipped"]
    assert result["summary"] == {"pass": 1, "fail": 1, "warn": 0, "skipped": 1}
    assert result["failed_controls"] == ["T-02"]
    assert result["failed"] is False
    second = result["findings"][1]
    assert second["actual"] == {"b": "3"}  # only what differs
    assert second["remediation"] == "fix two"
    assert result["findings"][0]["remediation"] is None
    assert result["report"][1] == "T-02    FAIL     Second: b=3 (want 2)"
    assert result["report"][2] == "T-03    SKIPPED  Third: disabled (t_three_enabled: false)"


def test_strict_fails_and_keeps_the_failure_readable():
    findings = Findings("test", CATALOG)
    findings.check("T-01", False, {"port": 22}, {"port": 2222})
    findings.check("T-02", True, 1, 1)
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    assert result["failed"] is True
    assert result["msg"] == "test: 1 of 3 controls fail: T-01 First"
    assert [f["id"] for f in result["findings"]] == ["T-01"]
    assert len(result["report"]) == 3


def test_a_control_nobody_checked_is_a_failure_not_a_pass():
    findings = Findings("test", CATALOG)
    findings.check("T-01", True, 1, 1)
    statuses = {f["id"]: f["status"] for f in findings.result(strict=False)["findings"]}
    assert statuses == {"T-01": "pass", "T-02": "fail", "T-03": "fail"}


def test_unreadable_state_is_a_failure_with_its_reason():
    findings = Findings("test", CATALOG)
    findings.error("T-01", "sshd -T failed: bad option")
    assert findings.result(strict=False)["report"][0] == "T-01    FAIL     First: sshd -T failed: bad option"


def test_a_skip_stays_a_skip():
    findings = Findings("test", CATALOG, skip={"T-01": "off"})
    assert not findings.wanted("T-01")
    findings.check("T-01", False, 1, 2)
    findings.check("T-02", True, 1, 1)
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    assert result["failed"] is False
    assert result["summary"] == {"pass": 2, "fail": 0, "warn": 0, "skipped": 1}


def test_unknown_control_ids_are_refused():
    with pytest.raises(ValueError, match="T-09"):
        Findings("test", CATALOG, skip={"T-09": "no such control"})


def test_a_warning_never_fails_and_is_never_a_pass():
    findings = Findings("test", CATALOG)
    findings.check("T-01", True, 1, 1)
    findings.warn("T-02", "not proven encrypted: overlay", {"encrypted": True}, {"encrypted": None})
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    assert result["failed"] is False
    assert result["failed_controls"] == []
    assert result["summary"] == {"pass": 2, "fail": 0, "warn": 1, "skipped": 0}
    assert result["msg"] == "test: 2 of 3 controls pass, 0 skipped, 1 warn"
    assert result["report"][1] == "T-02    WARN     Second: not proven encrypted: overlay"
    assert result["findings"][1]["remediation"] == "fix two"
