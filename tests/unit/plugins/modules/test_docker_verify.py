"""docker_verify and docker_info end to end on recorded engine state
(Debian 12's docker.io 20.10 and 13's 26.1, converged by the role):
fixtures in, findings out; then one drift at a time."""

from __future__ import annotations

import copy
import json
import typing as t
from pathlib import Path

import pytest
from conftest import checked_report, systemctl_show

from ansible_collections.insightengine.hardening.plugins.module_utils import _docker, _docker_inputs, _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Findings
from ansible_collections.insightengine.hardening.plugins.modules import docker_info
from ansible_collections.insightengine.hardening.plugins.modules.docker_verify import DockerVerifier

FIXTURES = Path(__file__).parents[1] / "module_utils" / "fixtures" / "docker"
DAEMON = {
    "docker_daemon_published_address": "127.0.0.1",
    "docker_daemon_log_driver": "journald",
    "docker_daemon_log_max_size": "10m",
    "docker_daemon_log_max_files": 5,
    "docker_daemon_ulimits": {"nofile": {"soft": 4096, "hard": 16384}},
    "docker_daemon_userns_remap": "",
}
ALLOW = [{"port": "8082", "proto": "tcp", "from": "any", "rule": "allow"}]
STARTED = 1_700_000_000.0


class RecordedHost(_host.HostReader):
    """A converged host made of recorded command outputs; tests change it."""

    def __init__(self, release: str):
        super().__init__(run=self._answer, which=self._where)
        self.release = release

        def fixture(name: str) -> str:
            return (FIXTURES / name.format(r=release)).read_text()

        self.outputs = {
            ("/usr/bin/docker", "info", "--format", "{{json .}}"): fixture("docker_info_{r}.json"),
            ("/usr/bin/docker", "network", "inspect", "bridge", "--format", "{{json .Options}}"): fixture(
                "bridge_options_{r}.json"
            ),
            ("/usr/bin/docker", "ps", "--format", "{{json .}}"): fixture("docker_ps_{r}.txt"),
            ("/usr/sbin/dockerd", "--version"): fixture("dockerd_version_{r}.txt"),
            ("iptables-save",): fixture("iptables_save_{r}.txt"),
            ("dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n"): "docker.io installed\niptables installed\n",
        }
        if release == "debian13":
            self.outputs[("/usr/bin/docker", "compose", "version", "--short")] = "2.26.1\n"
        else:
            self.outputs[("docker-compose", "version", "--short")] = "1.29.2\n"
        unit_dir = "/usr/lib/systemd/system" if release == "debian13" else "/lib/systemd/system"
        self.files = {
            "/etc/docker/daemon.json": fixture("daemon_json_{r}.json"),
            "/etc/group": "root:x:0:\ndocker:x:101:deploy\ndeploy:x:1000:\n",
            "/etc/passwd": "root:x:0:0::/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n",
            "/proc/stat": "cpu 1 2 3\nbtime 1699990000\n",
            "/proc/4242/stat": "4242 (dockerd) S 1 " + " ".join(["0"] * 17) + f" {int((STARTED - 1699990000) * 100)} 0\n",
            "/proc/4242/cmdline": "/usr/sbin/dockerd\0-H\0fd://\0--containerd=/run/containerd/containerd.sock\0",
            "/proc/4242/limits": fixture("dockerd_limits_{r}.txt"),
        }
        self.stats = {
            "/run/docker.sock": {"exists": True, "owner": "root", "group": "docker", "mode": "0660", "is_dir": False},
            f"{unit_dir}/docker.service": {"exists": True, "owner": "root", "group": "root", "mode": "0644", "is_dir": False},
            f"{unit_dir}/docker.socket": {"exists": True, "owner": "root", "group": "root", "mode": "0644", "is_dir": False},
            "/etc/docker": {"exists": True, "owner": "root", "group": "root", "mode": "0755", "is_dir": True},
            "/etc/docker/daemon.json": {"exists": True, "owner": "root", "group": "root", "mode": "0644", "is_dir": False},
            "/run/containerd/containerd.sock": {
                "exists": True,
                "owner": "root",
                "group": "root",
                "mode": "0660",
                "is_dir": False,
            },
        }
        self.unit_files = {"docker.service": f"{unit_dir}/docker.service", "docker.socket": f"{unit_dir}/docker.socket"}
        self.unit_states = {
            "insightengine-docker-firewall.service": ("enabled", "active"),
            "docker.service": ("enabled", "active"),
        }
        self.daemon_mtime = STARTED - 60

    def _where(self, name: str) -> str | None:
        return {"docker": "/usr/bin/docker", "dockerd": "/usr/sbin/dockerd", "systemctl": "/usr/bin/systemctl",
                "iptables-save": "/usr/sbin/iptables-save", "apt-cache": "/usr/bin/apt-cache",
                "docker-compose": "/usr/bin/docker-compose" if self.release == "debian12" else None}.get(name)  # fmt: skip

    def _answer(self, cmd: list[str]) -> tuple[int, str, str]:
        if cmd[:2] == ["/usr/bin/systemctl", "show"] and "--property=MainPID,FragmentPath" in cmd:
            return 0, "\n\n".join(f"MainPID=4242\nFragmentPath={self.unit_files[n]}" for n in cmd[4:]), ""
        shown = systemctl_show(cmd, self.unit_states)
        if shown:
            return shown
        if cmd[:2] == ["apt-cache", "show"]:
            return (0, "Package: x\n", "") if cmd[-1] in ("docker-cli", "docker-compose") else (100, "", "")
        return (0, self.outputs[tuple(cmd)], "") if tuple(cmd) in self.outputs else (1, "", f"unexpected {cmd}")

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def group(self, name: str) -> dict[str, t.Any]:
        """NSS, as the recorded /etc/group and /etc/passwd say it."""
        line = next((e for e in self.files["/etc/group"].splitlines() if e.split(":", 1)[0] == name), None)
        if line is None:
            return {"exists": False, "gid": None, "members": []}
        _name, _x, gid, listed = line.split(":")
        primary = {e.split(":")[0] for e in self.files["/etc/passwd"].splitlines() if e.split(":")[3] == gid}
        return {"exists": True, "gid": int(gid), "members": sorted({m for m in listed.split(",") if m} | primary)}

    def missing_users(self, names: t.Iterable[str]) -> list[str]:
        present = {e.split(":", 1)[0] for e in self.files["/etc/passwd"].splitlines()}
        return sorted(set(names) - present)

    def list_dir(self, directory: str, suffix: str = "") -> list[str]:
        return ["/proc/1", "/proc/4242", "/proc/self"] if directory == "/proc" else []

    def stat(self, path: str) -> dict[str, t.Any]:
        return dict(self.stats.get(path, {"exists": False}))

    def mtime(self, path: str) -> float | None:
        return self.daemon_mtime if path == "/etc/docker/daemon.json" else None

    @staticmethod
    def clock_ticks() -> int:
        return 100


def verify(host: RecordedHost, **params: t.Any) -> dict[str, dict[str, t.Any]]:
    p = {"compose": True, "daemon": DAEMON, "group_members": ["deploy"], "firewall_allow": ALLOW, "loopback_guard": True,
         "daemon_file": "/etc/docker/daemon.json", **params}  # fmt: skip
    findings = Findings("docker", _docker.CATALOG, {}, {}, {})
    DockerVerifier(p, host, findings).run()
    result = findings.result(False)
    checked_report(result)
    return {f["id"]: f for f in result["findings"]}


def statuses(findings: dict[str, dict[str, t.Any]]) -> dict[str, str]:
    return {cid: f["status"] for cid, f in findings.items()}


@pytest.fixture(params=["debian12", "debian13"])
def host(request) -> RecordedHost:
    return RecordedHost(request.param)


def test_a_converged_engine_passes_every_control(host):
    found = verify(host)
    assert statuses(found) == {f"DKR-0{i}": "pass" for i in range(1, 8)}, {
        k: f["actual"] for k, f in found.items() if f["status"] != "pass"
    }
    assert found["DKR-01"]["actual"]["compose"]["version"] in ("1.29.2", "2.26.1")


def test_each_drift_fails_its_own_control(host):
    cases = {
        "DKR-02": lambda h: h.outputs.__setitem__(
            ("/usr/bin/docker", "network", "inspect", "bridge", "--format", "{{json .Options}}"),
            h.outputs[("/usr/bin/docker", "network", "inspect", "bridge", "--format", "{{json .Options}}")].replace(
                '"com.docker.network.bridge.enable_icc":"false"', '"com.docker.network.bridge.enable_icc":"true"'
            ),
        ),
        "DKR-03": lambda h: h.stats["/run/docker.sock"].update(mode="0666"),
        "DKR-04": lambda h: h.files.__setitem__("/etc/group", "docker:x:101:deploy,intruder\n"),
        "DKR-05": lambda h: h.stats["/etc/docker/daemon.json"].update(mode="0666"),
        "DKR-06": lambda h: h.outputs.__setitem__(
            ("iptables-save",), h.outputs[("iptables-save",)].replace("-A DOCKER-USER -j INSIGHTENGINE-DOCKER\n", "")
        ),
        "DKR-07": lambda h: h.outputs.__setitem__(
            ("iptables-save",), h.outputs[("iptables-save",)].replace("-A PREROUTING -j INSIGHTENGINE-LOOPBACK\n", "")
        ),
    }
    for cid, drift in cases.items():
        drifted = RecordedHost(host.release)
        drift(drifted)
        found = verify(drifted)
        assert {k for k, s in statuses(found).items() if s != "pass"} == {cid}, (cid, statuses(found))
        assert found[cid]["status"] == "fail"


def test_the_findings_name_what_drifted(host):
    host.files["/etc/group"] = "docker:x:101:deploy,intruder\nci:x:102:\n"
    host.files["/etc/passwd"] += "ci:x:1001:101::/home/ci:/bin/sh\n"  # primary group docker counts too
    assert verify(host)["DKR-04"]["actual"]["outside"] == ["ci", "intruder"]


def test_a_daemon_json_newer_than_dockerd_fails_dkr_02(host):
    host.daemon_mtime = STARTED + 30
    found = verify(host)["DKR-02"]
    assert found["status"] == "fail" and "restart_pending" in found["actual"]


def test_an_open_tcp_socket_fails_dkr_03(host):
    host.files["/proc/4242/cmdline"] = "/usr/sbin/dockerd\0-H\0fd://\0-H\0tcp://0.0.0.0:2375\0"
    found = verify(host)["DKR-03"]
    assert found["status"] == "fail" and found["actual"]["tcp_without_tls"] == ["tcp://0.0.0.0:2375"]


def test_the_firewall_lists_reachable_and_held_ports():
    host = RecordedHost("debian12")
    actual = verify(host)["DKR-06"]["actual"]
    assert any(entry.startswith("0.0.0.0:8081/tcp") for entry in actual["held"]), actual
    assert any(entry.startswith("0.0.0.0:8082/tcp") and entry.endswith("from any") for entry in actual["reachable"]), actual


def test_engines_from_28_drop_loopback_packets_themselves(host):
    host.outputs[("/usr/sbin/dockerd", "--version")] = "Docker version 28.0.1, build 068a01e\n"
    assert verify(host)["DKR-07"]["status"] == "not_applicable"


def test_without_an_engine_every_control_is_an_error(host):
    host._which = lambda name: None
    assert set(statuses(verify(host)).values()) == {"error"}


def test_the_info_module_wants_no_change_on_a_converged_host(host):
    found = docker_info.gather(
        {"engine": True, "compose": True, "packages": ["iptables"], "users": ["deploy"], "files": [],
         "firewall_allow": ALLOW, "loopback_guard": True, "daemon": {**DAEMON, "docker_daemon_extra": {}},
         "daemon_file": "/etc/docker/daemon.json"},
        host,
    )  # fmt: skip
    assert found["packages"]["missing"] == [] and found["users_missing"] == []
    assert found["firewall"]["pending"] is False
    assert found["files_wrong"] == []
    assert json.loads(found["daemon"]["wanted"]) == json.loads(host.files["/etc/docker/daemon.json"])
    assert found["daemon"]["restart_pending"] is False and found["daemon"]["hard_limits"]["nofile"] == 20000


def test_a_fresh_host_gets_the_engine_compose_and_the_cli_where_split():
    host = RecordedHost("debian13")
    host._which = {"apt-cache": "/usr/bin/apt-cache", "systemctl": "/usr/bin/systemctl"}.get
    host.outputs[("dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n")] = ""
    found = docker_info.gather(
        {"engine": True, "compose": True, "packages": ["iptables"], "users": [], "files": [], "firewall_allow": [],
         "loopback_guard": True, "daemon": {}, "daemon_file": "/etc/docker/daemon.json"},
        host,
    )  # fmt: skip
    assert found["packages"]["missing"] == ["docker-cli", "docker-compose", "docker.io", "iptables"]


def _host_checked(facts: dict[str, t.Any], **changes: t.Any) -> list[str]:
    values = {**_docker_inputs_defaults(), **changes}
    inputs = v.Inputs(_docker_inputs.SPEC, values)
    _docker_inputs.check(inputs)
    _docker_inputs.check_host(inputs, facts, {})
    return inputs.errors


def _docker_inputs_defaults() -> dict[str, t.Any]:
    import yaml

    defaults = yaml.safe_load((Path(__file__).parents[4] / "roles" / "docker" / "defaults" / "main.yml").read_text())
    defaults["docker_firewall_allow"] = []
    return defaults


def test_the_host_checks_refuse_what_this_engine_cannot_take():
    facts = {
        "engine": {"installed": True, "validate": True, "log_drivers": ["json-file", "local"]},
        "daemon": {"path": "/etc/docker/daemon.json", "document": {}, "error": None, "hard_limits": {"nofile": 8192}},
        "users_missing": ["ghost"],
    }
    errors = _host_checked(facts, docker_group_members=["ghost"])
    assert any(e.startswith("docker_daemon_log_driver journald is not a log driver this engine has") for e in errors), errors
    assert any(e.startswith("docker_group_members[0]: no user ghost") for e in errors), errors
    assert any(e.startswith('docker_daemon_ulimits["nofile"].hard 16384 is above dockerd\'s own hard limit 8192') for e in errors)
    broken = copy.deepcopy(facts)
    broken["daemon"].update(document=None, error="Expecting value: line 1 column 1 (char 0)")
    assert any("does not parse" in e for e in _host_checked(broken))
