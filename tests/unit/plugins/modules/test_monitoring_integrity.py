"""MON-06 .. MON-08 on recorded host state: the kernel's audit rules as
auditctl prints them (on a VM; not applicable in a container), AIDE's last
check, the scheduled audit's age; the AIDE report parser and the verify
bundle, which must run without Ansible."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import systemctl_show

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring as mon
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Findings
from ansible_collections.insightengine.hardening.plugins.modules.monitoring_verify import MonitoringVerifier

ROOT = Path(__file__).resolve().parents[4]
WATCHES = [
    {"path": "/etc/passwd", "perm": "wa", "key": "identity"},
    {"path": "/etc/sudoers.d", "perm": "wa", "key": "sudoers"},
]
# auditctl -l on audit 3 (Debian 12 and 13): a file's watch, a directory's as a syscall rule.
AUDITCTL_L = "-w /etc/passwd -p wa -k identity\n-a always,exit -F dir=/etc/sudoers.d/ -F perm=wa -F key=sudoers\n"
AUDITCTL_S = "enabled 1\nfailure 1\npid 412\nrate_limit 0\nbacklog_limit 8192\nlost 0\nbacklog 0\n"


class Host(_host.HostReader):
    def __init__(self, container="", outputs=None, files=None, units=None, mtimes=None, calendars=None):
        self.outputs = {("/usr/bin/systemd-detect-virt", "--container"): (0 if container else 1, f"{container or 'none'}\n", "")}
        self.outputs.update(outputs or {})
        self.files = files or {}
        self.mtimes = mtimes or {}
        self.unit_states = units or {}
        self.calendars = calendars or {}  # timer -> the OnCalendar systemd loaded
        self.entered: dict[str, int] = {}  # unit -> ActiveEnterTimestampMonotonic (microseconds since boot)
        bins = {"systemd-detect-virt", "systemctl", "systemd-analyze", "auditctl", "aide", "lynis"}
        super().__init__(run=self._fake, which=lambda name: f"/usr/bin/{name}" if name in bins else None)

    def _fake(self, cmd):
        if cmd[1:2] == ["show"]:  # the properties HostReader.units asks for, whatever extras
            names = cmd[4:]
            cmd = [cmd[0], "show", "--property=Id,LoadState,UnitFileState,ActiveState,NeedDaemonReload", *cmd[3:]]
            rc, out, err = systemctl_show(cmd, self.unit_states)
            blocks = out.split("\n\n")
            for i, name in enumerate(names):
                if name in self.calendars:
                    blocks[i] += f"TimersCalendar={{ OnCalendar={self.calendars[name]} ; next_elapse=n/a }}\n"
                if name in self.entered:
                    blocks[i] += f"ActiveEnterTimestampMonotonic={self.entered[name]}\n"
            return rc, "\n\n".join(blocks), err
        if cmd[:2] == ["/usr/bin/systemd-analyze", "calendar"]:
            normal = {"quarterly": "*-01,04,07,10-01 00:00:00", "daily": "*-*-* 00:00:00"}
            return 0, "".join(f"  Original form: {c}\nNormalized form: {normal[c]}\n\n" for c in cmd[2:]), ""
        shown = systemctl_show(cmd, self.unit_states)
        if shown:
            return shown
        return self.outputs.get(tuple(cmd), (1, "", f"unexpected {cmd}"))

    def read(self, path):
        return self.files.get(path)

    def mtime(self, path):
        return self.mtimes.get(path)


def verify(host, **params):
    findings = Findings("monitoring", mon.CATALOG, {}, {}, {})
    base = {"tls_files": [], "service_files": {}, "auditd": {}, "aide": {}, "audit": {}}
    verifier = MonitoringVerifier({**base, **params}, host, findings)
    return verifier, findings


def finding(findings, cid):
    return next(f.as_dict() for f in findings.findings() if f.control.id == cid)


def test_loaded_watches_read_both_forms_auditctl_prints():
    assert mon.loaded_watches(AUDITCTL_L.splitlines()) == {("/etc/passwd", "aw", "identity"), ("/etc/sudoers.d", "aw", "sudoers")}
    assert mon.loaded_watches(["-a always,exit -F arch=b64 -S execve -F key=exec"]) == set()


def auditd_host(rules=AUDITCTL_L, status=AUDITCTL_S, active="active"):
    return Host(
        outputs={("/usr/bin/auditctl", "-s"): (0, status, ""), ("/usr/bin/auditctl", "-l"): (0, rules, "")},
        units={"auditd.service": ("enabled", active)},
    )


def test_on_a_vm_every_watch_loaded_passes_and_a_missing_one_fails_by_name():
    verifier, findings = verify(auditd_host(), auditd={"rules": WATCHES, "failure": 1, "immutable": False})
    verifier.auditd()
    assert finding(findings, "MON-06")["status"] == "pass"
    verifier, findings = verify(auditd_host(rules=AUDITCTL_L.splitlines()[0]), auditd={"rules": WATCHES, "failure": 1})
    verifier.auditd()
    found = finding(findings, "MON-06")
    assert found["status"] == "fail" and "-w /etc/sudoers.d -p wa -k sudoers" in found["reason"], found


def test_audit_disabled_not_locked_or_auditd_stopped_fails():
    disabled = AUDITCTL_S.replace("enabled 1", "enabled 0")
    for host, spec, words in (
        (auditd_host(status=disabled), {"rules": WATCHES}, "not enabled"),
        (auditd_host(), {"rules": WATCHES, "immutable": True}, "not locked"),
        (auditd_host(active="failed"), {"rules": WATCHES}, "auditd.service is failed"),
        (auditd_host(status=AUDITCTL_S.replace("failure 1", "failure 0")), {"rules": WATCHES, "failure": 1}, "failure mode 0"),
    ):
        verifier, findings = verify(host, auditd=spec)
        verifier.auditd()
        found = finding(findings, "MON-06")
        assert found["status"] == "fail" and words in found["reason"], (words, found)


def test_in_a_container_the_kernel_audit_is_not_applicable():
    verifier, findings = verify(Host(container="docker"), auditd={"rules": WATCHES})
    verifier.auditd()
    found = finding(findings, "MON-06")
    assert found["status"] == "not_applicable" and "container (docker)" in found["reason"]
    assert mon.read_integrity(Host(container="docker"), WATCHES)["missing_watches"] == []


def aide_host(last, db=1000.0, conf=900.0):
    return Host(
        files={mon.AIDE_LAST: json.dumps(last)},
        mtimes={mon.AIDE_DB: db, mon.AIDE_CONF: conf},
        units={"insightengine-aide-check.timer": ("enabled", "active")},
    )


def test_aide_changes_since_the_baseline_fail_with_their_paths_and_an_older_check_does_not():
    now = time.time()
    clean = {"time": now, "added": 0, "removed": 0, "changed": 0, "entries": []}
    dirty = {**clean, "added": 1, "entries": ["added: /usr/local/bin/x"]}
    spec = {"timer": "insightengine-aide-check.timer", "max_age_seconds": 2 * 86400}
    verifier, findings = verify(aide_host(clean, db=now - 10), aide=spec)
    verifier.aide()
    assert finding(findings, "MON-07")["status"] == "pass"
    verifier, findings = verify(aide_host(dirty, db=now - 10), aide=spec)
    verifier.aide()
    found = finding(findings, "MON-07")
    assert found["status"] == "fail" and "/usr/local/bin/x" in found["reason"], found
    # a check from before the current baseline reported what the baseline accepted
    verifier, findings = verify(aide_host({**dirty, "time": now - 100}, db=now - 10), aide=spec)
    verifier.aide()
    assert finding(findings, "MON-07")["status"] == "pass"
    for host, words in (
        (aide_host({**clean, "time": now - 3 * 86400}, db=now - 4 * 86400), "ran 72 h ago"),
        (aide_host(clean, db=now - 10, conf=now), "baseline is older"),
        (aide_host({**clean, "error": "aide exited 17"}, db=now - 10), "last check failed"),
    ):
        verifier, findings = verify(host, aide=spec)
        verifier.aide()
        found = finding(findings, "MON-07")
        assert found["status"] == "fail" and words in found["reason"], (words, found)


def audit_host(last, running="inactive"):
    return Host(
        files={mon.AUDIT_LAST: json.dumps(last)} if last else {},
        mtimes={"/usr/local/lib/insightengine/verify_bundle.py": 1.0},
        units={"insightengine-audit.timer": ("enabled", "active"), "insightengine-audit.service": ("static", running)},
    )


def test_an_audit_older_than_its_period_or_none_fails_and_the_first_one_running_passes():
    spec = {"timer": "insightengine-audit.timer", "period_days": 92, "bundle": "/usr/local/lib/insightengine/verify_bundle.py"}
    recent = {"time": time.time() - 86400, "lynis": {"hardening_index": 70, "warnings": []}, "verify": {}}
    for last, running, status, words in (
        (recent, "inactive", "pass", None),
        ({**recent, "time": time.time() - 100 * 86400}, "inactive", "fail", "100 days ago (period 92 days)"),
        (None, "inactive", "fail", "no audit has been recorded"),
        (None, "activating", "pass", None),
        ({**recent, "verify": {"os": {"error": "boom", "failed": []}}}, "inactive", "fail", "os: boom"),
    ):
        verifier, findings = verify(audit_host(last, running), audit=spec)
        verifier.audit()
        found = finding(findings, "MON-08")
        assert found["status"] == status, (last, found)
        assert words is None or words in found["reason"], found


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "roles" / "monitoring" / "files" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# aide --check's report (the shape AIDE 0.18 prints, constructed).
AIDE_REPORT = """\
Start timestamp: 2026-12-03 10:54:48 +0000 (AIDE 0.18.3)
AIDE found differences between database and filesystem!!

Summary:
  Total number of entries:\t5512
  Added entries:\t\t1
  Removed entries:\t\t0
  Changed entries:\t\t1

---------------------------------------------------
Added entries:
---------------------------------------------------

f++++++++++++++++: /usr/local/bin/insightengine-intruder

---------------------------------------------------
Changed entries:
---------------------------------------------------

f   ...    . .S  : /etc/ssh/sshd_config
"""


def test_the_aide_report_parser_counts_and_names_each_path():
    counts, entries = load_script("insightengine_audit").parse(AIDE_REPORT)
    assert counts == {"added": 1, "removed": 0, "changed": 1}
    assert entries == ["added: /usr/local/bin/insightengine-intruder", "changed: /etc/ssh/sshd_config"]


def test_the_audit_script_drops_hidden_options():
    clean = load_script("insightengine_audit").clean
    assert clean({"seal_key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "a": [1, {"b": 2}]}) == {"a": [1, {"b": 2}]}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from ansible_collections.insightengine.hardening.plugins.lookup import verify_bundle

    files = verify_bundle._sources()
    text = verify_bundle.build(files, "test")
    assert text == verify_bundle.build(files, "test"), "the same files make the same text"
    path = tmp_path_factory.mktemp("bundle") / "verify_bundle.py"
    path.write_text(text)
    return path


def test_the_verify_bundle_runs_a_module_without_ansible_installed(bundle, tmp_path):
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"strict": False}}))
    # -I -S: no site-packages, so no Ansible but the bundle's own copy
    command = [sys.executable, "-I", "-S", str(bundle), "monitoring_verify", str(args)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    result = json.loads(proc.stdout)
    assert result["layer"] == "monitoring" and len(result["findings"]) == len(mon.CATALOG), proc.stderr
    refused = subprocess.run([sys.executable, str(bundle), "../../x", str(args)], capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "usage" in refused.stderr


def test_a_timer_that_runs_on_another_calendar_fails_with_both():
    spec = {"timer": "insightengine-audit.timer", "calendar": "quarterly", "period_days": 92,
            "bundle": "/usr/local/lib/insightengine/verify_bundle.py"}  # fmt: skip
    recent = {"time": time.time() - 86400, "lynis": {"hardening_index": 70, "warnings": []}, "verify": {}}
    for loaded, status in (("*-01,04,07,10-01 00:00:00", "pass"), ("*-*-* 00:00:00", "fail")):
        host = audit_host(recent)
        host.calendars = {"insightengine-audit.timer": loaded}
        verifier, findings = verify(host, audit=spec, service_files={"insightengine-audit.timer": []})
        verifier.audit()
        found = finding(findings, "MON-08")
        assert found["status"] == status, found
    assert "runs on *-*-* 00:00:00, not *-01,04,07,10-01 00:00:00 (quarterly)" in found["reason"]


def test_the_verify_bundle_reads_its_arguments_from_stdin(bundle):
    request = json.dumps({"ANSIBLE_MODULE_ARGS": {"strict": False}})
    command = [sys.executable, "-I", "-S", str(bundle), "monitoring_verify"]
    proc = subprocess.run(command, input=request, capture_output=True, text=True, check=False)
    assert json.loads(proc.stdout)["layer"] == "monitoring", proc.stderr


def test_a_timer_older_than_its_file_needs_a_restart():
    """A timer has no process: when it became active (boot time plus
    systemd's monotonic stamp) is what its file is compared with, so a run
    stopped after writing the timer is repaired by the next."""
    timer, path = "insightengine-audit.timer", "/etc/systemd/system/insightengine-audit.timer"
    for written, restart in ((1000.0 + 50, False), (1000.0 + 200, True)):
        host = Host(files={"/proc/stat": "cpu 1 2 3\nbtime 1000\n"}, units={timer: ("enabled", "active")}, mtimes={path: written})
        host.entered = {timer: 100_000_000}  # active since boot + 100 s
        state = mon.read_services(host, {timer: [path]})[timer]
        assert state["started"] == 1100.0 and state["restart"] is restart, state
