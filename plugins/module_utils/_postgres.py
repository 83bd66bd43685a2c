# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postgres layer: catalog, readers and plans shared by postgres_info
and postgres_verify.

Everything is read through the server as the ``postgres`` superuser over the
local socket (``runuser -u postgres -- psql``): the settings the server runs
with (``pg_settings``), the client authentication rules it parses
(``pg_hba_file_rules``), roles, databases and privileges.  Nothing here
changes the host; plans are SQL text the role runs itself.

This file is private to the collection (leading underscore): no API promise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import time
import typing as t

from ._findings import Control

GUIDE = "3. Database Security (PostgreSQL)"
PREFLIGHT = "5. Security Checklist - Pre-Flight"

CATALOG = (
    Control(
        "PG-01",
        "Not publicly accessible: listens on localhost or listed private addresses, firewall open only to client networks",
        f"{GUIDE} / Network Isolation",
        "Set postgres_listen_addresses and postgres_client_networks; run the postgres role.",
        source="SHOW listen_addresses; /proc/net/tcp, /proc/net/tcp6; ufw status verbose",
        switch="postgres_network_isolation_enabled",
    ),
    Control(
        "PG-02",
        "TLS on, TLS 1.2 or later, a valid certificate and a private key only the server reads",
        f"{GUIDE} / SSL Connections",
        "Run the postgres role; give postgres_ssl_cert_file/postgres_ssl_key_file or let it generate a certificate.",
        source="pg_settings (ssl, ssl_min_protocol_version, ssl_cert_file, ssl_key_file); openssl x509; stat of the key",
        switch="postgres_tls_enabled",
    ),
    Control(
        "PG-03",
        "Client authentication: TCP only over TLS (hostssl), non-TLS TCP rejected, no trust, SCRAM-SHA-256 passwords",
        f"{GUIDE} / SSL Connections",
        "Run the postgres role; pg_hba.conf is rendered from postgres_client_networks and postgres_hba_rules.",
        source="pg_hba_file_rules; a non-TLS TCP connection attempt",
        switch="postgres_client_auth_enabled",
    ),
    Control(
        "PG-04",
        "Strong passwords: the application roles use the configured generated passwords, stored as SCRAM-SHA-256",
        f"{GUIDE} / Strong Passwords; {PREFLIGHT} / 1. default credentials changed",
        "Run the postgres role; it sets the passwords from postgres_app_password/postgres_owner_password or generated ones.",
        source="pg_authid (rolpassword: SCRAM verifiers checked against the configured passwords)",
        switch="postgres_passwords_enabled",
    ),
    Control(
        "PG-05",
        "Least privilege: the application role has CRUD on its own schema and nothing else; a separate owner role",
        f"{GUIDE} / Least Privilege",
        "Run the postgres role; it grants CRUD, sets default privileges and revokes the rest.",
        source="has_*_privilege and pg_default_acl for the application and owner roles",
        switch="postgres_least_privilege_enabled",
    ),
    Control(
        "PG-06",
        "No superuser beyond postgres (and postgres_superusers_allowed)",
        f"{GUIDE} / Least Privilege",
        "ALTER ROLE <name> NOSUPERUSER, or list the role in postgres_superusers_allowed if it must stay.",
        source="pg_roles (rolsuper)",
        switch="postgres_superusers_enabled",
    ),
    Control(
        "PG-07",
        "Connections, disconnections, failed logins, DDL and role changes (pgaudit) and slow statements are logged",
        "4.3 Monitoring & Audit / suspicious database queries",
        "Run the postgres role (postgres_pgaudit_enabled, postgres_log_min_duration_statement).",
        source="pg_settings (log_*, shared_preload_libraries, pgaudit.log)",
        switch="postgres_audit_logging_enabled",
    ),
    Control(
        "PG-08",
        "Encryption at rest: the data directory lives on an encrypted block device",
        f"{GUIDE} / Encryption at Rest",
        "Put the data directory on a LUKS (dm-crypt) volume, or set postgres_storage_encryption_elsewhere "
        "to what encrypts it (e.g. EBS encryption).",
        source="SHOW data_directory; lsblk / /sys/block (dm-crypt in the device stack)",
        switch="postgres_encryption_at_rest_enabled",
    ),
    Control(
        "PG-09",
        "Backups scheduled (systemd timer), recent, kept with tight modes and pruned after the retention",
        f"{PREFLIGHT} / 3. backups scheduled",
        "Run the postgres role; check 'systemctl status insightengine-pg-backup.service'.",
        source="systemctl show insightengine-pg-backup.timer; the backup directory's files, ages and modes",
        switch="postgres_backup_enabled",
    ),
    Control(
        "PG-10",
        "Backups verified: the latest restore test restored the latest backup into a scratch database and checked it",
        f"{PREFLIGHT} / 3. backups verified",
        "Check 'journalctl -u insightengine-pg-restore-test.service'; run the postgres role.",
        source="the restore test's status file; systemctl show insightengine-pg-restore-test.timer",
        switch="postgres_restore_test_enabled",
    ),
)


# Authentication methods pg_hba may use, by connection type.
LOCAL_METHODS = ("peer", "scram-sha-256", "reject")
TCP_METHODS = ("scram-sha-256", "cert", "reject")

SCRAM_ITERATIONS = 4096

BACKUP_MANIFEST = "MANIFEST.json"
BACKUP_UNITS = ("insightengine-pg-backup.timer", "insightengine-pg-restore-test.timer")


# --------------------------------------------------------------------------
# SCRAM-SHA-256 verifiers (RFC 5802/7677, as PostgreSQL stores them)
# --------------------------------------------------------------------------


def _scram_keys(password: str, salt: bytes, iterations: int) -> tuple[bytes, bytes]:
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    return stored_key, server_key


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """The verifier PostgreSQL stores for a password: the role sends this,
    never the password, so no statement log or audit line can show it."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    stored_key, server_key = _scram_keys(password, salt, iterations)
    b64 = base64.b64encode
    return f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}${b64(stored_key).decode()}:{b64(server_key).decode()}"


def scram_matches(verifier: str | None, password: str) -> bool:
    """Whether a stored verifier is the one of password (any salt)."""
    m = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", verifier or "")
    if not m:
        return False
    try:
        salt = base64.b64decode(m.group(2))
        stored_key, server_key = _scram_keys(password, salt, int(m.group(1)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(base64.b64encode(stored_key).decode(), m.group(3)) and hmac.compare_digest(
        base64.b64encode(server_key).decode(), m.group(4)
    )


def password_kind(stored: str | None) -> str:
    if not stored:
        return "none"
    if stored.startswith("SCRAM-SHA-256$"):
        return "scram-sha-256"
    if stored.startswith("md5"):
        return "md5"
    return "plain"


# --------------------------------------------------------------------------
# Parsers and small helpers (pure)
# --------------------------------------------------------------------------


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def split_list(value: str | None) -> list[str]:
    """A comma-separated setting (listen_addresses, shared_preload_libraries)."""
    return [item.strip().strip('"') for item in (value or "").split(",") if item.strip()]


def parse_clusters(text: str) -> list[dict[str, t.Any]]:
    """``pg_lsclusters --json``."""
    try:
        data = json.loads(text or "[]")
    except ValueError:
        return []
    clusters = []
    for item in data if isinstance(data, list) else []:
        config = item.get("config") or {}
        clusters.append(
            {
                "version": str(item.get("version")),
                "name": item.get("cluster"),
                "port": int(item.get("port") or config.get("port") or 5432),
                "running": bool(item.get("running")),
                "data_directory": item.get("pgdata") or config.get("data_directory"),
                "config_directory": item.get("configdir"),
                "socket_directory": item.get("socketdir") or "/var/run/postgresql",
                "log_file": item.get("logfile"),
            }
        )
    return clusters


# The distribution's PostgreSQL, by os-release ID and VERSION_ID.
DISTRIBUTION_VERSIONS = {
    ("debian", "12"): "15",
    ("debian", "13"): "17",
    ("ubuntu", "22.04"): "14",
    ("ubuntu", "24.04"): "16",
}


def distribution_version(release: dict[str, str]) -> str:
    return DISTRIBUTION_VERSIONS.get((release.get("ID", ""), release.get("VERSION_ID", "")), "")


def pick_cluster(clusters: list[dict[str, t.Any]], version: str, name: str) -> dict[str, t.Any] | None:
    """The cluster to manage: the given version, else the newest one with that name."""
    named = [c for c in clusters if c["name"] == name]
    if version:
        named = [c for c in named if c["version"] == str(version)]
    return max(named, key=lambda c: int(c["version"]) if c["version"].isdigit() else 0, default=None)


def ufw_source(network: str) -> str:
    """A network as ufw shows it: a single address without its /32 or /128."""
    try:
        net = ipaddress.ip_network(str(network), strict=False)
    except ValueError:
        return str(network)
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def wildcard_listener(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    return host in ("0.0.0.0", "::", "*")  # noqa: S104 - detecting, not binding


def acl_grants(acl: str | None, grantee: str) -> str:
    """The privilege letters an ACL (``{a=arwd/b,=c/b}``) gives grantee ("" for PUBLIC)."""
    letters = ""
    for item in (acl or "").strip("{}").split(","):
        who, sep, rest = item.strip().strip('"').partition("=")
        if sep and who == grantee:
            letters += rest.split("/", 1)[0]
    return "".join(sorted(set(letters)))


# --------------------------------------------------------------------------
# pg_hba: what the rules allow
# --------------------------------------------------------------------------


def _covers_everyone(rule: dict[str, t.Any], family: int) -> bool:
    if rule.get("database") != ["all"] or rule.get("user_name") != ["all"]:
        return False
    address, netmask = rule.get("address"), rule.get("netmask")
    if address == "all":
        return True
    try:
        ip = ipaddress.ip_address(address)
        bits = bin(int(ipaddress.ip_address(netmask))).count("1") if netmask else ip.max_prefixlen
    except ValueError:
        return False
    return ip.version == family and bits == 0


def hba_problems(rules: list[dict[str, t.Any]]) -> list[str]:  # noqa: PLR0912 - one branch per rule shape
    """What in pg_hba_file_rules breaks PG-03, one sentence per rule."""
    problems = []
    rejected_nossl = {4: False, 6: False}
    for rule in rules:
        where = f"line {rule.get('line_number')}"
        if rule.get("error"):
            problems.append(f"{where}: {rule['error']}")
            continue
        kind, method = rule.get("type"), rule.get("auth_method")
        if method == "trust":
            problems.append(f"{where}: trust ({kind} {','.join(rule.get('database') or [])})")
        elif kind == "local":
            if method not in LOCAL_METHODS:
                problems.append(f"{where}: local connections use {method}")
        elif method == "reject":
            if kind in ("hostnossl", "host"):
                for family in (4, 6):
                    if _covers_everyone(rule, family):
                        rejected_nossl[family] = True
        elif kind != "hostssl":
            problems.append(f"{where}: {kind} accepts TCP without TLS ({method})")
        elif method not in TCP_METHODS:
            problems.append(f"{where}: hostssl uses {method}, not scram-sha-256")
    for family, done in rejected_nossl.items():
        if not done:
            problems.append(f"no rule rejects non-TLS TCP from every IPv{family} address")
    return problems


# --------------------------------------------------------------------------
# pg_hba.conf lines this role does not manage
# --------------------------------------------------------------------------

HBA_BEGIN = "# BEGIN insightengine.hardening postgres (managed)"
HBA_END = "# END insightengine.hardening postgres"
HBA_KEPT_BEGIN = "# BEGIN lines kept from the previous file (not managed by this role; they meet PG-03)"
HBA_KEPT_END = "# END lines kept"
# The header of files an earlier version of the role rendered whole.
HBA_OLD_HEADER = "# Rendered by the postgres role from postgres_client_networks"
# Debian's and Ubuntu's default TCP lines: non-TLS, loopback only. The role's
# own hostssl lines for 127.0.0.1 and ::1 replace them.
DISTRIBUTION_HBA = {
    f"host {db} all {address} {method}"
    for db in ("all", "replication")
    for address in ("127.0.0.1/32", "::1/128")
    for method in ("scram-sha-256", "md5")
}


def hba_fields(line: str) -> list[str]:
    """A pg_hba.conf record's fields (quoted fields keep their quotes; a
    comment ends the record)."""
    fields = []
    for quoted, word in re.findall(r'("(?:[^"]|"")*")|([^\s#"]+)|#.*', line):
        if quoted or word:
            fields.append(quoted or word)
        elif not (quoted or word):
            break
    return fields


def hba_problem(fields: list[str]) -> str | None:  # noqa: PLR0911 - one answer per record shape
    """Why a pg_hba record breaks PG-03, or None when it meets its rules."""
    if not fields:
        return None
    kind = fields[0].lower()
    if kind in ("include", "include_if_exists", "include_dir"):
        return "includes other files, which this role cannot judge"
    method_index = 3 if kind == "local" else 4
    if len(fields) <= method_index:
        return "is not a complete record"
    if kind != "local" and "/" not in fields[3] and len(fields) > 5 and re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", fields[4]):
        method_index = 5  # ADDRESS NETMASK
    method = fields[method_index].lower()
    if method == "trust":
        return "trust lets anyone in without a password"
    if method == "reject":
        return None
    if kind == "local":
        return None if method in LOCAL_METHODS else f"local connections use {method}"
    if kind != "hostssl":
        return f"{kind} accepts TCP without TLS ({method})"
    if method not in TCP_METHODS:
        return f"hostssl uses {method}, not scram-sha-256 or cert"
    if fields[3].lower() in ("all", "0.0.0.0/0", "::/0", "samehost", "samenet"):
        return f"hostssl accepts {fields[3]}"
    return None


def hba_analysis(text: str | None, managed: t.Iterable[str], drop: t.Iterable[str]) -> dict[str, t.Any]:
    """Split the current pg_hba.conf into this role's own lines (inside its
    managed block, or the whole file an earlier version rendered) and the
    lines others wrote. Others' lines that meet PG-03 are kept; the
    distribution's loopback defaults and the lines listed in drop are
    dropped; the rest break PG-03 and are returned for the run to refuse."""
    managed_set = {" ".join(hba_fields(line)) for line in managed}
    drop_set = {" ".join(line.split()) for line in drop}
    lines = (text or "").splitlines()
    old_format = any(line.startswith(HBA_OLD_HEADER) for line in lines)
    result: dict[str, t.Any] = {
        "exists": text is not None,
        "kept": [],
        "dropped": [],
        "foreign_noncompliant": [],
        "managed_format": False,
    }
    inside = False
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if stripped == HBA_BEGIN:
            inside = True
            result["managed_format"] = True
            continue
        if stripped == HBA_END:
            inside = False
            continue
        fields = hba_fields(raw)
        if not fields or inside:
            continue
        record = " ".join(fields)
        problem = hba_problem(fields)
        if record in managed_set:
            continue  # the role writes this line itself
        if old_format and problem is None:
            continue  # an earlier version of the role wrote it
        if problem is None:
            if record not in result["kept"]:
                result["kept"].append(record)
        elif record in DISTRIBUTION_HBA or record in drop_set:
            result["dropped"].append({"line": number, "text": record, "problem": problem})
        else:
            result["foreign_noncompliant"].append({"line": number, "text": record, "problem": problem})
    return result


# --------------------------------------------------------------------------
# Queries (run as the postgres superuser)
# --------------------------------------------------------------------------

Q_SETTINGS = """
select coalesce(json_object_agg(name, json_build_object(
  'setting', setting, 'unit', unit, 'source', source, 'sourcefile', sourcefile,
  'pending_restart', pending_restart)), '{}')
from pg_settings where name = any(%s)
"""

Q_HBA = """
select coalesce(json_agg(json_build_object('line_number', line_number, 'type', type,
  'database', database, 'user_name', user_name, 'address', address, 'netmask', netmask,
  'auth_method', auth_method, 'error', error) order by line_number), '[]')
from pg_hba_file_rules
"""

# When the server last read its configuration, and the files it reads.
Q_LOAD_STATE = """
select json_build_object(
  'loaded', extract(epoch from pg_conf_load_time()),
  'config_file', current_setting('config_file'),
  'hba_file', current_setting('hba_file'),
  'ident_file', current_setting('ident_file'),
  'files', (select coalesce(json_agg(distinct sourcefile), '[]') from pg_file_settings where sourcefile is not null),
  'ssl_files', json_build_array(current_setting('ssl_cert_file'), current_setting('ssl_key_file'),
                                current_setting('ssl_ca_file')))
"""

Q_ROLES = """
select coalesce(json_object_agg(rolname, json_build_object('superuser', rolsuper,
  'createdb', rolcreatedb, 'createrole', rolcreaterole, 'login', rolcanlogin,
  'replication', rolreplication, 'bypassrls', rolbypassrls, 'inherit', rolinherit,
  'password', rolpassword,
  'member_of', (select coalesce(json_agg(g.rolname order by g.rolname), '[]')
                from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = a.oid))), '{}')
from pg_authid a
"""

Q_DATABASES = """
select coalesce(json_object_agg(datname, json_build_object('owner', pg_get_userbyid(datdba),
  'acl', datacl::text, 'template', datistemplate, 'allow_connections', datallowconn)), '{}')
from pg_database
"""


def q_app_objects(schema: str, app: str, owner: str) -> str:
    """In the application database: the schema and what the roles may do."""
    s, a, o = quote_literal(schema), quote_literal(app), quote_literal(owner)
    # Every value is a quoted literal (quote_literal): no injection.
    roles = f"(select oid from pg_roles where rolname = {a})"  # noqa: S608
    tables = f"""from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = {s} and c.relkind in ('r', 'p', 'v', 'm', 'f')"""
    return f"""
select json_build_object(
  'schema_owner', (select pg_get_userbyid(nspowner) from pg_namespace where nspname = {s}),
  'schema_acl', (select nspacl::text from pg_namespace where nspname = {s}),
  'public_schema_acl', (select nspacl::text from pg_namespace where nspname = 'public'),
  'tables', (select count(*) {tables}),
  'tables_without_crud', (select coalesce(json_agg(c.relname order by c.relname), '[]') {tables}
     and c.relkind in ('r', 'p') and exists {roles} and not (
       has_table_privilege({a}, c.oid, 'SELECT') and has_table_privilege({a}, c.oid, 'INSERT')
       and has_table_privilege({a}, c.oid, 'UPDATE') and has_table_privilege({a}, c.oid, 'DELETE'))),
  'tables_beyond_crud', (select coalesce(json_agg(c.relname order by c.relname), '[]') {tables}
     and exists {roles} and (has_table_privilege({a}, c.oid, 'TRUNCATE')
       or has_table_privilege({a}, c.oid, 'REFERENCES') or has_table_privilege({a}, c.oid, 'TRIGGER'))),
  'sequences_without_usage', (select coalesce(json_agg(c.relname order by c.relname), '[]')
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = {s} and c.relkind = 'S' and exists {roles}
       and case when c.relkind = 'S' then not has_sequence_privilege({a}, c.oid, 'USAGE') else false end),
  'owned_by_app', (select count(*) from pg_class where relowner = {roles})
     + (select count(*) from pg_namespace where nspowner = {roles})
     + (select count(*) from pg_proc where proowner = {roles}),
  'default_acl', (select coalesce(json_object_agg(defaclobjtype, defaclacl::text), '{{}}')
     from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace
     where n.nspname = {s} and d.defaclrole = (select oid from pg_roles where rolname = {o})),
  'extensions', (select coalesce(json_agg(extname order by extname), '[]') from pg_extension)
)
"""  # noqa: S608


class PgReader:
    """Reads a cluster through psql as the postgres superuser."""

    def __init__(self, host: t.Any, cluster: dict[str, t.Any] | None):
        self.host = host
        self.cluster = cluster
        self.error: str | None = None if cluster else "no PostgreSQL cluster"
        if cluster and not cluster.get("running"):
            self.error = f"cluster {cluster['version']}/{cluster['name']} is not running"

    @property
    def up(self) -> bool:
        return self.error is None

    def query(self, sql: str, database: str = "postgres") -> t.Any:
        """One JSON value, or None (and self.error set) when psql fails."""
        if not self.up:
            return None
        runuser = self.host.which("runuser") or "/usr/sbin/runuser"
        rc, out, err = self.host.run(
            runuser,
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.cluster["socket_directory"],
            "-p",
            str(self.cluster["port"]),
            "-d",
            database,
            "-c",
            sql,
        )
        if rc != 0:
            self.error = f"psql failed: {(err or out).strip()[:300]}"
            return None
        try:
            return json.loads(out.strip() or "null")
        except ValueError:
            self.error = f"psql returned no JSON: {out.strip()[:200]}"
            return None

    def settings(self, names: t.Iterable[str]) -> dict[str, dict[str, t.Any]]:
        array = "array[" + ",".join(quote_literal(n) for n in names) + "]::text[]"
        return self.query(Q_SETTINGS % array) or {}

    def load_state(self) -> dict[str, t.Any] | None:
        return self.query(Q_LOAD_STATE)

    def hba(self) -> list[dict[str, t.Any]] | None:
        return self.query(Q_HBA)

    def roles(self) -> dict[str, dict[str, t.Any]] | None:
        return self.query(Q_ROLES)

    def databases(self) -> dict[str, dict[str, t.Any]] | None:
        return self.query(Q_DATABASES)

    def app_objects(self, database: str, schema: str, app: str, owner: str) -> dict[str, t.Any] | None:
        return self.query(q_app_objects(schema, app, owner), database)


def reload_pending(host: t.Any, state: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """Whether a file the server reads changed after it last loaded its
    configuration (pg_conf_load_time): then what clients get is not what the
    files say until the server reloads. Files: every configuration file
    pg_file_settings names, pg_hba.conf, pg_ident.conf and the TLS files."""
    if not state:
        return {"pending": None, "newer": []}
    files = {state.get("config_file"), state.get("hba_file"), state.get("ident_file"), *(state.get("files") or [])}
    files |= {f for f in state.get("ssl_files") or [] if f and f.startswith("/")}
    newer = host.newer_than(files, float(state.get("loaded") or 0))
    return {"pending": bool(newer), "newer": newer}


def client_login(host: t.Any, address: str, port: int, user: str, database: str, sslmode: str) -> dict[str, t.Any]:
    """One login attempt as a client on this host, with no password (never
    prompting, no password file): did the server let it in, and what did it say."""
    psql = host.which("psql")
    if not psql:
        return {"accepted": None, "message": "psql is not installed"}
    dsn = f"host={address} port={port} dbname={database} user={user} sslmode={sslmode} connect_timeout=5"
    rc, out, err = host.run_env(
        {"PGPASSFILE": "/dev/null", "PGCONNECT_TIMEOUT": "5"},
        psql, "-X", "-w", "-A", "-t", "-c", "select 1", dsn,
    )  # fmt: skip
    lines = (err or out).strip().splitlines()
    return {"accepted": rc == 0 and out.strip() == "1", "message": lines[-1] if lines else ""}


def read_clusters(host: t.Any) -> list[dict[str, t.Any]]:
    lsclusters = host.which("pg_lsclusters")
    if not lsclusters:
        return []
    rc, out, _unused = host.run(lsclusters, "--json")
    return parse_clusters(out) if rc == 0 else []


# --------------------------------------------------------------------------
# Wanted state and plans
# --------------------------------------------------------------------------

APP_ATTRIBUTES = {
    "superuser": False,
    "createdb": False,
    "createrole": False,
    "replication": False,
    "bypassrls": False,
    "login": True,
}
ATTRIBUTE_SQL = {
    "superuser": "SUPERUSER",
    "createdb": "CREATEDB",
    "createrole": "CREATEROLE",
    "replication": "REPLICATION",
    "bypassrls": "BYPASSRLS",
    "login": "LOGIN",
}


def _attributes_sql(wanted: dict[str, bool]) -> str:
    return " ".join(word if wanted[key] else f"NO{word}" for key, word in ATTRIBUTE_SQL.items())


def role_plan(roles: dict[str, dict[str, t.Any]] | None, wanted: list[dict[str, t.Any]]) -> list[str]:
    """CREATE/ALTER ROLE statements for the application roles.

    ``wanted``: name and password of each role.  Passwords are sent as
    SCRAM verifiers; a role whose stored verifier already matches keeps it.
    """
    roles = roles or {}
    statements = []
    for item in wanted:
        name, password = item["name"], item["password"]
        current = roles.get(name)
        attributes = dict(APP_ATTRIBUTES)
        # No password (PG-04 off): the role's password is left as it is.
        if current is None:
            secret = f" PASSWORD {quote_literal(scram_verifier(password))}" if password else ""
            statements.append(f"CREATE ROLE {quote_ident(name)} {_attributes_sql(attributes)}{secret};")
            continue
        if any(current.get(k) != v for k, v in attributes.items()):
            statements.append(f"ALTER ROLE {quote_ident(name)} {_attributes_sql(attributes)};")
        if password and not scram_matches(current.get("password"), password):
            statements.append(f"ALTER ROLE {quote_ident(name)} PASSWORD {quote_literal(scram_verifier(password))};")
        for group in current.get("member_of") or []:
            statements.append(f"REVOKE {quote_ident(group)} FROM {quote_ident(name)};")
    return statements


MONITOR_GROUP = "pg_monitor"


def monitor_plan(roles: dict[str, dict[str, t.Any]] | None, name: str) -> list[str]:
    """The exporter's role: LOGIN, INHERIT, a member of pg_monitor only, no password (peer only)."""
    if not name:
        return []
    current = (roles or {}).get(name)
    quoted = quote_ident(name)
    if current is None:
        return [
            f"CREATE ROLE {quoted} {_attributes_sql(APP_ATTRIBUTES)} INHERIT PASSWORD NULL;",
            f"GRANT {MONITOR_GROUP} TO {quoted};",
        ]
    statements = []
    if any(current.get(k) != v for k, v in APP_ATTRIBUTES.items()) or not current.get("inherit", True):
        statements.append(f"ALTER ROLE {quoted} {_attributes_sql(APP_ATTRIBUTES)} INHERIT;")
    if current.get("password"):
        statements.append(f"ALTER ROLE {quoted} PASSWORD NULL;")
    groups = current.get("member_of") or []
    if MONITOR_GROUP not in groups:
        statements.append(f"GRANT {MONITOR_GROUP} TO {quoted};")
    statements += [f"REVOKE {quote_ident(g)} FROM {quoted};" for g in groups if g != MONITOR_GROUP]
    return statements


def monitor_problems(roles: dict[str, dict[str, t.Any]], name: str) -> dict[str, t.Any]:
    """PG-05 for the exporter's role, from what the server says (empty: as wanted)."""
    if not name:
        return {}
    role = roles.get(name)
    if role is None:
        return {name: "role does not exist"}
    problems: dict[str, t.Any] = {}
    wrong = sorted(k for k, v in {**APP_ATTRIBUTES, "inherit": True}.items() if role.get(k, v) != v)
    if wrong:
        problems[f"{name} attributes"] = ", ".join(f"{k}={role.get(k)}" for k in wrong)
    if role.get("password"):
        problems[f"{name} password"] = "set (this role logs in by peer authentication only)"
    if (role.get("member_of") or []) != [MONITOR_GROUP]:
        problems[f"{name} member of"] = role.get("member_of") or []
    return problems


def database_plan(  # noqa: PLR0912 - one branch per privilege, flat on purpose
    databases: dict[str, dict[str, t.Any]] | None,
    objects: dict[str, t.Any] | None,
    app: dict[str, str],
    pgaudit: bool,
) -> tuple[list[str], list[str]]:
    """(statements in the postgres database, statements in the application database)."""
    databases = databases or {}
    db, schema, user, owner = app["database"], app["schema"], app["user"], app["owner"]
    qdb, qschema, quser, qowner = (quote_ident(x) for x in (db, schema, user, owner))
    cluster: list[str] = []
    current = databases.get(db)
    if current is None:
        cluster.append(f"CREATE DATABASE {qdb} OWNER {qowner};")
        objects = None
    elif current["owner"] != owner:
        cluster.append(f"ALTER DATABASE {qdb} OWNER TO {qowner};")
    acl = (current or {}).get("acl")
    if current is None or acl is None or acl_grants(acl, ""):
        cluster.append(f"REVOKE ALL ON DATABASE {qdb} FROM PUBLIC;")
    if current is None or "c" not in acl_grants(acl, user) or set(acl_grants(acl, user)) - {"c"}:
        cluster.append(f"REVOKE ALL ON DATABASE {qdb} FROM {quser};")
        cluster.append(f"GRANT CONNECT ON DATABASE {qdb} TO {quser};")

    inside: list[str] = []
    objects = objects or {}
    if objects.get("owned_by_app"):
        inside.append(f"REASSIGN OWNED BY {quser} TO {qowner};")
    if objects.get("schema_owner") is None:
        inside.append(f"CREATE SCHEMA {qschema} AUTHORIZATION {qowner};")
    elif objects["schema_owner"] != owner:
        inside.append(f"ALTER SCHEMA {qschema} OWNER TO {qowner};")
    schema_acl = objects.get("schema_acl")
    if acl_grants(schema_acl, ""):
        inside.append(f"REVOKE ALL ON SCHEMA {qschema} FROM PUBLIC;")
    if acl_grants(schema_acl, user) != "U":
        inside.append(f"REVOKE ALL ON SCHEMA {qschema} FROM {quser};")
        inside.append(f"GRANT USAGE ON SCHEMA {qschema} TO {quser};")
    if "C" in acl_grants(objects.get("public_schema_acl"), "") or "C" in acl_grants(objects.get("public_schema_acl"), user):
        inside.append(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {quser};")
    if objects.get("tables_beyond_crud"):
        inside.append(f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {qschema} FROM {quser};")
    if objects.get("tables_without_crud"):
        inside.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {qschema} TO {quser};")
    if objects.get("sequences_without_usage"):
        inside.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {qschema} TO {quser};")
    default_acl = objects.get("default_acl") or {}
    if acl_grants(default_acl.get("r"), user) != "adrw":
        inside.append(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {qowner} IN SCHEMA {qschema}"
            f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quser};"
        )
    if acl_grants(default_acl.get("S"), user) != "Ur":
        inside.append(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {qowner} IN SCHEMA {qschema} GRANT USAGE, SELECT ON SEQUENCES TO {quser};"
        )
    if pgaudit and "pgaudit" not in (objects.get("extensions") or []):
        # pgaudit's event triggers, for the object names of DDL in this database
        inside.append("CREATE EXTENSION IF NOT EXISTS pgaudit;")
    return cluster, inside


def privilege_problems(  # noqa: PLR0912 - one branch per privilege, flat on purpose
    roles: dict[str, dict[str, t.Any]],
    databases: dict[str, dict[str, t.Any]],
    objects: dict[str, t.Any] | None,
    app: dict[str, str],
) -> dict[str, t.Any]:
    """PG-05, from what the server says: an empty dict means least privilege holds."""
    problems: dict[str, t.Any] = {}
    user, owner, db = app["user"], app["owner"], app["database"]
    for name in (user, owner):
        role = roles.get(name)
        if role is None:
            problems[name] = "role does not exist"
            continue
        extra = sorted(k for k, v in APP_ATTRIBUTES.items() if role.get(k) != v)
        if extra:
            problems[f"{name} attributes"] = ", ".join(f"{k}={role.get(k)}" for k in extra)
        if role.get("member_of"):
            problems[f"{name} member of"] = role["member_of"]
    if user == owner:
        problems["owner role"] = "the application role is also the owner role"
    database = databases.get(db)
    if database is None:
        problems[db] = "database does not exist"
        return problems
    if database["owner"] == user:
        problems[f"{db} owner"] = user
    if acl_grants(database.get("acl"), "") or database.get("acl") is None:
        problems[f"{db} PUBLIC"] = acl_grants(database.get("acl"), "") or "default (CONNECT, TEMPORARY)"
    if acl_grants(database.get("acl"), user) != "c":
        problems[f"{db} {user}"] = acl_grants(database.get("acl"), user) or "no CONNECT"
    if objects is None:
        problems["objects"] = "could not read the application database"
        return problems
    if objects.get("schema_owner") != owner:
        problems["schema owner"] = objects.get("schema_owner")
    if acl_grants(objects.get("schema_acl"), user) != "U":
        problems["schema privileges"] = acl_grants(objects.get("schema_acl"), user) or "no USAGE"
    for key in ("tables_without_crud", "tables_beyond_crud", "sequences_without_usage"):
        if objects.get(key):
            problems[key] = objects[key]
    if objects.get("owned_by_app"):
        problems["objects owned by the application role"] = objects["owned_by_app"]
    default_acl = objects.get("default_acl") or {}
    if acl_grants(default_acl.get("r"), user) != "adrw" or acl_grants(default_acl.get("S"), user) != "Ur":
        problems["default privileges"] = default_acl or "none"
    return problems


def settings_reset_plan(settings: dict[str, dict[str, t.Any]], wanted: dict[str, str], dropin: str) -> list[str]:
    """ALTER SYSTEM RESET for wanted settings that postgresql.auto.conf overrides."""
    statements = []
    for name in sorted(wanted):
        current = settings.get(name) or {}
        if (current.get("sourcefile") or "").endswith("postgresql.auto.conf") and current.get("sourcefile") != dropin:
            statements.append(f"ALTER SYSTEM RESET {quote_ident(name)};")
    return statements


def normalize_setting(name: str, value: t.Any) -> str:
    """A wanted value as pg_settings shows it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def settings_differ(settings: dict[str, dict[str, t.Any]], wanted: dict[str, t.Any]) -> dict[str, t.Any]:
    """Wanted settings whose effective value differs (list settings compared as sets)."""
    wrong = {}
    for name, value in wanted.items():
        current = (settings.get(name) or {}).get("setting")
        want = normalize_setting(name, value)
        if name == "shared_preload_libraries":
            # Others may preload their libraries too: the wanted ones must be among them.
            same = set(split_list(want)) <= set(split_list(current))
        elif name in ("listen_addresses", "pgaudit.log"):
            same = {v.lower() for v in split_list(current)} == {v.lower() for v in split_list(want)}
        else:
            same = current == want
        if not same:
            wrong[name] = current
    return wrong


# --------------------------------------------------------------------------
# Files: certificates, storage, backups
# --------------------------------------------------------------------------


def storage_encryption(host: t.Any, path: str) -> dict[str, t.Any]:
    """The block device under path and whether a dm-crypt layer is in its stack."""
    findmnt = host.which("findmnt")
    if not findmnt:
        return {"device": None, "encrypted": None, "reason": "findmnt is not installed"}
    rc, out, _unused = host.run(findmnt, "-n", "-o", "SOURCE,FSTYPE", "-T", path)
    if rc != 0 or not out.split():
        return {"device": None, "encrypted": None, "reason": f"no mount found for {path}"}
    source, fstype = [*out.split(), ""][:2]
    device = re.sub(r"\[.*\]$", "", source)
    if not device.startswith("/dev/"):
        return {
            "device": source,
            "fstype": fstype,
            "encrypted": None,
            "reason": f"{path} is on {fstype} ({source}), not a block device this host sees",
        }
    lsblk = host.which("lsblk")
    if not lsblk:
        return {"device": device, "fstype": fstype, "encrypted": None, "reason": "lsblk is not installed"}
    rc, out, _unused = host.run(lsblk, "-n", "-s", "-r", "-o", "NAME,TYPE", device)
    if rc != 0:
        return {"device": device, "fstype": fstype, "encrypted": None, "reason": f"lsblk cannot read {device}"}
    stack = [line.split() for line in out.splitlines() if line.split()]
    return {
        "device": device,
        "fstype": fstype,
        "stack": [" ".join(item) for item in stack],
        "encrypted": any(len(item) > 1 and item[1] == "crypt" for item in stack),
        "reason": None,
    }


def latest_backup(root: str, now: float | None = None) -> dict[str, t.Any]:
    """The newest complete backup under root (a directory with a manifest)."""
    now = now if now is not None else time.time()
    state: dict[str, t.Any] = {"root": root, "exists": os.path.isdir(root), "count": 0, "latest": None}
    if not state["exists"]:
        return state
    complete = []
    for name in sorted(os.listdir(root)):
        manifest = os.path.join(root, name, BACKUP_MANIFEST)
        try:
            mtime = os.stat(manifest).st_mtime
        except OSError:
            continue
        complete.append((mtime, name, manifest))
    state["count"] = len(complete)
    state["names"] = [name for _mtime, name, _path in sorted(complete)]
    if not complete:
        return state
    mtime, name, manifest = max(complete)
    try:
        with open(manifest, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        data = {}
    directory = os.path.join(root, name)
    state["latest"] = {
        "name": name,
        "path": directory,
        "time": mtime,
        "age_hours": round((now - mtime) / 3600, 2),
        "databases": sorted((data.get("databases") or {}).keys()),
        "files": sorted(os.listdir(directory)),
    }
    state["oldest_age_hours"] = round((now - min(complete)[0]) / 3600, 2)
    return state


def restore_status(path: str, now: float | None = None) -> dict[str, t.Any] | None:
    now = now if now is not None else time.time()
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    finished = data.get("finished")
    data["age_hours"] = round((now - finished) / 3600, 2) if isinstance(finished, (int, float)) else None
    return data


def loose_modes(host: t.Any, paths: t.Iterable[str], dir_mode: str, file_mode: str, owner: str) -> dict[str, str]:
    """Paths whose mode is looser than wanted or whose owner differs."""
    problems = {}
    for path in paths:
        st = host.stat(path)
        if not st["exists"]:
            continue
        wanted = dir_mode if st["is_dir"] else file_mode
        if int(st["mode"], 8) & ~int(wanted, 8) or st["owner"] != owner:
            problems[path] = f"{st['mode']} {st['owner']}"
    return problems
