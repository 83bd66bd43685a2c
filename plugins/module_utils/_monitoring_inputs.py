# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The monitoring role's inputs: one validator per public variable, checks
across variables, and the checks that need the host (monitoring_info).

Where values land: a journald drop-in (systemd's ``KEY=VALUE``: sizes with
K, M, G suffixes, time spans), rsyslog's RainerScript (double-quoted
strings: host names, paths and globs without quotes, backslashes or
whitespace; integers; arrays of names), a logrotate file (a path glob and
integers), certificates (DNS names); for alerting, Prometheus's and
Alertmanager's YAML (durations as Prometheus writes them, numbers, URLs,
e-mail addresses, written by to_json), the ARGS line of a systemd
EnvironmentFile (flags without quotes, backslashes, dollars or spaces),
mtail's regular expressions (paths and role names escaped by the template
from a charset without regex metacharacters but . and -), and fail2ban's
jail file (integers, networks, a port list read from sshd -T). Each
validator below holds its value to the grammar of that place; the
templates quote nothing themselves.

Private to the collection: no API promise.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t

from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring as mon
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Invalid

SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_JOURNAL_SIZE = re.compile(r"([1-9][0-9]{0,5})([KMGkmg])")
_BYTES = {"k": 1024, "m": 1024**2, "g": 1024**3}
# imfile's File= takes a glob in the last path components; the characters
# are those of a path (v.path) and * (no ?, [ ] or braces).
_GLOB = re.compile(r"/[A-Za-z0-9._/@+,:=*-]+")
_TAG = re.compile(r"[A-Za-z0-9_.-]{1,32}")


def journal_size(value: t.Any) -> str:
    """A size as journald reads it (512M, 1G), returned upper-case, at least 16M."""
    raw = v.string(_JOURNAL_SIZE.pattern, what="a size such as 512M or 1G (K, M or G)", numbers=False)(value)
    match = _JOURNAL_SIZE.fullmatch(raw)
    if match is None:
        raise Invalid(f"must be a size such as 512M or 1G, got {v.shown(value)}")
    size = int(match.group(1)) * _BYTES[match.group(2).lower()]
    if size < 16 * 1024**2:
        raise Invalid(f"must be at least 16M (journald needs room for its files), got {v.shown(value)}")
    return match.group(1) + match.group(2).upper()


def byte_size(minimum: int, maximum: int) -> v.Validator:
    """A size with k, m or g (powers of 1024), returned in bytes: rsyslog's
    size parameters are given as plain integers, which every version reads alike."""
    check_size = v.size(minimum, maximum)

    def check(value: t.Any) -> int:
        raw = check_size(value)
        number, unit = re.fullmatch(r"([0-9]+)([kmg]?)", raw).groups()
        return int(number) * _BYTES.get(unit, 1)

    return check


def log_glob(value: t.Any) -> str:
    """An absolute path whose file name may hold * (imfile's wildcards)."""
    raw = v.string(what="an absolute path, * allowed in the file name", max_length=4096)(value)
    if not _GLOB.fullmatch(raw) or "/../" in raw + "/" or "/./" in raw + "/" or "//" in raw:
        raise Invalid(f"must be an absolute path of letters, digits and . _ / @ + , : = - * only, got {v.shown(value)}")
    if "*" in raw.rsplit("/", 1)[0]:
        raise Invalid(f"may hold * in the file name only (imfile watches one directory), got {v.shown(value)}")
    return raw


log_file = v.record(
    {
        "path": log_glob,
        "tag": v.string(_TAG.pattern, what="a tag of letters, digits, _ . - (at most 32)"),
        "facility": v.choice(*(f"local{i}" for i in range(8)), "daemon", "user", what="a facility, one of"),
    },
    required=("path", "tag"),
    defaults={"facility": "local6"},
)


# Prometheus's duration grammar (model.ParseDuration), one unit: 30s, 5m, 1h, 15d, 2w, 1y.
_PROM_DURATION = re.compile(r"(0|[1-9][0-9]{0,5})(ms|s|m|h|d|w|y)")
_PROM_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# A command-line flag in an EnvironmentFile's ARGS="..." (split on spaces by systemd).
_FLAG = re.compile(r"--[a-z][a-z0-9._-]*(=[A-Za-z0-9._/:,=+@^|()\[\]*?{}-]*)?")
_URL = re.compile(
    r"(https?)://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?(/[A-Za-z0-9._~/%=&+,:@-]*)?(\?[A-Za-z0-9._~/%=&+,:@-]*)?"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+")
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_URL_PATH = re.compile(r"/[A-Za-z0-9._~/-]{0,200}")
_LOOPBACK_NOTE = (
    "exporters, mtail, Prometheus and Alertmanager listen on loopback only (127.0.0.1 or ::1): Debian's packages "
    "answer on all addresses without authentication, and this role does not put TLS and authentication in front of them"
)


def prom_duration(minimum: float = 0, maximum: float | None = None) -> v.Validator:
    """A duration as Prometheus writes it (one number, one unit), returned as written."""

    def check(value: t.Any) -> str:
        raw = v.string(None, what="a duration such as 30s, 5m or 1h (ms, s, m, h, d, w, y)", max_length=10)(value)
        match = _PROM_DURATION.fullmatch(raw)
        if match is None:
            raise Invalid(f"must be a duration such as 30s, 5m or 1h (ms, s, m, h, d, w, y), got {v.shown(value)}")
        seconds = int(match.group(1)) * _PROM_SECONDS[match.group(2)]
        if seconds < minimum or (maximum is not None and seconds > maximum):
            raise Invalid(f"must be between {minimum:g}s and {maximum:g}s, got {v.shown(value)}")
        return raw

    return check


def prom_seconds(value: str) -> float:
    match = _PROM_DURATION.fullmatch(value)
    return int(match.group(1)) * _PROM_SECONDS[match.group(2)] if match else 0.0


def ratio(value: t.Any) -> float:
    """A number above 0 and at most 1 (0.05 is 5 %), as an alert threshold."""
    if isinstance(value, bool):
        raise Invalid(f"must be a number above 0 and at most 1 (0.05 is 5 %), got {v.shown(value)}")
    try:
        number = float(value) if isinstance(value, (int, float)) or re.fullmatch(r"[0-9]*\.?[0-9]+", str(value)) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 < number <= 1:
        raise Invalid(f"must be a number above 0 and at most 1 (0.05 is 5 %), got {v.shown(value)}")
    return number


def loopback(value: t.Any) -> str:
    """A loopback address (127.0.0.0/8 or ::1)."""
    address = v.address(value)
    if not ipaddress.ip_address(address).is_loopback:
        raise Invalid(f"must be a loopback address: {_LOOPBACK_NOTE}; got {v.shown(value)}")
    return address


def flag(value: t.Any) -> str:
    """One command-line flag (--name or --name=value) for an ARGS line."""
    raw = v.string(None, what="a flag such as --collector.systemd", max_length=300)(value)
    if not _FLAG.fullmatch(raw):
        raise Invalid(
            f"must be one flag such as --collector.systemd or --name=value (no spaces, quotes, backslashes or $), "
            f"got {v.shown(value)}"
        )
    if raw.split("=", 1)[0] in ("--web.listen-address", "--web.config.file"):
        raise Invalid(f"must not set the listener (monitoring_listen_address and the ports do), got {v.shown(value)}")
    return raw


def url(value: t.Any) -> str:
    """An http or https URL: host name or address, port, path, query (no
    spaces, quotes, fragments or credentials)."""
    raw = v.string(None, what="an http(s) URL such as https://hooks.example.com/alerts", empty=True, max_length=2000)(value)
    if not raw:
        return raw
    match = _URL.fullmatch(raw)
    if match is None or (match.group(2) and not 0 < int(match.group(2)) < 65536):
        raise Invalid("must be an http(s) URL such as https://hooks.example.com/alerts (no credentials, spaces or quotes)")
    return raw


def email(value: t.Any) -> str:
    raw = v.string(None, what="an e-mail address", empty=True, max_length=254)(value)
    if raw and not _EMAIL.fullmatch(raw):
        raise Invalid(f"must be an e-mail address such as ops@example.com, got {v.shown(value)}")
    return raw


def smarthost(value: t.Any) -> str:
    """host:port of the mail relay."""
    raw = v.string(None, what="host:port of a mail relay", empty=True, max_length=300)(value)
    if not raw:
        return raw
    name, sep, port = raw.rpartition(":")
    if not sep:
        raise Invalid(f"must be host:port such as smtp.example.com:587, got {v.shown(value)}")
    v.host(name.strip("[]"))
    v.port(port)
    return raw


def db_role(value: t.Any) -> str:
    """A PostgreSQL role name as the log prints it (unquoted identifiers)."""
    return v.string(_ROLE.pattern, what="a role name (a-z, 0-9, _; at most 63)")(value)


def url_path(value: t.Any) -> str:
    return v.string(_URL_PATH.pattern, what="a URL path such as /login (letters, digits, . _ ~ / -)")(value)


def mtail_log(value: t.Any) -> str:
    """A log path for mtail's --logs (comma separated: no commas)."""
    raw = log_glob(value)
    if "," in raw:
        raise Invalid(f"must not hold a comma (mtail's --logs separates paths with commas), got {v.shown(value)}")
    return raw


# auditctl's -p (read, write, execute, attribute change) and -k (a key, as ausearch -k finds it).
_AUDIT_PERM = re.compile(r"(?!.*(.).*\1)[rwxa]{1,4}")
_AUDIT_KEY = re.compile(r"[A-Za-z0-9_-]{1,31}")


def _socket_dir(value: t.Any) -> str:
    # It lands in a key=value DSN inside an EnvironmentFile: no quoting at either.
    return v.path(v.string(r"/[A-Za-z0-9_./-]{0,200}", what="a socket directory (letters, digits, . _ / -)")(value))


# The exporter runs as the OS user prometheus and logs in by peer authentication.
EXPORTER_OS_USER = "prometheus"


def _exporter_user(value: t.Any) -> str:
    name = db_role(value)
    if name != EXPORTER_OS_USER:
        raise v.Invalid(
            f"must be {EXPORTER_OS_USER}, got {v.shown(name)}: the exporter runs as the OS user {EXPORTER_OS_USER} "
            "and logs in by peer authentication, which admits only the role of the same name"
        )
    return name


pg_exporter_connection = v.record(
    {
        "host": _socket_dir,
        "port": v.port,
        "dbname": v.string(_ROLE.pattern, what="a database name (a-z, 0-9, _; at most 63)"),
        "user": _exporter_user,
    },
    defaults={"host": "/run/postgresql", "port": 5432, "dbname": "postgres", "user": EXPORTER_OS_USER},
)


audit_watch = v.record(
    {
        "path": v.path,
        "perm": v.string(_AUDIT_PERM.pattern, what="auditctl permissions: r, w, x, a, each at most once", numbers=False),
        "key": v.string(_AUDIT_KEY.pattern, what="an audit key of letters, digits, _ and - (at most 31)", numbers=False),
    },
    required=("path", "key"),
    defaults={"perm": "wa"},
)


def peer_name(value: t.Any) -> str:
    """A certificate name: a DNS name, or *.domain (the left-most label)."""
    return v.hostname(value, wildcard=True)


SPEC: dict[str, v.Validator] = {
    "monitoring_verify_strict": v.boolean,
    # MON-01
    "monitoring_journal_enabled": v.boolean,
    "monitoring_journal_max_use": journal_size,
    "monitoring_journal_keep_free": journal_size,
    "monitoring_journal_retention_days": v.integer(1, 3650, "a number of days"),
    "monitoring_journal_seal": v.boolean,
    "monitoring_journal_seal_interval": v.duration(10, 86400),
    "monitoring_secrets_dir": v.controller_path,
    # MON-02
    "monitoring_log_forward_enabled": v.boolean,
    "monitoring_log_host": v.optional(v.host),
    "monitoring_log_protocol": v.choice(*mon.PROTOCOLS, what="a protocol, one of"),
    "monitoring_log_port": v.port,
    "monitoring_log_tls": v.boolean,
    "monitoring_log_tls_required": v.boolean,
    "monitoring_log_peer_name": v.optional(peer_name),
    "monitoring_log_min_severity": v.choice(*SEVERITIES, what="a syslog severity, one of"),
    "monitoring_log_files": v.list_of(log_file, max_items=100),
    "monitoring_log_queue_max_disk": byte_size(16 * 1024**2, 1024**4),
    "monitoring_log_queue_size": v.integer(1000, 10_000_000, "a number of messages"),
    # TLS material
    "monitoring_log_tls_ca_file": v.optional(v.controller_path),
    "monitoring_log_tls_cert_file": v.optional(v.controller_path),
    "monitoring_log_tls_key_file": v.optional(v.controller_path),
    "monitoring_log_tls_names": v.list_of(v.hostname, max_items=20),
    "monitoring_ca_dir": v.controller_path,
    "monitoring_log_tls_cert_valid_days": v.integer(30, 3650, "a number of days"),
    "monitoring_log_tls_cert_renew_days": v.integer(1, 365, "a number of days"),
    # MON-03
    "monitoring_log_receiver": v.boolean,
    "monitoring_log_receiver_enabled": v.boolean,
    "monitoring_log_receiver_relp_port": v.integer(0, 65535, "a port (0: no RELP listener)"),
    "monitoring_log_receiver_tcp_port": v.integer(0, 65535, "a port (0: no syslog-over-TLS listener)"),
    "monitoring_log_receiver_dir": v.path,
    "monitoring_log_receiver_retention_days": v.integer(1, 3650, "a number of days"),
    "monitoring_log_receiver_permitted_peers": v.list_of(peer_name, max_items=10000),
    # MON-04
    "monitoring_alerting_enabled": v.boolean,
    "monitoring_prometheus_enabled": v.boolean,
    "monitoring_alertmanager_enabled": v.boolean,
    "monitoring_listen_address": loopback,
    "monitoring_node_exporter_port": v.port,
    "monitoring_node_exporter_args": v.list_of(flag, max_items=50),
    "monitoring_mtail_port": v.port,
    "monitoring_postgres_exporter_enabled": v.boolean,
    "monitoring_postgres_exporter_port": v.port,
    "monitoring_postgres_exporter_connection": pg_exporter_connection,
    "monitoring_prometheus_port": v.port,
    "monitoring_alertmanager_port": v.port,
    "monitoring_prometheus_retention": prom_duration(3600, 10 * 31536000),
    "monitoring_prometheus_scrape_interval": prom_duration(1, 3600),
    "monitoring_prometheus_evaluation_interval": prom_duration(1, 3600),
    "monitoring_alert_window": prom_duration(60, 86400),
    "monitoring_alert_for": prom_duration(0, 86400),
    "monitoring_alert_ssh_failed_logins": v.integer(1, 1_000_000, "a number of failed logins"),
    "monitoring_alert_app_login_failures": v.integer(1, 1_000_000, "a number of failed logins"),
    "monitoring_alert_app_login_path": url_path,
    "monitoring_alert_http_5xx_ratio": ratio,
    "monitoring_alert_http_5xx_min_requests": v.integer(1, 1_000_000, "a number of requests"),
    "monitoring_alert_pg_auth_failures": v.integer(1, 1_000_000, "a number of failed authentications"),
    "monitoring_alert_pg_permission_denied": v.integer(1, 1_000_000, "a number of refused statements"),
    "monitoring_alert_pg_ddl_roles": v.list_of(db_role, max_items=50),
    "monitoring_alert_nginx_access_logs": v.list_of(mtail_log, max_items=50),
    "monitoring_alert_postgres_logs": v.list_of(mtail_log, max_items=50),
    "monitoring_alert_webhook_url": url,
    "monitoring_alert_email_to": email,
    "monitoring_alert_email_from": email,
    "monitoring_alert_smarthost": smarthost,
    "monitoring_alert_smtp_require_tls": v.boolean,
    "monitoring_alert_group_wait": prom_duration(0, 3600),
    "monitoring_alert_group_interval": prom_duration(1, 86400),
    "monitoring_alert_repeat_interval": prom_duration(60, 30 * 86400),
    # MON-05
    "monitoring_fail2ban_enabled": v.boolean,
    "monitoring_fail2ban_maxretry": v.integer(1, 1000, "a number of failures"),
    "monitoring_fail2ban_findtime": v.duration(10, 7 * 86400),
    "monitoring_fail2ban_bantime": v.duration(10, 365 * 86400),
    "monitoring_fail2ban_ignoreip": v.list_of(v.network(world=False), max_items=200),
    "monitoring_fail2ban_banaction": v.choice("nftables", "iptables-multiport", what="a ban action, one of"),
    "monitoring_fail2ban_nginx_jails": v.boolean,
    "monitoring_fail2ban_docker_enabled": v.boolean,
    # MON-06
    "monitoring_auditd_enabled": v.boolean,
    "monitoring_auditd_watches": v.list_of(audit_watch, max_items=500),
    "monitoring_auditd_extra_watches": v.list_of(audit_watch, max_items=500),
    "monitoring_auditd_backlog_limit": v.integer(320, 1_048_576, "a number of audit records"),
    "monitoring_auditd_failure": v.integer(0, 2, "auditctl's failure mode (0 silent, 1 printk, 2 panic)"),
    "monitoring_auditd_immutable": v.boolean,
    # MON-07
    "monitoring_aide_enabled": v.boolean,
    "monitoring_aide_paths": v.list_of(v.path, min_items=1, max_items=100),
    "monitoring_aide_exclude": v.list_of(v.path, max_items=500),
    "monitoring_aide_check_calendar": v.calendar,
    "monitoring_aide_accept_changes": v.boolean,
    # MON-08
    "monitoring_audit_enabled": v.boolean,
    "monitoring_audit_calendar": v.calendar,
    "monitoring_audit_period_days": v.integer(1, 3660, "a number of days"),
}
MULTILINE: tuple[str, ...] = ()
# The webhook URL may carry a token (its path or query): never quoted back.
SECRETS = ("monitoring_alert_webhook_url",)


def check(inputs: v.Inputs) -> None:
    _check_target(inputs)
    _check_alerting(inputs)
    _check_tls(inputs)
    _check_names(inputs)
    values = inputs.values
    if inputs.valid("monitoring_log_receiver", "monitoring_log_receiver_relp_port", "monitoring_log_receiver_tcp_port"):
        relp, tcp = values["monitoring_log_receiver_relp_port"], values["monitoring_log_receiver_tcp_port"]
        if values["monitoring_log_receiver"] and not relp and not tcp:
            inputs.error("monitoring_log_receiver_relp_port and monitoring_log_receiver_tcp_port: at least one must be a port")
        if (
            values["monitoring_log_receiver"]
            and inputs.valid("monitoring_log_receiver_permitted_peers")
            and not (values["monitoring_log_receiver_permitted_peers"])
        ):
            inputs.error(
                "monitoring_log_receiver_permitted_peers: must name the senders' certificates (a name or *.domain); "
                "the log host takes no sender it cannot name"
            )
        if relp and relp == tcp:
            inputs.error(f"monitoring_log_receiver_tcp_port: {tcp} is the RELP port too; give each listener its own")
    _check_audit(inputs)
    if inputs.valid("monitoring_log_files"):
        seen: dict[str, int] = {}
        for i, item in enumerate(values["monitoring_log_files"]):
            if item["path"] in seen:
                inputs.error(f"monitoring_log_files[{i}].path: {item['path']} is monitoring_log_files[{seen[item['path']]}] too")
            seen.setdefault(item["path"], i)


def _check_audit(inputs: v.Inputs) -> None:
    values = inputs.values
    if inputs.valid("monitoring_auditd_watches", "monitoring_auditd_extra_watches"):
        seen: dict[str, str] = {}
        for name in ("monitoring_auditd_watches", "monitoring_auditd_extra_watches"):
            for i, watch in enumerate(values[name]):
                where = f"{name}[{i}]"
                if watch["path"] in seen:
                    inputs.error(
                        f"{where}.path: {watch['path']} is watched by {seen[watch['path']]} too (auditctl refuses a second watch)"
                    )
                seen.setdefault(watch["path"], where)
    if inputs.valid("monitoring_aide_paths", "monitoring_aide_exclude"):
        for i, path in enumerate(values["monitoring_aide_exclude"]):
            if not any(path == p or path.startswith(p.rstrip("/") + "/") for p in values["monitoring_aide_paths"]):
                inputs.error(f"monitoring_aide_exclude[{i}]: {path} is under none of monitoring_aide_paths (nothing to exclude)")


def _check_alerting(inputs: v.Inputs) -> None:  # noqa: PLR0912 - one branch per rule between the variables
    values = inputs.values
    if not inputs.valid("monitoring_alerting_enabled") or not values["monitoring_alerting_enabled"]:
        return
    ports = (
        "monitoring_node_exporter_port",
        "monitoring_mtail_port",
        "monitoring_postgres_exporter_port",
        "monitoring_prometheus_port",
        "monitoring_alertmanager_port",
    )
    seen: dict[int, str] = {}
    for name in ports:
        if inputs.valid(name):
            if values[name] in seen:
                inputs.error(f"{name}: {values[name]} is {seen[values[name]]} too; give each listener its own port")
            seen.setdefault(values[name], name)
    receivers = ("monitoring_alert_webhook_url", "monitoring_alert_email_to", "monitoring_alertmanager_enabled")
    if inputs.valid(*receivers) and values["monitoring_alertmanager_enabled"]:
        if not values["monitoring_alert_webhook_url"] and not values["monitoring_alert_email_to"]:
            inputs.error(
                "monitoring_alert_webhook_url or monitoring_alert_email_to: Alertmanager needs a receiver, or alerts reach "
                "no one; set one, or monitoring_alertmanager_enabled: false where another Alertmanager routes them"
            )
        if values["monitoring_alert_email_to"] and inputs.valid("monitoring_alert_smarthost", "monitoring_alert_email_from"):
            for name in ("monitoring_alert_smarthost", "monitoring_alert_email_from"):
                if not values[name]:
                    inputs.error(f"{name}: must be set to send alerts by mail to monitoring_alert_email_to")
    if inputs.valid("monitoring_alert_window", "monitoring_alert_for"):
        window, hold = prom_seconds(values["monitoring_alert_window"]), prom_seconds(values["monitoring_alert_for"])
        # In seconds, for the rules' test cases (vars/main.yml).
        values["monitoring_alert_window_seconds"], values["monitoring_alert_for_seconds"] = int(window), int(hold)
        if hold + 15 > window:
            inputs.error(
                f"monitoring_alert_for: {values['monitoring_alert_for']} must be at least 15s shorter than "
                f"monitoring_alert_window ({values['monitoring_alert_window']}): a burst leaves the window before it fires"
            )
    if inputs.valid("monitoring_alert_window", "monitoring_prometheus_scrape_interval"):
        window = prom_seconds(values["monitoring_alert_window"])
        scrape = prom_seconds(values["monitoring_prometheus_scrape_interval"])
        if window < 4 * scrape:
            inputs.error(
                f"monitoring_alert_window: {values['monitoring_alert_window']} holds fewer than four scrapes of "
                f"monitoring_prometheus_scrape_interval ({values['monitoring_prometheus_scrape_interval']}); increase() "
                "over it would miss bursts"
            )


def _check_names(inputs: v.Inputs) -> None:
    """The collection's CA puts the inventory name into the host's certificate
    (and the log host permits senders by it): it must be a DNS name."""
    values = inputs.values
    if not inputs.valid("monitoring_log_tls_ca_file", "monitoring_log_receiver", "monitoring_log_forward_enabled"):
        return
    uses_own_ca = not values["monitoring_log_tls_ca_file"] and (
        values["monitoring_log_receiver"] or (values["monitoring_log_forward_enabled"] and values.get("monitoring_log_tls"))
    )
    if uses_own_ca and inputs.inventory_hostname:
        try:
            v.hostname(inputs.inventory_hostname)
        except Invalid:
            inputs.error(
                f"inventory_hostname: {v.shown(inputs.inventory_hostname)} goes into this host's certificate and must be a DNS "
                "name; name the host by its DNS name in the inventory (ansible_host keeps the address)"
            )


def _check_target(inputs: v.Inputs) -> None:
    names = ("monitoring_log_forward_enabled", "monitoring_log_host", "monitoring_log_receiver", "monitoring_log_tls_names")
    values = inputs.values
    if not inputs.valid(*names) or not values["monitoring_log_forward_enabled"]:
        return
    if _is_log_host({**values, "inventory_hostname": inputs.inventory_hostname}):
        return
    host = values["monitoring_log_host"]
    if not host:
        inputs.error(
            "monitoring_log_host: must name the central log host when monitoring_log_forward_enabled is true "
            "(or put one host in the insightengine_loghost group)"
        )
    elif (
        inputs.valid("monitoring_log_peer_name", "monitoring_log_tls")
        and values["monitoring_log_tls"]
        and not values["monitoring_log_peer_name"]
        and re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", host)
    ):
        inputs.error(
            f"monitoring_log_host: {host} is an address; the log host's certificate is verified by name, so give its "
            "DNS name, or the name in its certificate as monitoring_log_peer_name"
        )


def _check_tls(inputs: v.Inputs) -> None:
    values = inputs.values
    if (
        inputs.valid("monitoring_log_tls", "monitoring_log_tls_required")
        and values["monitoring_log_tls_required"]
        and (not values["monitoring_log_tls"])
    ):
        inputs.error(
            "monitoring_log_tls: false would ship logs in plaintext while monitoring_log_tls_required is true; "
            "set monitoring_log_tls_required: false to allow plaintext (not recommended)"
        )
    if inputs.valid("monitoring_log_tls_ca_file", "monitoring_log_tls_cert_file", "monitoring_log_tls_key_file"):
        ca, cert, key = (values[f"monitoring_log_tls_{n}_file"] for n in ("ca", "cert", "key"))
        if bool(cert) != bool(key):
            inputs.error("monitoring_log_tls_cert_file and monitoring_log_tls_key_file: give both or neither")
        if cert and not ca:
            inputs.error("monitoring_log_tls_ca_file: must be the CA that issued monitoring_log_tls_cert_file")
    if inputs.valid("monitoring_log_tls_cert_valid_days", "monitoring_log_tls_cert_renew_days"):
        inputs.more_than("monitoring_log_tls_cert_valid_days", "monitoring_log_tls_cert_renew_days")


def check_host(inputs: v.Inputs, facts: dict[str, t.Any], context: dict[str, t.Any]) -> None:
    values = inputs.values
    version = (facts.get("rsyslog") or {}).get("version")
    if values["monitoring_log_forward_enabled"] and values["monitoring_log_protocol"] == "tcp" and version:
        parts = tuple(int(p) for p in re.findall(r"[0-9]+", version)[:2])
        if parts < (8, 2108):
            inputs.error(
                f"monitoring_log_protocol: tcp needs rsyslog 8.2108 or later for per-action TLS files; this host has "
                f"{version} (use relp)"
            )
    # Before this role's listeners are in place, whatever holds a port is another program.
    ours = ((facts.get("files") or {}).get(mon.RECEIVER_CONF) or {}).get("exists")
    if values["monitoring_log_receiver"] and values["monitoring_log_receiver_enabled"] and not ours:
        for name in ("monitoring_log_receiver_relp_port", "monitoring_log_receiver_tcp_port"):
            port = values[name]
            taken = (facts.get("listening") or {}).get(str(port))
            if port and taken:
                inputs.error(f"{name}: port {port} is already in use on the host ({', '.join(taken)}) by another program")


def _is_log_host(values: dict[str, t.Any]) -> bool:
    """This host receives, and monitoring_log_host names it (its inventory
    name is the first of the names its certificate carries) or nothing."""
    names = {"", values.get("inventory_hostname", ""), *values.get("monitoring_log_tls_names", [])}
    return bool(values.get("monitoring_log_receiver")) and values.get("monitoring_log_host", "") in names


def not_applicable(values: dict[str, t.Any]) -> dict[str, str]:
    found = {}
    if not values.get("monitoring_log_receiver"):
        found["MON-03"] = "this host is not the central log host (not in insightengine_loghost, monitoring_log_receiver: false)"
    if _is_log_host(values):
        found["MON-02"] = "this host is the central log host: its logs are already there"
    return found
