"""The postgres layer's parsers, plans and checks, on state recorded from
PostgreSQL 15 (Debian 12) and 17 (Debian 13) converged by the role."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _postgres as pg

FIXTURES = Path(__file__).parent / "fixtures" / "postgres"
RELEASES = {"debian12": "15", "debian13": "17"}
APP = {"database": "insightengine", "schema": "insightengine", "user": "insightengine_app", "owner": "insightengine_owner"}


def fixture(name: str, release: str):
    path = FIXTURES / f"{name}_{release}"
    return (
        json.loads(path.with_suffix(".json").read_text())
        if path.with_suffix(".json").exists()
        else path.with_suffix(".txt").read_text()
    )


@pytest.fixture(params=sorted(RELEASES))
def release(request) -> str:
    return request.param


# --- SCRAM ----------------------------------------------------------------------


def test_a_verifier_postgresql_made_matches_its_password_only(release):
    verifier = (FIXTURES / f"scram_verifier_{release}.txt").read_text().strip()
    assert verifier.startswith("SCRAM-SHA-256$4096:")
    assert pg.scram_matches(verifier, "correct horse battery staple")
    assert not pg.scram_matches(verifier, "correct horse battery stapler")


def test_our_verifiers_are_salted_and_match():
    first, second = pg.scram_verifier("s3cret-Value"), pg.scram_verifier("s3cret-Value")
    assert first != second  # a new salt each time
    assert pg.scram_matches(first, "s3cret-Value") and pg.scram_matches(second, "s3cret-Value")
    assert "s3cret" not in first
    assert not pg.scram_matches("md5abcdef", "s3cret-Value")
    assert not pg.scram_matches(None, "x")
    assert pg.password_kind(first) == "scram-sha-256"
    assert pg.password_kind("md5" + "0" * 32) == "md5"
    assert pg.password_kind(None) == "none"


# --- clusters, listeners, networks ------------------------------------------------


def test_clusters_from_pg_lsclusters(release):
    clusters = pg.parse_clusters(json.dumps(fixture("lsclusters", release)))
    assert clusters == [
        {
            "version": RELEASES[release],
            "name": "main",
            "port": 5432,
            "running": True,
            "data_directory": f"/var/lib/postgresql/{RELEASES[release]}/main",
            "config_directory": f"/etc/postgresql/{RELEASES[release]}/main",
            "socket_directory": "/var/run/postgresql",
            "log_file": f"/var/log/postgresql/postgresql-{RELEASES[release]}-main.log",
        }
    ]
    assert pg.parse_clusters("not json") == []


def test_the_newest_cluster_of_the_name_is_picked_unless_a_version_is_asked():
    clusters = [
        {"version": "15", "name": "main"},
        {"version": "17", "name": "main"},
        {"version": "17", "name": "reports"},
    ]
    assert pg.pick_cluster(clusters, "", "main")["version"] == "17"
    assert pg.pick_cluster(clusters, "15", "main")["version"] == "15"
    assert pg.pick_cluster(clusters, "16", "main") is None
    assert pg.distribution_version({"ID": "debian", "VERSION_ID": "13"}) == "17"
    assert pg.distribution_version({"ID": "centos", "VERSION_ID": "9"}) == ""


def test_listeners_from_the_kernel_table(release):
    v4 = _host.parse_proc_net_listeners(fixture("proc_net_tcp", release), 5432)
    v6 = _host.parse_proc_net_listeners(fixture("proc_net_tcp6", release), 5432, v6=True)
    assert "127.0.0.1:5432" in v4 and len(v4) == 2  # localhost and the container's address
    assert v6 == []  # Docker gives these containers no IPv6: localhost is 127.0.0.1 only
    line = "   0: 00000000000000000000000001000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 0"
    header = "  sl  local_address remote_address st\n"
    assert _host.parse_proc_net_listeners(header + line, 5432, v6=True) == ["[::1]:5432"]
    assert not any(pg.wildcard_listener(a) for a in v4 + v6)
    assert pg.wildcard_listener("0.0.0.0:5432") and pg.wildcard_listener("[::]:5432")
    assert _host.parse_proc_net_listeners(fixture("proc_net_tcp", release), 2222) == []


def test_networks_as_ufw_shows_them():
    assert pg.ufw_source("10.0.0.5/32") == "10.0.0.5"
    assert pg.ufw_source("10.0.0.0/24") == "10.0.0.0/24"
    assert pg.ufw_source("10.0.0.7/24") == "10.0.0.0/24"
    assert pg.ufw_source("fd00::1/128") == "fd00::1"


# --- pg_hba -------------------------------------------------------------------------


def test_the_rendered_rules_have_no_problem(release):
    rules = fixture("hba", release)
    assert pg.hba_problems(rules) == []
    assert {r["auth_method"] for r in rules} == {"peer", "scram-sha-256", "reject"}


def rule(line, kind, method, address="0.0.0.0", netmask="0.0.0.0", database=("all",), user=("all",)):  # noqa: S104
    return {
        "line_number": line,
        "type": kind,
        "database": list(database),
        "user_name": list(user),
        "address": address if kind != "local" else None,
        "netmask": netmask if kind != "local" else None,
        "auth_method": method,
        "error": None,
    }


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (rule(1, "host", "trust"), "line 1: trust"),
        (rule(1, "local", "trust"), "line 1: trust"),
        (rule(1, "host", "scram-sha-256", "10.0.0.0", "255.0.0.0"), "line 1: host accepts TCP without TLS"),
        (rule(1, "hostssl", "md5", "10.0.0.0", "255.0.0.0"), "line 1: hostssl uses md5"),
        (rule(1, "local", "md5"), "line 1: local connections use md5"),
        ({**rule(1, "hostssl", "scram-sha-256"), "error": "invalid IP mask"}, "line 1: invalid IP mask"),
    ],
)
def test_weak_rules_are_named_by_line(release, extra, problem):
    problems = pg.hba_problems([extra, *fixture("hba", release)])
    assert any(p.startswith(problem) for p in problems), problems


def test_without_the_final_rejects_non_tls_tcp_is_a_problem(release):
    rules = [r for r in fixture("hba", release) if r["auth_method"] != "reject"]
    assert pg.hba_problems(rules) == [
        "no rule rejects non-TLS TCP from every IPv4 address",
        "no rule rejects non-TLS TCP from every IPv6 address",
    ]


# --- roles and privileges --------------------------------------------------------------


def test_a_new_cluster_gets_roles_with_verifiers_never_passwords():
    statements = pg.role_plan({}, [{"name": "insightengine_app", "password": "Xy7-secret-secret-secret"}])
    assert len(statements) == 1
    assert statements[0].startswith(
        'CREATE ROLE "insightengine_app" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS LOGIN'
    )
    assert "PASSWORD 'SCRAM-SHA-256$4096:" in statements[0]
    assert "secret" not in statements[0]


def test_without_a_password_the_role_password_is_left_alone(release):
    assert pg.role_plan({}, [{"name": "insightengine_app", "password": ""}]) == [
        'CREATE ROLE "insightengine_app" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS LOGIN;'
    ]
    roles = fixture("roles", release)
    assert pg.role_plan(roles, [{"name": "insightengine_app", "password": ""}]) == []


def test_a_role_in_shape_with_its_password_needs_nothing(release):
    roles = fixture("roles", release)
    roles["insightengine_app"]["password"] = pg.scram_verifier("the-App-password-1")
    assert pg.role_plan(roles, [{"name": "insightengine_app", "password": "the-App-password-1"}]) == []


def test_a_drifted_role_is_fixed(release):
    roles = fixture("roles", release)
    roles["insightengine_app"].update(superuser=True, member_of=["pg_read_all_data"], password="md5" + "0" * 32)
    statements = pg.role_plan(roles, [{"name": "insightengine_app", "password": "the-App-password-1"}])
    assert statements[0] == 'ALTER ROLE "insightengine_app" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS LOGIN;'
    assert statements[1].startswith('ALTER ROLE "insightengine_app" PASSWORD \'SCRAM-SHA-256$')
    assert statements[2] == 'REVOKE "pg_read_all_data" FROM "insightengine_app";'


MONITOR_ROLE = {**pg.APP_ATTRIBUTES, "inherit": True, "password": None, "member_of": ["pg_monitor"]}


def test_the_exporters_role_is_made_a_pg_monitor_member_without_a_password():
    assert pg.monitor_plan({}, "prometheus") == [
        'CREATE ROLE "prometheus" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS LOGIN INHERIT PASSWORD NULL;',
        'GRANT pg_monitor TO "prometheus";',
    ]
    assert pg.monitor_plan({"prometheus": MONITOR_ROLE}, "prometheus") == []
    assert pg.monitor_problems({"prometheus": MONITOR_ROLE}, "prometheus") == {}
    assert pg.monitor_plan({}, "") == [] and pg.monitor_problems({}, "") == {}


def test_a_drifted_exporters_role_is_named_and_fixed():
    drifted = {
        **MONITOR_ROLE,
        "superuser": True,
        "inherit": False,
        "password": "SCRAM-SHA-256$4096:x",
        "member_of": ["pg_read_all_data"],
    }
    assert pg.monitor_plan({"prometheus": drifted}, "prometheus") == [
        'ALTER ROLE "prometheus" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS LOGIN INHERIT;',
        'ALTER ROLE "prometheus" PASSWORD NULL;',
        'GRANT pg_monitor TO "prometheus";',
        'REVOKE "pg_read_all_data" FROM "prometheus";',
    ]
    assert pg.monitor_problems({"prometheus": drifted}, "prometheus") == {
        "prometheus attributes": "inherit=False, superuser=True",
        "prometheus password": "set (this role logs in by peer authentication only)",
        "prometheus member of": ["pg_read_all_data"],
    }
    assert pg.monitor_problems({}, "prometheus") == {"prometheus": "role does not exist"}


def test_a_converged_database_needs_nothing(release):
    assert pg.database_plan(fixture("databases", release), fixture("objects", release), APP, pgaudit=True) == ([], [])
    assert pg.privilege_problems(fixture("roles", release), fixture("databases", release), fixture("objects", release), APP) == {}


def test_an_empty_cluster_gets_the_whole_layout():
    cluster, inside = pg.database_plan({}, None, APP, pgaudit=True)
    assert cluster[0] == 'CREATE DATABASE "insightengine" OWNER "insightengine_owner";'
    assert 'GRANT CONNECT ON DATABASE "insightengine" TO "insightengine_app";' in cluster
    assert 'CREATE SCHEMA "insightengine" AUTHORIZATION "insightengine_owner";' in inside
    assert any("ALTER DEFAULT PRIVILEGES" in s and "ON TABLES" in s for s in inside)
    assert inside[-1] == "CREATE EXTENSION IF NOT EXISTS pgaudit;"


def test_privileges_beyond_crud_are_found_and_revoked(release):
    databases, objects, roles = fixture("databases", release), fixture("objects", release), fixture("roles", release)
    databases["insightengine"]["owner"] = "insightengine_app"
    objects.update(tables_beyond_crud=["orders"], owned_by_app=3)
    problems = pg.privilege_problems(roles, databases, objects, APP)
    assert problems["insightengine owner"] == "insightengine_app"
    assert problems["tables_beyond_crud"] == ["orders"]
    cluster, inside = pg.database_plan(databases, objects, APP, pgaudit=True)
    assert cluster == ['ALTER DATABASE "insightengine" OWNER TO "insightengine_owner";']
    assert inside[0] == 'REASSIGN OWNED BY "insightengine_app" TO "insightengine_owner";'
    assert 'REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA "insightengine" FROM "insightengine_app";' in inside


def test_acl_letters_per_grantee():
    acl = "{=Tc/postgres,postgres=CTc/postgres,insightengine_app=c/insightengine_owner}"
    assert pg.acl_grants(acl, "") == "Tc"
    assert pg.acl_grants(acl, "insightengine_app") == "c"
    assert pg.acl_grants(None, "x") == ""


# --- settings ------------------------------------------------------------------------------


def test_recorded_settings_are_the_wanted_ones(release):
    settings = fixture("settings", release)
    wanted = {
        "ssl": "on",
        "ssl_min_protocol_version": "TLSv1.2",
        "password_encryption": "scram-sha-256",
        "shared_preload_libraries": "pgaudit",
        "pgaudit.log": "role, ddl",
        "listen_addresses": f"postgres-{release},localhost",
    }
    assert pg.settings_differ(settings, wanted) == {}
    assert pg.settings_differ(settings, {"ssl_min_protocol_version": "TLSv1.3"}) == {"ssl_min_protocol_version": "TLSv1.2"}


def test_other_preloaded_libraries_are_fine_and_alter_system_is_reset():
    settings = {
        "shared_preload_libraries": {"setting": "pg_stat_statements,pgaudit"},
        "ssl": {"setting": "off", "sourcefile": "/var/lib/postgresql/15/main/postgresql.auto.conf"},
    }
    assert pg.settings_differ(settings, {"shared_preload_libraries": "pgaudit"}) == {}
    assert pg.settings_differ(settings, {"ssl": "on"}) == {"ssl": "off"}
    assert pg.settings_reset_plan(settings, {"ssl": "on", "shared_preload_libraries": "pgaudit"}, "") == [
        'ALTER SYSTEM RESET "ssl";'
    ]


# --- backups and storage ------------------------------------------------------------------------


def make_backup(root: Path, name: str, age_hours: float, databases=("insightengine",)) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    for db in databases:
        (directory / f"{db}.dump").write_text("x")
    manifest = directory / pg.BACKUP_MANIFEST
    manifest.write_text(json.dumps({"databases": {db: f"{db}.dump" for db in databases}}))
    stamp = time.time() - age_hours * 3600
    os.utime(manifest, (stamp, stamp))
    return directory


def test_the_latest_complete_backup_is_found(tmp_path):
    assert pg.latest_backup(str(tmp_path / "none"))["latest"] is None
    make_backup(tmp_path, "20261101T021500Z", 48)
    make_backup(tmp_path, "20261102T021500Z", 24)
    (tmp_path / "20261103T021500Z").mkdir()  # died half-way: no manifest
    state = pg.latest_backup(str(tmp_path))
    assert state["count"] == 2
    assert state["names"] == ["20261101T021500Z", "20261102T021500Z"]
    assert state["latest"]["name"] == "20261102T021500Z"
    assert 23.9 < state["latest"]["age_hours"] < 24.1
    assert state["latest"]["databases"] == ["insightengine"]
    assert 47.9 < state["oldest_age_hours"] < 48.1


def test_restore_status_age(tmp_path):
    status = tmp_path / "status.json"
    assert pg.restore_status(str(status)) is None
    status.write_text(json.dumps({"ok": True, "finished": time.time() - 7200}))
    assert 1.9 < pg.restore_status(str(status))["age_hours"] < 2.1


class Commands:
    """A host that answers fixed commands."""

    def __init__(self, outputs):
        self.outputs = outputs

    def which(self, name):
        return f"/usr/bin/{name}"

    def run(self, *cmd):
        return self.outputs.get(cmd, (1, "", "unknown"))


def test_a_dm_crypt_layer_under_the_data_directory_is_found():
    host = Commands(
        {
            ("/usr/bin/findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", "/var/lib/postgresql"): (0, "/dev/mapper/data ext4\n", ""),
            ("/usr/bin/lsblk", "-n", "-s", "-r", "-o", "NAME,TYPE", "/dev/mapper/data"): (
                0,
                "data crypt\nsda2 part\nsda disk\n",
                "",
            ),
        }
    )
    assert pg.storage_encryption(host, "/var/lib/postgresql")["encrypted"] is True
    host.outputs[("/usr/bin/lsblk", "-n", "-s", "-r", "-o", "NAME,TYPE", "/dev/mapper/data")] = (0, "data lvm\nsda2 part\n", "")
    assert pg.storage_encryption(host, "/var/lib/postgresql")["encrypted"] is False
    host.outputs[("/usr/bin/findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", "/var/lib/postgresql")] = (0, "overlay overlay\n", "")
    state = pg.storage_encryption(host, "/var/lib/postgresql")
    assert state["encrypted"] is None and "not a block device" in state["reason"]


# --- pg_hba.conf lines others wrote ------------------------------------------------------

MANAGED = ["local all postgres peer", "hostssl insightengine insightengine_app 10.0.2.0/24 scram-sha-256"]
DEBIAN_DEFAULT = """# comment
local   all             postgres                                peer
local   all             all                                     peer
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""


def test_a_takeover_keeps_compliant_lines_and_drops_the_distribution_defaults():
    text = DEBIAN_DEFAULT + "hostssl replication replicator 10.1.2.0/24 scram-sha-256\n"
    result = pg.hba_analysis(text, MANAGED, [])
    assert result["kept"] == [
        "local all all peer",
        "local replication all peer",
        "hostssl replication replicator 10.1.2.0/24 scram-sha-256",
    ]
    assert [d["text"] for d in result["dropped"]] == [
        "host all all 127.0.0.1/32 scram-sha-256",
        "host all all ::1/128 scram-sha-256",
        "host replication all 127.0.0.1/32 scram-sha-256",
        "host replication all ::1/128 scram-sha-256",
    ]
    assert result["foreign_noncompliant"] == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("host all all 0.0.0.0/0 trust", "trust"),
        ("hostssl all all 10.0.0.0/8 md5", "md5"),
        ("host all monitor 10.0.0.0/8 scram-sha-256", "without TLS"),
        ("hostnossl all all 10.0.0.0/8 scram-sha-256", "without TLS"),
        ("hostssl all all all scram-sha-256", "accepts all"),
        ("hostssl all all 10.0.0.0 255.0.0.0 password", "password"),
        ("local all all ident", "ident"),
        ("include_dir /etc/postgresql/hba.d", "includes"),
    ],
)
def test_lines_that_break_pg_03_are_named(line, problem):
    result = pg.hba_analysis(line + "\n", MANAGED, [])
    assert [r["text"] for r in result["foreign_noncompliant"]] == [" ".join(line.split())]
    assert problem in result["foreign_noncompliant"][0]["problem"]


def test_a_listed_line_is_dropped_explicitly():
    result = pg.hba_analysis("host   all  all  0.0.0.0/0   trust  # added by hand\n", MANAGED, ["host all all 0.0.0.0/0 trust"])
    assert result["foreign_noncompliant"] == [] and [d["text"] for d in result["dropped"]] == ["host all all 0.0.0.0/0 trust"]


def test_the_roles_own_block_is_replaced_and_lines_after_it_are_judged():
    text = (
        f"{pg.HBA_BEGIN}\nhostssl insightengine insightengine_app 10.9.9.0/24 scram-sha-256\n{pg.HBA_END}\n"
        f"{pg.HBA_KEPT_BEGIN}\nlocal all all peer\n{pg.HBA_KEPT_END}\n"
        "hostnossl all all 0.0.0.0/0 reject\nhost all all 0.0.0.0/0 trust\n"
    )
    result = pg.hba_analysis(text, [*MANAGED, "hostnossl all all 0.0.0.0/0 reject"], [])
    assert result["managed_format"] and result["kept"] == ["local all all peer"]  # the old network line is the role's own
    assert [r["text"] for r in result["foreign_noncompliant"]] == ["host all all 0.0.0.0/0 trust"]


def test_a_file_an_earlier_version_rendered_whole_is_the_roles_own():
    text = (
        f"{pg.HBA_OLD_HEADER} and\nhostssl insightengine insightengine_app 10.9.9.0/24 scram-sha-256\n"
        "host all all 0.0.0.0/0 trust\n"
    )
    result = pg.hba_analysis(text, MANAGED, [])
    assert result["kept"] == [] and [r["text"] for r in result["foreign_noncompliant"]] == ["host all all 0.0.0.0/0 trust"]


def test_reload_pending_compares_the_files_with_the_last_load(tmp_path):
    conf = tmp_path / "postgresql.conf"
    conf.write_text("ssl = on\n")
    host = _host.HostReader(run=lambda cmd: (1, "", ""), which=lambda name: None)
    loaded = conf.stat().st_mtime + 5
    assert pg.reload_pending(host, {"loaded": loaded, "config_file": str(conf), "files": [str(conf)]})["pending"] is False
    result = pg.reload_pending(host, {"loaded": loaded - 60, "config_file": str(conf), "files": [str(conf)]})
    assert result == {"pending": True, "newer": [str(conf)]}
