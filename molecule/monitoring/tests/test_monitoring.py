"""The monitoring layer's logging, measured where logs land: on the central
log host (Debian 13), from a sender on each of Debian 12 and 13, with the
log host down and a sender restarting, and as a client the log host must
refuse.

The client checks run the test's own socket code inside a container (not
the verify module's), so a bug in one cannot hide in the other.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid

import pytest
from conftest import (
    EPHEMERAL_DIR,
    assert_bad_inputs_refused,
    assert_converged,
    assert_drift_reported,
    assert_waivers_hold,
    run_playbook,
    sh,
    wait_for,
)
from monitoring_scenario import CONTROLS, LOGHOST, ROLE_HOSTS, SENDERS, received

FORWARD_CONF = "/etc/rsyslog.d/60-insightengine-forward.conf"
LOGROTATE = "/etc/logrotate.d/insightengine-remote"
JOURNALD_DROPIN = "/etc/systemd/journald.conf.d/60-insightengine.conf"


@pytest.fixture(scope="session")
def hosts() -> list[str]:
    """The hosts the role configures (the webhook receiver is not one)."""
    return ROLE_HOSTS


def numbers(text: str, marker: str) -> list[int]:
    return [int(n) for n in re.findall(rf"{re.escape(marker)}-(\d+)\b", text)]


def test_check_mode_after_converge_reports_nothing(hosts, converge_playbook):
    run = assert_converged(converge_playbook, hosts, "monitoring", CONTROLS)
    mine = {"MON-04": "pass", "MON-05": "pass", "MON-06": "not_applicable", "MON-07": "pass", "MON-08": "pass"}
    assert run.statuses(LOGHOST, "monitoring") == {"MON-01": "pass", "MON-02": "not_applicable", "MON-03": "pass", **mine}
    for name in SENDERS:
        assert run.statuses(name, "monitoring") == {"MON-01": "pass", "MON-02": "pass", "MON-03": "not_applicable", **mine}
        forward = run.findings(name, "monitoring")["MON-02"]
        assert forward["actual"]["accepted"] is True and forward["actual"]["tls"] in ("TLSv1.2", "TLSv1.3"), forward


def test_a_sealed_journal_verifies_with_the_key_on_the_controller_and_a_changed_file_fails(converge_playbook):
    """Debian 13's sender seals its journal; the verification key is on the
    controller only. A byte changed in a sealed, archived journal file fails MON-01."""
    name = SENDERS[1]
    key = EPHEMERAL_DIR / "secrets" / name / "journal-verify-key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    # the verification key is nowhere on the host (grep -F exits 1 when it finds nothing)
    found = sh(name, f"grep -rlsF -- '{key.read_text().strip()}' /etc /root /tmp /var/log /var/lib /var/spool", check=False)
    assert found.returncode == 1 and not found.stdout, found.stdout
    # journald seals from the next file it opens; one that lives across a
    # sealing interval (10 s here), archived
    sh(name, "journalctl --rotate; logger sealed-entry-1; sleep 12; logger sealed-entry-2; sleep 2; journalctl --rotate")
    archived = sh(name, "ls -t /var/log/journal/*/system@*.journal | head -1").stdout.strip()
    check = run_playbook(converge_playbook, check=True, limit=name)
    finding = check.findings(name, "monitoring")["MON-01"]
    assert finding["status"] == "pass" and finding["actual"]["verified"] is True, finding
    # one byte of a sealed entry's message changed in place
    offset = int(sh(name, f"grep -obUa sealed-entry-1 {archived} | head -1").stdout.split(":")[0])
    sh(name, f"printf 'X' | dd of={archived} bs=1 seek={offset} conv=notrunc status=none")
    try:
        check = run_playbook(converge_playbook, check=True, limit=name)
        finding = check.findings(name, "monitoring")["MON-01"]
        assert finding["status"] == "fail" and "journalctl --verify" in finding["reason"], finding
    finally:
        sh(name, f"rm -f {archived}")
    assert run_playbook(converge_playbook, check=True, limit=name).findings(name, "monitoring")["MON-01"]["status"] == "pass"


@pytest.mark.parametrize("sender", SENDERS)
def test_what_a_host_logs_arrives_at_the_log_host_and_only_there(sender):
    mark = f"arrives-{uuid.uuid4().hex[:8]}"
    sh(sender, f"logger -t mon-test '{mark}-journal'; logger -p authpriv.notice -t sudo '{mark}-auth'")
    sh(
        sender,
        f"echo '10.0.0.9 - - [02/Dec/2026:10:00:00 +0000] \"GET /{mark}-nginx HTTP/1.1\" 200 1' >> /var/log/nginx/access.log",
    )
    assert wait_for(lambda: all(f"{mark}-{k}" in received(sender) for k in ("journal", "auth", "nginx")), timeout=30), received(
        sender
    )[-2000:]
    # the file line went to the log host, not into the sender's own syslog;
    # the log host keeps received lines out of its own files
    assert mark + "-nginx" not in sh(sender, "cat /var/log/syslog /var/log/messages 2>/dev/null || true").stdout
    assert mark not in sh(LOGHOST, "cat /var/log/syslog /var/log/messages 2>/dev/null || true").stdout


def test_nothing_is_lost_while_the_log_host_is_down_nor_when_a_sender_restarts():
    """Numbered lines logged while the log host is stopped, each sender's
    rsyslog restarted halfway: after the log host is back every line is
    there. Duplicates are counted (the replay sends a stretch again)."""
    mark = f"outage-{uuid.uuid4().hex[:8]}"
    count = 60
    sh(LOGHOST, "systemctl stop syslog.socket rsyslog")
    try:
        for i in range(1, count + 1):
            for sender in SENDERS:
                sh(sender, f"logger -t mon-outage '{mark}-{i}'")
            if i == count // 2:
                for sender in SENDERS:
                    sh(sender, "systemctl restart rsyslog")
            time.sleep(0.05)
        spooled = {
            s: sh(s, "du -cb /var/spool/rsyslog/insightengine-forward.* 2>/dev/null | tail -1").stdout.split()[:1]
            for s in SENDERS
        }
    finally:
        sh(LOGHOST, "systemctl start rsyslog")
    back = time.monotonic()
    wanted = set(range(1, count + 1))
    assert wait_for(lambda: all(wanted <= set(numbers(received(s), mark)) for s in SENDERS), timeout=300, step=2)
    delivered_after = round(time.monotonic() - back)
    time.sleep(5)  # what else is in flight
    measured = {}
    for sender in SENDERS:
        got = numbers(received(sender), mark)
        measured[sender] = {"logged": count, "distinct": len(set(got)), "duplicates": len(got) - len(set(got)),
                            "missing": sorted(wanted - set(got)), "spooled_bytes": spooled[sender],
                            "all_delivered_after_s": delivered_after}  # fmt: skip
    (EPHEMERAL_DIR / "outage.json").write_text(json.dumps(measured, indent=2))
    print(json.dumps(measured))
    for sender, result in measured.items():
        assert result["missing"] == [], (sender, result)


CLIENT = r"""
import socket, ssl, subprocess, sys, json
host, ca, cert, key = sys.argv[1:5]
def relp(context):
    try:
        with socket.create_connection((host, 2514), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=host) as s:
                data = b"relp_version=0\nrelp_software=test\ncommands=syslog"
                s.sendall(b"1 open %d " % len(data) + data + b"\n")
                answer = s.recv(200)
                return answer.startswith(b"1 rsp") and b" 200 " in answer[:20]
    except (OSError, ssl.SSLError):
        return False
def syslog_tls(context):
    # RFC 5425: after the handshake a server that refuses the client's
    # certificate closes the session (TLS 1.3 tells the client then).
    try:
        with socket.create_connection((host, 6514), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=host) as s:
                s.settimeout(1.5)
                try:
                    return s.recv(1) != b""
                except socket.timeout:
                    return True
    except (OSError, ssl.SSLError):
        return False
def context(cafile, certfile=None, keyfile=None):
    c = ssl.create_default_context(cafile=cafile)
    if certfile:
        c.load_cert_chain(certfile, keyfile)
    return c
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "/tmp/rogue.key", "-out", "/tmp/rogue.pem", "-days", "2", "-subj", "/CN=" + socket.gethostname()],
               check=True, capture_output=True)
result = {}
for label, probe in (("relp", relp), ("syslog_tls", syslog_tls)):
    result[label] = {
        "own_certificate": probe(context(ca, cert, key)),
        "no_certificate": probe(context(ca)),
        "certificate_of_another_ca": probe(context(ca, "/tmp/rogue.pem", "/tmp/rogue.key")),
    }
with socket.create_connection((host, 6514), timeout=5) as raw:
    raw.sendall(sys.argv[5].encode() + b"\n")
    raw.settimeout(3)
    try:
        raw.recv(100)
    except OSError:
        pass
print(json.dumps(result))
"""


def test_the_log_host_refuses_senders_without_a_certificate_of_the_ca_and_plaintext():
    mark = f"plaintext-{uuid.uuid4().hex[:8]}"
    tls = "/etc/insightengine/rsyslog"
    proc = subprocess.run(
        ["docker", "exec", "-i", SENDERS[1], "python3", "-", LOGHOST, f"{tls}/ca.pem", f"{tls}/cert.pem", f"{tls}/key.pem",
         f"<13>1 2026-12-02T10:00:00Z {SENDERS[1]} test - - - {mark}"],
        input=CLIENT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    wanted = {"own_certificate": True, "no_certificate": False, "certificate_of_another_ca": False}
    assert result == {"relp": wanted, "syslog_tls": wanted}, result
    time.sleep(2)
    assert mark not in sh(LOGHOST, "cat /var/log/remote/*/messages.log /var/log/syslog").stdout


def test_drift_is_reported_with_its_control_and_repaired(hosts, converge_playbook):
    for sender in SENDERS:
        sh(sender, f"rm {FORWARD_CONF} && systemctl restart rsyslog")
    sh(LOGHOST, f"rm {LOGROTATE}")
    assert_drift_reported(converge_playbook, SENDERS, "monitoring", {"MON-02"}, {"MON-02"})
    assert_drift_reported(converge_playbook, [LOGHOST], "monitoring", {"MON-03"}, {"MON-03"})
    run = run_playbook(converge_playbook)
    assert run.rc == 0, run.stdout[-3000:]
    assert_converged(converge_playbook, hosts, "monitoring", CONTROLS)
    mark = f"repaired-{uuid.uuid4().hex[:8]}"
    for sender in SENDERS:
        sh(sender, f"logger -t mon-test '{mark}'")
    assert wait_for(lambda: all(mark in received(s) for s in SENDERS), timeout=30)


def test_waivers_hold_for_monitoring_controls(hosts, converge_playbook):
    for sender in SENDERS:
        sh(sender, f"sed -i 's/^SystemMaxUse=.*/SystemMaxUse=8G/' {JOURNALD_DROPIN} && systemctl restart systemd-journald")
        sh(sender, f"rm {FORWARD_CONF} && systemctl restart rsyslog")
    assert_waivers_hold(converge_playbook, SENDERS, "monitoring", {"MON-01", "MON-02"})
    # The scheduled audit keeps the waivers of the last run: a run without them is a change.
    back = run_playbook(converge_playbook)
    assert back.rc == 0, back.stdout[-3000:]
    for name in hosts:
        changed = back.changed_tasks(name)
        assert len(changed) == 1 and changed[0].endswith("the timers and the audit's arguments"), (name, changed)
    assert_converged(converge_playbook, hosts, "monitoring", CONTROLS)


def test_a_file_rsyslog_has_not_loaded_is_reported_and_loaded_by_the_next_run(hosts, converge_playbook):
    """The restart is derived from the host: a forwarding file newer than
    rsyslogd (as a run interrupted after the write leaves it) is drift, and
    the next run restarts rsyslog without rewriting anything."""
    sender = SENDERS[0]
    sh(sender, f"touch {FORWARD_CONF}")
    check = run_playbook(converge_playbook, check=True, limit=sender)
    finding = check.findings(sender, "monitoring")["MON-02"]
    assert finding["status"] == "fail" and FORWARD_CONF in finding["reason"], finding
    run = run_playbook(converge_playbook, limit=sender)
    assert run.rc == 0, run.stdout[-3000:]
    changed = [task.split(" : ", 1)[-1] for task in run.changed_tasks(sender)]
    assert changed == ["MON-02, MON-03 | Restart rsyslog (it runs an older configuration)"], changed
    assert_converged(converge_playbook, hosts, "monitoring", CONTROLS)


def test_a_certificate_issued_again_is_loaded_in_the_same_run(hosts, converge_playbook):
    """A sender's key and certificate gone: one run makes a new key, has the
    CA sign a new certificate and restarts rsyslog with it; verify passes in
    that run and lines arrive."""
    sender = SENDERS[0]
    sh(sender, "rm /etc/insightengine/rsyslog/key.pem /etc/insightengine/rsyslog/cert.pem")
    run = run_playbook(converge_playbook, limit=sender)
    assert run.rc == 0, run.failure_messages(sender) or run.stdout[-3000:]
    changed = [task.split(" : ", 1)[-1] for task in run.changed_tasks(sender)]
    assert "MON-02, MON-03 | Restart rsyslog (it runs an older configuration)" in changed, changed
    assert run.findings(sender, "monitoring")["MON-02"]["status"] == "pass"
    mark = f"reissued-{uuid.uuid4().hex[:8]}"
    sh(sender, f"logger -t mon-test '{mark}'")
    assert wait_for(lambda: mark in received(sender), timeout=30)
    assert_converged(converge_playbook, hosts, "monitoring", CONTROLS)


def test_a_run_limited_to_the_log_host_keeps_every_sender(hosts, converge_playbook):
    """The permitted senders come from the inventory, not from the hosts of
    one run: --limit to the log host changes nothing there."""
    run = run_playbook(converge_playbook, limit=LOGHOST)
    assert run.rc == 0 and run.changed(LOGHOST) == 0, run.changed_tasks(LOGHOST)
    assert_converged(converge_playbook, hosts, "monitoring", CONTROLS)


def test_bad_input_is_refused_before_anything_changes():
    cases = assert_bad_inputs_refused(
        "monitoring",
        SENDERS[1],
        ["ls -la --time-style=full-iso /etc/rsyslog.d /etc/systemd/journald.conf.d", "systemctl show -p MainPID rsyslog"],
        extra={"monitoring_log_host": LOGHOST},
    )
    assert cases >= 60, cases
