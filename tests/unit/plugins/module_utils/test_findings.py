"""The findings contract shared by every verify module."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils._findings import STATUSES, Control, Findings

CATALOG = [
    Control("T-01", "First", "guide line one", "fix one", source="probe one"),
    Control("T-02", "Second", "guide line two", "fix two", source="probe two"),
    Control("T-03", "Third", "guide line three", "fix three"),
]
TODAY = datetime.date(2026, 12, 1)


def waiver(expires: str, reason: str = "vendor fix pending", approver: str = "ciso") -> dict[str, str]:
    return {"reason": reason, "approver": approver, "expires": expires}


def test_every_control_gets_one_finding_in_catalog_order():
    findings = Findings("test", CATALOG, disabled={"T-03": "disabled (t_three_enabled: false)"})
    findings.compare("T-02", {"a": "1", "b": "2"}, {"a": "1", "b": "3"})
    findings.check("T-01", True, "x", "x")
    result = findings.result(strict=False)
    assert [f["id"] for f in result["findings"]] == ["T-01", "T-02", "T-03"]
    assert [f["status"] for f in result["findings"]] == ["pass", "fail", "disabled"]
    assert result["summary"] == {s: {"pass": 1, "fail": 1, "disabled": 1}.get(s, 0) for s in STATUSES}
    assert result["failed_controls"] == ["T-02"]
    assert result["failed"] is False
    second = result["findings"][1]
    assert second["actual"] == {"b": "3"}  # only what differs
    assert second["remediation"] == "fix two"
    assert second["evidence"] == {"source": "probe two", "read": {"b": "3"}}
    assert result["findings"][0]["remediation"] is None
    assert result["findings"][2]["evidence"] is None  # nothing was read
    assert result["report"][1] == "T-02    FAIL           Second: b=3 (want 2)"
    assert result["report"][2] == "T-03    DISABLED       Third: disabled (t_three_enabled: false)"


def test_strict_fails_after_returning_every_finding():
    findings = Findings("test", CATALOG)
    findings.check("T-01", False, {"port": 22}, {"port": 2222})
    findings.check("T-02", True, 1, 1)
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    assert result["failed"] is True
    assert result["msg"] == "test: 1 of 3 controls fail: T-01 First"
    assert [f["id"] for f in result["findings"]] == ["T-01", "T-02", "T-03"]
    assert len(result["report"]) == 3


def test_a_control_nobody_checked_is_an_error_not_a_pass():
    findings = Findings("test", CATALOG)
    findings.check("T-01", True, 1, 1)
    result = findings.result(strict=True)
    assert {f["id"]: f["status"] for f in result["findings"]} == {"T-01": "pass", "T-02": "error", "T-03": "error"}
    assert result["failed"] is True
    assert result["failed_controls"] == ["T-02", "T-03"]


def test_a_check_that_could_not_run_is_an_error_with_what_failed():
    findings = Findings("test", CATALOG)
    findings.error("T-01", "sshd -T failed: bad option", source="sshd -T")
    finding = findings.result(strict=False)["findings"][0]
    assert finding["status"] == "error"
    assert finding["reason"] == "sshd -T failed: bad option"
    assert finding["evidence"]["source"] == "sshd -T"
    assert findings.result(strict=False)["report"][0] == "T-01    ERROR          First: sshd -T failed: bad option"


def test_disabled_and_not_applicable_are_two_things():
    findings = Findings("test", CATALOG, disabled={"T-01": "off"}, not_applicable={"T-02": "a container owns no kernel"})
    assert not findings.wanted("T-01")
    assert not findings.wanted("T-02")
    findings.check("T-01", False, 1, 2)  # ignored: disabled stays disabled
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    assert result["failed"] is False
    assert [f["status"] for f in result["findings"]] == ["disabled", "not_applicable", "pass"]
    assert result["findings"][1]["reason"] == "a container owns no kernel"
    assert result["msg"] == "test: 1 of 3 controls pass, 1 disabled, 1 not applicable"


@pytest.mark.parametrize("option", ["disabled", "not_applicable", "waivers"])
def test_unknown_control_ids_are_refused(option):
    value = waiver("2027-01-01") if option == "waivers" else "why"
    with pytest.raises(ValueError, match=f"{option}: unknown test control IDs: T-09"):
        Findings("test", CATALOG, **{option: {"T-09": value}})


def test_a_warning_never_fails_and_is_never_a_pass():
    findings = Findings("test", CATALOG)
    findings.check("T-01", True, 1, 1)
    findings.warn("T-02", "not proven encrypted: overlay", {"encrypted": True}, {"encrypted": None})
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    assert result["failed"] is False
    assert result["failed_controls"] == []
    assert result["summary"]["warn"] == 1
    assert result["msg"] == "test: 2 of 3 controls pass, 1 warn"
    assert result["report"][1] == "T-02    WARN           Second: not proven encrypted: overlay"
    assert result["findings"][1]["remediation"] == "fix two"


def test_a_waiver_keeps_what_was_found_and_does_not_fail():
    findings = Findings("test", CATALOG, waivers={"T-01": waiver("2026-12-31")}, today=TODAY)
    findings.check("T-01", False, {"port": 22}, {"port": 2222})
    findings.check("T-02", True, 1, 1)
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    first = result["findings"][0]
    assert result["failed"] is False
    assert first["status"] == "waived"
    assert first["actual"] == {"port": 2222}
    assert first["evidence"] == {"source": "probe one", "read": {"port": 2222}}
    assert first["waiver"] == {"reason": "vendor fix pending", "approver": "ciso", "expires": "2026-12-31", "found": "fail"}
    assert first["reason"] == "waived until 2026-12-31 by ciso: vendor fix pending; found: port=2222 (want 22)"
    assert result["summary"]["waived"] == 1


def test_a_waiver_on_the_day_it_expires_still_holds():
    findings = Findings("test", CATALOG, waivers={"T-01": waiver("2026-12-01")}, today=TODAY)
    findings.check("T-01", False, 1, 2)
    assert findings.result(strict=True)["findings"][0]["status"] == "waived"


@pytest.mark.parametrize("found", [True, False])
def test_an_expired_waiver_fails_the_control_whatever_was_found(found):
    findings = Findings("test", CATALOG, waivers={"T-01": waiver("2026-11-30")}, today=TODAY)
    findings.check("T-01", found, 1, 1 if found else 2)
    findings.check("T-02", True, 1, 1)
    findings.check("T-03", True, 1, 1)
    result = findings.result(strict=True)
    first = result["findings"][0]
    assert result["failed"] is True
    assert first["status"] == "fail"
    assert first["reason"].startswith("waiver expired on 2026-11-30 (approved by ciso: vendor fix pending)")
    assert first["waiver"]["found"] == ("pass" if found else "fail")


def test_a_waiver_for_a_passing_control_leaves_it_passing():
    findings = Findings("test", CATALOG, waivers={"T-01": waiver("2027-06-30")}, today=TODAY)
    findings.check("T-01", True, 1, 1)
    first = findings.result(strict=True)["findings"][0]
    assert first["status"] == "pass"
    assert first["waiver"]["found"] == "pass"


def test_an_error_can_be_waived():
    findings = Findings("test", CATALOG, waivers={"T-02": waiver("2027-06-30")}, today=TODAY)
    findings.error("T-02", "the server could not be read")
    assert findings.result(strict=False)["findings"][1]["status"] == "waived"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"reason": "x", "approver": "y"}, "expires must be a date"),
        ({"reason": "", "approver": "y", "expires": "2027-01-01"}, "reason must be a non-empty string"),
        ({"reason": "x", "expires": "2027-01-01"}, "approver must be a non-empty string"),
        ({"reason": "x", "approver": "y", "expires": "2027-02-30"}, "expires must be a date"),
        ({"reason": "x", "approver": "y", "expires": "next year"}, "expires must be a date"),
        ({"reason": "x\ny", "approver": "y", "expires": "2027-01-01"}, "reason must not contain control characters"),
        ({"reason": "x", "approver": "y", "expires": "2027-01-01", "ticket": 1}, "unknown key 'ticket'"),
        ("because", "must be a mapping"),
    ],
)
def test_a_malformed_waiver_is_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        Findings("test", CATALOG, waivers={"T-01": bad})


def test_a_date_parsed_by_yaml_is_a_date_too():
    findings = Findings("test", CATALOG, waivers={"T-01": waiver(datetime.date(2027, 1, 1))}, today=TODAY)
    findings.check("T-01", False, 1, 2)
    assert findings.result(strict=False)["findings"][0]["waiver"]["expires"] == "2027-01-01"
