"""The os layer, measured by its effects on Debian 12 and 13.

Order matters: effect tests first, then check mode, drift and bad input
(each leaves the hosts converged), and last the SSH port moves over a real
SSH connection, which change the port for good.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import (
    OPERATOR_PASSWORD,
    assert_converged,
    assert_drift_reported,
    assert_refused_and_unchanged,
    host_fingerprint,
    run_playbook,
    ssh,
    ssh_inventory,
    tcp_open,
    wait_for,
)

PORT = 2222
WEAK = re.compile(r"sha1|md5|-cbc|ecdh-sha2|group14|group1-|umac-64|^ssh-rsa$")


def sshd_t(host) -> dict[str, str]:
    out = host.check_output("sshd -T")
    config: dict[str, str] = {}
    for line in out.splitlines():
        key, _sep, value = line.partition(" ")
        config.setdefault(key, value)
    return config


# --- effective state ----------------------------------------------------------


def test_sshd_effective_configuration(host):
    config = sshd_t(host)
    assert config["permitrootlogin"] == "no"
    assert config["passwordauthentication"] == "no"
    assert config["kbdinteractiveauthentication"] == "no"
    assert config["x11forwarding"] == "no"
    assert int(config["maxauthtries"]) <= 3
    for key in ("ciphers", "macs", "kexalgorithms", "hostkeyalgorithms"):
        for algorithm in config[key].split(","):
            assert not WEAK.search(algorithm), (key, algorithm)


def test_sshd_listens_only_on_the_configured_port(host):
    listeners = host.check_output("ss -Htlnp")
    ports = {int(m) for m in re.findall(r":(\d+)\s.*\"sshd\"", listeners)}
    assert ports == {PORT}


def test_firewall_is_active_and_denies_incoming(host):
    status = host.check_output("ufw status verbose")
    assert "Status: active" in status
    assert "deny (incoming)" in status
    for rule in (f"{PORT}/tcp", "80/tcp", "443/tcp"):
        assert re.search(rf"^{re.escape(rule)}\s+ALLOW IN\s+Anywhere", status, re.M), rule


def test_unattended_security_upgrades_are_on(host):
    dump = host.check_output("apt-config dump")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert "label=Debian-Security" in dump
    assert host.service("apt-daily-upgrade.timer").is_enabled


def test_core_dumps_are_off_for_services(host):
    assert host.check_output("systemctl show --property=DefaultLimitCORE") == "DefaultLimitCORE=0"


def test_weak_passwords_are_refused_and_strong_ones_accepted(host):
    host.run("id pwtest || useradd -m pwtest")
    weak = host.run("echo 'pwtest:short1' | chpasswd")
    assert weak.rc != 0
    assert "BAD PASSWORD" in weak.stderr
    strong = host.run("echo 'pwtest:Correct-Horse-Battery-42' | chpasswd")
    assert strong.rc == 0, strong.stderr


# --- real effects, from outside the containers ----------------------------------


def test_key_login_works_on_the_new_port(ips):
    for name, ip in ips.items():
        result = ssh(ip, PORT, "operator", "id -un")
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.strip() == "operator"


def test_password_login_is_refused(ips):
    for name, ip in ips.items():
        result = ssh(ip, PORT, "operator", password=OPERATOR_PASSWORD)
        assert result.returncode == 255, (name, result.stdout)
        # sshd offers nothing but public keys: the right password is never asked for.
        assert "Permission denied (publickey)" in result.stderr, (name, result.stderr)


def test_root_login_is_refused_even_with_an_authorized_key(ips):
    for name, ip in ips.items():
        result = ssh(ip, PORT, "root")
        assert result.returncode == 255, (name, result.stdout)
        assert "Permission denied" in result.stderr


def test_firewall_drops_a_port_it_does_not_list(host, ips):
    name = host.backend.get_hostname()
    ip = ips[name]
    host.run("systemd-run --unit=probe-8081 python3 -m http.server 8081")
    host.run("systemd-run --unit=probe-80 python3 -m http.server 80")
    try:
        assert wait_for(lambda: host.run("python3 -c \"import urllib.request as u; u.urlopen('http://127.0.0.1:8081')\"").rc == 0)
        assert wait_for(lambda: tcp_open(ip, 80)), "the listed port 80 should answer from outside"
        assert not tcp_open(ip, 8081), "port 8081 is not listed, yet it answered from outside"
        assert not tcp_open(ip, 22), "sshd moved to 2222; port 22 must be closed"
    finally:
        host.run("systemctl stop probe-8081 probe-80")


# --- check mode, drift, bad input -------------------------------------------------


def test_check_mode_after_converge_reports_nothing(hosts, converge_playbook):
    assert_converged(converge_playbook, hosts, "os", 19)


DRIFT = {
    # control: (how it drifts, behind the role's back)
    "OS-01": "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq telnet >/dev/null",
    "OS-02": "sed -i 's/^PermitRootLogin no/PermitRootLogin yes/' /etc/ssh/sshd_config.d/00-insightengine-hardening.conf",
    "OS-09": "ufw delete allow 443/tcp",
    "OS-12": "sed -i 's/hard    core    0/hard    core    unlimited/' /etc/security/limits.d/10-insightengine-hardening.conf",
    "OS-14": "echo 'PASS_MAX_DAYS 99999' >> /etc/login.defs",
    "OS-15": "chmod 0755 /etc/cron.daily",
    "OS-17": "echo 'Debian GNU/Linux' > /etc/issue.net",
}


def test_drift_is_reported_per_control_then_repaired(hosts, converge_playbook):
    for name in hosts:
        script = " && ".join(DRIFT.values())
        drift = subprocess.run(["docker", "exec", name, "sh", "-c", script], capture_output=True, text=True, check=False)
        assert drift.returncode == 0, (name, drift.stdout, drift.stderr)

    # --check names what it would change: a task for each drifted control.
    assert_drift_reported(converge_playbook, hosts, "os", set(DRIFT), set(DRIFT))

    repair = run_playbook(converge_playbook)
    assert repair.rc == 0, repair.stdout[-3000:]
    assert_converged(converge_playbook, hosts, "os", 19)


BAD_INPUT = [
    # (extra vars, the variable the error must name)
    ({"os_ssh_port": 70000}, "os_ssh_port"),
    ({"os_ssh_port": "ssh"}, "os_ssh_port"),
    ({"os_ssh_ciphers": ["aes128-cbc"]}, "os_ssh_ciphers"),
    ({"os_ssh_macs": ["hmac-sha1"]}, "os_ssh_macs"),
    ({"os_ssh_max_auth_tries": 0}, "os_ssh_max_auth_tries"),
    ({"os_firewall_ssh_from": []}, "os_firewall_ssh_from"),
    ({"os_firewall_allow": [{"port": 0, "proto": "tcp"}]}, "os_firewall_allow"),
    ({"os_umask": "020"}, "os_umask"),
    ({"os_sysctl_overrides": {"kernel.sysrq; reboot": 1}}, "os_sysctl_overrides"),
    # Lockout protection: the login user must keep a way in.
    ({"os_ssh_login_user": "operator", "os_ssh_allow_users": ["deploy"]}, "os_ssh_allow_users"),
    ({"os_ssh_login_user": "nokeys"}, "os_ssh_key_only_enabled"),
    ({"os_ssh_login_user": "root"}, "os_ssh_root_login_disabled_enabled"),
    ({"os_ssh_login_user": "ghost"}, "os_ssh_login_user"),
]
FINGERPRINT_COMMANDS = ["sshd -T", "ufw status verbose", "ss -Htln"]


@pytest.mark.parametrize(("extra_vars", "variable"), BAD_INPUT, ids=[v for _vars, v in BAD_INPUT])
def test_bad_input_fails_naming_the_variable_and_changes_nothing(hosts, converge_playbook, extra_vars, variable):
    assert_refused_and_unchanged(converge_playbook, hosts[0], extra_vars, variable, FINGERPRINT_COMMANDS)


# --- over a real SSH connection ------------------------------------------------------


SSH_LOCKOUTS = [
    # (extra vars, what the refusal must say)
    ({"os_ssh_allow_users": ["deploy"]}, "would exclude operator"),  # the login user is found, not named
    ({"os_firewall_ssh_from": ["10.99.0.0/16"]}, "os_firewall_ssh_from (10.99.0.0/16) leaves out every address"),
]


@pytest.mark.parametrize(("extra_vars", "message"), SSH_LOCKOUTS, ids=["allow-list", "firewall-sources"])
def test_changes_that_would_lock_out_the_ssh_session_are_refused(hosts, ips, converge_playbook, tmp_path, extra_vars, message):
    inventory = ssh_inventory(tmp_path / "ssh.yml", ips, PORT, os_ssh_port=PORT)
    before = {name: host_fingerprint(name, FINGERPRINT_COMMANDS) for name in hosts}
    run = run_playbook(converge_playbook, inventory=inventory, extra_vars=extra_vars)
    assert run.rc != 0
    for name in hosts:
        assert message in run.failure_messages(name), run.failure_messages(name)
        assert host_fingerprint(name, FINGERPRINT_COMMANDS) == before[name]


def test_port_move_over_ssh_proves_a_fresh_login_first(hosts, ips, converge_playbook, tmp_path):
    inventory = ssh_inventory(tmp_path / "ssh.yml", ips, PORT)
    run = run_playbook(converge_playbook, inventory=inventory, extra_vars={"os_ssh_port": 2200})
    assert run.rc == 0, run.stdout[-4000:]
    for name, ip in ips.items():
        assert any("Log in afresh on port 2200" in task for task, _result in run.results(name))
        assert ssh(ip, 2200, "operator", "id -un").stdout.strip() == "operator"
        assert not tcp_open(ip, PORT), f"{name}: the old port still answers"
        assert "fail" not in run.statuses(name, "os").values()


def test_port_move_that_cannot_log_in_rolls_back(hosts, ips, converge_playbook, tmp_path):
    # Something the role does not manage refuses every login on the new port.
    for name in hosts:
        subprocess.run(
            [
                "docker",
                "exec",
                name,
                "sh",
                "-c",
                "printf 'Match LocalPort 2201\\n    DenyUsers *\\n' > /etc/ssh/sshd_config.d/99-test-deny.conf",
            ],
            check=True,
        )
    inventory = ssh_inventory(tmp_path / "ssh.yml", ips, 2200)
    run = run_playbook(converge_playbook, inventory=inventory, extra_vars={"os_ssh_port": 2201, "os_ssh_port_change_timeout": 8})
    assert run.rc != 0
    for name, ip in ips.items():
        assert "put back on port(s) 2200" in run.failure_messages(name)
        assert ssh(ip, 2200, "operator", "id -un").stdout.strip() == "operator"
        assert not tcp_open(ip, 2201)
        dropin = subprocess.run(
            ["docker", "exec", name, "grep", "^Port", "/etc/ssh/sshd_config.d/00-insightengine-hardening.conf"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert dropin.split() == ["Port", "2200"]
        # The backup the move took is gone too (it is not a *.conf, but it is litter).
        listing = subprocess.run(
            ["docker", "exec", name, "ls", "/etc/ssh/sshd_config.d"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert sorted(listing) == ["00-insightengine-hardening.conf", "99-test-deny.conf"], listing
