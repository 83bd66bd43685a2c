"""Parsers and plans of module_utils/_os.py, on real outputs of Debian 12 and 13."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _host, _os, _ssh, _ufw

FIXTURES = Path(__file__).parent / "fixtures"
RELEASES = ["debian12", "debian13"]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize("release", RELEASES)
def test_parse_sshd_t_stock(release):
    config = _ssh.parse_sshd_t(fixture(f"sshd_T_stock_{release}.txt"))
    assert config["port"] == ["22"]
    assert _ssh.sshd_value(config, "passwordauthentication") == "yes"
    assert _ssh.sshd_value(config, "permitrootlogin") == "without-password"
    assert len(config["hostkey"]) == 3  # repeated keys accumulate
    assert _ssh.sshd_words(config, "acceptenv")[:2] == ["LANG", "LC_*"]


@pytest.mark.parametrize("release", RELEASES)
def test_stock_sshd_offers_weak_algorithms_and_hardened_does_not(release):
    stock = _ssh.parse_sshd_t(fixture(f"sshd_T_stock_{release}.txt"))
    hardened = _ssh.parse_sshd_t(fixture(f"sshd_T_hardened_{release}.txt"))
    keys = ("kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms")
    stock_weak = {a for k in keys for a in _ssh.weak_algorithms(_ssh.sshd_list(stock, k))}
    assert {"ecdh-sha2-nistp256", "umac-64-etm@openssh.com"} <= stock_weak
    assert [a for k in keys for a in _ssh.weak_algorithms(_ssh.sshd_list(hardened, k))] == []
    assert hardened["port"] == ["2222"]
    assert _ssh.sshd_value(hardened, "permitrootlogin") == "no"
    assert _ssh.sshd_value(hardened, "banner") == "/etc/issue.net"


def test_mlkem_is_offered_where_openssh_knows_it():
    kex12 = _ssh.sshd_list(_ssh.parse_sshd_t(fixture("sshd_T_hardened_debian12.txt")), "kexalgorithms")
    kex13 = _ssh.sshd_list(_ssh.parse_sshd_t(fixture("sshd_T_hardened_debian13.txt")), "kexalgorithms")
    assert "mlkem768x25519-sha256" not in kex12  # OpenSSH 9.2
    assert kex13[0] == "mlkem768x25519-sha256"  # OpenSSH 10.0


@pytest.mark.parametrize(
    ("algorithm", "weak"),
    [
        ("hmac-sha1", True),
        ("hmac-sha2-256-etm@openssh.com", False),
        ("aes128-cbc", True),
        ("aes128-ctr", False),
        ("ssh-rsa", True),
        ("rsa-sha2-512", False),
        ("diffie-hellman-group14-sha256", True),
        ("diffie-hellman-group16-sha512", False),
        ("umac-64-etm@openssh.com", True),
        ("umac-128-etm@openssh.com", False),
        ("hmac-sha2-256-96", True),
    ],
)
def test_weak_algorithms(algorithm, weak):
    assert bool(_ssh.weak_algorithms([algorithm])) is weak


@pytest.mark.parametrize("release", RELEASES)
def test_parse_ufw_status_hardened(release):
    status = _ufw.parse_ufw_status(fixture(f"ufw_status_verbose_{release}.txt"))
    assert status["active"] is True
    assert status["defaults"] == {"incoming": "deny", "outgoing": "allow", "routed": "deny"}
    assert status["logging"] == "on (low)"
    ipv4 = [r for r in status["rules"] if not r["v6"]]
    assert [(r["port"], r["proto"], r["action"], r["from"]) for r in ipv4] == [
        ("2222", "tcp", "allow", "any"),
        ("80", "tcp", "allow", "any"),
        ("443", "tcp", "allow", "any"),
    ]
    assert ipv4[0]["comment"] == "insightengine.hardening os: ssh"
    assert _ufw.ufw_allows(status["rules"], 443, "tcp")
    assert not _ufw.ufw_allows(status["rules"], 22, "tcp")


def test_parse_ufw_status_mixed_rules():
    status = _ufw.parse_ufw_status(fixture("ufw_status_verbose_mixed_debian13.txt"))
    rules = {r["port"]: r for r in status["rules"] if not r["v6"]}
    assert rules["5432"]["from"] == "10.0.0.0/8"
    assert rules["5432"]["comment"] is None
    assert rules["22"]["action"] == "limit"
    assert _ufw.ufw_allows(status["rules"], 22, "tcp")  # limit still allows
    assert _ufw.ufw_allows(status["rules"], 5432, "tcp", "10.0.0.0/8")
    assert not _ufw.ufw_allows(status["rules"], 5432, "tcp", "192.0.2.0/24")


def test_parse_ufw_status_inactive():
    assert _ufw.parse_ufw_status("Status: inactive\n") == {"active": False, "logging": None, "defaults": {}, "rules": []}


def test_parse_ufw_user_rules_decodes_comments_and_skips_route_rules():
    rules = _ufw.parse_ufw_user_rules(fixture("ufw_user_rules_mixed_debian13.txt"))
    assert [(r["action"], r["port"], r["from"], r["comment"]) for r in rules] == [
        ("allow", "2222", "any", "insightengine.hardening os: ssh"),
        ("allow", "80", "any", "insightengine.hardening os"),
        ("allow", "443", "any", "insightengine.hardening os"),
        ("allow", "5432", "10.0.0.0/8", None),
        ("limit", "22", "any", None),
    ]


def test_ufw_plan_adds_what_is_missing_and_removes_only_its_own_stale_rules():
    rules = _ufw.parse_ufw_user_rules(fixture("ufw_user_rules_mixed_debian13.txt"))
    wanted = [
        {"port": "2200", "proto": "tcp", "from": "any", "rule": "allow", "comment": "insightengine.hardening os: ssh"},
        {"port": "80", "proto": "tcp", "from": "any", "rule": "allow", "comment": "insightengine.hardening os"},
    ]
    plan = _ufw.ufw_plan(rules, wanted, "insightengine.hardening os")
    assert [r["port"] for r in plan["missing"]] == ["2200"]
    # 2222 and 443 carry the role's comment; 5432 and 22 were added by someone else.
    assert sorted(r["port"] for r in plan["stale"]) == ["2222", "443"]


@pytest.mark.parametrize("release", RELEASES)
def test_parse_apt_config(release):
    apt = _os.parse_apt_config(fixture(f"apt_config_dump_{release}.txt"))
    assert _os.apt_true(apt, "APT::Periodic::Unattended-Upgrade") is True
    assert _os.apt_true(apt, "APT::Install-Recommends") is False
    assert _os.apt_true(apt, "APT::Does-Not-Exist") is None
    # #clear in the role's drop-in leaves only its security origins.
    assert all("Security" in o or "security" in o for o in apt["Unattended-Upgrade::Origins-Pattern"])


@pytest.mark.parametrize("release", RELEASES)
def test_parse_login_defs_real_file(release):
    defs = _os.parse_login_defs(fixture(f"login_defs_{release}.txt"))
    assert defs["UMASK"] == "027"
    assert defs["PASS_MAX_DAYS"] == "365"


def test_parse_login_defs_last_value_wins():
    assert _os.parse_login_defs("PASS_MAX_DAYS 90\n# PASS_MAX_DAYS 1\nPASS_MAX_DAYS\t99999\n") == {"PASS_MAX_DAYS": "99999"}


def test_parse_limits_last_hard_value_per_domain_wins():
    limits = _os.parse_limits(
        [
            "*  hard core 0\nroot hard core 0\n@staff soft core unlimited\n",
            "# later file\n*  -    core unlimited  # both soft and hard\n",
        ]
    )
    assert limits == {"*": "unlimited", "root": "0"}


def test_pam_has_module_ignores_comments():
    assert _os.pam_has_module("session optional pam_umask.so\n", "pam_umask.so")
    assert not _os.pam_has_module("# session optional pam_umask.so\n", "pam_umask.so")


@pytest.mark.parametrize("release", RELEASES)
def test_parse_ss_sockets(release):
    assert sorted({port for _address, port in _os.parse_ss_sockets(fixture(f"ss_tlnp_{release}.txt"), ["sshd"])}) == [2222]


@pytest.mark.parametrize("release", RELEASES)
def test_parse_dpkg_installed(release):
    installed = _host.parse_dpkg_installed(fixture(f"dpkg_query_{release}.txt"))
    assert {"openssh-server", "ufw", "unattended-upgrades"} <= installed
    assert "telnet" not in installed


def test_parse_moduli_min_bits():
    text = "# Time Type Tests Tries Size Generator Modulus\n20230101 2 6 100 2047 2 FFFF\n20230101 2 6 100 3071 5 FFFF\n"
    assert _ssh.parse_moduli_min_bits(text) == 2047
    assert _ssh.parse_moduli_min_bits("") is None


def test_authorized_keys():
    text = '# comment\n\nssh-ed25519 AAAAC3Nza op@laptop\ncommand="x" ssh-rsa AAAAB3 deploy\nnot a key\n'
    assert _ssh.count_authorized_keys(text) == 2
    assert _ssh.expand_authorized_keys_files([".ssh/authorized_keys", "/etc/ssh/keys/%u", "%h/k%%"], "op", "/home/op", 1000) == [
        "/home/op/.ssh/authorized_keys",
        "/etc/ssh/keys/op",
        "/home/op/k%",
    ]


@pytest.mark.parametrize(
    ("patterns", "user", "allowed"),
    [
        (["deploy"], "deploy", True),
        (["deploy"], "operator", False),
        (["op*"], "operator", True),
        (["operator@10.0.0.*"], "operator", True),
        (["?perator"], "operator", True),
    ],
)
def test_user_matches(patterns, user, allowed):
    # AllowUsers' user part, as sshd_access reads it when no client address is known.
    assert _ssh.sshd_access(user, [], None, allow_users=patterns)["allowed"] is allowed


@pytest.mark.parametrize(
    ("key", "namespaced"),
    [
        ("net.ipv4.tcp_syncookies", True),
        ("net.ipv6.conf.all.accept_redirects", True),
        ("net.core.bpf_jit_harden", False),
        ("kernel.kptr_restrict", False),
        ("fs.protected_fifos", False),
    ],
)
def test_sysctl_namespaced(key, namespaced):
    assert _os.sysctl_namespaced(key) is namespaced
    assert _os.sysctl_path(key).startswith("/proc/sys/")


def test_permission_problems():
    item = {"path": "/etc/crontab", "mode": "0600", "owner": "root", "group": "root"}
    assert _os.permission_problems({"exists": True, "mode": "0600", "owner": "root", "group": "root"}, item) == []
    assert _os.permission_problems({"exists": True, "mode": "0400", "owner": "root", "group": "root"}, item) == []
    assert _os.permission_problems({"exists": True, "mode": "0644", "owner": "root", "group": "crontab"}, item) == [
        "mode 0644 (at most 0600)",
        "group crontab (want root)",
    ]
    assert _os.permission_problems({"exists": False}, item) == []


class FakeReader(_os.OsReader):
    """A reader whose /proc/sys is a dict."""

    def __init__(self, sysctls: dict[str, dict]):
        super().__init__(run=lambda cmd: (1, "", ""), which=lambda name: None)
        self.sysctls = sysctls

    def sysctl(self, key):
        state = self.sysctls.get(key, {"exists": False})
        return {"value": None, "writable": False, **state, "namespaced": _os.sysctl_namespaced(key)}


def test_sysctl_plan_in_a_container_and_on_a_vm():
    reader = FakeReader(
        {
            "net.ipv4.tcp_syncookies": {"exists": True, "value": "1", "writable": False},
            "kernel.kptr_restrict": {"exists": True, "value": "0", "writable": False},
            "net.ipv4.conf.all.rp_filter": {"exists": True, "value": "2", "writable": True},
        }
    )
    wanted = {
        "net.ipv4.tcp_syncookies": 1,
        "kernel.kptr_restrict": 2,
        "net.ipv4.conf.all.rp_filter": 1,
        "kernel.yama.ptrace_scope": 1,
    }
    container = _os.sysctl_plan(reader, wanted, "docker")
    assert container["drift"] == {"net.ipv4.conf.all.rp_filter": "1"}
    assert container["not_applicable"] == {
        "kernel.kptr_restrict": "owned by the host kernel (docker container)",
        "kernel.yama.ptrace_scope": "not supported by this kernel",
    }
    # read-only, but the runtime set the wanted value: that is the effective state
    assert container["values"]["net.ipv4.tcp_syncookies"] == "1"
    vm = _os.sysctl_plan(reader, wanted, None)
    assert vm["drift"] == {"kernel.kptr_restrict": "2", "net.ipv4.conf.all.rp_filter": "1"}
    assert vm["not_applicable"] == {"kernel.yama.ptrace_scope": "not supported by this kernel"}
    reader.sysctls["net.ipv4.tcp_syncookies"]["value"] = "0"
    assert _os.sysctl_plan(reader, wanted, "docker")["not_applicable"]["net.ipv4.tcp_syncookies"] == (
        "/proc/sys is read-only in this docker container (set it with the runtime's --sysctl)"
    )


def test_parse_os_release():
    release = _host.parse_os_release('PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\n')
    assert release["ID"] == "debian"
    assert release["VERSION_ID"] == "13"


def test_parse_modprobe_install_first_rule_wins_and_dashes_match_underscores():
    commands = _os.parse_modprobe_install(
        [
            "# distro\ninstall usb-storage /sbin/modprobe --ignore-install usb-storage\n",
            "install usb_storage /bin/false\ninstall sctp /bin/false  # comment\nblacklist dccp\n",
        ]
    )
    assert commands == {"usb_storage": "/sbin/modprobe --ignore-install usb-storage", "sctp": "/bin/false"}
    assert not _os.module_refused(commands["usb_storage"])
    assert _os.module_refused(commands["sctp"])
    assert not _os.module_refused(None)


def test_parse_modprobe_dry_run():
    assert _os.parse_modprobe_dry_run("install /bin/false\n") == "/bin/false"
    assert _os.parse_modprobe_dry_run("insmod /lib/modules/6.1.0/kernel/net/sctp/sctp.ko\n") is None


def test_parse_pwquality_later_files_win_and_flags_count():
    settings = _os.parse_pwquality(["# minlen = 8\nminlen = 9\n", "minlen = 14\nenforce_for_root\n"])
    assert settings == {"minlen": "14", "enforce_for_root": "1"}


def test_parse_needrestart_mode():
    stock = "# $nrconf{restart} = 'a';\n$nrconf{restart} = 'i';\n"
    assert _os.parse_needrestart_mode([stock]) == "i"
    assert _os.parse_needrestart_mode([stock, "$nrconf{restart} = 'a';\n"]) == "a"
    assert _os.parse_needrestart_mode(["# nothing\n"]) is None


def test_parse_ss_peers_of_sshd():
    text = (
        "0      0      172.18.0.2:2222  172.18.0.1:41022\n"
        "0      0      [::ffff:172.18.0.2]:2222 [::ffff:10.1.2.3]:50000\n"
        "0      0      172.18.0.2:5432  172.18.0.9:40000\n"
    )
    assert _os.parse_ss_peers(text, [2222]) == ["10.1.2.3", "172.18.0.1"]


@pytest.mark.parametrize(
    ("addresses", "sources", "allowed"),
    [
        ([], ["10.0.0.0/8"], True),
        (["172.18.0.1"], ["any"], True),
        (["172.18.0.1"], ["10.0.0.0/8"], False),
        (["172.18.0.1", "10.1.2.3"], ["10.0.0.0/8"], True),
        (["2001:db8::5"], ["2001:db8::/32"], True),
        (["192.0.2.7"], ["192.0.2.7"], True),
    ],
)
def test_addresses_allowed(addresses, sources, allowed):
    assert _os.addresses_allowed(addresses, sources) is allowed


def test_cipher_lists_are_judged_by_the_hosts_openssl_when_it_has_one():
    class Host:
        def __init__(self, openssl):
            self.openssl = openssl

        def which(self, name):
            return self.openssl if name == "openssl" else None

        def run(self, *cmd):
            return (0 if cmd[-1] == "ECDHE+AESGCM" else 1), "", ""

    lists = ["ECDHE+AESGCM", "NOSUCHSUITE"]
    assert _host.ciphers_invalid(Host("/usr/bin/openssl"), lists) == ["NOSUCHSUITE"]
    assert _host.ciphers_invalid(Host(None), lists) == []  # nginx -t of the candidate judges it later
