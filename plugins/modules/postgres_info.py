#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: postgres_info
short_description: Read what the postgres role must know before it changes a PostgreSQL cluster
version_added: 0.3.0
description:
  - Named C(insightengine.hardening.postgres_facts) before 0.3.0 (it returns no C(ansible_facts));
    the old name still works and is deprecated.
  - Reads, without changing anything, the state the P(insightengine.hardening.postgres#role) role
    decides on, and returns the SQL that would bring the cluster to the wanted state.
  - The clusters on the host (C(pg_lsclusters)); for the managed one, through the server as the
    C(postgres) superuser over the local socket, the effective settings (C(pg_settings)), roles,
    databases and the privileges in the application database.
  - Passwords are compared with the stored SCRAM-SHA-256 verifiers; the returned SQL carries new
    verifiers, never a password.
  - File checksums, the certificate's expiry, the latest backup and restore test, systemd units
    and the UFW rules for the client networks.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.postgres_cluster
  - insightengine.hardening.read_only
options:
  app:
    description:
      - C(database), C(schema), C(user) (the application role) and C(owner) (the migration role); C(monitor), the
        exporter's role (a member of pg_monitor only, no password), empty for none.
    type: dict
    required: true
  passwords:
    description: Password of each application role, by role name. Never returned.
    type: dict
    default: {}
  settings:
    description:
      - Wanted settings (name to value); RV(settings_drift) lists those whose effective value differs.
      - C({config_directory}) in a value stands for the cluster's configuration directory.
      - C(shared_preload_libraries) lists libraries that must be among those preloaded.
    type: dict
    default: {}
  dropin:
    description: The configuration file the role writes; settings set elsewhere by C(ALTER SYSTEM) are reset.
    type: str
    default: ""
  pgaudit:
    description: Whether the pgaudit extension must exist in the application database.
    type: bool
    default: true
  files:
    description:
      - Paths whose existence, mode, owner and checksum (SHA-1) to read.
      - C({config_directory}) in a path stands for the managed cluster's configuration directory.
    type: list
    elements: str
    default: []
  certificate:
    description: Path of the server certificate whose expiry to read (C({config_directory}) as in O(files)).
    type: str
    default: ""
  ciphers:
    description: OpenSSL cipher lists to check with C(openssl ciphers); RV(ciphers_invalid) lists the bad ones.
    type: list
    elements: str
    default: []
  calendars:
    description: systemd calendar expressions to check with C(systemd-analyze calendar); RV(calendars_invalid) lists the bad ones.
    type: list
    elements: str
    default: []
  units:
    description: systemd units whose state to read (one C(systemctl show) call).
    type: list
    elements: str
    default: []
  packages:
    description:
      - Packages that should be installed; RV(packages) lists those that are not (C(missing)).
      - C({version}) in a name stands for RV(version).
    type: list
    elements: str
    default: []
  firewall_rules:
    description:
      - Wanted incoming UFW rules (C(port), C(proto), C(from), C(rule), C(comment)).
      - C({port}) as the port stands for the managed cluster's port.
    type: list
    elements: dict
    default: []
  ufw_comment:
    description: Comment prefix of the UFW rules the postgres role manages.
    type: str
    default: insightengine.hardening postgres
  backup_root:
    description: Directory of the backups.
    type: str
    default: /var/backups/postgresql
  restore_status:
    description: Status file the restore test writes (the role's C(__postgres_restore_status)).
    type: str
    required: true
  hba_managed:
    description: The pg_hba.conf records the role writes itself (fields separated by one space).
    type: list
    elements: str
    default: []
  hba_drop:
    description: Records of the current pg_hba.conf to drop although they break PG-03 (listed in RV(hba) as C(dropped)).
    type: list
    elements: str
    default: []
seealso:
  - module: insightengine.hardening.postgres_verify
"""

EXAMPLES = r"""
- name: Read the cluster
  insightengine.hardening.postgres_info:
    app: {database: insightengine, schema: insightengine, user: insightengine_app, owner: insightengine_owner}
    passwords: "{{ {'insightengine_app': app_password, 'insightengine_owner': owner_password} }}"
    settings: {ssl: true, ssl_min_protocol_version: TLSv1.2}
  register: pg
  no_log: true
"""

RETURN = r"""
os_release:
  description: C(ID) and C(VERSION_ID) from /etc/os-release.
  type: dict
  returned: always
  sample: {ID: debian, VERSION_ID: "12"}
clusters:
  description: Every cluster C(pg_lsclusters) lists.
  type: list
  elements: dict
  returned: always
version:
  description: The major version to manage, the cluster's or, without a cluster, the distribution's.
  type: str
  returned: always
  sample: "15"
config_directory:
  description: The configuration directory of the managed cluster (where it will be for a new one).
  type: str
  returned: always
  sample: /etc/postgresql/15/main
ciphers_invalid:
  description: The lists of O(ciphers) that OpenSSL does not accept (a server would not start with them).
  type: list
  elements: str
  returned: always
calendars_invalid:
  description: The expressions of O(calendars) that systemd does not accept.
  type: list
  elements: str
  returned: always
cluster:
  description: The managed cluster (version, name, port, running, data_directory, config_directory), or null.
  type: dict
  returned: always
  sample: {version: "15", name: main, port: 5432, running: true, data_directory: /var/lib/postgresql/15/main}
error:
  description: Why the server could not be read (not installed, not running, psql failed), or null.
  type: str
  returned: always
settings:
  description: Effective value, source file and pending restart of every wanted setting.
  type: dict
  returned: always
settings_drift:
  description: Wanted settings whose effective value differs (name to effective value).
  type: dict
  returned: always
  sample: {ssl_min_protocol_version: TLSv1}
pending_restart:
  description: Settings that changed in the files but need a restart to take effect.
  type: list
  elements: str
  returned: always
sql:
  description:
    - psql scripts that bring the cluster to the wanted state; an empty string when nothing is to do.
    - When the server cannot be read, the scripts are those for an empty cluster.
  type: dict
  returned: always
  contains:
    settings:
      description: C(ALTER SYSTEM RESET) of wanted settings that C(postgresql.auto.conf) overrides.
      type: str
    roles:
      description: C(CREATE ROLE)/C(ALTER ROLE) of the application roles, with SCRAM verifiers.
      type: str
    privileges:
      description: Database, schema, grants, default privileges and pgaudit in the application database.
      type: str
files:
  description: Existence, mode, owner, group and SHA-1 of each path in O(files).
  type: dict
  returned: always
certificate_days_left:
  description: Days until the certificate expires, or null when it cannot be read.
  type: float
  returned: always
certificate_names:
  description: The subject alternative names of the certificate, null when it cannot be read.
  type: list
  elements: str
  returned: always
  sample: ["DNS:db1", "DNS:localhost", "IP:127.0.0.1"]
reload_pending:
  description:
    - Whether the server runs an older configuration than its files - C(newer), the files changed after
      C(pg_conf_load_time()), and C(logins), logins a client on the host got although pg_hba.conf refuses them.
  type: dict
  returned: always
  sample: {pending: false, newer: []}
hba:
  description:
    - The current pg_hba.conf, split into the role's own records and others'. Others' records that meet
      PG-03 are C(kept); the distribution's loopback defaults and O(hba_drop) are C(dropped); the rest are
      C(foreign_noncompliant), each with its line and problem.
    - C(markers) are the comment lines around the role's block and the kept block, for the template to write.
  type: dict
  returned: always
  sample: {file: /etc/postgresql/15/main/pg_hba.conf, kept: [local all all peer], dropped: [], foreign_noncompliant: []}
units:
  description:
    - Per unit, C(enabled) (C(systemctl)'s unit file state, C(not-found) for an unknown unit), C(active) and
      C(need_daemon_reload), the same shape in every info module of the collection.
    - For a timer, C(need_daemon_reload) is true when systemd runs an older copy of the timer or of its service,
      which are listed too.
  type: dict
  returned: always
  sample: {insightengine-pg-backup.timer: {enabled: enabled, active: active, need_daemon_reload: false}}
packages:
  description: C(missing), the packages of O(packages) that are not installed, and C(unwanted) (always empty here), the
    same shape in every info module of the collection.
  type: dict
  returned: always
  sample: {missing: [modsecurity-crs], unwanted: []}
ufw:
  description:
    - Whether UFW is installed and active, and the rules of O(firewall_rules) it lacks (C(missing))
      or no longer needs (C(stale)).
  type: dict
  returned: always
backup:
  description: The latest complete backup (C(latest.age_hours)) and the last restore test (C(restore)).
  type: dict
  returned: always
"""

import time
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host, _ufw
from ansible_collections.insightengine.hardening.plugins.module_utils import _postgres as pg


def _script(statements: list[str], database: str | None = None) -> str:
    if not statements:
        return ""
    head = [f"\\connect {pg.quote_ident(database)}"] if database else []
    return "\n".join(head + statements) + "\n"


def gather(params: dict[str, t.Any], host: _host.HostReader) -> dict[str, t.Any]:
    clusters = pg.read_clusters(host)
    cluster = pg.pick_cluster(clusters, params["version"], params["cluster_name"])
    release = host.os_release()
    version = cluster["version"] if cluster else (params["version"] or pg.distribution_version(release))
    config_directory = cluster["config_directory"] if cluster else f"/etc/postgresql/{version}/{params['cluster_name']}"

    def expand(text: str) -> str:
        return text.replace("{config_directory}", config_directory).replace("{version}", version)

    reader = pg.PgReader(host, cluster)
    app = params["app"]
    wanted = {name: expand(str(value)) if isinstance(value, str) else value for name, value in params["settings"].items()}
    settings = reader.settings(wanted) if reader.up else {}
    roles = reader.roles() if reader.up else None
    databases = reader.databases() if reader.up else None
    objects = None
    if reader.up and app["database"] in (databases or {}):
        objects = reader.app_objects(app["database"], app["schema"], app["user"], app["owner"])
    wanted_roles = [{"name": name, "password": params["passwords"].get(name) or ""} for name in (app["owner"], app["user"])]
    cluster_sql, inside_sql = pg.database_plan(databases, objects, app, params["pgaudit"])
    ufw = _ufw.read_status(host)
    port = str(cluster["port"]) if cluster else "5432"
    rules = [
        {**rule, "port": str(rule.get("port", "{port}")).replace("{port}", port), "from": pg.ufw_source(rule.get("from", "any"))}
        for rule in params["firewall_rules"]
    ]
    plan = _ufw.ufw_plan(_ufw.read_user_rules(host), rules, params["ufw_comment"]) if ufw else {"missing": [], "stale": []}
    state = host.state(
        files=[expand(path) for path in params["files"]],
        units=[n for u in params["units"] for n in (u, u.replace(".timer", ".service"))],
        packages=[expand(p) for p in params["packages"]],
    )
    units = state["units"]
    certificate = host.certificate(expand(params["certificate"])) if params["certificate"] else {}
    now = time.time()
    backup = pg.latest_backup(params["backup_root"], now)
    backup["restore"] = pg.restore_status(params["restore_status"], now)
    load_state = reader.load_state() if reader.up else None
    hba_file = (load_state or {}).get("hba_file") or f"{config_directory}/pg_hba.conf"
    hba = pg.hba_analysis(host.read(hba_file), params["hba_managed"], params["hba_drop"])
    hba["file"] = hba_file
    # The template writes the same markers this parser looks for.
    hba["markers"] = {"begin": pg.HBA_BEGIN, "end": pg.HBA_END, "kept_begin": pg.HBA_KEPT_BEGIN, "kept_end": pg.HBA_KEPT_END}
    # A client's view: the application role over TCP without TLS, and over
    # TLS without a password. pg_hba.conf (which the role writes) refuses
    # both; a server that lets one in runs older rules: it must reload.
    logins = []
    if reader.up and cluster:
        for sslmode in ("disable", "require"):
            attempt = pg.client_login(host, "127.0.0.1", int(cluster["port"]), app["user"], app["database"], sslmode)
            if attempt["accepted"]:
                logins.append(f"{app['user']}@127.0.0.1 sslmode={sslmode}")
    reload = pg.reload_pending(host, load_state)
    if logins:
        reload = {"pending": True, "newer": reload["newer"], "logins": logins}
    return {
        "os_release": {k: v for k, v in release.items() if k in ("ID", "VERSION_ID", "VERSION_CODENAME")},
        "version": version,
        "config_directory": config_directory,
        "clusters": clusters,
        "cluster": cluster,
        "error": reader.error,
        "settings": settings,
        "settings_drift": pg.settings_differ(settings, wanted) if reader.up else {},
        "pending_restart": sorted(name for name, value in settings.items() if value.get("pending_restart")),
        "sql": {
            "settings": _script(pg.settings_reset_plan(settings, wanted, expand(params["dropin"]))),
            "roles": _script(pg.role_plan(roles, wanted_roles) + pg.monitor_plan(roles, app.get("monitor") or "") + cluster_sql),
            "privileges": _script(inside_sql, app["database"]),
        },
        "ciphers_invalid": _host.ciphers_invalid(host, params["ciphers"]),
        "calendars_invalid": [c for c in params["calendars"] if host.run("systemd-analyze", "calendar", c)[0] != 0],
        "certificate_days_left": certificate.get("days_left"),
        "certificate_names": certificate.get("names"),
        "reload_pending": reload,
        "hba": hba,
        **state,
        # systemd still runs an older copy of the timer or of its service
        "units": {
            unit: {**units[unit], "need_daemon_reload": units[unit]["need_daemon_reload"] or units[service]["need_daemon_reload"]}
            for unit, service in ((u, u.replace(".timer", ".service")) for u in params["units"])
        },
        "ufw": {"installed": ufw is not None, "active": bool(ufw and ufw.get("active")), **plan},
        "backup": backup,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "version": {"type": "str", "default": ""},
            "cluster_name": {"type": "str", "default": "main"},
            "app": {"type": "dict", "required": True},
            "passwords": {"type": "dict", "default": {}, "no_log": True},
            "settings": {"type": "dict", "default": {}},
            "dropin": {"type": "str", "default": ""},
            "pgaudit": {"type": "bool", "default": True},
            "files": {"type": "list", "elements": "str", "default": []},
            "certificate": {"type": "str", "default": ""},
            "calendars": {"type": "list", "elements": "str", "default": []},
            "ciphers": {"type": "list", "elements": "str", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "packages": {"type": "list", "elements": "str", "default": []},
            "firewall_rules": {"type": "list", "elements": "dict", "default": []},
            "ufw_comment": {"type": "str", "default": "insightengine.hardening postgres"},
            "backup_root": {"type": "str", "default": "/var/backups/postgresql"},
            "restore_status": {"type": "str", "required": True},
            "hba_managed": {"type": "list", "elements": "str", "default": []},
            "hba_drop": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    _host.exit_info(module, gather)


if __name__ == "__main__":
    main()
