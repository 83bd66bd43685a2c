# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Managed by insightengine.hardening.monitoring (MON-07).
#
# Run by insightengine-aide-check.service: aide --check against the role's
# baseline, then
#   - one line per changed, added or removed path and a summary on stdout
#     (the journal, tag insightengine-aide: shipped to the log host);
#   - the result in /var/lib/insightengine/aide/last-check.json (read by
#     monitoring_verify);
#   - counters for the node exporter's textfile collector (alerted).
# Exits 0 when the check ran, whatever it found; 1 when AIDE failed.
import json
import os
import re
import subprocess
import sys
import tempfile
import time

CONF = "/etc/insightengine/aide/aide.conf"
STATE = "/var/lib/insightengine/aide/last-check.json"
TEXTFILE = "/var/lib/prometheus/node-exporter/insightengine-aide.prom"
SUMMARY = re.compile(r"^\s*(Added|Removed|Changed) entries:\s*([0-9]+)\s*$")
ENTRY = re.compile(r"^([fdlcbpsD!?=][^:]*?)\s*:\s+(/.*)$")
SECTION = re.compile(r"^([A-Z][A-Za-z ]*):\s*$")


def atomic_write(path, text, mode=0o644):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        return
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".insightengine-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def parse(output):
    counts = {"added": 0, "removed": 0, "changed": 0}
    entries = []
    section = None
    for line in output.splitlines():
        match = SUMMARY.match(line)
        if match:
            counts[match.group(1).lower()] = int(match.group(2))
            continue
        match = SECTION.match(line.strip())
        if match:
            kind = match.group(1).split()[0].lower()
            section = kind if match.group(1).endswith(" entries") and kind in counts else None
            continue
        match = ENTRY.match(line)
        if match and section:
            entries.append(f"{section}: {match.group(2).strip()}")
    return counts, entries


def main():
    started = time.time()
    proc = subprocess.run(["aide", "--check", "--config", CONF], capture_output=True, text=True, check=False)
    counts, entries = parse(proc.stdout)
    # aide's exit status: bits 1 added, 2 removed, 4 changed; 14 and above an error.
    error = "" if proc.returncode < 14 else (proc.stderr or proc.stdout).strip()[-500:] or f"aide exited {proc.returncode}"
    result = {
        "time": int(started),
        "seconds": round(time.time() - started, 2),
        "rc": proc.returncode,
        "error": error,
        **counts,
        "entries": entries[:50],
    }
    atomic_write(STATE, json.dumps(result, sort_keys=True) + "\n", 0o600)
    total = sum(counts.values()) if not error else 0
    atomic_write(
        TEXTFILE,
        "# HELP insightengine_aide_changed_entries Paths changed, added or removed since the AIDE baseline (last check).\n"
        "# TYPE insightengine_aide_changed_entries gauge\n"
        f"insightengine_aide_changed_entries {total}\n"
        "# HELP insightengine_aide_last_check_timestamp_seconds When the last AIDE check ran.\n"
        "# TYPE insightengine_aide_last_check_timestamp_seconds gauge\n"
        f"insightengine_aide_last_check_timestamp_seconds {int(started)}\n"
        "# HELP insightengine_aide_check_failed 1 when the last AIDE check could not run.\n"
        "# TYPE insightengine_aide_check_failed gauge\n"
        f"insightengine_aide_check_failed {1 if error else 0}\n",
    )
    for entry in entries:
        print(f"AIDE {entry}")
    if error:
        print(f"AIDE check failed: {error}")
        return 1
    print(
        f"AIDE check: {counts['changed']} changed, {counts['added']} added, {counts['removed']} removed "
        f"since the baseline ({result['seconds']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
