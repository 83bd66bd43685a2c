"""Helpers shared by the testinfra verifiers of every Molecule scenario.

The verifiers assert real effects (a login that is refused, a port that does
not answer) and drive ansible-playbook themselves for what Molecule's own
sequence does not cover: check mode after converge, injected drift, bad
input, and runs over a real SSH connection instead of ``docker exec``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
import yaml

# The collection under test, as Ansible finds it (for the report callback's
# task-name parser).
sys.path[:0] = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":") if p]
from ansible_collections.insightengine.hardening.plugins.callback.report import control_ids  # noqa: E402

__all__ = ["control_ids"]

SCENARIO_DIR = Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", "."))
EPHEMERAL_DIR = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"))
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
TEST_KEY = EPHEMERAL_DIR / "id_ed25519"
OPERATOR_PASSWORD = os.environ.get("OPERATOR_PASSWORD") or "operator-Passw0rd-test"


@dataclass
class PlaybookRun:
    """An ansible-playbook run, read through the json stdout callback."""

    rc: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)  # the report callback's JSON, schema-checked

    @property
    def stats(self) -> dict:
        return self.data.get("stats", {})

    def changed(self, host: str) -> int:
        return self.stats.get(host, {}).get("changed", 0)

    def results(self, host: str):
        """(task name, result) of every task that ran on host, in order."""
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                result = task.get("hosts", {}).get(host)
                if result is not None:
                    yield task["task"]["name"], result

    def changed_tasks(self, host: str) -> list[str]:
        return [name for name, result in self.results(host) if result.get("changed")]

    def verify(self, host: str, layer: str) -> dict:
        """The result of the layer's verify module on host."""
        for _task, result in self.results(host):
            if result.get("layer") == layer and "report" in result:
                return result
        raise AssertionError(f"no {layer} verify result for {host}:\n{self.stdout[-3000:]}{self.stderr[-2000:]}")

    def findings(self, host: str, layer: str) -> dict[str, dict]:
        """Control ID -> finding (complete even when the verify task failed)."""
        return {f["id"]: f for f in self.verify(host, layer)["findings"]}

    def statuses(self, host: str, layer: str) -> dict[str, str]:
        statuses = {cid: f["status"] for cid, f in self.findings(host, layer).items()}
        reported = next(
            ({c["id"]: c["status"] for c in entry["controls"]}
             for h in self.report.get("hosts", []) if h["host"] == host for entry in h["layers"] if entry["layer"] == layer),
            None,
        )  # fmt: skip
        assert reported == statuses, f"the report file and the verify result differ for {host} {layer}"
        return statuses

    def failure_messages(self, host: str) -> str:
        messages = [str(result.get("msg", "")) for _task, result in self.results(host) if result.get("failed")]
        return "\n".join(messages)


SHARED = Path(__file__).parent / "shared"
SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "report.schema.json").read_text())
_RUNS = iter(range(1, 10**6))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "unit" / "cases"))
from input_cases import bad_inputs  # noqa: E402


def run_playbook(
    playbook: str | Path,
    *,
    check: bool = False,
    diff: bool = False,
    extra_vars: dict | None = None,
    limit: str | None = None,
    inventory: str | Path | list[str | Path] | None = None,
    timeout: int = 900,
    interrupt_after: str | None = None,
    forks: int | None = None,
    tags: str | None = None,
    env: dict[str, str] | None = None,
) -> PlaybookRun:
    """ansible-playbook through the json callback. interrupt_after: kill the
    run (SIGKILL to its process group) right after a task whose name holds
    this text changed something, before any handler runs. inventory: one
    or several (merged, as ansible-playbook -i A -i B does); env: more
    environment (the report callback's other formats)."""
    inventories = inventory if isinstance(inventory, list) else [inventory or INVENTORY]
    cmd = ["ansible-playbook", *(arg for i in inventories for arg in ("-i", str(i))), str(playbook)]
    if forks:
        cmd += ["--forks", str(forks)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if limit:
        cmd += ["--limit", limit]
    if tags:
        cmd += ["--tags", tags]
    if extra_vars:
        cmd += ["--extra-vars", json.dumps(extra_vars)]
    env = dict(
        os.environ,
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACKS_ENABLED="insightengine.hardening.report",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        INSIGHTENGINE_HARDENING_REPORT=str(EPHEMERAL_DIR / f"report-{os.getpid()}-{next(_RUNS)}.json"),
        **(env or {}),
    )
    report_file = Path(env["INSIGHTENGINE_HARDENING_REPORT"])
    if interrupt_after:
        mark = EPHEMERAL_DIR / "interrupted"
        mark.unlink(missing_ok=True)
        env.update(
            ANSIBLE_CALLBACK_PLUGINS=str(SHARED / "callback"),
            ANSIBLE_CALLBACKS_ENABLED="insightengine.hardening.report,interrupt",
            INSIGHTENGINE_INTERRUPT_AFTER=interrupt_after,
            INSIGHTENGINE_INTERRUPT_MARK=str(mark),
        )
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, start_new_session=bool(interrupt_after)
    )
    if interrupt_after:
        assert (EPHEMERAL_DIR / "interrupted").exists(), (
            f"the run was not interrupted after {interrupt_after!r}: {proc.stdout[-2000:]}"
        )
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, {})
    # The json callback prints one document; the report callback adds lines after it.
    start = proc.stdout.find("{")
    try:
        data = json.JSONDecoder().raw_decode(proc.stdout[start:])[0] if start >= 0 else {}
    except ValueError:
        data = {}
    report = {}
    if report_file.exists():  # every report a test produces must follow the shipped schema
        report = json.loads(report_file.read_text())
        report_file.unlink()
        jsonschema.validate(report, SCHEMA, format_checker=jsonschema.FormatChecker())
        assert report["check_mode"] is check
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, data, report)


def molecule_hosts() -> list[str]:
    with open(INVENTORY, encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    return sorted(inventory["all"]["hosts"])


def container_ip(name: str) -> str:
    out = subprocess.run(
        ["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out, f"{name} has no IP address"
    return out[0]


def ssh(
    ip: str, port: int, user: str, command: str = "true", *, password: str | None = None, key: Path | None = TEST_KEY
) -> subprocess.CompletedProcess:
    """A real OpenSSH client login from the controller, with the key, or
    with only the password (offered through SSH_ASKPASS)."""
    options = [
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "LogLevel=ERROR",
    ]
    env = dict(os.environ)
    if password is None:
        options += ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", str(key)]
    else:
        askpass = EPHEMERAL_DIR / "askpass.sh"
        askpass.write_text(f"#!/bin/sh\necho '{password}'\n")
        askpass.chmod(0o700)
        env.update(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY="none")
        options += [
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
        ]
    cmd = ["ssh", *options, "-p", str(port), f"{user}@{ip}", command]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False, stdin=subprocess.DEVNULL)


def sh(name: str, script: str, check: bool = True) -> subprocess.CompletedProcess:
    """A shell script in a container (docker exec), asserted to succeed unless check is false."""
    proc = subprocess.run(["docker", "exec", name, "sh", "-c", script], capture_output=True, text=True, check=False)
    if check:
        assert proc.returncode == 0, (name, script, proc.stdout, proc.stderr)
    return proc


def tcp_open(ip: str, port: int, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate, timeout: float = 20.0, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def host_fingerprint(name: str, commands: list[str]) -> str:
    """A digest of everything a bad-input run must leave alone: the content
    and mode of every file under /etc, plus effective-state commands."""
    script = (
        "find /etc -xdev \\( -type f -o -type l \\) -printf '%p %m %U:%G\\n' | sort | sha256sum; "
        "find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; "
        + "; ".join(f"{c} 2>&1 | sha256sum" for c in commands)
    )
    out = subprocess.run(["docker", "exec", name, "sh", "-c", script], capture_output=True, text=True, check=True).stdout
    return hashlib.sha256(out.encode()).hexdigest()


def assert_converged(playbook: str | Path, hosts: list[str], layer: str, controls: int) -> PlaybookRun:
    """--check --diff on converged hosts: exit 0, nothing would change, one
    finding per control and none failing."""
    run = run_playbook(playbook, check=True, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    for name in hosts:
        assert run.changed(name) == 0, (name, run.changed_tasks(name))
        statuses = run.statuses(name, layer)
        assert len(statuses) == controls, statuses
        assert "fail" not in statuses.values(), (name, statuses)
    return run


def assert_drift_reported(playbook: str | Path, hosts: list[str], layer: str, drifted: set[str], changed: set[str]) -> None:
    """--check after drift: exit 0, exactly the drifted controls fail, and a
    task named after each control in changed reports what it would change."""
    check = run_playbook(playbook, check=True)
    assert check.rc == 0, "check mode must report drift, not fail:\n" + check.stdout[-3000:]
    for name in hosts:
        statuses = check.statuses(name, layer)
        assert {cid for cid, status in statuses.items() if status == "fail"} == drifted, (name, statuses)
        would_change = set().union(*(control_ids(task) for task in check.changed_tasks(name)))
        assert changed <= would_change, (name, check.changed_tasks(name))


def assert_waivers_hold(playbook: str | Path, hosts: list[str], layer: str, drifted: set[str]) -> None:
    """With drift on every host: a current waiver turns a failing control
    into waived (what was found kept, the run green); a normal run with an
    expired waiver repairs the drift yet fails that control, after
    returning every finding."""
    waived, expired = sorted(drifted)[:2]
    current = {"reason": "accepted until the vendor fix", "approver": "security team", "expires": "2099-12-31"}
    check = run_playbook(playbook, check=True, extra_vars={"insightengine_hardening_waivers": {waived: current}})
    assert check.rc == 0, check.stdout[-3000:]
    for name in hosts:
        finding = check.findings(name, layer)[waived]
        assert finding["status"] == "waived", finding
        assert finding["waiver"] == {**current, "found": "fail"}, finding
        assert finding["evidence"]["read"] == finding["actual"] and finding["actual"], finding
        assert {cid for cid, s in check.statuses(name, layer).items() if s == "fail"} == drifted - {waived}
    old = {**current, "expires": "2020-01-31"}
    run = run_playbook(playbook, extra_vars={"insightengine_hardening_waivers": {expired: old}})
    assert run.rc != 0, "an expired waiver must fail the run"
    for name in hosts:
        findings = run.findings(name, layer)
        assert {cid for cid, f in findings.items() if f["status"] == "fail"} == {expired}, findings
        assert findings[expired]["waiver"]["found"] == "pass"  # the run repaired it; the waiver still fails it
        assert findings[expired]["reason"].startswith("waiver expired on 2020-01-31"), findings[expired]


def assert_refused_and_unchanged(
    playbook: str | Path, name: str, extra_vars: dict, message: str, fingerprint_commands: list[str]
) -> PlaybookRun:
    """Bad input on one host: the run fails with message, reports no change,
    and the host's fingerprint (/etc plus the commands) is the same after."""
    before = host_fingerprint(name, fingerprint_commands)
    run = run_playbook(playbook, extra_vars=extra_vars, limit=name)
    assert run.rc != 0, f"{extra_vars} was accepted"
    assert run.changed(name) == 0, run.changed_tasks(name)
    assert message in run.failure_messages(name), run.failure_messages(name)
    assert host_fingerprint(name, fingerprint_commands) == before, f"{extra_vars} changed the host"
    return run


def ssh_inventory(path: Path, hosts: dict[str, str], port: int, **host_vars) -> Path:
    """An inventory that reaches the containers over real SSH as operator."""
    inventory = {
        "all": {
            "hosts": {name: {"ansible_host": ip} for name, ip in hosts.items()},
            "vars": {
                "ansible_connection": "ansible.builtin.ssh",
                "ansible_port": port,
                "ansible_user": "operator",
                "ansible_ssh_private_key_file": str(TEST_KEY),
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                "ansible_become": True,
                "ansible_python_interpreter": "/usr/bin/python3",
                **host_vars,
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory))
    return path


@pytest.fixture(scope="session")
def hosts() -> list[str]:
    return molecule_hosts()


@pytest.fixture(scope="session")
def ips(hosts) -> dict[str, str]:
    return {name: container_ip(name) for name in hosts}


@pytest.fixture(scope="session")
def converge_playbook() -> Path:
    return SCENARIO_DIR / "converge.yml"


def molecule_group_vars() -> dict:
    """The scenario's inventory group_vars/all (molecule.yml's provisioner.inventory)."""
    path = Path(INVENTORY).parent / "group_vars" / "all"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def assert_bad_inputs_refused(layer: str, container: str, fingerprint_commands: list[str], extra: dict | None = None) -> int:
    """The validators' case tables and the enumerated injections, each as
    one inventory host pointing at the container: every case fails with its
    variable named and nothing changed, and the container's fingerprint is
    the same before and after. Returns the number of cases."""
    cases = bad_inputs(layer, on_host=True)
    connection = {
        "ansible_connection": "community.docker.docker",
        "ansible_host": container,
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    hosts = {f"case-{i:03d}": {**connection, **(extra or {}), **variables} for i, (variables, _name) in enumerate(cases)}
    directory = EPHEMERAL_DIR / f"bad-input-{layer}"
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump({**molecule_group_vars(), "layer": layer}))
    inventory = directory / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}, default_flow_style=False, allow_unicode=False))
    before = host_fingerprint(container, fingerprint_commands)
    run = run_playbook(SHARED / "bad_input.yml", inventory=inventory, forks=25, timeout=1800)
    problems = []
    for i, (variables, name) in enumerate(cases):
        host = f"case-{i:03d}"
        base = re.split(r"[\[. ]", name, maxsplit=1)[0]
        messages = run.failure_messages(host)
        if not run.stats.get(host, {}).get("failures"):
            problems.append(f"{host} {variables!r}: accepted")
        elif run.changed(host):
            problems.append(f"{host} {variables!r}: changed {run.changed_tasks(host)}")
        elif base not in messages:
            problems.append(f"{host} {variables!r}: the error does not name {base}: {messages[:300]}")
    assert not problems, "\n".join(problems)
    assert host_fingerprint(container, fingerprint_commands) == before, "a bad input changed the host"
    return len(cases)
