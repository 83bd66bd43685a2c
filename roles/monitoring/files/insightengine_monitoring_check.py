# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Managed by insightengine.hardening.monitoring (MON-04 .. MON-08).
#
# Checks a candidate file where it will be read, before it lands:
#   mtail CANDIDATE              mtail --compile_only on the program
#   rules CANDIDATE TESTS        promtool check rules, then promtool test rules
#                                with TESTS (its rule_files: alerts.rules.yml)
#   fail2ban CANDIDATE DEST      fail2ban-client -t on a copy of /etc/fail2ban
#                                with the candidate in place of DEST
#   timer CANDIDATE              systemd-analyze calendar on each OnCalendar=
import os
import shutil
import subprocess
import sys
import tempfile


def run(*cmd):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    sys.stderr.write(proc.stderr + proc.stdout)
    return proc.returncode


def check_mtail(candidate):
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(candidate, os.path.join(tmp, "insightengine.mtail"))
        # --port 0: the check must not take the running mtail's port.
        return run("mtail", "--compile_only", "--progs", tmp, "--logtostderr", "--address", "127.0.0.1", "--port", "0")


def check_rules(candidate, tests):
    status = run("promtool", "check", "rules", candidate)
    if status:
        return status
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(candidate, os.path.join(tmp, "alerts.rules.yml"))
        shutil.copyfile(tests, os.path.join(tmp, "alerts.test.yml"))
        return run("promtool", "test", "rules", os.path.join(tmp, "alerts.test.yml"))


def check_fail2ban(candidate, dest):
    base = "/etc/fail2ban"
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "fail2ban")
        shutil.copytree(base, conf, symlinks=True)
        shutil.copyfile(candidate, os.path.join(conf, os.path.relpath(dest, base)))
        return run("fail2ban-client", "--conf", conf, "--test")


def check_timer(candidate):
    with open(candidate, encoding="utf-8") as handle:
        calendars = [line.split("=", 1)[1].strip() for line in handle if line.startswith("OnCalendar=")]
    if not calendars:
        sys.stderr.write("no OnCalendar= in the timer\n")
        return 1
    return max(run("systemd-analyze", "calendar", calendar) for calendar in calendars)


def main(argv):
    checks = {
        "mtail": (check_mtail, 1),
        "rules": (check_rules, 2),
        "fail2ban": (check_fail2ban, 2),
        "timer": (check_timer, 1),
    }
    if not argv or argv[0] not in checks or len(argv) - 1 != checks[argv[0]][1]:
        sys.exit(
            "usage: insightengine_monitoring_check.py mtail CANDIDATE | rules CANDIDATE TESTS | fail2ban CANDIDATE DEST"
            " | timer CANDIDATE"
        )
    return checks[argv[0]][0](*argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
