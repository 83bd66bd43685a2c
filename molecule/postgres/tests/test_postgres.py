"""The postgres layer, measured by its effects on Debian 12 and 13.

Debian 12 (PostgreSQL 15) was taken over: prepare.yml left a cluster with
data, a trust line, TLS off (ALTER SYSTEM) and UFW on. Debian 13
(PostgreSQL 17) started empty. The test runner is the one listed client
network; the other container is a network that is not listed.

Order matters: real connections first, then backups, check mode, drift and
bad input (each leaves the hosts converged).
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from conftest import (
    EPHEMERAL_DIR,
    assert_bad_inputs_refused,
    assert_converged,
    assert_drift_reported,
    control_ids,
    run_playbook,
    sh,
    wait_for,
)

APP, OWNER, DB, SCHEMA = "insightengine_app", "insightengine_owner", "insightengine", "insightengine"
MONITOR = "prometheus"  # the exporter's role (postgres_monitor_user), its OS user of the same name
VERSIONS = {"postgres-debian12": "15", "postgres-debian13": "17"}
# converge.yml sets the client network from facts; the bad-input hosts gather none.
CLIENT_NETWORKS = {"postgres_client_networks": ["172.16.0.1/32"]}


def psql_local(name: str, sql: str, database: str = "postgres") -> str:
    """As the postgres superuser over the local socket, inside the container."""
    return sh(name, f'runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d {database} -c "{sql}"').stdout.strip()


def secret(name: str, role: str) -> Path:
    return EPHEMERAL_DIR / "secrets" / name / "postgres" / role


def password(name: str, role: str) -> str:
    return secret(name, role).read_text().strip()


def connect(ip: str, user: str, secret_value: str, dbname: str = DB, **options) -> psycopg.Connection:
    options.setdefault("sslmode", "require")
    return psycopg.connect(
        host=ip, port=5432, user=user, password=secret_value, dbname=dbname, connect_timeout=5, autocommit=True, **options
    )


def refused(ip: str, user: str, secret_value: str, dbname: str = DB, **options) -> str:
    with pytest.raises(psycopg.OperationalError) as error:
        connect(ip, user, secret_value, dbname, **options).close()
    return str(error.value)


def log(name: str) -> str:
    return sh(name, f"cat /var/log/postgresql/postgresql-{VERSIONS[name]}-main.log").stdout


@pytest.fixture(scope="module", params=sorted(VERSIONS))
def target(request, ips):
    return request.param, ips[request.param]


# --- the server ------------------------------------------------------------------


def test_distribution_postgresql_runs(target):
    name, _ip = target
    clusters = json.loads(sh(name, "pg_lsclusters --json").stdout)
    assert [(c["version"], c["cluster"], c["running"]) for c in clusters] == [(int(VERSIONS[name]), "main", 1)]


def listening_on_5432(name: str) -> set[str]:
    """IPv4 addresses with a listening socket on 5432, from the kernel's table."""
    table = sh(name, "cat /proc/net/tcp").stdout.splitlines()[1:]
    found = set()
    for line in table:
        local, state = line.split()[1], line.split()[3]
        address, port = local.split(":")
        if state == "0A" and int(port, 16) == 5432:
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_listens_on_localhost_and_its_private_address_only(target):
    name, ip = target
    assert listening_on_5432(name) == {"127.0.0.1", ip}  # so not 0.0.0.0


def test_takeover_kept_the_existing_data():
    assert psql_local("postgres-debian12", "select count(*) from orders", "legacy") == "500"


# --- real client connections from the listed network -----------------------------


def test_non_tls_tcp_is_rejected_even_with_the_right_password(target):
    name, ip = target
    message = refused(ip, APP, password(name, APP), sslmode="disable")
    assert "no encryption" in message, message


def test_tls_login_with_the_generated_password_works(target):
    name, ip = target
    with connect(ip, APP, password(name, APP)) as conn:
        user, ssl, version = conn.execute(
            "select current_user, ssl, version from pg_stat_ssl where pid = pg_backend_pid()"
        ).fetchone()
    assert (user, ssl) == (APP, True)
    assert version in ("TLSv1.2", "TLSv1.3")


def test_tls_1_1_handshake_is_refused_by_the_server(target):
    name, _ip = target
    # OpenSSL's own floor is lowered (SECLEVEL=0) so that only the server can refuse.
    old = sh(
        name,
        "echo | timeout 10 openssl s_client -connect 127.0.0.1:5432 -starttls postgres -tls1_1 -cipher DEFAULT@SECLEVEL=0 2>&1",
        check=False,
    ).stdout
    # The server ends the handshake with an alert (OpenSSL 3.0: handshake
    # failure, 3.5: protocol version); no cipher is ever agreed.
    assert "Cipher is (NONE)" in old and ("alert protocol version" in old or "alert handshake failure" in old), old
    new = sh(
        name, "echo | timeout 10 openssl s_client -connect 127.0.0.1:5432 -starttls postgres -tls1_2 2>&1", check=False
    ).stdout
    assert "Protocol: TLSv1.2" in new or "Protocol  : TLSv1.2" in new, new


def test_a_wrong_password_is_refused_and_logged(target):
    name, ip = target
    message = refused(ip, APP, "not-the-password-1234")
    assert "password authentication failed" in message
    assert f'password authentication failed for user "{APP}"' in log(name)


def test_app_role_has_crud_on_its_schema_and_nothing_else(target):
    name, ip = target
    table = f"{SCHEMA}.crud_{name.replace('-', '_')}"
    # The migration role creates the table after the role ran: default
    # privileges must make it reachable to the application without a grant.
    with connect(ip, OWNER, password(name, OWNER)) as owner:
        owner.execute(f"drop table if exists {table}")
        owner.execute(f"create table {table} (id serial primary key, note text)")
    with connect(ip, APP, password(name, APP)) as app:
        app.execute(f"insert into {table} (note) values ('a'), ('b')")
        app.execute(f"update {table} set note = 'c' where note = 'a'")
        app.execute(f"delete from {table} where note = 'b'")
        assert app.execute(f"select note from {table}").fetchall() == [("c",)]
        for statement in (
            "create database stolen",
            "create role stolen login",
            f"create table {SCHEMA}.stolen (id int)",
            "create table public.stolen (id int)",
            f"truncate {table}",
            f"drop schema {SCHEMA} cascade",
            f"alter table {table} add column x int",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
        attributes = app.execute(
            "select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls from pg_roles where rolname = current_user"
        ).fetchone()
        assert attributes == (False, False, False, False, False)
    # Another database: not even a connection.
    for other in ("postgres", "legacy"):
        message = refused(ip, APP, password(name, APP), dbname=other)
        assert "pg_hba.conf rejects connection for host" in message and f'user "{APP}", database "{other}"' in message, message


def test_the_exporters_role_gets_in_by_peer_only_and_reads_statistics_not_data(target):
    name, ip = target
    sh(name, f"id {MONITOR} || useradd --system --no-create-home {MONITOR}")

    def as_os_user(user: str, sql: str, database: str = "postgres") -> tuple[int, str]:
        run = sh(name, f'runuser -u {user} -- psql -XAtq -U {MONITOR} -d {database} -c "{sql}"', check=False)
        return run.returncode, (run.stdout + run.stderr).strip()

    member = "select pg_has_role('pg_monitor', 'member'), rolsuper from pg_roles where rolname = current_user"
    rc, out = as_os_user(MONITOR, member)
    assert (rc, out) == (0, "t|f"), out
    # pg_monitor: every session's activity, as an exporter reads it
    rc, out = as_os_user(MONITOR, "select count(*) > 0 from pg_stat_activity where backend_type = 'checkpointer'")
    assert (rc, out) == (0, "t"), out
    # not the application's data, not another OS user, not over TCP
    # (Debian's own "local all all peer" line is kept where it was: CONNECT, revoked from PUBLIC, refuses it then)
    rc, out = as_os_user(MONITOR, "select 1", DB)
    assert rc != 0 and ("no pg_hba.conf entry" in out or "User does not have CONNECT privilege" in out), out
    rc, out = as_os_user("nobody", "select 1")
    assert rc != 0 and "Peer authentication failed" in out, out
    message = refused(ip, MONITOR, "", dbname="postgres")
    assert "pg_hba.conf rejects connection" in message and f'user "{MONITOR}"' in message, message


def test_ddl_and_role_changes_are_audited(target):
    name, ip = target
    with connect(ip, OWNER, password(name, OWNER)) as owner:
        owner.execute(f"create table {SCHEMA}.audited_{name[-2:]} (id int)")
        owner.execute(f"drop table {SCHEMA}.audited_{name[-2:]}")
    with connect(ip, APP, password(name, APP)) as app:
        app.execute("select pg_sleep(0.35)")  # past postgres_log_min_duration_statement (200 ms)
    text = log(name)
    assert f"AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,{SCHEMA}.audited_{name[-2:]}" in text, text[-2000:]
    assert f"connection authorized: user={OWNER} database={DB} SSL enabled" in text
    assert "disconnection: session time" in text
    assert f"{APP}@{DB} from " in text and "statement: select pg_sleep(0.35)" in text
    # Role changes are audited with their verifier, never a password.
    assert ",ROLE,CREATE ROLE," in text or ",ROLE,ALTER ROLE," in text
    for role in (APP, OWNER):
        assert password(name, role) not in text


def test_a_network_that_is_not_listed_is_refused(ips):
    # Each container tries the other's server with the right password over TLS.
    for source, target_name in (("postgres-debian12", "postgres-debian13"), ("postgres-debian13", "postgres-debian12")):
        secret_value = password(target_name, APP)
        proc = sh(
            source,
            f"PGPASSWORD='{secret_value}' PGCONNECT_TIMEOUT=5"
            f" psql 'host={ips[target_name]} dbname={DB} user={APP} sslmode=require' -c 'select 1'",
            check=False,
        )
        assert proc.returncode != 0, (source, target_name, proc.stdout)
        if target_name == "postgres-debian13":  # no firewall: pg_hba.conf's final reject
            assert f'pg_hba.conf rejects connection for host "{ips[source]}"' in proc.stderr, proc.stderr
        else:  # UFW drops it before the server sees it
            assert "timeout expired" in proc.stderr or "timed out" in proc.stderr, proc.stderr


def test_firewall_opens_the_port_to_the_listed_network_only():
    rules = sh("postgres-debian12", "ufw status").stdout
    lines = [line for line in rules.splitlines() if line.startswith("5432")]
    assert len(lines) == 1 and "ALLOW" in lines[0] and "Anywhere" not in lines[0], rules


def test_secrets_are_generated_strong_and_private(target):
    name, _ip = target
    for role in (APP, OWNER):
        path = secret(name, role)
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        for directory in (path.parent, path.parent.parent, EPHEMERAL_DIR / "secrets"):
            assert oct(directory.stat().st_mode & 0o777) == "0o700", directory
        value = password(name, role)
        assert len(value) == 40 and value.isalnum() and len(set(value)) > 15
    assert password(name, APP) != password(name, OWNER)
    stored = psql_local(name, f"select rolpassword from pg_authid where rolname = '{APP}'")
    assert stored.startswith("SCRAM-SHA-256$4096:")
    key = sh(name, f"stat -c '%a %U' /etc/postgresql/{VERSIONS[name]}/main/tls/server.key").stdout.split()
    assert key == ["600", "postgres"]


# --- backups --------------------------------------------------------------------------


def test_backup_runs_and_the_restore_test_restores_it(target):
    name, _ip = target
    psql_local(
        name,
        f"create table if not exists {SCHEMA}.restore_probe (id int);"
        f" insert into {SCHEMA}.restore_probe select generate_series(1, 42)",
        DB,
    )
    # A complete backup past the retention (14 days) must go; the newest stays.
    sh(
        name,
        "install -d -o postgres -g postgres -m 0700 /var/backups/postgresql/20200101T000000Z"
        " && echo '{}' > /var/backups/postgresql/20200101T000000Z/MANIFEST.json"
        " && touch -d '30 days ago' /var/backups/postgresql/20200101T000000Z/MANIFEST.json",
    )
    sh(name, "systemctl start insightengine-pg-backup.service && systemctl start insightengine-pg-restore-test.service")
    assert "20200101T000000Z" not in sh(name, "ls /var/backups/postgresql").stdout
    status = json.loads(sh(name, "cat /var/lib/postgresql/insightengine-restore-test.json").stdout)
    assert status["ok"] is True, status
    restored = status["databases"][DB]
    assert restored["tables_restored"] == restored["tables_in_dump"] >= 2
    assert restored["rows_restored"] >= 42
    latest = sh(name, "ls -1 /var/backups/postgresql | sort | tail -1").stdout.strip()
    assert status["backup"] == latest
    modes = sh(
        name, f"stat -c '%a %U %n' /var/backups/postgresql /var/backups/postgresql/{latest} /var/backups/postgresql/{latest}/*"
    ).stdout
    for line in modes.splitlines():
        mode, owner, _path = line.split(maxsplit=2)
        assert owner == "postgres" and mode in ("700", "600"), line
    assert (
        sh(name, "systemctl is-enabled insightengine-pg-backup.timer insightengine-pg-restore-test.timer").stdout.split()
        == ["enabled"] * 2
    )
    psql_local(name, f"drop table {SCHEMA}.restore_probe", DB)


def test_an_old_or_missing_backup_fails_verification_until_the_role_runs(hosts, converge_playbook):
    for name in hosts:
        sh(name, "touch -d '3 days ago' /var/backups/postgresql/*/MANIFEST.json")
    old = run_playbook(converge_playbook, check=True)
    assert old.rc == 0, old.stdout[-3000:]
    for name in hosts:
        assert old.statuses(name, "postgres")["PG-09"] == "fail", old.verify(name, "postgres")["report"]

    for name in hosts:
        sh(
            name,
            "mv /var/backups/postgresql /var/backups/postgresql.moved"
            " && install -d -m 0700 -o postgres -g postgres /var/backups/postgresql",
        )
    missing = run_playbook(converge_playbook, check=True)
    for name in hosts:
        statuses = missing.statuses(name, "postgres")
        assert statuses["PG-09"] == "fail" and statuses["PG-10"] == "fail", statuses
        assert {"PG-09"} <= set().union(*(control_ids(t) for t in missing.changed_tasks(name)))

    repair = run_playbook(converge_playbook)
    assert repair.rc == 0, repair.stdout[-3000:]
    for name in hosts:
        statuses = repair.statuses(name, "postgres")
        assert statuses["PG-09"] == statuses["PG-10"] == "pass", statuses
        sh(name, "rm -rf /var/backups/postgresql.moved")


# --- check mode, drift, bad input ----------------------------------------------------------


def test_check_mode_after_converge_reports_nothing(hosts, converge_playbook, ips):
    run = assert_converged(converge_playbook, hosts, "postgres", 10)
    for name in hosts:
        assert run.statuses(name, "postgres")["PG-08"] == "warn"  # overlay storage: not provably encrypted
        # The connection settings the role publishes for the application work
        # as they are (TLS required), with the generated password.
        published = [
            r["ansible_facts"]["postgres_app_connection"] for task, r in run.results(name) if "connection settings" in task
        ]
        assert published, run.changed_tasks(name)
        dsn = published[0]["dsn"]
        assert dsn == f"host={name} port=5432 dbname={DB} user={APP} sslmode=require"
        with psycopg.connect(dsn.replace(f"host={name}", f"host={ips[name]}"), password=password(name, APP)) as conn:
            assert conn.execute("select ssl from pg_stat_ssl where pid = pg_backend_pid()").fetchone() == (True,)


def test_unencrypted_storage_fails_the_run_when_encryption_is_required(hosts, converge_playbook):
    name = hosts[1]
    run = run_playbook(converge_playbook, extra_vars={"postgres_require_encrypted_storage": True}, limit=name)
    assert run.rc != 0
    assert run.changed(name) == 0
    assert run.statuses(name, "postgres")["PG-08"] == "fail"
    assert "PG-08" in run.failure_messages(name)


DRIFT = {
    # control: how it drifts behind the role's back (run as root in the container)
    "PG-02": "ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1'",
    "PG-03": "echo 'host all all 0.0.0.0/0 trust' >> /etc/postgresql/{v}/main/pg_hba.conf",
    "PG-05": f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA {SCHEMA} TO {APP}; GRANT pg_read_all_data TO {MONITOR}",
    "PG-06": "DROP ROLE IF EXISTS rogue; CREATE ROLE rogue SUPERUSER",
    "PG-07": "ALTER SYSTEM SET log_connections = off",
}


def test_drift_is_reported_per_control_then_repaired(hosts, converge_playbook):
    for name in hosts:
        for cid, change in DRIFT.items():
            if change.startswith("echo"):
                sh(name, change.format(v=VERSIONS[name]))
            else:
                psql_local(name, change, DB if cid == "PG-05" else "postgres")
        sh(name, f"systemctl reload postgresql@{VERSIONS[name]}-main")

    # PG-06 is reported, never changed: the role does not demote superusers.
    assert_drift_reported(converge_playbook, hosts, "postgres", set(DRIFT), set(DRIFT) - {"PG-06"})

    # The appended trust line is not the role's: a real run refuses it, names
    # it, and changes nothing, until it is dropped explicitly.
    refused = run_playbook(converge_playbook, extra_vars={"postgres_hba_drop": []})  # (debian12 drops it in molecule.yml)
    assert refused.rc != 0
    for name in hosts:
        assert "host all all 0.0.0.0/0 trust (trust lets anyone in without a password)" in refused.failure_messages(name)
        assert refused.changed(name) == 0, refused.changed_tasks(name)
    drop = {"postgres_hba_drop": ["host all all 0.0.0.0/0 trust"]}
    strict = run_playbook(converge_playbook, extra_vars=drop)
    assert strict.rc != 0, "a superuser the role does not remove must fail the run"
    for name in hosts:
        assert "PG-06" in strict.failure_messages(name)
        shown = [r.get("msg", "") for task, r in strict.results(name) if "no longer has" in task]
        assert (
            shown and "dropped from" in shown[0] and "host all all 0.0.0.0/0 trust" in shown[0] and "pg_hba.conf." in shown[0]
        ), shown
        psql_local(name, "DROP ROLE rogue")
    repair = run_playbook(converge_playbook)
    assert repair.rc == 0, repair.stdout[-3000:]
    assert_converged(converge_playbook, hosts, "postgres", 10)
    for name in hosts:
        assert "trust" not in sh(name, f"grep -v '^#' /etc/postgresql/{VERSIONS[name]}/main/pg_hba.conf").stdout


def test_rerun_keeps_the_data(hosts, converge_playbook, ips):
    name = "postgres-debian13"
    with connect(ips[name], OWNER, password(name, OWNER)) as owner:
        owner.execute(f"drop table if exists {SCHEMA}.kept")
        owner.execute(f"create table {SCHEMA}.kept (id int)")
        owner.execute(f"insert into {SCHEMA}.kept select generate_series(1, 1000)")
    run = run_playbook(converge_playbook, extra_vars={"postgres_log_min_duration_statement": 300})
    assert run.rc == 0, run.stdout[-3000:]
    assert psql_local(name, f"select count(*) from {SCHEMA}.kept", DB) == "1000"
    assert psql_local("postgres-debian12", "select count(*) from orders", "legacy") == "500"
    assert run_playbook(converge_playbook).rc == 0


FINGERPRINT = [
    "runuser -u postgres -- psql -XAtc 'select rolname, rolsuper, rolpassword from pg_authid order by 1'",
    "runuser -u postgres -- psql -XAtc 'select name, setting from pg_settings order by 1'",
    "ufw status verbose",
    "ls -l --time-style=+%s /var/backups/postgresql",
]


def test_bad_input_fails_naming_the_variable_and_changes_nothing(hosts):
    """The validators' case tables and every option with a smuggled
    directive, on a real cluster: each stops the role before it changes
    anything, naming its variable, and never prints a password."""
    for name in hosts:
        count = assert_bad_inputs_refused("postgres", name, FINGERPRINT, extra=dict(CLIENT_NETWORKS))
        assert count > 100, count


def test_lines_others_added_to_pg_hba_are_kept_or_refused(hosts, converge_playbook):
    name = "postgres-debian13"
    hba = f"/etc/postgresql/{VERSIONS[name]}/main/pg_hba.conf"
    sh(name, f"echo 'hostssl replication replicator 10.1.2.0/24 scram-sha-256' >> {hba}")
    sh(name, f"echo 'host    all   monitor   10.0.0.0/8   md5' >> {hba}")
    before = sh(name, f"sha256sum {hba}").stdout
    refused = run_playbook(converge_playbook, limit=name)
    assert refused.rc != 0 and refused.changed(name) == 0
    message = refused.failure_messages(name)
    assert "host all monitor 10.0.0.0/8 md5 (host accepts TCP without TLS (md5))" in message and "postgres_hba_drop" in message, (
        message
    )
    assert sh(name, f"sha256sum {hba}").stdout == before
    run = run_playbook(converge_playbook, limit=name, extra_vars={"postgres_hba_drop": ["host all monitor 10.0.0.0/8 md5"]})
    assert run.rc == 0, run.stdout[-3000:]
    text = sh(name, f"cat {hba}").stdout
    kept = text.split("# BEGIN lines kept")[1].split("# END lines kept")[0]
    assert "hostssl replication replicator 10.1.2.0/24 scram-sha-256" in kept
    assert "monitor" not in text
    shown = [r.get("msg", "") for task, r in run.results(name) if "no longer has" in task]
    assert shown and "host all monitor 10.0.0.0/8 md5" in shown[0], shown
    backup = shown[0].split("The previous file is ")[1].rstrip(".")
    assert "md5" in sh(name, f"cat {backup}").stdout  # its copy is where the output says
    # The kept line stays across runs, and a run with nothing to do changes nothing.
    again = run_playbook(converge_playbook, limit=name)
    assert again.rc == 0 and again.changed(name) == 0, again.changed_tasks(name)
    sh(name, f"sed -i '/replicator/d' {hba} && systemctl reload postgresql@{VERSIONS[name]}-main")
    assert run_playbook(converge_playbook, limit=name).rc == 0


def test_a_run_killed_between_pg_hba_and_its_reload_is_repaired_by_the_next(hosts, converge_playbook, ips):
    for name in hosts:
        hba = f"/etc/postgresql/{VERSIONS[name]}/main/pg_hba.conf"
        # Behind the role's back: trust first, loaded.
        sh(name, f"sed -i '1i host all all 0.0.0.0/0 trust' {hba} && systemctl reload postgresql@{VERSIONS[name]}-main")
        assert wait_for(lambda name=name: passwordless(ips[name]))
        run_playbook(converge_playbook, limit=name, extra_vars={"postgres_hba_drop": ["host all all 0.0.0.0/0 trust"]},
                     interrupt_after="Write pg_hba.conf")  # fmt: skip
        assert "trust" not in sh(name, f"grep -v '^#' {hba}").stdout
        assert passwordless(ips[name]), "the server reloaded after all?"
        # Verify judges what a client gets: the file is right, the server is not.
        check = run_playbook(converge_playbook, check=True, limit=name)
        finding = next(f for f in check.verify(name, "postgres")["findings"] if f["id"] == "PG-03")
        assert finding["status"] == "fail" and finding["actual"]["logins a client got in with"], finding
        assert any("Reload PostgreSQL, which runs an older configuration" in t for t in check.changed_tasks(name))
        repair = run_playbook(converge_playbook, limit=name)
        assert repair.rc == 0, repair.stdout[-3000:]
        assert not passwordless(ips[name])
        assert "no encryption" in refused(ips[name], APP, password(name, APP), sslmode="disable")
    assert_converged(converge_playbook, hosts, "postgres", 10)


def passwordless(ip: str) -> bool:
    """A TLS login as the application role with no password at all."""
    try:
        psycopg.connect(
            host=ip, port=5432, user=APP, dbname=DB, sslmode="require", connect_timeout=5, passfile="/dev/null"
        ).close()
    except psycopg.OperationalError:
        return False
    return True


def test_check_mode_writes_no_secret(hosts, converge_playbook):
    empty = EPHEMERAL_DIR / "secrets-check"
    run = run_playbook(converge_playbook, check=True, extra_vars={"postgres_secrets_dir": str(empty)})
    assert run.rc == 0, run.stdout[-2000:]
    assert not empty.exists(), list(empty.rglob("*"))


def test_a_configuration_the_server_refuses_never_lands(hosts, converge_playbook):
    # Someone else's broken drop-in: postgres -C fails on the whole
    # configuration, so the role's new settings must not be written.
    name = "postgres-debian13"
    dropin = f"/etc/postgresql/{VERSIONS[name]}/main/conf.d/90-insightengine-hardening.conf"
    broken = f"/etc/postgresql/{VERSIONS[name]}/main/conf.d/50-broken.conf"
    before = sh(name, f"sha256sum {dropin}").stdout
    sh(name, f"echo \"work_mem = 'lots'\" > {broken}")
    try:
        run = run_playbook(converge_playbook, extra_vars={"postgres_log_min_duration_statement": 500}, limit=name)
        assert run.rc != 0
        assert "work_mem" in run.stdout + run.stderr
        assert sh(name, f"sha256sum {dropin}").stdout == before
        assert psql_local(name, "select 1") == "1"
    finally:
        sh(name, f"rm -f {broken}")
    assert run_playbook(converge_playbook, limit=name).rc == 0
