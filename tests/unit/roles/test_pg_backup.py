"""The postgres role's backup and restore-test script, against fake
PostgreSQL client tools on PATH (the Molecule scenario runs the real ones)."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "postgres" / "files" / "insightengine_pg_backup.py"

FAKES = {
    "psql": """#!/bin/sh
case "$*" in
  *"select datname"*) echo appdb; echo other ;;
  *"count(*) from pg_class"*) echo "${FAKE_TABLES:-2}" ;;
  *"coalesce(sum"*) echo 10 ;;
esac
""",
    "pg_dumpall": "#!/bin/sh\necho '-- globals'\n",
    "pg_dump": """#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = -f ] && { echo "dump of $4" >"$2"; exit 0; }; shift; done
exit 1
""",
    "pg_restore": """#!/bin/sh
if [ "$1" = -l ]; then printf '1; 0 0 TABLE DATA public a x\\n2; 0 0 TABLE DATA public b x\\n'; exit 0; fi
[ -n "$FAKE_RESTORE_FAILS" ] && { echo "restore broke" >&2; exit 1; }
exit 0
""",
}


@pytest.fixture
def tools(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in FAKES.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )


def load():
    spec = importlib.util.spec_from_file_location("insightengine_pg_backup", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_backup_is_complete_only_with_its_manifest_and_is_private(tools):
    root = tools / "backups"
    proc = run("backup", "--root", str(root), "--port", "5433", "--retention-days", "14")
    assert proc.returncode == 0, proc.stderr
    (target,) = root.iterdir()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700 and stat.S_IMODE(target.stat().st_mode) == 0o700
    manifest = json.loads((target / "MANIFEST.json").read_text())
    assert manifest["databases"] == {"appdb": "appdb.dump", "other": "other.dump"}
    assert set(manifest["files"]) == {"globals.sql", "appdb.dump", "other.dump"}
    for name, digest in manifest["files"].items():
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o600
        assert load().sha256(str(target / name)) == digest


def test_old_backups_are_pruned_the_newest_kept_and_dead_ones_after_a_day(tools):
    root = tools / "backups"
    root.mkdir(mode=0o700)
    old, recent, dead, fresh_dead = (root / n for n in ("20200101T000000Z", "20990101T000000Z", "dead-old", "dead-new"))
    for directory in (old, recent, dead, fresh_dead):
        directory.mkdir()
    for directory in (old, recent):
        (directory / "MANIFEST.json").write_text("{}")
    week_ago, two_days_ago = time.time() - 20 * 86400, time.time() - 2 * 86400
    os.utime(old / "MANIFEST.json", (week_ago, week_ago))
    os.utime(dead, (two_days_ago, two_days_ago))
    load().prune(str(root), 14, keep=str(recent))
    assert sorted(p.name for p in root.iterdir()) == ["20990101T000000Z", "dead-new"]


def test_a_restore_test_of_a_good_backup_passes_and_its_status_is_private(tools):
    root, status = tools / "backups", tools / "status.json"
    assert run("backup", "--root", str(root)).returncode == 0
    proc = run("restore-test", "--root", str(root), "--status", str(status))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(status.read_text())
    assert result["ok"] is True and result["error"] is None
    assert result["databases"]["appdb"] == {"tables_in_dump": 2, "tables_restored": 2, "rows_restored": 10}
    assert stat.S_IMODE(status.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("break_it", "env", "error"),
    [
        (lambda target: (target / "appdb.dump").write_text("tampered"), {}, "appdb.dump: checksum differs from the manifest"),
        (lambda target: None, {"FAKE_RESTORE_FAILS": "1"}, "appdb: pg_restore failed: restore broke"),
        (lambda target: None, {"FAKE_TABLES": "1"}, "appdb: 1 tables restored, the dump holds 2"),
    ],
)
def test_a_restore_test_of_a_bad_backup_fails_with_the_reason(tools, break_it, env, error):
    root, status = tools / "backups", tools / "status.json"
    assert run("backup", "--root", str(root)).returncode == 0
    break_it(next(root.iterdir()))
    proc = run("restore-test", "--root", str(root), "--status", str(status), env=env)
    assert proc.returncode == 1
    result = json.loads(status.read_text())
    assert result["ok"] is False and result["error"].startswith(error), result["error"]


def test_no_backup_yet_is_a_failed_restore_test(tools):
    (tools / "empty").mkdir()
    proc = run("restore-test", "--root", str(tools / "empty"), "--status", str(tools / "s.json"))
    assert proc.returncode == 1
    assert json.loads((tools / "s.json").read_text())["error"] == f"no complete backup in {tools / 'empty'}"


def test_a_restore_test_needs_its_status_file():
    proc = run("restore-test", "--root", "/nonexistent")
    assert proc.returncode == 2 and "restore-test needs --status" in proc.stderr
