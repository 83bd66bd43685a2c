"""os_verify end to end on recorded host state: fixtures in, findings out."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from conftest import checked_report, systemctl_show

from ansible_collections.insightengine.hardening.plugins.module_utils import _os
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Findings
from ansible_collections.insightengine.hardening.plugins.modules.os_verify import OsVerifier

FIXTURES = Path(__file__).parents[1] / "module_utils" / "fixtures"
BANNER = (
    "Authorized uses only. All activity on this system may be monitored and\n"
    "recorded. Disconnect now if you are not an authorized user."
)


BINARIES = {
    "sshd": "/usr/sbin/sshd",
    "ssh": "/usr/bin/ssh",
    "ufw": "/usr/sbin/ufw",
    "ss": "/usr/bin/ss",
    "systemctl": "/usr/bin/systemctl",
    "systemd-detect-virt": "/usr/bin/systemd-detect-virt",
}


class RecordedHost(_os.OsReader):
    """A host made of recorded command outputs and files."""

    def __init__(self, release: str, state: str = "hardened", files: dict[str, str] | None = None, container: str = "docker"):
        outputs = {
            ("/usr/sbin/sshd", "-T"): (FIXTURES / f"sshd_T_{state}_{release}.txt").read_text(),
            ("/usr/sbin/ufw", "status", "verbose"): (FIXTURES / f"ufw_status_verbose_{release}.txt").read_text(),
            ("apt-config", "dump"): (FIXTURES / f"apt_config_dump_{release}.txt").read_text(),
            ("/usr/bin/ss", "-Htlnp"): (FIXTURES / f"ss_tlnp_{release}.txt").read_text(),
            ("dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n"): (FIXTURES / f"dpkg_query_{release}.txt").read_text(),
            ("/usr/bin/systemctl", "show", "--property=DefaultLimitCORE"): "DefaultLimitCORE=0\n",
            ("/usr/bin/systemd-detect-virt", "--container"): f"{container}\n" if container else "none\n",
        }

        probe = (FIXTURES / f"ssh_probe_{'hardened_' if state == 'hardened' else ''}{release}.txt").read_text()
        # sshd -T -C SPEC: the same settings unless a test adds Match-block effects.
        self.match_effects: list[tuple[t.Callable[[str], bool], str]] = []

        def run(cmd):
            if cmd[:3] == ["/usr/sbin/sshd", "-T", "-C"]:
                extra = "".join(lines for applies, lines in self.match_effects if applies(cmd[3]))
                return 0, extra + outputs[("/usr/sbin/sshd", "-T")], ""
            if cmd[:2] == ["/usr/bin/ssh", "-vv"]:
                return 255, "", self.probe
            shown = systemctl_show(cmd, self.unit_states)
            if shown:
                return shown
            return (0, outputs[tuple(cmd)], "") if tuple(cmd) in outputs else (1, "", f"unexpected {cmd}")

        self.probe = probe
        self.unit_states = {"apt-daily.timer": ("enabled", "active"), "apt-daily-upgrade.timer": ("enabled", "active")}

        super().__init__(
            run=run,
            which=BINARIES.get,
        )
        self.files = {
            "/etc/login.defs": (FIXTURES / f"login_defs_{release}.txt").read_text(),
            "/etc/pam.d/common-session": "session optional pam_umask.so\n",
            "/etc/security/limits.d/10-insightengine-hardening.conf": "*    hard    core    0\nroot hard    core    0\n",
            "/etc/issue": BANNER + "\n",
            "/etc/issue.net": BANNER + "\n",
            "/etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3\n",
            "/etc/security/pwquality.conf.d/10-x.conf": "minlen = 14\nenforce_for_root\n",
            "/etc/modprobe.d/x.conf": "install sctp /bin/false\n",
            "/proc/modules": "ext4 1 0 - Live 0x0\n",
            **(files or {}),
        }

    def read(self, path):
        return self.files.get(path)

    def list_dir(self, directory, suffix=""):
        return sorted(p for p in self.files if p.startswith(directory + "/") and p.endswith(suffix))

    def sysctl(self, key):
        return {"exists": True, "value": "0", "writable": False, "namespaced": _os.sysctl_namespaced(key)}

    @staticmethod
    def stat(path):
        return {"exists": True, "mode": "0600", "owner": "root", "group": "root", "is_dir": False}


PARAMS = {
    "packages_absent": ["telnet", "rsh-client"],
    "no_recommends": True,
    "ssh_port": 2222,
    "ssh_dropin": "/etc/ssh/sshd_config.d/00-insightengine-hardening.conf",
    "login_user": "operator",
    "ssh_crypto": {},
    "ssh_settings": {"maxauthtries": "3", "x11forwarding": "no"},
    "ssh_allow_users": [],
    "ssh_allow_groups": [],
    "firewall_defaults": {"incoming": "deny", "outgoing": "allow"},
    "firewall_rules": [{"port": 2222, "proto": "tcp", "from": "any"}, {"port": 443, "proto": "tcp", "from": "any"}],
    "updates": {"reboot": False},
    "net_sysctl": {"net.ipv4.tcp_syncookies": 1},
    "kernel_sysctl": {"kernel.kptr_restrict": 2},
    "umask": "027",
    "password_aging": {"PASS_MAX_DAYS": "365"},
    "file_permissions": [{"path": "/etc/crontab", "mode": "0600", "owner": "root", "group": "root"}],
    "banner": BANNER,
    "ssh_banner": True,
    "kernel_modules_disabled": ["sctp"],
    "password_quality": {"minlen": 14, "enforce_for_root": 1},
}


def verify(reader: _os.OsReader, **overrides) -> dict:
    findings = Findings("os", _os.CATALOG, overrides.pop("disabled", {}), overrides.pop("not_applicable", {}))
    OsVerifier({**PARAMS, **overrides}, reader, findings).run()
    result = findings.result(strict=False)
    checked_report(result)
    return {f["id"]: f for f in result["findings"]}


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_a_hardened_host_passes(release):
    results = verify(RecordedHost(release))
    statuses = {cid: f["status"] for cid, f in results.items()}
    assert statuses == {
        **dict.fromkeys([f"OS-{n:02d}" for n in range(1, 20)], "pass"),
        "OS-07": "disabled",  # no allow list configured
        "OS-11": "not_applicable",  # read-only /proc/sys in a container
        "OS-16": "not_applicable",  # the host kernel owns these
        "OS-18": "not_applicable",  # ... and its modules
    }
    assert results["OS-16"]["reason"] == "owned by the host kernel (docker container)"


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_a_stock_sshd_fails_the_ssh_controls(release):
    results = verify(RecordedHost(release, state="stock"))
    assert results["OS-02"]["status"] == "fail"
    assert results["OS-02"]["actual"]["permitrootlogin"].startswith("without-password for root from 203.0.113.1")
    assert results["OS-03"]["actual"]["passwordauthentication"].startswith("yes for operator")
    assert results["OS-04"]["actual"]["configured"] == [22]
    assert "ecdh-sha2-nistp256" in results["OS-05"]["actual"]["weak"]


def test_a_missing_firewall_rule_fails_os_09():
    results = verify(RecordedHost("debian13"), firewall_rules=[{"port": 5432, "proto": "tcp", "from": "any"}])
    assert results["OS-09"]["status"] == "fail"
    assert results["OS-09"]["actual"]["missing"] == ["5432/tcp from any"]


def test_sysctls_on_a_vm_are_compared():
    results = verify(RecordedHost("debian12", container=""))
    assert results["OS-16"]["status"] == "fail"
    assert results["OS-16"]["actual"] == {"kernel.kptr_restrict": "0"}


def test_a_later_limits_file_that_allows_core_dumps_fails_os_12():
    host = RecordedHost("debian12", files={"/etc/security/limits.conf": "*  hard  core  unlimited\n"})
    assert verify(host)["OS-12"]["status"] == "pass"  # limits.conf is read first, limits.d wins
    host.files["/etc/security/limits.d/99-local.conf"] = "*  -  core  unlimited\n"
    results = verify(host)
    assert results["OS-12"]["status"] == "fail"
    assert results["OS-12"]["actual"] == {"limits * hard core": "unlimited"}


def test_disabled_controls_carry_the_switch():
    results = verify(RecordedHost("debian12"), disabled={"OS-10": "disabled (os_auto_updates_enabled: false)"})
    assert results["OS-10"]["status"] == "disabled"
    assert results["OS-10"]["reason"] == "disabled (os_auto_updates_enabled: false)"


def test_kernel_modules_on_a_vm():
    host = RecordedHost("debian12", container="")
    assert verify(host)["OS-18"]["status"] == "pass"
    host.files["/proc/modules"] += "sctp 409600 2 - Live 0x0\n"
    results = verify(host, kernel_modules_disabled=["sctp", "dccp"])
    assert results["OS-18"]["status"] == "fail"
    assert results["OS-18"]["actual"] == {"loadable": ["dccp"], "loaded": ["sctp"]}


def test_password_quality_needs_the_pam_module_and_the_settings():
    host = RecordedHost("debian13", files={"/etc/pam.d/common-password": "password [success=1] pam_unix.so\n"})
    results = verify(host, password_quality={"minlen": 14, "minclass": 3})
    assert results["OS-19"]["status"] == "fail"
    assert results["OS-19"]["actual"] == {"pam_pwquality": False, "minclass": None}


def test_a_dictionary_check_without_a_dictionary_fails_os_19():
    class NoDictionary(RecordedHost):
        @staticmethod
        def stat(path):
            return {"exists": path != _os.CRACKLIB_DICTIONARY, "mode": "0600", "owner": "root", "group": "root"}

    results = verify(NoDictionary("debian12"))
    assert results["OS-19"]["status"] == "fail"
    assert results["OS-19"]["actual"] == {"cracklib dictionary": False}


# --- what a client gets: Match blocks, the running sshd -----------------------------


def test_a_match_block_that_allows_password_login_fails_os_03():
    host = RecordedHost("debian13")
    host.files["/etc/ssh/sshd_config"] = (
        "PasswordAuthentication no\nMatch User alice Address 10.9.0.0/16\n    PasswordAuthentication yes\n"
    )
    host.match_effects.append((lambda spec: "user=alice" in spec and "addr=10.9.0.1" in spec, "passwordauthentication yes\n"))
    results = verify(host)
    assert results["OS-03"]["status"] == "fail"
    actual = results["OS-03"]["actual"]["passwordauthentication"]
    assert actual.startswith("yes for alice from 10.9.0.1 to port 2222 (Match User alice Address 10.9.0.0/16")
    assert results["OS-02"]["status"] == "pass"  # the block does not let root in


def test_a_match_block_that_lets_root_in_fails_os_02():
    host = RecordedHost("debian12")
    host.files["/etc/ssh/sshd_config"] = "Match Address 192.0.2.0/24\n    PermitRootLogin yes\n"
    host.match_effects.append((lambda spec: "user=root" in spec and "addr=192.0.2.1" in spec, "permitrootlogin yes\n"))
    results = verify(host)
    assert results["OS-02"]["status"] == "fail"
    assert "root from 192.0.2.1" in results["OS-02"]["actual"]["permitrootlogin"]


def test_a_client_offered_passwords_by_a_stale_sshd_fails_os_03():
    host = RecordedHost("debian12")
    host.probe = (FIXTURES / "ssh_probe_debian12.txt").read_text()  # the stock sshd still running
    results = verify(host)
    assert results["OS-03"]["status"] == "fail"
    client = results["OS-03"]["actual"]["client"]
    assert "is offered password,publickey" in client and "reload pending" in client


def test_the_served_banner_and_algorithms_are_what_a_client_sees():
    host = RecordedHost("debian13")
    results = verify(host, ssh_crypto={"ciphers": ["chacha20-poly1305@openssh.com"]})
    assert results["OS-05"]["status"] == "fail"  # the probe saw six ciphers, not the one asked for
    assert results["OS-05"]["actual"]["served ciphers"][0] == "chacha20-poly1305@openssh.com"
    assert verify(host)["OS-17"]["status"] == "pass"
    assert verify(host, banner="Another banner")["OS-17"]["status"] == "fail"
