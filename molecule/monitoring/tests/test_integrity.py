"""The kernel's audit (MON-06), file integrity (MON-07) and the scheduled
audits (MON-08), measured where they act: the check mode run's findings, a
file planted behind AIDE's back reported with its path, alerted at the
webhook receiver and shipped to the log host; the first scheduled audit's
Lynis and verify reports on the log host and its age judged.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import assert_converged, run_playbook, sh, wait_for
from monitoring_scenario import (
    CONTROLS,
    ROLE_HOSTS,
    SENDERS,
    alert_arrives,
    received,
    received_alerts,
    webhook_clock,
)

AUDIT_LAST = "/var/lib/insightengine/audit/last-audit.json"
AIDE_LAST = "/var/lib/insightengine/aide/last-check.json"
INTRUDER = "/usr/local/bin/insightengine-intruder"


@pytest.fixture(scope="session")
def hosts() -> list[str]:
    """The hosts the role configures (the webhook receiver is not one)."""
    return ROLE_HOSTS


def last(name: str, path: str) -> dict:
    out = sh(name, f"cat {path} 2>/dev/null || true").stdout
    return json.loads(out) if out.strip() else {}


def test_the_kernel_audit_is_not_applicable_in_a_container_and_says_why(converge_playbook):
    run = run_playbook(converge_playbook, check=True)
    assert run.rc == 0, run.stdout[-3000:]
    for name in ROLE_HOSTS:
        finding = run.findings(name, "monitoring")["MON-06"]
        assert finding["status"] == "not_applicable", finding
        assert "container (docker)" in finding["reason"], finding
        # auditctl gets EPERM here: the role installs no auditd that could not start
        assert sh(name, "command -v auditctl", check=False).returncode != 0


def test_the_scheduled_audit_ran_lynis_and_verify_and_shipped_both_reports():
    for name in ROLE_HOSTS:
        assert wait_for(lambda n=name: bool(last(n, AUDIT_LAST)), timeout=300, step=5), name
        audit = last(name, AUDIT_LAST)
        assert isinstance(audit["lynis"].get("hardening_index"), int) and audit["lynis"]["hardening_index"] > 0, audit["lynis"]
        assert not audit["lynis"].get("error"), audit["lynis"]
        verify = audit["verify"]["monitoring"]
        assert not verify["error"] and sum(verify["summary"].values()) == CONTROLS, verify
        assert time.time() - audit["time"] < 3600
        timer = sh(name, "systemctl show insightengine-audit.timer -p ActiveState -p UnitFileState -p TimersCalendar").stdout
        assert "ActiveState=active" in timer and "UnitFileState=enabled" in timer, timer
        assert "*-01,04,07,10-01 00:00:00" in timer, timer
        metric = sh(
            name,
            "python3 -c \"import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:9100/metrics').read().decode())\"",
        )
        exported = re.search(r"^insightengine_audit_last_run_timestamp_seconds (\S+)$", metric.stdout, re.M)
        assert exported and float(exported.group(1)) == audit["time"], metric.stdout[-500:]
    for sender in SENDERS:
        # Both reports reach the log host: Lynis's summary and the verify's, one line each.
        text = received(sender)
        assert '"report": "lynis"' in text and '"hardening_index": ' in text, text[-2000:]
        assert '"report": "verify"' in text and '"layer": "monitoring"' in text, text[-2000:]


def test_an_audit_older_than_its_period_fails_mon_08(converge_playbook):
    name = SENDERS[1]
    sh(
        name,
        f"cp -p {AUDIT_LAST} /tmp/last-audit.json && python3 -c \"import json;p='{AUDIT_LAST}';d=json.load(open(p));"
        f"d['time']-=100*86400;json.dump(d,open(p,'w'))\"",
    )
    try:
        check = run_playbook(converge_playbook, check=True, limit=name)
        finding = check.findings(name, "monitoring")["MON-08"]
        assert finding["status"] == "fail" and "the last audit ran 100 days ago (period 92 days)" in finding["reason"], finding
    finally:
        sh(name, f"cp -p /tmp/last-audit.json {AUDIT_LAST}")


def test_a_file_planted_behind_the_baseline_is_reported_alerted_shipped_and_accepted(converge_playbook):
    name = SENDERS[0]
    assert last(name, AIDE_LAST).get("added") == 0, last(name, AIDE_LAST)
    since = webhook_clock()
    sh(name, f"printf '#!/bin/sh\\n' > {INTRUDER} && chmod 755 {INTRUDER} && systemctl start insightengine-aide-check.service")
    found = last(name, AIDE_LAST)
    assert found["added"] >= 1 and f"added: {INTRUDER}" in found["entries"], found
    check = run_playbook(converge_playbook, check=True, limit=name)
    finding = check.findings(name, "monitoring")["MON-07"]
    assert finding["status"] == "fail" and INTRUDER in finding["reason"], finding
    assert {c for c, s in check.statuses(name, "monitoring").items() if s == "fail"} == {"MON-07"}

    assert alert_arrives("InsightEngineFileIntegrityChanged", name, since, timeout=120), received_alerts()[-5:]
    assert wait_for(lambda: f"AIDE added: {INTRUDER}" in received(name), timeout=60, step=2)
    # Reviewed and accepted: a new baseline, checked at once.
    accepted = run_playbook(converge_playbook, limit=name, extra_vars={"monitoring_aide_accept_changes": True})
    assert accepted.rc == 0, accepted.stdout[-3000:]
    assert last(name, AIDE_LAST)["added"] == 0
    sh(name, f"rm -f {INTRUDER}")
    again = run_playbook(converge_playbook, limit=name, extra_vars={"monitoring_aide_accept_changes": True})
    assert again.rc == 0, again.stdout[-3000:]
    assert_converged(converge_playbook, ROLE_HOSTS, "monitoring", CONTROLS)


def test_a_run_tagged_for_one_control_repairs_the_helper_it_needs(converge_playbook):
    """--tags mon-07 installs the script AIDE's check runs, though the task
    that installs it sits with the logging tasks."""
    name = SENDERS[1]
    sh(name, "rm /usr/local/libexec/insightengine_audit.py")
    run = run_playbook(converge_playbook, limit=name, tags="mon-07")
    assert run.rc == 0, run.stdout[-3000:]
    assert any("Install the scripts" in task for task in run.changed_tasks(name)), run.changed_tasks(name)
    sh(name, "systemctl start insightengine-aide-check.service")
    assert last(name, AIDE_LAST)["error"] == ""
