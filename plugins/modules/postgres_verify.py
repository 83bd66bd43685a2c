#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: postgres_verify
short_description: Verify the postgres layer of the hardening guide from the running server
version_added: 0.1.0
description:
  - Reads the effective state of a PostgreSQL cluster and returns one finding per control of the
    postgres layer (C(PG-01) to C(PG-10)), in the same shape as every verify module of this collection.
  - Reads through the server, as the C(postgres) superuser over the local socket, not the files a role
    wrote. Settings from C(pg_settings), client authentication from C(pg_hba_file_rules), roles from
    C(pg_authid), privileges with C(has_table_privilege) and the ACLs in the application database.
  - Also reads the addresses the server listens on (C(/proc/net/tcp)), UFW, the block device under the data
    directory (C(findmnt), C(lsblk)), the backup timer, the latest backup and the last restore test.
  - PG-08 (encryption at rest) is a warning, not a failure, unless C(require_encrypted) is set in O(storage).
  - Never changes anything.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.postgres_cluster
  - insightengine.hardening.findings
  - insightengine.hardening.read_only
options:
  network:
    description:
      - PG-01. C(listen_addresses) (list, as the setting must be), C(listen_all_allowed) (bool),
        C(port) (int), C(client_networks) (list of networks allowed through UFW).
    type: dict
    required: true
  tls:
    description:
      - PG-02. C(min_protocol) (C(TLSv1.2) or C(TLSv1.3)), C(cert_file), C(key_file), C(ca_file),
        and C(min_days_left) before the certificate expires.
    type: dict
    required: true
  app:
    description:
      - PG-04, PG-05. C(database), C(schema), C(user) (the application role) and C(owner) (the migration role); C(monitor),
        the exporter's role (a member of pg_monitor only, no password), empty for none.
    type: dict
    required: true
  passwords:
    description: PG-04. The password each application role must have, by role name. Never returned.
    type: dict
    default: {}
  superusers_allowed:
    description: PG-06. Superusers besides C(postgres) that are accepted.
    type: list
    elements: str
    default: []
  logging:
    description: PG-07. Wanted logging settings (name to value), for example C(log_connections).
    type: dict
    default: {}
  pgaudit_log:
    description: PG-07. Classes C(pgaudit.log) must include; empty when pgaudit is not used.
    type: list
    elements: str
    default: []
  storage:
    description:
      - PG-08. C(require_encrypted) (bool) fails the control instead of warning;
        C(encrypted_elsewhere) (str) names what encrypts the storage outside this host's view.
    type: dict
    default: {}
  backup:
    description:
      - PG-09, PG-10. C(root), C(owner) (of the backups, C(postgres)), C(timer), C(max_age_hours),
        C(retention_days), C(databases) (that each backup must hold), C(restore_timer), C(restore_status)
        and C(restore_max_age_hours).
    type: dict
    default: {}
  firewall:
    description: PG-01. Whether UFW rules are part of the control (C(false) when the firewall is someone else's).
    type: bool
    default: true
seealso:
  - module: insightengine.hardening.postgres_info
"""

EXAMPLES = r"""
- name: Verify the postgres layer
  insightengine.hardening.postgres_verify:
    network: {listen_addresses: [localhost], port: 5432, client_networks: []}
    tls: {min_protocol: TLSv1.2, cert_file: /etc/postgresql/15/main/tls/server.crt,
          key_file: /etc/postgresql/15/main/tls/server.key}
    app: {database: insightengine, schema: insightengine, user: insightengine_app, owner: insightengine_owner}
    passwords: "{{ pg_passwords }}"
    strict: false
  register: pg_verify
  no_log: true
"""

RETURN = r"""
layer:
  description: Always C(postgres).
  type: str
  returned: always
findings:
  description:
    - One finding per control, always all of them.
    - See M(insightengine.hardening.os_verify) and C(docs/report.schema.json).
  type: list
  elements: dict
  returned: always
summary:
  description: Number of findings per status.
  type: dict
  returned: always
  sample: {pass: 9, fail: 0, warn: 1, waived: 0, disabled: 0, not_applicable: 0, error: 0}
failed_controls:
  description: IDs of the failing controls.
  type: list
  elements: str
  returned: always
report:
  description: One line per control.
  type: list
  elements: str
  returned: always
"""

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host, _ufw
from ansible_collections.insightengine.hardening.plugins.module_utils import _postgres as pg
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import (
    Findings,
    findings_argument_spec,
    run_verify,
)

PG_CONTROLS = ("PG-01", "PG-02", "PG-03", "PG-04", "PG-05", "PG-06", "PG-07")


class PostgresVerifier:
    def __init__(self, params: dict[str, t.Any], host: _host.HostReader, findings: Findings):
        self.p = params
        self.host = host
        self.f = findings
        self.cluster = pg.pick_cluster(pg.read_clusters(host), params["version"], params["cluster_name"])
        self.server = pg.PgReader(host, self.cluster)

    def run(self) -> None:
        names = {"listen_addresses", "port", "ssl", "ssl_min_protocol_version", "ssl_cert_file", "ssl_key_file"}
        names |= {"ssl_ca_file", "password_encryption", "shared_preload_libraries", "pgaudit.log", "data_directory"}
        self.settings = self.server.settings(names | set(self.p["logging"]))
        if not self.server.up:
            for cid in PG_CONTROLS:
                if self.f.wanted(cid):
                    self.f.error(cid, self.server.error or "the server could not be read")
        else:
            self.load_state = self.server.load_state() or {}
            self.pending = pg.reload_pending(self.host, self.load_state)
            self.network()
            self.tls()
            self.hba()
            self.accounts()
            self.logging()
        self.storage()
        self.backups()

    def app_objects(self) -> dict[str, t.Any] | None:
        """The application database's schema, privileges and extensions, read once (PG-05, PG-07)."""
        if not hasattr(self, "_objects"):
            app = self.p["app"]
            self._objects = self.server.app_objects(app["database"], app["schema"], app["user"], app["owner"])
        return self._objects

    def value(self, name: str) -> str | None:
        return (self.settings.get(name) or {}).get("setting")

    def timer_state(self, timer: str) -> str:
        unit = self.host.units([timer])[timer]
        return f"{unit['enabled']}, {unit['active']}"

    # PG-01
    def network(self) -> None:
        if not self.f.wanted("PG-01"):
            return
        net = self.p["network"]
        wanted = [str(a) for a in net.get("listen_addresses") or ["localhost"]]
        current = pg.split_list(self.value("listen_addresses"))
        port = str(net.get("port", 5432))
        listeners = _host.listeners(self.host, int(self.value("port") or port))
        expected: dict[str, t.Any] = {"listen_addresses": wanted, "port": port, "wildcard": False}
        actual: dict[str, t.Any] = {
            "listen_addresses": current if {a.lower() for a in current} != {a.lower() for a in wanted} else wanted,
            "port": self.value("port"),
            "wildcard": "*" in current or any(pg.wildcard_listener(a) for a in listeners or []),
        }
        if net.get("listen_all_allowed"):
            expected.pop("wildcard")
            actual.pop("wildcard")
        ufw = _ufw.read_status(self.host) if self.p["firewall"] else None
        if ufw and ufw.get("active"):
            rules = [r for r in ufw["rules"] if r["direction"] == "in" and r["action"] in ("allow", "limit")]
            open_ports = [r for r in rules if _ufw.port_matches(r["port"], port)]
            expected["open to any address"] = []
            actual["open to any address"] = sorted(
                {r["to"] + (" (v6)" if r["v6"] else "") for r in open_ports if r["from"] == "any"}
            )
            networks = [pg.ufw_source(n) for n in net.get("client_networks") or []]
            expected["client networks without a rule"] = []
            actual["client networks without a rule"] = [n for n in networks if not _ufw.ufw_allows(rules, port, "tcp", n)]
        self.loaded("PG-01", expected, actual)
        self.f.compare("PG-01", expected, {**actual, "listeners": listeners})

    # PG-02
    def tls(self) -> None:
        if not self.f.wanted("PG-02"):
            return
        tls = self.p["tls"]
        minimum = tls.get("min_protocol") or "TLSv1.2"
        current_min = self.value("ssl_min_protocol_version")
        expected: dict[str, t.Any] = {"ssl": "on", "ssl_min_protocol_version": minimum}
        actual: dict[str, t.Any] = {"ssl": self.value("ssl"), "ssl_min_protocol_version": current_min}
        if current_min in ("TLSv1.2", "TLSv1.3") and (minimum, current_min) == ("TLSv1.2", "TLSv1.3"):
            actual["ssl_min_protocol_version"] = minimum  # stricter than asked is fine
        for key in ("cert_file", "key_file", "ca_file"):
            if tls.get(key):
                expected[f"ssl_{key}"] = tls[key]
                actual[f"ssl_{key}"] = self.value(f"ssl_{key}")
        key_file = self.value("ssl_key_file")
        if key_file:
            st = self.host.stat(key_file)
            expected["key readable by others"] = False
            actual["key readable by others"] = bool(st["exists"] and int(st["mode"], 8) & 0o037)
        cert = self.value("ssl_cert_file")
        days = self.host.certificate(cert)["days_left"] if cert else None
        expected["certificate valid for days"] = f">= {tls.get('min_days_left', 14)}"
        ok_days = days is not None and days >= float(tls.get("min_days_left", 14))
        actual["certificate valid for days"] = expected["certificate valid for days"] if ok_days else days
        self.loaded("PG-02", expected, actual)
        self.f.compare("PG-02", expected, actual)

    def loaded(self, cid: str, expected: dict[str, t.Any], actual: dict[str, t.Any]) -> None:
        """The server runs what it loaded: a file newer than its last
        configuration load means clients do not get what the files say, for
        the controls that file serves (pg_hba.conf: PG-03; TLS files: PG-02;
        the configuration files: every control they set)."""
        pending = getattr(self, "pending", None) or {}
        state = getattr(self, "load_state", None) or {}
        hba, ident = state.get("hba_file"), state.get("ident_file")
        tls = set(state.get("ssl_files") or [])
        relevant = []
        for path in pending.get("newer") or []:
            if path in (hba, ident):
                applies = cid == "PG-03"
            elif path in tls:
                applies = cid == "PG-02"
            else:
                applies = cid in ("PG-01", "PG-02", "PG-03", "PG-07")
            if applies:
                relevant.append(path)
        if relevant:
            expected["reloaded since its files changed"] = True
            actual["reloaded since its files changed"] = f"no: {', '.join(relevant)} changed after the last load"

    def client_addresses(self) -> list[str]:
        """Where a client on this host reaches the server over TCP: each
        address it listens on (a wildcard as loopback)."""
        port = int(self.value("port") or 5432)
        found = []
        for listener in _host.listeners(self.host, port) or []:
            address = listener.rsplit(":", 1)[0].strip("[]")
            address = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)  # noqa: S104
            if address not in found:
                found.append(address)
        return found

    # PG-03
    def hba(self) -> None:
        if not self.f.wanted("PG-03"):
            return
        rules = self.server.hba()
        if rules is None:
            self.f.error("PG-03", self.server.error or "pg_hba_file_rules could not be read")
            return
        problems = pg.hba_problems(rules)
        expected: dict[str, t.Any] = {"pg_hba problems": [], "password_encryption": "scram-sha-256"}
        actual: dict[str, t.Any] = {"pg_hba problems": problems, "password_encryption": self.value("password_encryption")}
        # What the server enforces, as a client on this host meets it: a TCP
        # login without TLS, and one over TLS without a password, must both
        # be refused, for the application roles and for postgres.
        app = self.p["app"]
        port = int(self.value("port") or 5432)
        logins = []
        for address in self.client_addresses():
            for user, database in ((app["user"], app["database"]), (app["owner"], app["database"]), ("postgres", "postgres")):
                for sslmode, what in (("disable", "without TLS"), ("require", "over TLS without a password")):
                    attempt = pg.client_login(self.host, address, port, user, database, sslmode)
                    if attempt["accepted"]:
                        logins.append(f"{user}@{address}:{port}/{database} {what}")
        expected["logins a client got in with"] = []
        actual["logins a client got in with"] = logins
        self.loaded("PG-03", expected, actual)
        self.f.compare("PG-03", expected, actual)

    # PG-04, PG-05, PG-06
    def accounts(self) -> None:
        roles = self.server.roles()
        databases = self.server.databases()
        if roles is None or databases is None:
            for cid in ("PG-04", "PG-05", "PG-06"):
                if self.f.wanted(cid):
                    self.f.error(cid, self.server.error or "roles could not be read")
            return
        app = self.p["app"]
        if self.f.wanted("PG-04"):
            expected, actual = {}, {}
            for name, password in sorted(self.p["passwords"].items()):
                stored = (roles.get(name) or {}).get("password")
                expected[name] = "configured password (SCRAM-SHA-256)"
                if name not in roles:
                    actual[name] = "role does not exist"
                elif pg.password_kind(stored) != "scram-sha-256":
                    actual[name] = f"password stored as {pg.password_kind(stored)}"
                elif not pg.scram_matches(stored, password):
                    actual[name] = "a different password"
                else:
                    actual[name] = expected[name]
            weak = sorted(
                n for n, r in roles.items() if r.get("login") and pg.password_kind(r.get("password")) in ("md5", "plain")
            )
            expected["login roles with MD5 or plain passwords"] = []
            actual["login roles with MD5 or plain passwords"] = weak
            self.f.compare("PG-04", expected, actual)
        if self.f.wanted("PG-05"):
            objects = self.app_objects() if app["database"] in databases else None
            problems = {
                **pg.privilege_problems(roles, databases, objects, app),
                **pg.monitor_problems(roles, app.get("monitor") or ""),
            }
            self.f.check(
                "PG-05",
                not problems,
                f"{app['user']}: LOGIN, CRUD on {app['database']}.{app['schema']}, nothing else; owner {app['owner']}"
                + (f"; {app['monitor']}: pg_monitor only, no password" if app.get("monitor") else ""),
                problems or "as expected",
            )
        if self.f.wanted("PG-06"):
            allowed = {"postgres", *self.p["superusers_allowed"]}
            extra = sorted(n for n, r in roles.items() if r.get("superuser") and n not in allowed)
            self.f.check("PG-06", not extra, sorted(allowed), {"other superusers": extra} if extra else sorted(allowed))

    # PG-07
    def logging(self) -> None:
        if not self.f.wanted("PG-07"):
            return
        wanted = dict(self.p["logging"])
        drift = pg.settings_differ(self.settings, wanted)
        expected: dict[str, t.Any] = {k: pg.normalize_setting(k, v) for k, v in wanted.items()}
        actual: dict[str, t.Any] = {k: drift.get(k, expected[k]) for k in expected}
        classes = [c.lower() for c in self.p["pgaudit_log"]]
        if classes:
            loaded = "pgaudit" in pg.split_list(self.value("shared_preload_libraries"))
            logged = {c.strip().lower() for c in pg.split_list(self.value("pgaudit.log"))}
            expected["pgaudit loaded"] = True
            actual["pgaudit loaded"] = loaded
            expected["pgaudit.log includes"] = classes
            actual["pgaudit.log includes"] = classes if "all" in logged or set(classes) <= logged else sorted(logged)
            objects = self.app_objects()
            expected["pgaudit extension in " + self.p["app"]["database"]] = True
            actual["pgaudit extension in " + self.p["app"]["database"]] = "pgaudit" in ((objects or {}).get("extensions") or [])
        self.loaded("PG-07", expected, actual)
        self.f.compare("PG-07", expected, actual)

    # PG-08
    def storage(self) -> None:
        if not self.f.wanted("PG-08"):
            return
        storage = self.p["storage"]
        if storage.get("encrypted_elsewhere"):
            self.f.not_applicable("PG-08", f"handled elsewhere: {storage['encrypted_elsewhere']}")
            return
        data = self.value("data_directory") if self.server.up else (self.cluster or {}).get("data_directory")
        if not data:
            self.f.error("PG-08", "the data directory is unknown")
            return
        state = pg.storage_encryption(self.host, data)
        expected = {"data_directory": data, "encrypted": True}
        actual = {
            "data_directory": data,
            "encrypted": state["encrypted"],
            "device": state.get("device"),
            "stack": state.get("stack"),
        }
        if state["encrypted"]:
            self.f.check("PG-08", True, expected, actual)
        elif storage.get("require_encrypted"):
            self.f.check("PG-08", False, expected, {**actual, "reason": state.get("reason")})
        else:
            reason = state.get("reason") or f"{state.get('device')} has no dm-crypt layer"
            self.f.warn("PG-08", f"not proven encrypted: {reason}", expected, actual)

    # PG-09, PG-10
    def backups(self) -> None:
        b = self.p["backup"]
        now = time.time()
        state = pg.latest_backup(b.get("root") or "/var/backups/postgresql", now)
        latest = state["latest"]
        if self.f.wanted("PG-09"):
            timer = b.get("timer") or pg.BACKUP_UNITS[0]
            max_age = float(b.get("max_age_hours", 26))
            expected: dict[str, t.Any] = {"timer": "enabled, active", "latest backup age (hours)": f"<= {max_age:g}"}
            actual: dict[str, t.Any] = {
                "timer": self.timer_state(timer),
                "latest backup age (hours)": None,
            }
            if latest:
                fresh = latest["age_hours"] <= max_age
                actual["latest backup age (hours)"] = expected["latest backup age (hours)"] if fresh else latest["age_hours"]
                wanted_dbs = sorted(b.get("databases") or [])
                expected["databases"] = wanted_dbs
                actual["databases"] = wanted_dbs if set(wanted_dbs) <= set(latest["databases"]) else latest["databases"]
                paths = [state["root"], latest["path"], *(f"{latest['path']}/{n}" for n in latest["files"])]
                owner = b.get("owner") or "postgres"
                expected[f"looser than 0700/0600 {owner}"] = {}
                actual[f"looser than 0700/0600 {owner}"] = pg.loose_modes(self.host, paths, "0700", "0600", owner)
                retention = float(b.get("retention_days", 14)) * 24 + max_age
                expected["oldest backup age (hours)"] = f"<= {retention:g}"
                oldest = state.get("oldest_age_hours") or 0
                actual["oldest backup age (hours)"] = expected["oldest backup age (hours)"] if oldest <= retention else oldest
            self.f.compare("PG-09", expected, actual)
        if self.f.wanted("PG-10"):
            if not b.get("restore_status"):
                self.f.error("PG-10", "no restore status file to read (backup.restore_status)")
                return
            status = pg.restore_status(b["restore_status"], now)
            timer = b.get("restore_timer") or pg.BACKUP_UNITS[1]
            max_age = float(b.get("restore_max_age_hours", 26))
            expected = {"timer": "enabled, active", "result": "ok", "age (hours)": f"<= {max_age:g}"}
            if status is None:
                self.f.check("PG-10", False, expected, {"result": "no restore test has run"})
                return
            fresh = status.get("age_hours") is not None and status["age_hours"] <= max_age
            actual = {
                "timer": self.timer_state(timer),
                "result": "ok" if status.get("ok") else (status.get("error") or "failed"),
                "age (hours)": expected["age (hours)"] if fresh else status.get("age_hours"),
            }
            # The test must have restored one of the latest backups, and that backup must still exist.
            names = state.get("names") or []
            expected["tested backup"] = "one of the two latest"
            if status.get("backup") in names[-2:]:
                actual["tested backup"] = expected["tested backup"]
            else:
                actual["tested backup"] = f"{status.get('backup')} (latest: {names[-1] if names else 'no backup'})"
            actual["databases"] = status.get("databases")
            self.f.compare("PG-10", expected, actual)


def main() -> None:
    argument_spec = {
        "version": {"type": "str", "default": ""},
        "cluster_name": {"type": "str", "default": "main"},
        "network": {"type": "dict", "required": True},
        "tls": {"type": "dict", "required": True},
        "app": {"type": "dict", "required": True},
        "passwords": {"type": "dict", "default": {}, "no_log": True},
        "superusers_allowed": {"type": "list", "elements": "str", "default": []},
        "logging": {"type": "dict", "default": {}},
        "pgaudit_log": {"type": "list", "elements": "str", "default": []},
        "storage": {"type": "dict", "default": {}},
        "backup": {"type": "dict", "default": {}},
        "firewall": {"type": "bool", "default": True},
    }
    argument_spec.update(findings_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    host = _host.HostReader.for_module(module)
    run_verify(module, "postgres", pg.CATALOG, lambda findings: PostgresVerifier(module.params, host, findings).run())


if __name__ == "__main__":
    main()
