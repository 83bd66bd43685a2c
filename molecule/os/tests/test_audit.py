"""The read-only audit (playbooks/audit.yml) on the converged os hosts: one
run writes the JSON report and its JUnit, SARIF and HTML renderings, each
checked by a tool that is not this collection's; it changes nothing; a
failing control, and an expired waiver, make it exit non-zero naming the
control per host; a current waiver passes it, as a suppression in SARIF.

Runs before test_os.py (which moves the SSH port for good at its end).
"""

from __future__ import annotations

import json
import subprocess

import pytest
import report_checks
from conftest import EPHEMERAL_DIR, INVENTORY, host_fingerprint, run_playbook

AUDIT = "insightengine.hardening.audit"
FINGERPRINT = ["sshd -T", "ufw status verbose", "ss -Htln", "systemctl list-units --state=active --no-legend --plain"]


@pytest.fixture(scope="module")
def audit_inventory(hosts, tmp_path_factory):
    """The scenario's hosts in the os layer's group (Molecule's inventory
    knows only debian12 and debian13), merged with Molecule's own."""
    path = tmp_path_factory.mktemp("audit") / "layers.yml"
    path.write_text(json.dumps({"insightengine_os": {"hosts": {name: {} for name in hosts}}}))
    return [INVENTORY, path]


def audit(inventory, **kwargs):
    return run_playbook(AUDIT, inventory=inventory, **kwargs)


def test_one_audit_run_writes_json_junit_sarif_and_html_and_changes_nothing(hosts, audit_inventory, tmp_path):
    before = {name: host_fingerprint(name, FINGERPRINT) for name in hosts}
    out = {fmt: tmp_path / f"audit.{fmt}" for fmt in ("xml", "sarif", "html")}
    run = audit(
        audit_inventory,
        env={
            "INSIGHTENGINE_HARDENING_REPORT_JUNIT": str(out["xml"]),
            "INSIGHTENGINE_HARDENING_REPORT_SARIF": str(out["sarif"]),
            "INSIGHTENGINE_HARDENING_REPORT_HTML": str(out["html"]),
        },
    )
    assert run.rc == 0, run.stdout[-3000:]
    document = run.report  # schema-checked by run_playbook
    assert [h["host"] for h in document["hosts"]] == sorted(hosts)
    for name in hosts:
        assert run.changed(name) == 0, run.changed_tasks(name)
        assert len(run.statuses(name, "os")) == 19  # and the report file says the same (statuses checks)
        # The input checks, os_info and os_verify; the verdict task skipped.
        ran = [task for task, result in run.results(name) if not result.get("skipped")]
        assert len(ran) == 4, ran
    report_checks.check_junit(out["xml"], document)
    report_checks.check_sarif(out["sarif"], document)
    report_checks.check_html_static(out["html"].read_text(), document)
    report_checks.check_html_in_browser(out["html"], document, EPHEMERAL_DIR / "audit-report.png")
    assert {name: host_fingerprint(name, FINGERPRINT) for name in hosts} == before


def test_an_expired_waiver_fails_the_audit_naming_the_control_per_host(hosts, audit_inventory):
    expired = {"OS-14": {"reason": "legacy password policy", "approver": "security team", "expires": "2026-01-31"}}
    for check in (False, True):
        run = audit(audit_inventory, extra_vars={"insightengine_hardening_waivers": expired}, check=check)
        assert run.rc != 0, run.stdout[-2000:]
        for name in hosts:
            statuses = run.statuses(name, "os")
            assert statuses["OS-14"] == "fail"
            assert [cid for cid, s in statuses.items() if s == "fail"] == ["OS-14"]
            message = run.failure_messages(name)
            assert f"{name}: 1 failing control(s): OS-14 fail (waiver expired on 2026-01-31" in message, message


def test_a_failing_control_fails_the_audit_and_a_current_waiver_suppresses_it(hosts, audit_inventory, tmp_path):
    for name in hosts:
        subprocess.run(["docker", "exec", name, "chmod", "0755", "/etc/cron.daily"], check=True)
    try:
        failing = audit(audit_inventory)
        assert failing.rc != 0
        for name in hosts:
            assert failing.statuses(name, "os")["OS-15"] == "fail"
            assert f"{name}: 1 failing control(s): OS-15 fail" in failing.failure_messages(name)

        current = {"OS-15": {"reason": "a backup agent reads cron.daily", "approver": "ops lead", "expires": "2099-12-31"}}
        sarif = tmp_path / "waived.sarif"
        waived = audit(
            audit_inventory,
            extra_vars={"insightengine_hardening_waivers": current},
            env={"INSIGHTENGINE_HARDENING_REPORT_SARIF": str(sarif)},
        )
        assert waived.rc == 0, waived.stdout[-2000:]
        log = report_checks.check_sarif(sarif, waived.report)
        suppressed = [r for r in log["runs"][0]["results"] if r.get("suppressions")]
        assert sorted(r["properties"]["host"] for r in suppressed) == sorted(hosts)
        assert {r["ruleId"] for r in suppressed} == {"OS-15"}
        assert all("ops lead" in r["suppressions"][0]["justification"] for r in suppressed)
    finally:
        for name in hosts:
            subprocess.run(["docker", "exec", name, "chmod", "0700", "/etc/cron.daily"], check=True)
