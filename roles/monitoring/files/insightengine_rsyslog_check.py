# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Managed by insightengine.hardening.monitoring (MON-02, MON-03).
#
# Checks a candidate rsyslog file in the configuration it joins: the host's
# /etc/rsyslog.conf with every file it includes, the candidate in place of
# DEST, run through rsyslogd -N1. A module loaded twice, a ruleset or
# template name taken, or a parameter rsyslogd does not know fails here,
# before the file lands.
#
# Usage: python3 insightengine_rsyslog_check.py CANDIDATE DEST
import fnmatch
import glob
import os
import re
import subprocess
import sys
import tempfile

INCLUDE = re.compile(r'^\s*(?:\$IncludeConfig\s+(\S+)|include\(\s*file="([^"]+)"[^)]*\))\s*$', re.M)


def expand(text, dest, candidate):
    def replace(match):
        pattern = match.group(1) or match.group(2)
        files = sorted(set(glob.glob(pattern)) | ({dest} if fnmatch.fnmatch(dest, pattern) else set()))
        return "\n".join(f'include(file="{candidate if f == dest else f}")' for f in files if f == dest or os.path.isfile(f))

    return INCLUDE.sub(replace, text)


def main(candidate, dest):
    with open("/etc/rsyslog.conf", encoding="utf-8") as handle:
        text = handle.read()
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as main_file:
        main_file.write(expand(text, dest, candidate))
    try:
        proc = subprocess.run(["rsyslogd", "-N1", "-f", main_file.name], capture_output=True, text=True, check=False)
    finally:
        os.unlink(main_file.name)
    sys.stderr.write(proc.stderr + proc.stdout)
    return proc.returncode


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: insightengine_rsyslog_check.py CANDIDATE DEST")
    sys.exit(main(*sys.argv[1:]))
