"""The docker layer, measured as a client and as the engine's own users see
it, on Debian 12 (docker.io 20.10, installed before the role and kept) and
13 (docker.io 26.1, installed by the role), each with a real engine inside.

The client is a throwaway container on the scenario's network running
probe.py (the test's own socket code, not the verify module's), so a bug in
one cannot hide in the other.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from conftest import (
    EPHEMERAL_DIR,
    SCENARIO_DIR,
    assert_bad_inputs_refused,
    assert_converged,
    assert_drift_reported,
    assert_waivers_hold,
    run_playbook,
    sh,
    wait_for,
)

CONTROLS = 7
DAEMON_JSON = "/etc/docker/daemon.json"
# What another host on the segment may reach after the role: 8082 is in the
# allow list, 8081 is not, 8083 is allowed but published on 127.0.0.1 only.
HELD = {"8081": False, "8082": True, "127.0.0.1:8083": False}
OPEN = {"8081": True, "8082": True, "127.0.0.1:8083": True}


def probe(target: str, *specs: str) -> dict[str, bool]:
    """Which of the target's ports a neighbour on the segment reaches."""
    cmd = [
        "docker", "run", "--rm", "-i", "--network=insightengine-docker", "--cap-add=NET_ADMIN",
        "--sysctl=net.ipv4.conf.all.route_localnet=1", "--sysctl=net.ipv4.conf.eth0.route_localnet=1",
        "insightengine-hardening/debian:13", "python3", "-", target, *specs,
    ]  # fmt: skip
    proc = subprocess.run(cmd, input=(SCENARIO_DIR / "probe.py").read_text(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def reach(target: str) -> dict[str, bool]:
    return probe(target, "8081", "8082", "127.0.0.1:8083")


def docker_json(name: str, *args: str):
    return json.loads(sh(name, "docker " + " ".join(args)).stdout)


@pytest.fixture(scope="module", autouse=True)
def published(hosts):
    """The same three containers on both hosts (Debian 12's came from prepare.yml)."""
    for name in hosts:
        sh(
            name,
            "molecule-web-image >/dev/null; "
            "for spec in 8081:0.0.0.0:8081 8082:0.0.0.0:8082 8083:127.0.0.1:8083; do n=${spec%%:*}; "
            'docker inspect "web$n" >/dev/null 2>&1 '
            '|| docker run -d --restart always --name "web$n" -p "${spec#*:}:8080" '
            "insightengine-test/web >/dev/null; done",
        )
    return hosts


def test_check_mode_after_converge_reports_nothing(hosts, converge_playbook):
    assert_converged(converge_playbook, hosts, "docker", CONTROLS)


def test_the_engine_that_was_there_is_kept_with_the_keys_others_set():
    dpkg = sh("docker-debian12", "dpkg-query -W -f='${Version}' docker.io").stdout
    assert dpkg.startswith("20.10"), dpkg
    document = json.loads(sh("docker-debian12", f"cat {DAEMON_JSON}").stdout)
    assert document["labels"] == ["owner=ops"] and document["max-concurrent-downloads"] == 2, document
    # dockerd runs with them: the engine's labels, as docker info reports them
    assert "owner=ops" in docker_json("docker-debian12", "info", "--format", "'{{json .Labels}}'")
    assert sh("docker-debian12", "docker-compose version --short").stdout.startswith("1.29")


def test_the_role_installed_the_engine_and_compose_v2_where_there_was_none():
    packages = sh("docker-debian13", "dpkg-query -W -f='${Package} ${Version}\\n' docker.io docker-cli docker-compose").stdout
    assert "docker.io 26." in packages and "docker-cli" in packages, packages
    assert sh("docker-debian13", "docker compose version --short").stdout.strip().lstrip("v").startswith("2.")


@pytest.mark.parametrize("name", ["docker-debian12", "docker-debian13"])
def test_containers_get_the_daemons_hardened_defaults(name):
    info = docker_json(name, "info", "--format", "'{{json .}}'")
    assert info["LiveRestoreEnabled"] is True and info["LoggingDriver"] == "journald" and info["Debug"] is False
    options = docker_json(name, "network", "inspect", "bridge", "--format", "'{{json .Options}}'")
    assert options["com.docker.network.bridge.enable_icc"] == "false"
    assert options["com.docker.network.bridge.host_binding_ipv4"] == "127.0.0.1"
    # In a fresh container: no new privileges, the default ulimits.
    out = sh(
        name,
        "docker run --rm insightengine-test/web /bin/sh -c "
        "'/bin/busybox grep NoNewPrivs /proc/self/status; ulimit -Sn; ulimit -Hn'",
    ).stdout
    assert out.split() == ["NoNewPrivs:", "1", "4096", "16384"], out
    # userland-proxy false: published ports without a docker-proxy process
    assert sh(name, "pgrep -x docker-proxy", check=False).returncode == 1
    # "-p PORT" alone publishes on 127.0.0.1
    sh(name, "docker rm -f web8085 >/dev/null 2>&1; docker run -d --name web8085 -p 8085:8080 insightengine-test/web >/dev/null")
    try:
        assert sh(name, "docker port web8085 8080").stdout.split() == ["127.0.0.1:8085"]
        assert probe(name, "8085") == {"8085": False}
    finally:
        sh(name, "docker rm -f web8085 >/dev/null")


@pytest.mark.parametrize("name", ["docker-debian12", "docker-debian13"])
def test_container_logs_reach_the_journal(name):
    marker = f"insightengine-log-{time.time_ns()}"
    sh(name, f"docker run --rm --name logprobe insightengine-test/web /bin/busybox echo {marker}")
    assert wait_for(lambda: marker in sh(name, "journalctl CONTAINER_NAME=logprobe -o cat --no-pager", check=False).stdout, 10)


def test_a_port_ufw_denies_answered_before_and_is_held_after(hosts):
    before = json.loads((EPHEMERAL_DIR / "before-docker-debian12.json").read_text())
    assert before == OPEN, f"the premise: with UFW denying 8081, Docker's DNAT let it through before the role: {before}"
    for name in hosts:
        assert reach(name) == HELD, name
        # UFW's own rules and forwarding stay as they were
        status = sh(name, "ufw status verbose").stdout
        assert "deny (incoming)" in status and "8082/tcp" in status and "8081" not in status, status
        assert sh(name, "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"


@pytest.mark.parametrize("name", ["docker-debian12", "docker-debian13"])
def test_socket_and_engine_files(name):
    assert sh(name, "stat -c '%U:%G %a' /run/docker.sock").stdout.strip() == "root:docker 660"
    assert sh(name, f"stat -c '%U:%G %a' {DAEMON_JSON} /etc/docker").stdout.split("\n")[:2] == ["root:root 644", "root:root 755"]
    assert "deploy" in sh(name, "getent group docker").stdout


def test_drift_is_reported_with_its_control_and_repaired(hosts, converge_playbook):
    unit = {n: sh(n, "systemctl show -P FragmentPath docker.service").stdout.strip() for n in hosts}
    for name in hosts:
        sh(
            name,
            f"python3 -c \"import json; p='{DAEMON_JSON}'; d=json.load(open(p)); d['icc']=True; json.dump(d, open(p, 'w'))\"; "
            f"chmod 0666 {unit[name]} /run/docker.sock; "
            "iptables -D DOCKER-USER -j INSIGHTENGINE-DOCKER; iptables -t raw -D PREROUTING -j INSIGHTENGINE-LOOPBACK",
        )
        # the drift is real: a neighbour reaches both ports again
        assert reach(name) == OPEN, name
    assert_drift_reported(
        converge_playbook,
        hosts,
        "docker",
        {"DKR-02", "DKR-03", "DKR-05", "DKR-06", "DKR-07"},
        {"DKR-02", "DKR-03", "DKR-05", "DKR-06", "DKR-07"},
    )
    run = run_playbook(converge_playbook)
    assert run.rc == 0, run.stdout[-3000:]
    for name in hosts:
        assert reach(name) == HELD, name
        assert sh(name, f"stat -c %a {unit[name]}").stdout.strip() == "644"
        assert sh(name, "stat -c '%U:%G %a' /run/docker.sock").stdout.strip() == "root:docker 660"
        options = docker_json(name, "network", "inspect", "bridge", "--format", "'{{json .Options}}'")
        assert options["com.docker.network.bridge.enable_icc"] == "false"


def test_the_firewall_holds_after_a_reboot(hosts, converge_playbook):
    """A restarted container boots systemd again in a fresh network
    namespace (no rules at all): the role's unit loads the chains before
    dockerd starts the containers again."""
    for name in hosts:
        subprocess.run(["docker", "restart", "--time", "5", name], check=True, capture_output=True)
    for name in hosts:
        assert wait_for(lambda name=name: sh(name, "systemctl is-system-running --wait", check=False).stdout.strip()
                        in ("running", "degraded"), 60), name  # fmt: skip
        assert wait_for(lambda name=name: reach(name) == HELD, 40), (name, reach(name))
    check = run_playbook(converge_playbook, check=True)
    assert check.rc == 0 and all(check.changed(name) == 0 for name in hosts), {n: check.changed_tasks(n) for n in hosts}


def test_a_member_outside_the_allow_list_fails_dkr_04_and_is_named(hosts, converge_playbook):
    for name in hosts:
        sh(name, "id intruder >/dev/null 2>&1 || useradd intruder; gpasswd -a intruder docker >/dev/null")
    try:
        check = run_playbook(converge_playbook, check=True)
        assert check.rc == 0
        run = run_playbook(converge_playbook)
        assert run.rc != 0, "a member outside docker_group_members must fail the run"
        for name in hosts:
            finding = run.findings(name, "docker")["DKR-04"]
            assert finding["status"] == "fail" and finding["actual"]["outside"] == ["intruder"], finding
            assert check.statuses(name, "docker")["DKR-04"] == "fail"
            assert "intruder" in sh(name, "getent group docker").stdout  # reported, not removed
    finally:
        for name in hosts:
            sh(name, "gpasswd -d intruder docker >/dev/null")


def test_waivers_hold_for_docker_controls(hosts, converge_playbook):
    for name in hosts:
        sh(
            name,
            f"python3 -c \"import json; p='{DAEMON_JSON}'; d=json.load(open(p)); d['live-restore']=False; "
            "json.dump(d, open(p, 'w'))\"; "
            "iptables -F INSIGHTENGINE-DOCKER",  # the role's DOCKER-USER rules flushed
        )
        assert reach(name)["8081"] is True, name
    assert_waivers_hold(converge_playbook, hosts, "docker", {"DKR-02", "DKR-06"})
    for name in hosts:
        assert reach(name) == HELD


def test_an_interrupted_run_restarts_dockerd_on_the_next(hosts, converge_playbook):
    """Killed right after daemon.json landed, before dockerd restarted: the
    next run sees the file is newer than dockerd and restarts it."""
    for name in hosts:
        sh(
            name,
            f"python3 -c \"import json; p='{DAEMON_JSON}'; d=json.load(open(p)); d['live-restore']=False; "
            "json.dump(d, open(p, 'w'))\"",
        )
        sh(name, "systemctl restart docker")  # dockerd now runs without live-restore
    run_playbook(converge_playbook, interrupt_after="Write daemon.json")
    for name in hosts:
        assert json.loads(sh(name, f"cat {DAEMON_JSON}").stdout)["live-restore"] is True  # the file landed
        assert docker_json(name, "info", "--format", "'{{json .LiveRestoreEnabled}}'") is False  # dockerd did not restart
    run = run_playbook(converge_playbook)
    assert run.rc == 0, run.stdout[-3000:]
    for name in hosts:
        assert any("Restart dockerd" in task for task in run.changed_tasks(name)), run.changed_tasks(name)
        assert docker_json(name, "info", "--format", "'{{json .LiveRestoreEnabled}}'") is True
        assert wait_for(lambda name=name: reach(name) == HELD, 20)  # the containers came back (restart policy), held
    again = run_playbook(converge_playbook)
    assert all(again.changed(name) == 0 for name in hosts), {n: again.changed_tasks(n) for n in hosts}


def test_a_daemon_json_dockerd_will_not_start_with_is_rolled_back(hosts, converge_playbook):
    """It validates (keys, types, JSON; dockerd --validate on 13) but dockerd
    cannot start with it: the previous file is back, dockerd runs with it,
    and live-restore kept the containers running throughout."""
    before = {}
    for name in hosts:
        before[name] = (
            sh(name, f"cat {DAEMON_JSON}").stdout,
            sh(name, "docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' web8082").stdout,
        )
        assert before[name][1].startswith("true"), name
    run = run_playbook(converge_playbook, extra_vars={"docker_daemon_extra": {"storage-driver": "btrfs"}})
    assert run.rc != 0
    for name in hosts:
        message = run.failure_messages(name)
        assert "dockerd did not start with the new daemon.json" in message and "graphdriver" in message, (
            message
        )  # dockerd's words
        assert sh(name, f"cat {DAEMON_JSON}").stdout == before[name][0]
        assert sh(name, "systemctl is-active docker").stdout.strip() == "active"
        running = sh(name, "docker inspect -f '{{.State.Running}} {{.State.StartedAt}}' web8082").stdout
        assert running == before[name][1], f"{name}: the container stopped or restarted"
        assert sh(name, "ls /etc/docker").stdout.split().count("daemon.json") == 1
        assert reach(name) == HELD, name
    again = run_playbook(converge_playbook)
    assert all(again.changed(name) == 0 for name in hosts), {n: again.changed_tasks(n) for n in hosts}


def test_dockerd_validate_refuses_a_file_before_it_lands():
    """Debian 13's dockerd --validate judges the whole candidate, keys others
    set included (an MTU below zero that someone left in the file)."""
    name = "docker-debian13"
    original = sh(name, f"cat {DAEMON_JSON}").stdout
    broken = {**json.loads(original), "mtu": -5, "icc": True}
    sh(name, f"cat > {DAEMON_JSON} <<'EOF'\n{json.dumps(broken)}\nEOF")
    try:
        run = run_playbook(SCENARIO_DIR / "converge.yml", limit=name)
        assert run.rc != 0
        message = run.failure_messages(name)
        assert "refused before it landed" in message and "invalid default MTU" in message, message
        assert json.loads(sh(name, f"cat {DAEMON_JSON}").stdout) == broken
        assert sh(name, "systemctl is-active docker").stdout.strip() == "active"
    finally:
        sh(name, f"cat > {DAEMON_JSON} <<'EOF'\n{original}EOF")
    run = run_playbook(SCENARIO_DIR / "converge.yml", limit=name)
    assert run.rc == 0, run.stdout[-3000:]


def test_bad_input_is_refused_before_anything_changes():
    cases = assert_bad_inputs_refused(
        "docker",
        "docker-debian13",
        ["iptables -S", "iptables -t raw -S", "docker info --format '{{json .Labels}}'", "getent group docker"],
    )
    assert cases >= 50, cases
