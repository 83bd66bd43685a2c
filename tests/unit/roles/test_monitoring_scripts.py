"""The monitoring role's two scripts: the journal replay rsyslog runs before
it starts (against a fake journal) and the configuration checker's include
expansion (the Molecule scenario runs both for real)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "roles" / "monitoring" / "files"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, FILES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entry(seconds: int, cursor: str, **fields) -> dict:
    return {"__REALTIME_TIMESTAMP": str(seconds * 1_000_000), "__CURSOR": cursor, **fields}


class FakeJournal:
    """Answers the replay script's journalctl questions from a list of entries."""

    def __init__(self, entries):
        self.entries = entries

    def __call__(self, *args, first=False):
        args = list(args)
        found = list(self.entries)
        if "-t" in args:
            found = [e for e in found if e.get("SYSLOG_IDENTIFIER") == args[args.index("-t") + 1]]
        for arg in args:
            if arg.startswith("_PID="):
                found = [e for e in found if e.get("_PID") == arg[5:]]
            if arg.startswith("--cursor="):
                found = [e for e in found if e["__CURSOR"] == arg[9:]]
        if "--grep" in args:
            found = [e for e in found if "suspended" in e.get("MESSAGE", "") or "resumed" in e.get("MESSAGE", "")]
        if "--until" in args:
            until = int(args[args.index("--until") + 1].lstrip("@"))
            found = [e for e in found if int(e["__REALTIME_TIMESTAMP"]) // 1_000_000 <= until]
        if "-r" in args:
            found = found[::-1]
        if "-n" in args:
            found = found[: int(args[args.index("-n") + 1])]
        return found[:1] if first else found


@pytest.fixture
def replay():
    return load("insightengine_rsyslog_replay")


def journal_with(suspended: bool):
    entries = [entry(t, f"c{t}", MESSAGE=f"line {t}") for t in range(1000, 1200, 10)]
    entries.append(entry(1100, "s1100", SYSLOG_IDENTIFIER="rsyslogd", _PID="41", MESSAGE="start"))
    if suspended:
        entries.append(
            entry(1105, "s1105", SYSLOG_IDENTIFIER="rsyslogd", _PID="41", MESSAGE="action 'fwd' suspended (module 'omrelp')")
        )
    entries.append(entry(1190, "s1190", SYSLOG_IDENTIFIER="rsyslogd", _PID="41", MESSAGE="exiting on signal 15."))
    return sorted(entries, key=lambda e: int(e["__REALTIME_TIMESTAMP"]))


def test_after_an_outage_it_goes_back_from_the_moment_the_action_was_suspended(replay, tmp_path, monkeypatch):
    state = tmp_path / "imjournal.state"
    state.write_text("c1180")
    monkeypatch.setattr(replay, "journal", FakeJournal(journal_with(suspended=True)))
    message = replay.main("fwd", str(state), "fwd", "45")
    assert "suspended" in message
    assert state.read_text() == "c1060"  # the last entry at or before 1105 - 45
    assert oct(state.stat().st_mode & 0o777) == "0o600"


def test_otherwise_it_goes_back_from_where_rsyslogd_stopped_reading(replay, tmp_path, monkeypatch):
    state = tmp_path / "imjournal.state"
    state.write_text("c1180")
    monkeypatch.setattr(replay, "journal", FakeJournal(journal_with(suspended=False)))
    message = replay.main("fwd", str(state), "fwd", "45")
    assert "stopped reading" in message
    assert state.read_text() == "c1130"  # 1180 - 45 = 1135: the last entry before it


def test_a_resumed_action_is_not_an_outage(replay, tmp_path, monkeypatch):
    entries = journal_with(suspended=True)
    entries.insert(-1, entry(1150, "s1150", SYSLOG_IDENTIFIER="rsyslogd", _PID="41", MESSAGE="action 'fwd' resumed (module)"))
    state = tmp_path / "imjournal.state"
    state.write_text("c1180")
    monkeypatch.setattr(replay, "journal", FakeJournal(entries))
    assert "stopped reading" in replay.main("fwd", str(state), "fwd", "45")


def test_nothing_to_replay_without_a_state_or_a_cursor_still_in_the_journal(replay, tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "journal", FakeJournal(journal_with(suspended=False)))
    assert "nothing to replay" in replay.main("fwd", str(tmp_path / "none"), "fwd", "45")
    state = tmp_path / "imjournal.state"
    state.write_text("vacuumed-away")
    assert "not in the journal" in replay.main("fwd", str(state), "fwd", "45")
    assert state.read_text() == "vacuumed-away"


def test_the_checker_puts_the_candidate_where_the_file_lands(tmp_path):
    check = load("insightengine_rsyslog_check")
    (tmp_path / "10-other.conf").write_text("# someone else's\n")
    (tmp_path / "60-ours.conf").write_text("# the old one\n")
    text = f'module(load="imuxsock")\n$IncludeConfig {tmp_path}/*.conf\n*.* /var/log/syslog\n'
    expanded = check.expand(text, f"{tmp_path}/60-ours.conf", "/tmp/candidate")
    assert expanded.splitlines() == [
        'module(load="imuxsock")',
        f'include(file="{tmp_path}/10-other.conf")',
        'include(file="/tmp/candidate")',
        "*.* /var/log/syslog",
    ]
    # a file that does not exist yet joins where the glob would read it; the newer include() syntax too
    text = f'include(file="{tmp_path}/*.conf" mode="optional")\n'
    expanded = check.expand(text, f"{tmp_path}/70-new.conf", "/tmp/candidate")
    assert expanded.splitlines()[-1] == 'include(file="/tmp/candidate")'
    assert len(expanded.splitlines()) == 3
