"""The monitoring layer's alerting (MON-04) and bans (MON-05), measured
where a client sees them: alerts that reach the webhook receiver after real
failed SSH logins, 5xx responses, failed application logins and failed
PostgreSQL logins; the source banned; every endpoint answering on loopback
and refused from the network; drift reported with its control ID.

The webhook receiver is a container of its own (monitoring-webhook), which
is also the client that fails to log in.
"""

from __future__ import annotations

import re
import time

import pytest
import yaml
from conftest import assert_converged, container_ip, control_ids, run_playbook, sh, wait_for
from monitoring_scenario import (
    CONTROLS,
    ROLE_HOSTS,
    SENDERS,
    WEBHOOK,
    alert_arrives,
    received_alerts,
    webhook_clock,
)

PORTS = {"node": 9100, "mtail": 3903, "prometheus": 9090, "alertmanager": 9093, "alertmanager-cluster": 9094}
PG_EXPORTER = 9187
RULES = "/etc/prometheus/insightengine/alerts.rules.yml"
TESTS = "/etc/prometheus/insightengine/alerts.test.yml"
CHECK = "/usr/local/libexec/insightengine_monitoring_check.py"


@pytest.fixture(scope="session")
def hosts() -> list[str]:
    """The hosts the role configures (the webhook receiver is not one)."""
    return ROLE_HOSTS


def test_every_endpoint_answers_on_loopback_and_is_refused_from_the_network():
    for name in ROLE_HOSTS:
        # the PostgreSQL exporter where a PostgreSQL server is (Debian 13)
        ports = {**PORTS, **({"postgres": PG_EXPORTER} if name == SENDERS[1] else {})}
        for job, port in ports.items():
            if job != "alertmanager-cluster":
                get = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics').status)"
                local = sh(name, f'python3 -c "{get}"', check=False)
                assert local.stdout.strip() == "200", (name, job, local.stdout, local.stderr)
            remote = sh(WEBHOOK, f"curl -sS -m 3 -o /dev/null http://{name}:{port}/metrics", check=False)
            assert remote.returncode != 0, (name, job, "answers from the network")
            assert "refused" in remote.stderr.lower() or "couldn't connect" in remote.stderr.lower(), (name, job, remote.stderr)


def test_every_alert_has_a_promtool_case_and_a_rejected_file_never_lands():
    for name in ROLE_HOSTS:
        run = sh(name, f"promtool check rules {RULES} && promtool test rules {TESTS}")
        assert "SUCCESS" in run.stdout + run.stderr, run
        rules = yaml.safe_load(sh(name, f"cat {RULES}").stdout)
        tests = yaml.safe_load(sh(name, f"cat {TESTS}").stdout)
        alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
        tested = {case["alertname"] for t in tests["tests"] for case in t["alert_rule_test"]}
        assert len(alerts) >= 8 and alerts == tested, (alerts, tested)
    name = SENDERS[0]
    # promtool rejects it: the check that guards the file fails
    broken = sh(
        name,
        f"printf 'groups: [{{name: x, rules: [{{alert: A, expr: \"sum(\"}}]}}]\\n' > /tmp/bad.yml; "
        f"python3 {CHECK} rules /tmp/bad.yml {TESTS}",
        check=False,
    )
    assert broken.returncode != 0, broken
    # it parses, but an alert no longer fires where its case says it must
    weakened = sh(
        name,
        f"sed 's/>= 10\"$/>= 100\"/' {RULES} > /tmp/weak.yml; grep -q '>= 100\"' /tmp/weak.yml && "
        f"python3 {CHECK} rules /tmp/weak.yml {TESTS}",
        check=False,
    )
    assert weakened.returncode == 1 and "FAILED" in weakened.stdout + weakened.stderr, weakened


@pytest.mark.parametrize("target", SENDERS)
def test_ten_failed_ssh_logins_raise_an_alert_at_the_webhook_and_ban_the_source(target):
    since = webhook_clock()
    client = container_ip(WEBHOOK)
    options = "-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"
    try:
        for i in range(10):
            # Each attempt a refused login: one that did not reach authentication (a reset
            # connection) is no failed login, and is made again.
            for _try in range(3):
                attempt = sh(WEBHOOK, f"ssh {options} nosuchuser{i}@{target} true", check=False)
                if "Permission denied" in attempt.stderr:
                    break
            assert attempt.returncode == 255 and "Permission denied" in attempt.stderr, attempt
        assert alert_arrives("InsightEngineSSHFailedLoginBurst", target, since), received_alerts()[-5:]
        # fail2ban reads the journal on its own schedule: the ban may follow the alert by a few seconds.
        logged = f"journalctl -u ssh --since @{int(since) - 5} -o cat | grep -c 'Invalid user nosuchuser'"
        assert wait_for(lambda: client in sh(target, "fail2ban-client status sshd").stdout, timeout=30, step=1), (
            sh(target, "fail2ban-client status sshd").stdout,
            "sshd logged",
            sh(target, logged, check=False).stdout,
        )
        # the eleventh connection is refused by the ban, before sshd sees it
        eleventh = sh(WEBHOOK, f"ssh {options} nosuchuser@{target} true", check=False)
        assert eleventh.returncode == 255 and "refused" in eleventh.stderr.lower(), eleventh
        assert alert_arrives("InsightEngineFail2banBan", target, since), received_alerts()[-5:]
    finally:
        sh(target, "fail2ban-client unban --all", check=False)


def _ssh_failures_counted(target: str) -> tuple[int, int]:
    """(fail2ban's sshd jail's total failures, mtail's failed-login counter)."""
    status = sh(target, "fail2ban-client status sshd").stdout
    total = int(re.search(r"Total failed:\s*(\d+)", status).group(1))
    get = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{PORTS['mtail']}/metrics').read().decode())"
    metrics = sh(target, f'python3 -c "{get}"').stdout
    counted = re.search(r"^insightengine_ssh_failed_logins_total(?:\{[^}]*\})? (\S+)$", metrics, re.M)
    return total, int(float(counted.group(1))) if counted else 0


@pytest.mark.parametrize("target", SENDERS)
def test_sshd_failures_count_by_their_sender_not_by_process_metadata(target):
    """A failure logged by root as sshd from a process outside ssh.service (what journald
    records when sshd's process exited before its line was read: no unit, no command) is
    counted by fail2ban and by mtail; the same lines logged by an unprivileged user count
    nothing."""
    before = _ssh_failures_counted(target)
    lines = [
        "Invalid user spoof from 192.0.2.7 port 4242",
        "Connection closed by invalid user spoof 192.0.2.7 port 4242 [preauth]",
    ]
    log = "; ".join(f"logger -t sshd -p auth.info '{line}'" for line in lines)
    try:
        sh(target, f'runuser -u nobody -- sh -c "{log}" && sh -c "{log}"')
        # journal order: once root's lines are counted, nobody's were read first
        assert wait_for(lambda: _ssh_failures_counted(target) == (before[0] + 1, before[1] + 1), timeout=30, step=1), (
            before,
            _ssh_failures_counted(target),
        )
        time.sleep(2)
        assert _ssh_failures_counted(target) == (before[0] + 1, before[1] + 1)
    finally:
        sh(target, "fail2ban-client set sshd unbanip 192.0.2.7", check=False)


def test_a_burst_of_5xx_and_of_failed_application_logins_raise_their_alerts():
    target = SENDERS[0]  # nginx
    since = webhook_clock()
    sh(
        WEBHOOK,
        f"for i in $(seq 30); do curl -s -o /dev/null http://{target}/boom; done; "
        f"for i in $(seq 25); do curl -s -o /dev/null -X POST -H 'X-API-Key: wrong' http://{target}/login; done",
    )
    assert alert_arrives("InsightEngineHTTP5xxRate", target, since), received_alerts()[-5:]
    assert alert_arrives("InsightEngineAppLoginFailureBurst", target, since), received_alerts()[-5:]


def test_failed_postgresql_logins_refused_statements_and_ddl_by_the_app_role_raise_their_alerts():
    target = SENDERS[1]  # PostgreSQL
    since = webhook_clock()
    psql = f"psql -h {target} -U insightengine_app -d postgres -Atc"
    sh(WEBHOOK, f"for i in $(seq 6); do PGPASSWORD=wrong {psql} 'select 1' || true; done")
    sh(WEBHOOK, f"for i in $(seq 6); do PGPASSWORD=app-password-123 {psql} 'select * from pg_authid' || true; done")
    sh(WEBHOOK, f"PGPASSWORD=app-password-123 {psql} 'create temp table probe (x int)'")
    for alert in (
        "InsightEnginePostgresAuthFailures",
        "InsightEnginePostgresPermissionDenied",
        "InsightEnginePostgresDDLByAppRole",
    ):
        assert alert_arrives(alert, target, since), (alert, received_alerts()[-5:])


def _pg_up(target: str) -> str:
    get = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{PG_EXPORTER}/metrics').read().decode())"
    found = re.search(r"^pg_up(?:\{[^}]*\})? (\S+)$", sh(target, f'python3 -c "{get}"', check=False).stdout, re.M)
    return found.group(1) if found else ""


def test_the_postgres_exporter_logs_in_by_peer_and_its_alert_fires_when_the_server_is_down():
    """Where PostgreSQL runs, the exporter reaches it as the role the postgres layer makes
    (pg_monitor, no password, the local socket); stopped, the alert reaches the webhook.
    Where no PostgreSQL server is, no exporter is installed."""
    target, other = SENDERS[1], SENDERS[0]
    assert sh(other, "dpkg -s prometheus-postgres-exporter", check=False).returncode != 0
    env = sh(target, "cat /etc/default/prometheus-postgres-exporter").stdout
    assert "password" not in env.lower() and "host=/run/postgresql" in env, env
    assert wait_for(lambda: _pg_up(target) == "1", timeout=30, step=1), _pg_up(target)
    since = webhook_clock()
    sh(target, "systemctl stop postgresql")
    try:
        assert wait_for(lambda: _pg_up(target) == "0", timeout=30, step=1), _pg_up(target)
        assert alert_arrives("InsightEnginePostgresDown", target, since), received_alerts()[-5:]
    finally:
        sh(target, "systemctl start postgresql")
    assert wait_for(lambda: _pg_up(target) == "1", timeout=30, step=1), _pg_up(target)


def test_a_ban_holds_for_a_port_a_container_publishes_and_a_lost_jump_is_put_back(converge_playbook):
    """Docker forwards a published port by DNAT, past fail2ban's INPUT ban: the
    jail's chain in DOCKER-USER drops the banned source there too. The jumps
    flushed behind fail2ban's back are drift (MON-05), and the next run puts
    them back by restarting fail2ban."""
    target = SENDERS[0]  # nginx on 80, a container published on 443
    client = container_ip(WEBHOOK)
    page = f"curl -sS -m 3 http://{target}:443/"
    assert sh(WEBHOOK, page).stdout.strip() == "ok"
    sh(target, f"fail2ban-client set nginx-limit-req banip {client}")
    try:
        assert f"-A f2b-docker-limit-req -s {client}/32 -j DROP" in sh(target, "iptables -w -S f2b-docker-limit-req").stdout
        assert sh(WEBHOOK, page, check=False).returncode != 0, "the container answers a banned source"
    finally:
        sh(target, f"fail2ban-client set nginx-limit-req unbanip {client}")
    assert sh(WEBHOOK, page).stdout.strip() == "ok"

    jumps = [r for r in sh(target, "iptables -w -S DOCKER-USER").stdout.splitlines() if "-j f2b-docker-" in r]
    assert any("--ctorigdstport 443 -j f2b-docker-limit-req" in r for r in jumps), jumps
    for rule in jumps:
        sh(target, "iptables -w " + rule.replace("-A ", "-D ", 1))
    check = run_playbook(converge_playbook, check=True, limit=target)
    finding = check.findings(target, "monitoring")["MON-05"]
    lost = "DOCKER-USER sends port 443 to f2b-docker-limit-req nowhere"
    assert finding["status"] == "fail" and lost in finding["reason"], finding
    assert any("MON-05" in control_ids(task) for task in check.changed_tasks(target)), check.changed_tasks(target)
    run = run_playbook(converge_playbook, limit=target)
    assert run.rc == 0, run.stdout[-3000:]
    restored = [r for r in sh(target, "iptables -w -S DOCKER-USER").stdout.splitlines() if "-j f2b-docker-" in r]
    assert sorted(restored) == sorted(jumps), (restored, jumps)


def test_alerting_and_ban_drift_is_reported_with_its_control_and_repaired(converge_playbook):
    """An exporter rebound to all addresses (MON-04) on one target, the sshd
    jail stopped (MON-05) on the other; check mode names each, a run repairs both."""
    rebound, jailless = SENDERS
    sh(
        rebound,
        "sed -i 's/--web.listen-address=[^ \"]*/--web.listen-address=0.0.0.0:9100/' /etc/default/prometheus-node-exporter"
        " && systemctl restart prometheus-node-exporter",
    )
    sh(jailless, "fail2ban-client stop sshd")
    assert wait_for(lambda: sh(WEBHOOK, f"curl -s -m 3 -o /dev/null http://{rebound}:9100/metrics", check=False).returncode == 0)
    check = run_playbook(converge_playbook, check=True)
    assert check.rc == 0, check.stdout[-3000:]
    exporter = check.findings(rebound, "monitoring")["MON-04"]
    assert exporter["status"] == "fail", exporter
    assert "port 9100) listens on [::]:9100: open beyond loopback" in exporter["reason"], exporter
    jail = check.findings(jailless, "monitoring")["MON-05"]
    assert jail["status"] == "fail" and "sshd is not running" in jail["reason"], jail
    assert {c for c, s in check.statuses(rebound, "monitoring").items() if s == "fail"} == {"MON-04"}
    assert {c for c, s in check.statuses(jailless, "monitoring").items() if s == "fail"} == {"MON-05"}
    assert any("MON-04" in control_ids(task) for task in check.changed_tasks(rebound)), check.changed_tasks(rebound)
    assert any("MON-05" in control_ids(task) for task in check.changed_tasks(jailless)), check.changed_tasks(jailless)
    run = run_playbook(converge_playbook)
    assert run.rc == 0, run.stdout[-3000:]
    assert sh(WEBHOOK, f"curl -s -m 3 -o /dev/null http://{rebound}:9100/metrics", check=False).returncode != 0
    assert "sshd" in sh(jailless, "fail2ban-client status").stdout
    assert_converged(converge_playbook, ROLE_HOSTS, "monitoring", CONTROLS)


def test_a_rules_file_newer_than_prometheus_is_loaded_by_the_next_run(converge_playbook):
    """Restarts are derived from the host: a file Prometheus has not loaded
    (as an interrupted run leaves it) is drift, and the next run restarts it."""
    target = SENDERS[1]
    before = sh(target, "systemctl show -p MainPID --value prometheus").stdout.strip()
    time.sleep(1)
    sh(target, f"touch {RULES}")
    check = run_playbook(converge_playbook, check=True, limit=target)
    finding = check.findings(target, "monitoring")["MON-04"]
    assert finding["status"] == "fail" and RULES in finding["reason"], finding
    run = run_playbook(converge_playbook, limit=target)
    assert run.rc == 0 and run.changed(target) == 1, run.changed_tasks(target)
    assert sh(target, "systemctl show -p MainPID --value prometheus").stdout.strip() != before
    assert_converged(converge_playbook, ROLE_HOSTS, "monitoring", CONTROLS)
