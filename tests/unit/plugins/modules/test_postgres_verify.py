"""postgres_verify end to end on state recorded from converged servers:
fixtures in, findings out, then the same state drifted control by control."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import checked_report, systemctl_show

from ansible_collections.insightengine.hardening.plugins.module_utils import _host, _ufw
from ansible_collections.insightengine.hardening.plugins.module_utils import _postgres as pg
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Findings
from ansible_collections.insightengine.hardening.plugins.modules.postgres_verify import PostgresVerifier

FIXTURES = Path(__file__).parents[1] / "module_utils" / "fixtures" / "postgres"
VERSIONS = {"debian12": "15", "debian13": "17"}
APP = {"database": "insightengine", "schema": "insightengine", "user": "insightengine_app", "owner": "insightengine_owner"}
PASSWORDS = {"insightengine_app": "App-password-0123456789", "insightengine_owner": "Owner-password-0123456789"}


class RecordedServer(_host.HostReader):
    """A host whose psql answers come from recorded query results."""

    def __init__(self, release: str, root: Path):
        super().__init__(run=self._answer, which=lambda name: None if name == "ufw" else f"/usr/bin/{name}")
        self.release = release
        self.data = {
            name: json.loads((FIXTURES / f"{name}_{release}.json").read_text())
            for name in ("lsclusters", "settings", "hba", "roles", "databases", "objects")
        }
        for role, password in PASSWORDS.items():
            self.data["roles"][role]["password"] = pg.scram_verifier(password)
        self.files = {
            "/proc/net/tcp": (FIXTURES / f"proc_net_tcp_{release}.txt").read_text(),
            "/proc/net/tcp6": (FIXTURES / f"proc_net_tcp6_{release}.txt").read_text(),
        }
        self.unit_states = {"insightengine-pg-backup.timer": "enabled", "insightengine-pg-restore-test.timer": "enabled"}
        self.root = root

    def _answer(self, cmd: list[str]) -> tuple[int, str, str]:  # noqa: PLR0911 - one answer per command
        if cmd[-2:] == ["pg_lsclusters", "--json"] or cmd == ["/usr/bin/pg_lsclusters", "--json"]:
            return 0, json.dumps(self.data["lsclusters"]), ""
        if "psql" in cmd:
            sql = cmd[-1]
            if "pg_conf_load_time" in sql:  # loaded just now: nothing newer
                return 0, json.dumps({"loaded": time.time(), "config_file": "/nonexistent", "files": [], "ssl_files": []}), ""
            for marker, key in (
                ("schema_owner", "objects"),
                ("pg_settings", "settings"),
                ("pg_hba_file_rules", "hba"),
                ("pg_authid", "roles"),
                ("pg_database", "databases"),
            ):
                if marker in sql:
                    return 0, json.dumps(self.data[key]), ""
        if cmd[:2] == ["/usr/bin/openssl", "x509"]:
            end = time.strftime("%b %d %H:%M:%S %Y GMT", time.gmtime(time.time() + 400 * 86400))
            return 0, f"notAfter={end}\n", ""
        if cmd[0] == "/usr/bin/findmnt":
            return 0, "overlay overlay\n", ""
        shown = systemctl_show(cmd, {u: (s, "active" if s == "enabled" else "inactive") for u, s in self.unit_states.items()})
        if shown:
            return shown
        return 1, "", f"unexpected command {cmd}"

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    @staticmethod
    def stat(path: str):
        if path.endswith("server.key"):
            return {"exists": True, "mode": "0600", "owner": "postgres", "group": "postgres", "is_dir": False}
        return _host.HostReader.stat(path)


def backup(root: Path, age_hours: float = 2) -> str:
    name = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - age_hours * 3600))
    directory = root / "backups" / name
    directory.mkdir(parents=True, mode=0o700)
    (root / "backups").chmod(0o700)
    (directory / "insightengine.dump").write_text("x")
    (directory / "insightengine.dump").chmod(0o600)
    manifest = directory / pg.BACKUP_MANIFEST
    manifest.write_text(json.dumps({"databases": {"insightengine": "insightengine.dump"}}))
    manifest.chmod(0o600)
    stamp = time.time() - age_hours * 3600
    os.utime(manifest, (stamp, stamp))
    return name


def params(root: Path, release: str) -> dict:
    version = VERSIONS[release]
    owner = __import__("pwd").getpwuid(os.getuid()).pw_name
    return {
        "version": "",
        "cluster_name": "main",
        "network": {"listen_addresses": ["localhost", f"postgres-{release}"], "listen_all_allowed": False, "client_networks": []},
        "firewall": True,
        "tls": {
            "min_protocol": "TLSv1.2",
            "cert_file": f"/etc/postgresql/{version}/main/tls/server.crt",
            "key_file": f"/etc/postgresql/{version}/main/tls/server.key",
            "ca_file": "",
            "min_days_left": 14,
        },
        "app": APP,
        "passwords": PASSWORDS,
        "superusers_allowed": [],
        "logging": {
            "log_connections": "on",
            "log_disconnections": "on",
            "log_min_duration_statement": "200",
            "log_line_prefix": "%m [%p] %q%u@%d from %h ",
        },
        "pgaudit_log": ["ddl", "role"],
        "storage": {"require_encrypted": False, "encrypted_elsewhere": ""},
        "backup": {
            "root": str(root / "backups"),
            "max_age_hours": 26,
            "retention_days": 14,
            "databases": ["insightengine"],
            "restore_status": str(root / "restore.json"),
            "restore_max_age_hours": 26,
            "owner": owner,
        },
        "disabled": {},
        "not_applicable": {},
        "waivers": {},
        "strict": True,
    }


@pytest.fixture(params=sorted(VERSIONS))
def setup(request, tmp_path):
    release = request.param
    name = backup(tmp_path)
    (tmp_path / "restore.json").write_text(
        json.dumps({"ok": True, "finished": time.time() - 600, "backup": name, "databases": {}})
    )
    return RecordedServer(release, tmp_path), params(tmp_path, release)


def statuses(host, p) -> dict[str, str]:
    findings = Findings("postgres", pg.CATALOG, p["disabled"], p["not_applicable"], p["waivers"])
    PostgresVerifier(p, host, findings).run()
    checked_report(findings.result(strict=False))
    return {f.control.id: f.status for f in findings.findings()}


def test_a_converged_server_passes_every_control_but_storage(setup):
    host, p = setup
    result = statuses(host, p)
    assert result == {f"PG-{n:02d}": "pass" for n in range(1, 11)} | {"PG-08": "warn"}


def test_storage_encryption_is_a_failure_when_required_and_not_applicable_when_elsewhere(setup):
    host, p = setup
    p["storage"]["require_encrypted"] = True
    assert statuses(host, p)["PG-08"] == "fail"
    p["storage"]["encrypted_elsewhere"] = "EBS encryption"
    assert statuses(host, p)["PG-08"] == "not_applicable"


@pytest.mark.parametrize(
    ("cid", "drift"),
    [
        ("PG-01", lambda h: h.data["settings"]["listen_addresses"].update(setting="*")),
        ("PG-02", lambda h: h.data["settings"]["ssl_min_protocol_version"].update(setting="TLSv1")),
        ("PG-02", lambda h: h.data["settings"]["ssl"].update(setting="off")),
        ("PG-03", lambda h: h.data["hba"].insert(0, {**h.data["hba"][0], "auth_method": "trust"})),
        ("PG-03", lambda h: h.data["settings"]["password_encryption"].update(setting="md5")),
        ("PG-04", lambda h: h.data["roles"]["insightengine_app"].update(password=pg.scram_verifier("another"))),
        ("PG-04", lambda h: h.data["roles"]["insightengine_owner"].update(password="md5" + "0" * 32)),
        ("PG-05", lambda h: h.data["roles"]["insightengine_app"].update(createdb=True)),
        ("PG-05", lambda h: h.data["objects"].update(tables_beyond_crud=["orders"])),
        ("PG-06", lambda h: h.data["roles"].update(rogue={**h.data["roles"]["postgres"], "superuser": True})),
        ("PG-07", lambda h: h.data["settings"]["log_connections"].update(setting="off")),
        ("PG-07", lambda h: h.data["settings"]["shared_preload_libraries"].update(setting="")),
        ("PG-09", lambda h: h.unit_states.update({"insightengine-pg-backup.timer": "disabled"})),
        (
            "PG-10",
            lambda h: (h.root / "restore.json").write_text(json.dumps({"ok": False, "finished": time.time(), "error": "x"})),
        ),
    ],
)
def test_each_drift_fails_its_control_only(setup, cid, drift):
    host, p = setup
    drift(host)
    result = statuses(host, p)
    assert {c for c, s in result.items() if s == "fail"} == {cid}, result


def test_an_old_backup_fails_and_a_missing_one_fails_both(setup, tmp_path):
    host, p = setup
    for manifest in (tmp_path / "backups").glob("*/MANIFEST.json"):
        os.utime(manifest, (time.time() - 72 * 3600,) * 2)
    assert statuses(host, p)["PG-09"] == "fail"
    for directory in (tmp_path / "backups").iterdir():
        (directory / pg.BACKUP_MANIFEST).unlink()
    result = statuses(host, p)
    assert result["PG-09"] == result["PG-10"] == "fail"


def test_an_unreadable_server_is_an_error_for_its_controls_never_a_pass(setup):
    host, p = setup
    host.data["lsclusters"][0]["running"] = 0
    result = statuses(host, p)
    assert all(result[f"PG-0{n}"] == "error" for n in range(1, 8)), result


def test_ufw_port_ranges():
    assert _ufw.port_matches("5432", "5432") and _ufw.port_matches("5000:6000", "5432") and _ufw.port_matches("any", "5432")
    assert not _ufw.port_matches("80,443", "5432")
