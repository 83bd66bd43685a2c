# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Managed by insightengine.hardening.monitoring (MON-07, MON-08).
#
#   insightengine_audit.py aide   run by insightengine-aide-check.service
#   insightengine_audit.py        run by insightengine-audit.service
#
# aide: aide --check against the role's baseline, then
#   - one line per changed, added or removed path and a summary on stdout
#     (the journal, tag insightengine-aide: shipped to the log host);
#   - the result in /var/lib/insightengine/aide/last-check.json (read by
#     monitoring_verify);
#   - gauges for the node exporter's textfile collector (alerted).
# Exits 0 when the check ran, whatever it found; 1 when AIDE failed.
#
# The audit (insightengine-audit.timer): Lynis,
# then the collection's verify module of each layer this host was last
# converged with (their arguments in /var/lib/insightengine/audit/
# verify-args.json, the modules in /usr/local/lib/insightengine/
# verify_bundle.py). Writes
#   - both reports on stdout, one line each (the journal, tag
#     insightengine-audit: shipped to the log host);
#   - the result in /var/lib/insightengine/audit/last-audit.json (read by
#     monitoring_verify);
#   - gauges for the node exporter's textfile collector (the audit's age is
#     alerted).
# Exits 0 when both ran, whatever they found.
import json
import os
import re
import subprocess
import sys
import tempfile
import time

DIR = "/var/lib/insightengine/audit"
ARGS = f"{DIR}/verify-args.json"
STATE = f"{DIR}/last-audit.json"
REPORT = f"{DIR}/lynis-report.dat"
LOG = f"{DIR}/lynis.log"
BUNDLE = "/usr/local/lib/insightengine/verify_bundle.py"
TEXTFILE = "/var/lib/prometheus/node-exporter/insightengine-audit.prom"
AIDE_CONF = "/etc/aide/aide.conf"
AIDE_STATE = "/var/lib/insightengine/aide/last-check.json"
AIDE_TEXTFILE = "/var/lib/prometheus/node-exporter/insightengine-aide.prom"
SUMMARY = re.compile(r"^\s*(Added|Removed|Changed) entries:\s*([0-9]+)\s*$")
ENTRY = re.compile(r"^([fdlcbpsD!?=][^:]*?)\s*:\s+(/.*)$")
SECTION = re.compile(r"^([A-Z][A-Za-z ]*):\s*$")
# What a module's result holds for an option marked no_log: the option is
# left out and takes its default (the scheduled verify never sees secrets).
HIDDEN = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def atomic_write(path, text, mode=0o644):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        return
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".insightengine-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def emit(kind, **fields):
    print(json.dumps({"report": kind, **fields}, sort_keys=True), flush=True)


def lynis():
    started = time.time()
    proc = subprocess.run(
        ["lynis", "audit", "system", "--cronjob", "--quiet", "--no-colors", "--report-file", REPORT, "--logfile", LOG],
        capture_output=True,
        text=True,
        check=False,
    )
    found = {"rc": proc.returncode, "seconds": round(time.time() - started, 1), "warnings": [], "suggestions": []}
    try:
        with open(REPORT, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        found["error"] = f"no report: {exc}; {proc.stderr.strip()[-300:]}"
        return found
    for line in lines:
        key, _sep, value = line.partition("=")
        if key == "hardening_index" and value.isdigit():
            found["hardening_index"] = int(value)
        elif key == "lynis_version":
            found["version"] = value
        elif key in ("warning[]", "suggestion[]"):
            test, _sep, text = value.partition("|")
            found["warnings" if key == "warning[]" else "suggestions"].append({"test": test, "text": text.split("|", 1)[0]})
    if "hardening_index" not in found:
        found["error"] = "the report has no hardening_index"
    return found


def clean(value):
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v != HIDDEN}
    if isinstance(value, list):
        return [clean(v) for v in value if v != HIDDEN]
    return value


def verify_layer(layer, args):
    """The layer's verify module run from the bundle, its arguments on stdin."""
    request = json.dumps({"ANSIBLE_MODULE_ARGS": {**clean(args), "strict": False}})
    proc = subprocess.run(
        [sys.executable, BUNDLE, f"{layer}_verify"], input=request, capture_output=True, text=True, check=False, timeout=600
    )
    try:
        return json.loads(proc.stdout[proc.stdout.index("{") :])
    except ValueError:
        return {"error": (proc.stderr or proc.stdout).strip()[-500:] or f"exit {proc.returncode}", "findings": []}


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


def aide_check():
    started = time.time()
    proc = subprocess.run(["aide", "--check", "--config", AIDE_CONF], capture_output=True, text=True, check=False)
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
    atomic_write(AIDE_STATE, json.dumps(result, sort_keys=True) + "\n", 0o600)
    total = sum(counts.values()) if not error else 0
    atomic_write(
        AIDE_TEXTFILE,
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


def audit():
    started = time.time()
    os.makedirs(DIR, mode=0o700, exist_ok=True)
    report = {"time": int(started), "lynis": lynis(), "verify": {}}
    ly = report["lynis"]
    for item in ly["warnings"]:
        emit("lynis-warning", **item)
    for item in ly["suggestions"]:
        emit("lynis-suggestion", **item)
    emit(
        "lynis",
        hardening_index=ly.get("hardening_index"),
        warnings=len(ly["warnings"]),
        suggestions=len(ly["suggestions"]),
        version=ly.get("version"),
        error=ly.get("error", ""),
    )
    try:
        with open(ARGS, encoding="utf-8") as handle:
            layers = json.load(handle)
    except (OSError, ValueError) as exc:
        layers = {}
        report["verify_error"] = f"{ARGS}: {exc}"
    for layer in sorted(layers):
        result = verify_layer(layer, layers[layer])
        for finding in result.get("findings", []):
            emit(
                "verify-finding",
                layer=layer,
                control=finding.get("id"),
                status=finding.get("status"),
                reason=finding.get("reason") or "",
            )
        summary = {
            "failed": result.get("failed_controls", []),
            "summary": result.get("summary", {}),
            "error": result.get("error") or ("" if "findings" in result else result.get("msg", "")),
        }
        report["verify"][layer] = summary
        emit("verify", layer=layer, **summary)
    report["seconds"] = round(time.time() - started, 1)
    atomic_write(STATE, json.dumps(report, sort_keys=True) + "\n", 0o600)
    failed = sum(len(v["failed"]) + bool(v["error"]) for v in report["verify"].values())
    metrics = [
        "# HELP insightengine_audit_last_run_timestamp_seconds When the last scheduled audit (Lynis and verify) ran.",
        "# TYPE insightengine_audit_last_run_timestamp_seconds gauge",
        f"insightengine_audit_last_run_timestamp_seconds {int(started)}",
        "# HELP insightengine_audit_verify_failed_controls Controls the last scheduled verify found failing.",
        "# TYPE insightengine_audit_verify_failed_controls gauge",
        f"insightengine_audit_verify_failed_controls {failed}",
    ]
    if "hardening_index" in ly:
        metrics += [
            "# HELP insightengine_audit_lynis_hardening_index Lynis's hardening index at the last audit.",
            "# TYPE insightengine_audit_lynis_hardening_index gauge",
            f"insightengine_audit_lynis_hardening_index {ly['hardening_index']}",
        ]
    atomic_write(TEXTFILE, "\n".join(metrics) + "\n")
    emit("audit", seconds=report["seconds"], failed_controls=failed, hardening_index=ly.get("hardening_index"))
    return 0


def main(argv):
    if argv == ["aide"]:
        return aide_check()
    if not argv:
        return audit()
    sys.exit("usage: insightengine_audit.py [aide]")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
