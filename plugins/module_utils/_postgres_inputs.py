# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postgres role's inputs: one validator per public variable, checks
across variables, and the checks that need the cluster (postgres_info).

Where values land: postgresql.conf (``name = 'value'``), pg_hba.conf
(whitespace-separated fields, # starts a comment), SQL statements
(identifiers quoted, passwords only as SCRAM verifiers), systemd units
(ExecStart arguments, OnCalendar) and the libpq connection string the role
publishes.

Private to the collection: no API promise.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Invalid

NAME = r"[a-z_][a-z0-9_]{0,62}"
RESERVED = ("postgres", "public", "template0", "template1", "pg_database_owner")
WEAK_PASSWORDS = (
    "postgres",
    "password",
    "passw0rd",
    "changeme",
    "change_me",
    "secret",
    "admin",
    "administrator",
    "root",
    "toor",
    "insightengine",
    "letmein",
    "welcome",
    "default",
    "qwerty",
    "123456",
    "12345678",
    "123456789",
    "test",
    "guest",
)
PGAUDIT_CLASSES = ("read", "write", "function", "role", "ddl", "misc", "misc_set", "all")
HBA_METHODS = ("scram-sha-256", "cert", "peer", "reject")
# Directories a backup must never be written to (or pruned in).
SYSTEM_DIRS = (
    "/etc",
    "/usr",
    "/var",
    "/tmp",  # noqa: S108 - refused as a backup directory, not used
    "/var/lib",
    "/var/lib/postgresql",
    "/var/backups",
    "/home",
    "/root",
    "/srv",
    "/opt",
)


def _listen(value: t.Any) -> str:
    raw = v.string(None, what="an address or host name", max_length=253)(value)
    if raw in ("*", "0.0.0.0", "::", "localhost"):  # noqa: S104 - validating, not binding
        return raw
    return v.host(raw, underscore=True)


def _san(value: t.Any) -> str:
    raw = v.string(r"(DNS|IP):\S+", what="a subject alternative name such as DNS:db1.example.com or IP:10.0.0.5")(value)
    kind, _sep, name = raw.partition(":")
    try:
        return f"{kind}:{v.address(name) if kind == 'IP' else v.hostname(name, wildcard=True)}"
    except Invalid as exc:
        raise Invalid(f"{kind} part {exc.message}") from None


def _hba_names(allowed_words: tuple[str, ...], group: bool) -> v.Validator:
    part = rf"(?:{'|'.join(allowed_words)}|{'[+]?' if group else ''}{NAME})"
    return v.string(rf"{part}(?:,{part})*", what=f"comma-separated names or {', '.join(allowed_words)}")


def _hba_rule(value: t.Any) -> dict[str, t.Any]:
    rule = v.record(
        {
            "type": v.choice("local", "hostssl", what="one of (non-TLS TCP is always rejected)"),
            "database": _hba_names(("all", "replication", "sameuser", "samerole"), group=False),
            "user": _hba_names(("all",), group=True),
            "address": v.optional(v.network()),
            "method": v.choice(*HBA_METHODS, what="one of (trust, md5 and password are refused)"),
        },
        required=("type", "database", "user", "method"),
    )(value)
    if rule["type"] == "hostssl" and not rule["address"]:
        raise Invalid("must be an address or network (CIDR) for type hostssl", ".address")
    if rule["type"] == "local" and rule["address"]:
        raise Invalid("must be empty for type local", ".address")
    if rule["method"] == "peer" and rule["type"] != "local":
        raise Invalid("peer works only for type local", ".method")
    if rule["method"] == "cert" and rule["type"] != "hostssl":
        raise Invalid("cert works only for type hostssl", ".method")
    if rule["type"] == "hostssl" and rule["method"] != "reject" and rule["address"] in ("0.0.0.0/0", "::/0"):
        raise Invalid(f"{rule['address']} accepts every address; list the client networks", ".address")
    return rule


def _password(value: t.Any) -> str:
    """Passwords reach the server only as SCRAM verifiers computed in Python;
    still, nothing with a control character is a password anyone typed. The
    messages never quote the value."""
    if not isinstance(value, str) or isinstance(value, bool):
        raise Invalid("must be a string")
    if v.has_control(value):
        raise Invalid("must not contain control characters (a newline, a tab, an escape)")
    if len(value) > 1024:
        raise Invalid("must be at most 1024 characters")
    return value


def well_known(secret: str) -> bool:
    """A default or well-known password, also with digits or ! . _ - after it
    (Password123!, admin_)."""
    lower = secret.lower()
    return lower in WEAK_PASSWORDS or re.sub(r"[0-9!._-]+$", "", lower) in WEAK_PASSWORDS


def password_problem(password: str, role: str, min_length: int) -> str | None:
    lower = password.lower()
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    if well_known(password):
        return "is a default or well-known password; leave it empty to have a strong one generated"
    if len(password) < min_length:
        return f"is shorter than postgres_password_min_length ({min_length}); leave it empty to have a strong one generated"
    if role.lower() in lower:
        return f"contains the role name {role}"
    if classes < 3 and len(password) < 24:
        return "must mix at least three of lower case, upper case, digits and symbols (or be 24 characters or more)"
    if len(set(password)) < 8:
        return "repeats too few characters to be strong"
    return None


def _backup_dir(value: t.Any) -> str:
    directory = v.path(value)
    if directory in SYSTEM_DIRS:
        raise Invalid(f"must be a directory of its own (backups are pruned in it), got {v.shown(value)}")
    return directory


def _version(value: t.Any) -> str:
    raw = v.string(r"1[0-9]|[2-9][0-9]", what="a PostgreSQL major version such as 15 or 17", empty=True, numbers=True)(value)
    return raw


def _role_name(value: t.Any) -> str:
    return v.string(NAME, what="a lower-case name (letters, digits, underscore; at most 63)")(value)


def _object_name(value: t.Any) -> str:
    name = _role_name(value)
    if name in RESERVED or name.startswith("pg_"):
        raise Invalid(f"must not be {name}: that name belongs to PostgreSQL")
    return name


SPEC: dict[str, v.Validator] = {
    "postgres_verify_strict": v.boolean,
    "postgres_version": _version,
    "postgres_cluster_name": v.string(r"[A-Za-z0-9_][A-Za-z0-9_.]{0,62}", what="a cluster name (letters, digits, _ and .)"),
    "postgres_allow_restart": v.boolean,
    "postgres_network_isolation_enabled": v.boolean,
    "postgres_listen_addresses": v.list_of(_listen, min_items=1, max_items=32),
    "postgres_listen_all_allowed": v.boolean,
    "postgres_client_networks": v.list_of(v.network(world=False), max_items=200),
    "postgres_firewall_enabled": v.boolean,
    "postgres_tls_enabled": v.boolean,
    "postgres_ssl_cert_file": v.optional(v.path),
    "postgres_ssl_key_file": v.optional(v.path),
    "postgres_ssl_ca_file": v.optional(v.path),
    "postgres_ssl_root_cert": v.optional(v.path),
    "postgres_ssl_min_protocol_version": v.choice("TLSv1.2", "TLSv1.3"),
    "postgres_ssl_ciphers": v.openssl_ciphers,
    "postgres_ssl_cert_subject_alt_names": v.list_of(_san, max_items=50),
    "postgres_ssl_cert_valid_days": v.integer(2, 3650, "a number of days"),
    "postgres_ssl_cert_renew_days": v.integer(1, 365, "a number of days"),
    "postgres_ssl_cert_min_days_left": v.integer(1, 365, "a number of days"),
    "postgres_client_auth_enabled": v.boolean,
    "postgres_hba_rules": v.list_of(_hba_rule, max_items=200),
    "postgres_hba_drop": v.list_of(v.string(None, what="a pg_hba.conf line", max_length=500, strip=True), max_items=200),
    "postgres_passwords_enabled": v.boolean,
    "postgres_app_password": _password,
    "postgres_owner_password": _password,
    "postgres_secrets_dir": v.controller_path,
    "postgres_password_min_length": v.integer(12, 1024),
    "postgres_least_privilege_enabled": v.boolean,
    "postgres_app_database": _object_name,
    "postgres_app_schema": _object_name,
    "postgres_app_user": _object_name,
    "postgres_owner_user": _object_name,
    "postgres_monitor_user": v.optional(_object_name),
    "postgres_superusers_enabled": v.boolean,
    "postgres_superusers_allowed": v.list_of(v.string(r"[A-Za-z_][A-Za-z0-9_$-]{0,62}", what="a role name"), max_items=100),
    "postgres_audit_logging_enabled": v.boolean,
    "postgres_log_min_duration_statement": v.integer(0, 2147483647, "milliseconds (-1 would stop logging slow statements)"),
    "postgres_pgaudit_enabled": v.boolean,
    "postgres_pgaudit_log": v.list_of(v.choice(*PGAUDIT_CLASSES, what="a pgaudit class:"), max_items=10),
    "postgres_encryption_at_rest_enabled": v.boolean,
    "postgres_require_encrypted_storage": v.boolean,
    "postgres_storage_encryption_elsewhere": v.text(max_length=200),
    "postgres_backup_enabled": v.boolean,
    "postgres_backup_dir": _backup_dir,
    "postgres_backup_schedule": v.calendar,
    "postgres_backup_max_age_hours": v.integer(1, 24 * 31, "hours"),
    "postgres_backup_retention_days": v.integer(1, 3650, "days"),
    "postgres_restore_test_enabled": v.boolean,
    "postgres_restore_test_schedule": v.calendar,
    "postgres_restore_test_max_age_hours": v.integer(1, 24 * 31, "hours"),
}
MULTILINE: tuple[str, ...] = ()
# Validated, never returned or quoted in a message.
SECRETS = ("postgres_app_password", "postgres_owner_password")


def check(inputs: v.Inputs) -> None:
    """Checks across variables, on values that passed their own validator."""
    inputs.at_most("postgres_ssl_cert_min_days_left", "postgres_ssl_cert_renew_days")
    if inputs.valid("postgres_listen_addresses", "postgres_listen_all_allowed"):
        for address in inputs["postgres_listen_addresses"]:
            if address in ("*", "0.0.0.0", "::") and not inputs["postgres_listen_all_allowed"]:  # noqa: S104
                inputs.error(
                    f"postgres_listen_addresses contains {address}, which listens on every interface; list the private "
                    "addresses, or set postgres_listen_all_allowed: true to accept it"
                )
    if inputs.valid("postgres_app_user", "postgres_owner_user") and inputs["postgres_app_user"] == inputs["postgres_owner_user"]:
        inputs.error("postgres_app_user and postgres_owner_user must differ: the application role must not own its schema")
    if inputs.valid("postgres_monitor_user", "postgres_app_user", "postgres_owner_user"):
        for other in ("postgres_app_user", "postgres_owner_user"):
            if inputs["postgres_monitor_user"] and inputs["postgres_monitor_user"] == inputs[other]:
                inputs.error(f"postgres_monitor_user must differ from {other}: the exporter's role has no password and no data")
    if inputs.valid(
        "postgres_app_password",
        "postgres_owner_password",
        "postgres_password_min_length",
        "postgres_app_user",
        "postgres_owner_user",
    ):
        for name, role in (("postgres_app_password", "postgres_app_user"), ("postgres_owner_password", "postgres_owner_user")):
            if inputs[name]:
                problem = password_problem(inputs[name], inputs[role], inputs["postgres_password_min_length"])
                if problem:
                    inputs.error(f"{name} {problem}")
    if (
        inputs.valid("postgres_pgaudit_enabled", "postgres_pgaudit_log")
        and inputs["postgres_pgaudit_enabled"]
        and not inputs["postgres_pgaudit_log"]
    ):
        inputs.error("postgres_pgaudit_log must name at least one class (ddl, role) while postgres_pgaudit_enabled is true")
    inputs.together("postgres_ssl_cert_file", "postgres_ssl_key_file", " (neither generates a certificate)")
    inputs.more_than("postgres_ssl_cert_valid_days", "postgres_ssl_cert_renew_days")


def check_host(inputs: v.Inputs, facts: dict[str, t.Any], context: dict[str, t.Any]) -> None:
    """What postgres_info read, against the inputs."""
    values = inputs.values
    if not facts.get("version"):
        release = facts.get("os_release") or {}
        system = f"{release.get('ID') or 'this system'} {release.get('VERSION_ID', '')}".strip()
        inputs.error(f"PostgreSQL: no version for {system}; set postgres_version")
    name = values["postgres_cluster_name"]
    clusters = facts.get("clusters") or []
    named = [c for c in clusters if c.get("name") == name]
    if values["postgres_version"] and facts.get("cluster") is None and named:
        inputs.error(
            f"postgres_version is {values['postgres_version']}, but cluster {name} exists as "
            f"{', '.join(c['version'] for c in named)}; upgrading a cluster is not this role's job (pg_upgradecluster), "
            "leave postgres_version empty to take it over"
        )
    if not named and (clusters or name != "main"):
        known = ", ".join(f"{c['version']}/{c['name']}" for c in clusters) or "none (installing PostgreSQL creates main)"
        inputs.error(f"postgres_cluster_name {name} is not a cluster on this host (clusters: {known})")
    cluster = facts.get("cluster")
    if cluster and cluster.get("running") and facts.get("error"):
        inputs.error(f"PostgreSQL {cluster['version']}/{cluster['name']} could not be read: {facts['error']}")
    for calendar in facts.get("calendars_invalid") or []:
        var = "postgres_backup_schedule" if calendar == values["postgres_backup_schedule"] else "postgres_restore_test_schedule"
        inputs.error(f"{var} {v.shown(calendar)} is not a systemd calendar expression (systemd-analyze calendar refuses it)")
    files = facts.get("files") or {}
    for var in ("postgres_ssl_cert_file", "postgres_ssl_key_file", "postgres_ssl_ca_file"):
        if values[var] and not (files.get(values[var]) or {"exists": True}).get("exists"):
            inputs.error(f"{var} {values[var]} does not exist on the host")
    for ciphers in facts.get("ciphers_invalid") or []:
        inputs.error(
            f"postgres_ssl_ciphers {v.shown(ciphers)} is not a cipher list the host's OpenSSL accepts; "
            "the server would not start with it"
        )
    hba = facts.get("hba") or {}
    if values["postgres_client_auth_enabled"]:
        refused = [line for line in hba.get("foreign_noncompliant") or [] if line["text"] not in values["postgres_hba_drop"]]
        if refused:
            listing = "; ".join(f"line {line['line']}: {line['text']} ({line['problem']})" for line in refused)
            message = (
                f"pg_hba.conf has lines this role does not manage that break PG-03: {listing}. Adopt them as "
                "postgres_hba_rules (hostssl, scram-sha-256 or cert), or list them in postgres_hba_drop to drop them"
            )
            # A scheduled --check reports them (PG-03 fails in verify); a real run refuses.
            (inputs.warn if context.get("check_mode") else inputs.error)(message)
