"""The os layer, measured by its effects on Debian 12 and 13.

Order matters: effect tests first, then check mode, drift and bad input
(each leaves the hosts converged), and last the SSH port moves over a real
SSH connection, which change the port for good.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import (
    OPERATOR_PASSWORD,
    assert_bad_inputs_refused,
    assert_converged,
    assert_drift_reported,
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
    "OS-02": "sed -i 's/^PermitRootLogin no/PermitRootLogin yes/' /etc/ssh/sshd_config.d/00-insightengine-hardening.conf"
    " && systemctl reload ssh",
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


FINGERPRINT_COMMANDS = ["sshd -T", "ufw status verbose", "ss -Htln"]


def test_bad_input_fails_naming_the_variable_and_changes_nothing(hosts):
    """The validators' case tables and every option with a smuggled
    directive, on a real host: each stops the role before it changes
    anything, naming its variable (the lockout cases need what os_info read)."""
    for name in hosts:
        count = assert_bad_inputs_refused("os", name, FINGERPRINT_COMMANDS)
        assert count > 100, count


# --- what a client gets, after faults and behind the role's back -------------------


def test_a_match_block_that_allows_password_login_fails_os_03(hosts, ips, converge_playbook):
    # Someone else's drop-in lets operator in with a password from anywhere.
    block = "Match User operator\n    PasswordAuthentication yes\n    AuthenticationMethods password\n"
    for name in hosts:
        sh_in(name, f"printf '{block}' > /etc/ssh/sshd_config.d/50-match.conf && systemctl reload ssh")
    try:
        for ip in ips.values():
            # The finding is about something real: the password works.
            assert wait_for(lambda ip=ip: ssh(ip, PORT, "operator", "id -un", password=OPERATOR_PASSWORD).returncode == 0)
        check = run_playbook(converge_playbook, check=True)
        assert check.rc == 0
        for name in hosts:
            finding = next(f for f in check.verify(name, "os")["findings"] if f["id"] == "OS-03")
            assert finding["status"] == "fail", finding
            assert "Match User operator" in finding["actual"]["passwordauthentication"], finding["actual"]
            assert "is offered password" in finding["actual"]["client"], finding["actual"]
    finally:
        for name in hosts:
            subprocess.run(
                ["docker", "exec", name, "sh", "-c", "rm -f /etc/ssh/sshd_config.d/50-match.conf && systemctl reload ssh"],
                check=True,
            )


def test_a_run_killed_between_the_sshd_write_and_its_reload_is_repaired_by_the_next(hosts, ips, converge_playbook):
    dropin = "/etc/ssh/sshd_config.d/00-insightengine-hardening.conf"
    for name, ip in ips.items():
        # Behind the role's back: password login on, and sshd running it.
        sh_in(name, f"sed -i -e 's/^PasswordAuthentication no/PasswordAuthentication yes/' -e '/^AuthenticationMethods/d' "
                    f"{dropin}"
              " && systemctl reload ssh")  # fmt: skip
        assert wait_for(lambda ip=ip: ssh(ip, PORT, "operator", "id -un", password=OPERATOR_PASSWORD).returncode == 0)
        # The role rewrites the drop-in and is killed before its handler reloads sshd.
        run_playbook(converge_playbook, limit=name, interrupt_after="Write the sshd drop-in")
        assert "PasswordAuthentication no" in sh_in(name, f"cat {dropin}")
        assert ssh(ip, PORT, "operator", "id -un", password=OPERATOR_PASSWORD).returncode == 0, "sshd reloaded after all?"
        # What verify says now: the files are right, what a client gets is not.
        check = run_playbook(converge_playbook, check=True, limit=name)
        statuses = check.statuses(name, "os")
        assert statuses["OS-03"] == "fail", statuses
        finding = next(f for f in check.verify(name, "os")["findings"] if f["id"] == "OS-03")
        assert "reload pending" in finding["actual"]["client"], finding["actual"]
        assert "Reload sshd, which runs an older configuration" in " ".join(check.changed_tasks(name))
        # One normal run: sshd reloads because the host says so, not because of a lost notify.
        repair = run_playbook(converge_playbook, limit=name)
        assert repair.rc == 0, repair.stdout[-3000:]
        result = ssh(ip, PORT, "operator", password=OPERATOR_PASSWORD)
        assert result.returncode == 255 and "Permission denied (publickey)" in result.stderr, result.stderr
        assert ssh(ip, PORT, "operator", "id -un").stdout.strip() == "operator"
    assert_converged(converge_playbook, hosts, "os", 19)


def sh_in(name: str, script: str) -> str:
    proc = subprocess.run(["docker", "exec", name, "sh", "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, (name, script, proc.stdout, proc.stderr)
    return proc.stdout


# --- over a real SSH connection ------------------------------------------------------


SSH_LOCKOUTS = [
    # (extra vars, what the refusal must say)
    ({"os_ssh_allow_users": ["deploy"]}, "would exclude operator"),  # the login user is found, not named
    # the host part of AllowUsers, against the address Ansible connects from
    ({"os_ssh_allow_users": ["operator@10.99.0.0/16"]}, "would exclude operator from "),
    ({"os_ssh_allow_users": ["operator@*,!{gateway}"]}, "would exclude operator from "),
    ({"os_firewall_ssh_from": ["10.99.0.0/16"]}, "os_firewall_ssh_from (10.99.0.0/16) leaves out every address"),
    # a removal that takes sshd with it (openssh-server depends on openssh-client)
    ({"os_packages_absent": ["openssh-client"]}, "would also remove openssh-server"),
    (
        {"os_ssh_host_keys": ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/no_such_key"]},
        "/etc/ssh/no_such_key, which does not exist",
    ),
]


def gateway(ips: dict[str, str]) -> str:
    """The test runner's address as the containers see it (their network's gateway)."""
    ip = next(iter(ips.values()))
    return ip.rsplit(".", 1)[0] + ".1"


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    SSH_LOCKOUTS,
    ids=["allow-list", "host-part", "negated-host", "firewall-sources", "removal", "host-key"],
)
def test_changes_that_would_lock_out_the_ssh_session_are_refused(hosts, ips, converge_playbook, tmp_path, extra_vars, message):
    extra_vars = json.loads(json.dumps(extra_vars).replace("{gateway}", gateway(ips)))
    inventory = ssh_inventory(tmp_path / "ssh.yml", ips, PORT, os_ssh_port=PORT)
    before = {name: host_fingerprint(name, FINGERPRINT_COMMANDS) for name in hosts}
    run = run_playbook(converge_playbook, inventory=inventory, extra_vars=extra_vars)
    assert run.rc != 0
    for name, ip in ips.items():
        assert message in run.failure_messages(name), run.failure_messages(name)
        assert run.changed(name) == 0, run.changed_tasks(name)
        assert host_fingerprint(name, FINGERPRINT_COMMANDS) == before[name]
        assert ssh(ip, PORT, "operator", "id -un").stdout.strip() == "operator"  # the login still works


def test_with_the_port_managed_elsewhere_the_firewall_opens_the_port_sshd_listens_on(hosts, ips, converge_playbook, tmp_path):
    """os_ssh_port_enabled off: the role leaves the port its drop-in set, and
    a port another drop-in adds is opened in the firewall, not 22."""
    for name in hosts:
        sh_in(name, "echo 'Port 2202' > /etc/ssh/sshd_config.d/10-port.conf && systemctl reload ssh")
    try:
        inventory = ssh_inventory(tmp_path / "ssh.yml", ips, PORT)
        run = run_playbook(converge_playbook, inventory=inventory, extra_vars={"os_ssh_port_enabled": False})
        assert run.rc == 0, run.stdout[-3000:]
        for name, ip in ips.items():
            status = sh_in(name, "ufw status")
            assert re.search(r"^2202/tcp\s+ALLOW", status, re.M) and re.search(r"^2222/tcp\s+ALLOW", status, re.M), status
            assert not re.search(r"^22/tcp\s+ALLOW", status, re.M), status
            assert ssh(ip, 2202, "operator", "id -un").stdout.strip() == "operator"
            assert ssh(ip, PORT, "operator", "id -un").stdout.strip() == "operator"
            assert not tcp_open(ip, 22)
            assert run.statuses(name, "os")["OS-04"] == "disabled"
    finally:
        for name in hosts:
            sh_in(name, "rm -f /etc/ssh/sshd_config.d/10-port.conf && systemctl reload ssh")
    repair = run_playbook(converge_playbook)
    assert repair.rc == 0, repair.stdout[-3000:]
    for name in hosts:
        assert not re.search(r"^2202/tcp", sh_in(name, "ufw status"), re.M)


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
        sh_in(name, "printf 'Match LocalPort 2201\\n    DenyUsers *\\n' > /etc/ssh/sshd_config.d/99-test-deny.conf")
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
