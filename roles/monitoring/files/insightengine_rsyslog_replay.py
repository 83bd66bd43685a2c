# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Managed by insightengine.hardening.monitoring (MON-02).
#
# Run by rsyslog.service before rsyslogd starts (ExecStartPre, failures
# ignored). RELP and TCP hand messages to the network before the log host
# acknowledges them; when rsyslogd stops while those are in flight, they are
# gone (rsyslog issue 3820), although the queue saves everything after them.
# The journal still has them. This moves imjournal's cursor back by MARGIN
# seconds (omrelp's acknowledgement timeout and a little more): from the
# point where the last rsyslogd stopped reading or, when that rsyslogd had
# its forwarding action suspended, from the moment it noticed the log host
# was gone. rsyslogd then reads that stretch of the journal again: the log
# host gets duplicates, never a gap. Each restart sends up to MARGIN
# seconds of messages twice.
#
# Usage: python3 insightengine_rsyslog_replay.py QUEUE STATE_FILE ACTION MARGIN_SECONDS
import json
import os
import subprocess
import sys


def journal(*args, first=False):
    cmd = ["journalctl", "--no-pager", "-o", "json", *args]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        entries = []
        for line in proc.stdout:
            if line.startswith("{"):
                entries.append(json.loads(line))
                if first:
                    proc.kill()
                    break
    return entries


def seconds(entry):
    return int(entry["__REALTIME_TIMESTAMP"]) // 1_000_000


def anchor(state, action):
    """When the last rsyslogd noticed the log host was gone, or else the
    last entry it read."""
    last = journal("-r", "-n", "1", "-t", "rsyslogd")
    if last:
        events = journal("-r", "-n", "1", "-t", "rsyslogd", f"_PID={last[0].get('_PID', '0')}",
                         "--grep", f"action '{action}' (suspended|resumed)")  # fmt: skip
        if events and "suspended" in events[0].get("MESSAGE", ""):
            return seconds(events[0]), "when the last rsyslogd's forwarding was suspended"
    with open(state, encoding="ascii") as handle:
        cursor = handle.read().strip()
    read = journal(f"--cursor={cursor}", first=True) if cursor else []
    return (seconds(read[0]), "where the last rsyslogd stopped reading") if read else (None, "")


def main(queue, state, action, margin):
    del queue  # the spool is the queue's business: everything after the gap is in it
    if not os.path.exists(state):
        return "no imjournal state yet: nothing to replay"
    when, what = anchor(state, action)
    if when is None:
        return "the cursor is not in the journal any more: nothing to replay"
    before = journal("-r", "-n", "1", "--until", f"@{when - int(margin)}")
    if not before:
        return "nothing in the journal before that"
    tmp = state + ".replay"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(before[0]["__CURSOR"])
    os.chmod(tmp, 0o600)
    os.replace(tmp, state)
    return f"imjournal moved back to {margin} s before {what}: that stretch is sent again"


if __name__ == "__main__":
    if len(sys.argv) != 5 or not sys.argv[4].isdigit():
        sys.exit("usage: insightengine_rsyslog_replay.py QUEUE STATE_FILE ACTION MARGIN_SECONDS")
    message = main(*sys.argv[1:])
    # rsyslog.service sends its output to /dev/null: say it to the journal.
    subprocess.run(["logger", "-t", "insightengine-rsyslog-replay", message], check=False)
