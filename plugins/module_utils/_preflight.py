# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pre-flight checklist of the hardening guide (section 5), as five
controls judged on what a host runs, and the parsers they read it with.

Each function is pure over what a command printed or a file held, so the
unit tests feed them recorded outputs of Debian 12 and 13.
Private to the collection: no API promise.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import typing as t

from ._findings import Control

GUIDE = "Security Hardening Guide §5 Security Checklist - Pre-Flight"

CATALOG = (
    Control(
        "PRE-01",
        "Default credentials changed: no database role, application secret or alert receiver holds a known default "
        "password, and no default account can log in",
        f"{GUIDE}: Are all default credentials changed?",
        "Rotate the named credential (playbooks/rotate-secrets.yml for the database and the application; the "
        "receiver's secret in monitoring_alert_webhook_url), lock or remove the named account (passwd -l).",
        source="pg_authid (SCRAM and MD5 verifiers tried against the default list); the application's secret files; "
        "alertmanager.yml; /etc/shadow",
    ),
    Control(
        "PRE-02",
        "Debug mode disabled: the application's containers, nginx (no debug log, no autoindex) and PostgreSQL "
        "(no debug log levels)",
        f"{GUIDE}: Is debug mode disabled?",
        "Set the application's DEBUG to false (app_environment), remove error_log ... debug and autoindex on from nginx, "
        "set log_min_messages and client_min_messages to warning or above.",
        source="docker inspect (Config.Env) of the project's containers; nginx -T; pg_settings",
    ),
    Control(
        "PRE-03",
        "Backups scheduled and verified: the backup timer active, the latest backup recent, the latest restore test passed",
        f"{GUIDE}: Are backups scheduled and verified?",
        "Converge the postgres layer (postgres_backup_enabled, postgres_restore_test_enabled) and look at "
        "journalctl -u insightengine-pg-backup -u insightengine-pg-restore-test.",
        source="systemctl show of the backup and restore-test timers; the backup directory; the restore test's record",
    ),
    Control(
        "PRE-04",
        "Monitoring active: the log shipper and the exporters answer, and a test alert reached the receiver during the check",
        f"{GUIDE}: Is monitoring active?",
        "Converge the monitoring layer; read journalctl -u prometheus-alertmanager for the receiver's error.",
        source="systemctl show; the exporters' /metrics; a test alert posted to Alertmanager's /api/v2/alerts and its "
        "counters of requests to the receivers (alertmanager_notification_requests_total, _failed_total)",
    ),
    Control(
        "PRE-05",
        "Security advisories reviewed: no pending security update, each image scanned recently, and the last recorded "
        "review of the advisories within its period",
        f"{GUIDE}: Have you reviewed the latest security advisories for dependencies?",
        "Apply the pending security updates (unattended-upgrade), scan the images again (the app layer), review the "
        "advisories and record the date in insightengine_preflight_advisories_reviewed.",
        source="apt-get -s upgrade (security origins); the application's scan records; the recorded review date",
    ),
)

# Passwords that ship as defaults or that people type when asked for one:
# vendors' documented defaults (postgres, admin, ...), this project's names,
# and the placeholders examples use (changeme, CHANGE_ME).
DEFAULT_PASSWORDS = (
    "",
    "postgres",
    "password",
    "Password1",
    "passw0rd",
    "admin",
    "administrator",
    "root",
    "toor",
    "secret",
    "changeme",
    "change_me",
    "CHANGE_ME",
    "changeit",
    "default",
    "letmein",
    "welcome",
    "test",
    "example",
    "insightengine",
    "InsightEngine",
    "123456",
    "12345678",
    "qwerty",
)
# Accounts that images and installers create with known passwords.
DEFAULT_ACCOUNTS = ("pi", "ubuntu", "debian", "admin", "user", "guest", "test", "demo", "vagrant", "oracle", "centos")


def candidates(extra: t.Iterable[str] = (), name: str = "") -> list[str]:
    """The default list, the operator's additions, and the account's own name."""
    return list(dict.fromkeys([*DEFAULT_PASSWORDS, *extra, *([name] if name else [])]))


def md5_matches(verifier: str, role: str, password: str) -> bool:
    """PostgreSQL's md5 verifier: 'md5' + md5(password + role name)."""
    digest = hashlib.md5((password + role).encode(), usedforsecurity=False).hexdigest()  # PostgreSQL's own format
    return verifier == "md5" + digest


def default_password_roles(
    roles: dict[str, str | None], scram_matches: t.Callable[[str, str], bool], extra: t.Iterable[str] = ()
) -> dict[str, str]:
    """Login roles whose stored verifier matches a default password: role ->
    how it was found (never the password itself); a role without a password
    is not one (it cannot log in with one)."""
    hits = {}
    extra = list(extra)
    for role, verifier in sorted(roles.items()):
        if not verifier:
            continue
        for index, password in enumerate(candidates(extra, role)):
            if verifier.startswith("SCRAM-SHA-256$"):
                found = scram_matches(verifier, password)
            elif verifier.startswith("md5"):
                found = md5_matches(verifier, role, password)
            else:
                found = verifier == password  # a plaintext password (password_encryption off, long ago)
            if found:
                hits[role] = "its own name" if password == role else f"default password #{index + 1} of the list"
                break
    return hits


def default_secret_files(files: dict[str, str | None], extra: t.Iterable[str] = ()) -> list[str]:
    """Secret files whose content (stripped of one trailing newline) is a default."""
    known = set(candidates(extra))
    return sorted(path for path, text in files.items() if text is not None and text.rstrip("\n") in known)


_URL_PASSWORD = re.compile(r"\w+://[^/\s:@]+:([^@\s/]+)@")
_KEY_PASSWORD = re.compile(r"^\s*(?:password|auth_password|smtp_auth_password|credentials)\s*:\s*(['\"]?)(.*?)\1\s*$", re.M)


def alertmanager_default_secrets(text: str, extra: t.Iterable[str] = ()) -> list[str]:
    """Where alertmanager.yml holds a default password: a URL's user info, a
    password or credentials key (basic auth, SMTP, bearer)."""
    known = set(candidates(extra)) - {""}
    where = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in _URL_PASSWORD.finditer(line):
            if match.group(1) in known:
                where.append(f"line {number}: a URL's password")
    for match in _KEY_PASSWORD.finditer(text):
        if match.group(2) in known:
            number = text.count("\n", 0, match.start()) + 1
            where.append(f"line {number}: {match.group(0).split(':', 1)[0].strip()}")
    return sorted(set(where), key=lambda w: int(w.split()[1].rstrip(":")))


def shadow_login_accounts(text: str) -> dict[str, str]:
    """Accounts of /etc/shadow with their password field: '' (no password,
    anyone logs in where PAM allows it), 'hash' (a usable password), or
    'locked' ('!', '*' and anything that is not a crypt hash)."""
    accounts = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) < 2 or not fields[0]:
            continue
        value = fields[1]
        if value == "":
            accounts[fields[0]] = ""
        elif value.startswith("$") and not value.startswith("!"):
            accounts[fields[0]] = "hash"
        else:
            accounts[fields[0]] = "locked"
    return accounts


def default_accounts(shadow: dict[str, str], names: t.Iterable[str] = DEFAULT_ACCOUNTS) -> dict[str, str]:
    """Accounts that can log in and should not: any without a password, and
    the installers' default accounts with a usable password."""
    names = set(names)
    problems = {}
    for account, state in sorted(shadow.items()):
        if state == "":
            problems[account] = "no password"
        elif state == "hash" and account in names:
            problems[account] = "a default account with a usable password"
    return problems


def nginx_debug(config: str) -> list[str]:
    """What in `nginx -T` turns debugging on: an error_log at debug level,
    autoindex on (a directory listing). Comments do not count."""
    found = []
    current = ""
    for line in config.splitlines():
        if line.startswith("# configuration file "):
            current = line[len("# configuration file ") :].rstrip(":")
            continue
        code = line.split("#", 1)[0]
        for pattern in (r"(?:^|[\s;{])(error_log\s+\S+\s+debug\s*;)", r"(?:^|[\s;{])(autoindex\s+on\s*;)"):
            found += [f"{current}: {match}" for match in re.findall(pattern, code)]
    return found


PG_DEBUG_SETTINGS = ("log_min_messages", "client_min_messages", "log_min_error_statement")
PG_DEBUG_SWITCHES = ("debug_print_parse", "debug_print_rewritten", "debug_print_plan", "log_parser_stats", "log_planner_stats")


def postgres_debug(settings: dict[str, dict[str, t.Any]]) -> dict[str, str]:
    """Settings that log at a debug level or print debugging output."""
    found = {}
    for name in PG_DEBUG_SETTINGS:
        value = str((settings.get(name) or {}).get("setting", ""))
        if value.startswith("debug"):
            found[name] = value
    for name in PG_DEBUG_SWITCHES:
        if str((settings.get(name) or {}).get("setting", "")) == "on":
            found[name] = "on"
    return found


_DEBUG_NAMES = re.compile(r"^(DEBUG|APP_DEBUG|FLASK_DEBUG|DJANGO_DEBUG|NODE_DEBUG|RAILS_DEBUG|[A-Z_]*_DEBUG)$")
_TRUE = {"1", "true", "yes", "on", "y", "t"}
_DEVELOPMENT = {"development", "dev", "debug", "local", "test"}
_ENVIRONMENT_NAMES = ("APP_ENV", "FLASK_ENV", "NODE_ENV", "RAILS_ENV", "ENVIRONMENT")


def container_debug(env: t.Iterable[str]) -> list[str]:
    """Environment entries of a container that turn debugging on: a *DEBUG
    name set true, an environment named for development (APP_ENV,
    FLASK_ENV, NODE_ENV, RAILS_ENV, ENVIRONMENT)."""
    found = []
    for entry in env:
        name, sep, value = entry.partition("=")
        if not sep:
            continue
        debug = _DEBUG_NAMES.match(name) and value.strip().lower() in _TRUE
        development = name in _ENVIRONMENT_NAMES and value.strip().lower() in _DEVELOPMENT
        if debug or development:
            found.append(f"{name}={value}")
    return found


_INST = re.compile(r"^Inst (\S+) (?:\[(\S+)\] )?\((\S+) (.+?)\)", re.M)


def pending_security_updates(simulation: str) -> list[str]:
    """Packages `apt-get -s upgrade` (or dist-upgrade) would take from a
    security origin ("Debian-Security:12/stable-security", "Ubuntu:22.04/jammy-security")."""
    pending = []
    for match in _INST.finditer(simulation):
        origins = match.group(4)
        if re.search(r"security", origins, re.I):
            pending.append(f"{match.group(1)} {match.group(3)}")
    return sorted(pending)


def review_age_days(reviewed: str, today: datetime.date) -> int | None:
    """Days since the recorded review (YYYY-MM-DD); None when none is recorded."""
    try:
        return (today - datetime.date.fromisoformat(str(reviewed))).days
    except ValueError:
        return None


def notification_requests(metrics: str) -> tuple[float, float]:
    """(requests, failed requests) Alertmanager sent to every integration's
    receiver, from /metrics (alertmanager_notification_requests_total and
    _failed_total: each HTTP or SMTP attempt, retries included;
    alertmanager_notifications_total counts a notification before its
    outcome is known, so it cannot tell delivered from retrying)."""
    sent = failed = 0.0
    for line in metrics.splitlines():
        if line.startswith("alertmanager_notification_requests_total{"):
            sent += float(line.rsplit(" ", 1)[1])
        elif line.startswith("alertmanager_notification_requests_failed_total{"):
            failed += float(line.rsplit(" ", 1)[1])
    return sent, failed
