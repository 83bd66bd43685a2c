# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The app role's inputs: one validator per public variable, the checks
across variables (the services the role renders, with the guide's
defaults), the checks that need the waivers (a service that leaves a
control, a configuration value other than production) and those that need
the host (app_info).

Where values land: the Compose file the role renders (YAML it serialises,
so what matters is Compose's and dockerd's grammar: service names, image
references, sizes, CPU counts, port mappings, capability names, UID:GID),
the application's environment file (``KEY=value`` lines: no newline in a
value), and secret files (never printed, never in an error message).

Private to the collection: no API promise.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.insightengine.hardening.plugins.module_utils import _app
from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Invalid
from ansible_collections.insightengine.hardening.plugins.module_utils._postgres_inputs import _object_name, well_known

PRODUCTION = _app.PRODUCTION
# Linux capabilities (capabilities(7)) a service may add back after cap_drop ALL.
CAPABILITIES = (
    "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE",
    "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN",
    "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID",
    "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE",
    "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
)  # fmt: skip
# Environment names that hold secrets: those go to app_secrets (files), not
# into the environment every docker group member reads with docker inspect.
_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)", re.I)
_SERVICE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
# A Docker image reference: [registry[:port]/]path[:tag][@sha256:digest].
_IMAGE = re.compile(
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]{1,5})?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)
_MEMORY = re.compile(r"([1-9][0-9]{0,9})([bkmg])", re.I)
_PORT = re.compile(r"(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?([0-9]{1,5}):([0-9]{1,5})(/(?:tcp|udp))?")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
SECRET_MIN_LENGTH = 32


def image(value: t.Any) -> str:
    raw = v.string(None, what="an image reference such as registry.example/insightengine:1.4.2", max_length=512)(value)
    if not _IMAGE.fullmatch(raw):
        raise Invalid(f"must be an image reference such as registry.example/insightengine:1.4.2, got {v.shown(value)}")
    return raw


def memory(value: t.Any) -> str:
    """A Compose mem_limit: a number and b, k, m or g (at least 6 MiB, dockerd's floor)."""
    raw = v.string(None, what="a size such as 256m", numbers=True)(value)
    match = _MEMORY.fullmatch(raw)
    if not match:
        raise Invalid(f"must be a size such as 256m or 1g, got {v.shown(value)}")
    factor = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    if int(match.group(1)) * factor < 6 * 1024**2:
        raise Invalid(f"must be at least 6m (dockerd refuses less), got {v.shown(value)}")
    return raw.lower()


def cpus(value: t.Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Invalid(f"must be a number of CPUs such as 0.5, got {v.shown(value)}")
    try:
        number = float(value)
    except ValueError:
        raise Invalid(f"must be a number of CPUs such as 0.5, got {v.shown(value)}") from None
    if not 0.01 <= number <= 512:
        raise Invalid(f"must be between 0.01 and 512 CPUs, got {v.shown(value)}")
    return number


def port(value: t.Any) -> str:
    """ADDRESS:HOST:CONTAINER[/proto]; an address is required (the default
    would be every address where dockerd's ip is not set)."""
    raw = v.string(None, what="ADDRESS:HOST_PORT:CONTAINER_PORT", numbers=True)(value)
    match = _PORT.fullmatch(raw)
    if not match:
        raise Invalid(f"must be ADDRESS:HOST_PORT:CONTAINER_PORT such as 127.0.0.1:8080:8080, got {v.shown(value)}")
    if not match.group(1):
        raise Invalid(f"must name the address, such as 127.0.0.1:{raw}")
    v.address(match.group(1).strip("[]"))
    v.port(match.group(2))
    v.port(match.group(3))
    return raw


def user(value: t.Any) -> str:
    return v.string(
        r"[0-9]{1,10}(:[0-9]{1,10})?", what="UID:GID, numbers (a name depends on the image's /etc/passwd)", numbers=True
    )(value)


def mount_path(value: t.Any) -> str:
    """A path in Compose's short mount syntax (PATH:OPTIONS for tmpfs,
    SOURCE:TARGET:MODE for a volume): an absolute path without the ':' that
    would end it or the ',' that separates mount options."""
    raw = v.path(value)
    if ":" in raw or "," in raw:
        raise Invalid(f"must not contain : or , (they separate the mount's parts and options), got {v.shown(value)}")
    return raw


def app_image(value: t.Any) -> str:
    if value in ("", None):
        raise Invalid("is not set: give your registry's image of the application (registry.example/insightengine:1.4.2)")
    return image(value)


def env_value(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return v.text(max_length=4096)(value)


def environment(value: t.Any) -> dict[str, str]:
    result = v.dict_of(v.string(_ENV_NAME.pattern, what="an environment name (A-Z, 0-9, _)"), env_value, max_items=200)(value)
    for name in result:
        if _SECRET_NAME.search(name) and _app.secret_like(name):
            raise Invalid(
                "looks like a secret: put it in app_secrets (a file), not the environment docker inspect shows", f"[{name}]"
            )
    return result


SERVICE_FIELDS: dict[str, v.Validator] = {
    "image": v.optional(image),
    "user": v.optional(user),
    "command": v.optional(v.list_of(v.text(max_length=4096), max_items=100, unique=False)),
    "environment": v.optional(environment),
    "ports": v.optional(v.list_of(port, max_items=50)),
    "tmpfs": v.optional(v.list_of(mount_path, max_items=20)),
    "cap_add": v.optional(
        v.list_of(v.choice(*CAPABILITIES, what="a capability name such as NET_BIND_SERVICE, one of"), max_items=10)
    ),
    "mem_limit": v.optional(memory),
    "cpus": v.optional(cpus),
    "pids_limit": v.optional(v.integer(8, 100000, "a number of processes")),
    "read_only": v.optional(v.boolean),
    "privileged": v.optional(v.boolean),
    "healthcheck": v.optional(v.list_of(v.text(max_length=4096), min_items=1, max_items=50, unique=False)),
    "secrets": v.optional(v.list_of(v.string(_SERVICE.pattern, what="a secret name"), max_items=50)),
}


def services(value: t.Any) -> dict[str, dict[str, t.Any]]:
    return v.dict_of(
        v.string(_SERVICE.pattern, what="a service name (a-z, 0-9, _ -)"),
        v.record(SERVICE_FIELDS),
        max_items=50,
    )(value)


def secret_problem(value: t.Any, min_length: int = SECRET_MIN_LENGTH) -> str | None:
    """What is wrong with a secret's value; never quotes it."""
    if not isinstance(value, str) or isinstance(value, bool):
        return "must be a string"
    if v.has_control(value):
        return "must not contain control characters"
    lower = value.lower()
    if well_known(value) or any(
        word in lower for word in ("changeme", "change-me", "change_me", "placeholder", "example", "secret123")
    ):
        return "is a default or placeholder value; leave it empty to have a strong one generated"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters; leave it empty to have a strong one generated"
    if len(set(value)) < 10:
        return "repeats too few characters to be strong"
    return None


def check_production(environment_values: dict[str, str], waived: bool) -> list[str]:
    """The guide's production values: anything else needs a waiver of APP-07."""
    if waived:
        return []
    return [
        f"app_environment.{name} must be {wanted} (guide 4.1), got {v.shown(environment_values.get(name))}; "
        "only a waiver of APP-07 in insightengine_hardening_waivers allows another value"
        for name, wanted in PRODUCTION.items()
        if str(environment_values.get(name, wanted)).lower() != wanted
    ]


def check_deviations(service_values: dict[str, dict[str, t.Any]], waived: t.Iterable[str]) -> list[str]:
    """A service that leaves a control of the guide needs that control's waiver."""
    waived = set(waived)
    errors = []
    for name, service in service_values.items():
        asked = {k: val for k, val in service.items() if val is not None}
        for cid, what in _app.deviations({**_app.SERVICE_DEFAULTS, "user": _app.DEFAULT_USER, **asked}).items():
            if cid not in waived:
                errors.append(f"app_services.{name}: {what}; only a waiver of {cid} in insightengine_hardening_waivers allows it")
    return errors


def _secret(value: t.Any) -> str:
    """A secret's own check, without its length (app_secret_min_length is
    applied across variables); the message never quotes the value."""
    problem = secret_problem(value, min_length=0) if value != "" else None
    if problem:
        raise Invalid(problem)
    return value


def _secrets(value: t.Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid("must be a mapping of secret name to value (ansible-vault encrypted)")
    result = {}
    for name, secret in value.items():
        key = v.string(_SERVICE.pattern, what="a secret name (a-z, 0-9, _ -)")(name) if isinstance(name, str) else None
        if key is None:
            raise Invalid("has a secret name that is not a string")
        try:
            result[key] = _secret(secret)
        except Invalid as exc:
            raise Invalid(exc.message, f".{key}") from None
    return result


SSLMODES = ("require", "verify-ca", "verify-full")


def database(value: t.Any) -> dict[str, t.Any]:
    """The postgres layer's postgres_app_connection (or the same keys):
    where the application connects, always over TLS."""
    if value in ({}, None, ""):
        return {}
    fields = {
        "host": v.host,
        "port": v.port,
        "dbname": _object_name,
        "user": _object_name,
        "sslmode": v.choice(*SSLMODES, what="a TLS mode (never disable, allow or prefer), one of"),
        "sslrootcert": v.optional(mount_path),
        "dsn": v.optional(v.text(max_length=1024)),  # the postgres layer's; not used here
    }
    record = v.record(fields, required=("host", "dbname", "user"), defaults={"port": 5432, "sslmode": "require"})(value)
    record.pop("dsn")
    if record["sslmode"] != "require" and not record["sslrootcert"]:
        raise Invalid(f"sslmode {record['sslmode']} needs sslrootcert (the CA that signed the server's certificate)")
    return record


def _url(value: t.Any) -> str:
    raw = v.string(None, what="a URL such as https://vault.example:8200", empty=True, max_length=500)(value)
    if raw and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", raw):
        raise Invalid(f"must be a URL such as https://vault.example:8200, got {v.shown(value)}")
    return raw


_KV_PATH = r"(?!\.{1,2}(/|$))[A-Za-z0-9_.-]+(/(?!\.{1,2}(/|$))[A-Za-z0-9_.-]+)*"

SPEC: dict[str, v.Validator] = {
    "app_verify_strict": v.boolean,
    "app_project": v.string(r"[a-z0-9][a-z0-9_-]{0,62}", what="a Compose project name (a-z, 0-9, _ -)"),
    "app_dir": v.path,
    "app_image": app_image,
    "app_user": user,
    "app_port": v.port,
    "app_published_port": v.port,
    "app_healthcheck": v.list_of(v.text(max_length=4096), min_items=1, max_items=50, unique=False),
    "app_tmpfs": v.list_of(mount_path, max_items=20),
    "app_mem_limit": memory,
    "app_cpus": cpus,
    "app_pids_limit": v.integer(8, 100000, "a number of processes"),
    "app_services": services,
    "app_environment": environment,
    "app_network_subnet": v.network(world=False),
    "app_database": database,
    "app_database_host": v.optional(v.host),
    "app_database_password": v.optional(_secret),
    "app_database_secret_host": v.hostname,
    "app_secrets": _secrets,
    "app_secret_names": v.list_of(v.string(_SERVICE.pattern, what="a secret name (a-z, 0-9, _ -)"), max_items=20),
    "app_secrets_dir": v.controller_path,
    "app_secret_min_length": v.integer(16, 1024, "a number of characters"),
    "app_secret_max_age_days": v.integer(1, 3650, "a number of days"),
    "app_vault_url": _url,
    "app_vault_mount": v.string(_KV_PATH, what="a KV v2 mount such as secret"),
    "app_vault_path": v.string(_KV_PATH, what="a KV v2 path such as insightengine/web1"),
    "app_vault_role_id": v.string(r"[A-Za-z0-9-]{0,128}", what="an AppRole role_id", empty=True),
    "app_vault_secret_id": v.optional(_secret),
    "app_vault_ca_cert": v.optional(v.controller_path),
    "app_secrets_file": v.optional(v.controller_path),
    "app_secrets_vault_password_file": v.optional(v.controller_path),
    "app_rotate_secrets": v.list_of(v.string(_SERVICE.pattern, what="a secret name (a-z, 0-9, _ -)"), max_items=20),
    "app_scan_threshold": v.choice(*_app.SEVERITIES, what="a Trivy severity, one of"),
    "app_scan_ignore_unfixed": v.boolean,
    "app_scan_scanners": v.list_of(v.choice("vuln", "secret", "misconfig", what="a Trivy scanner, one of"), min_items=1),
    "app_scan_reports": v.dict_of(image, v.controller_path, max_items=50),
    "app_scan_waivers": v.dict_of(
        v.string(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}", what="a finding ID such as CVE-2024-1234"), lambda w: w, max_items=500
    ),
    "app_scan_max_age_days": v.integer(1, 365, "a number of days"),
    "app_scan_install_trivy": v.boolean,
    "app_scan_offline": v.boolean,
    "app_deploy_timeout": v.integer(10, 3600, "seconds"),
    **{c.switch: v.boolean for c in _app.CATALOG},
}
MULTILINE: tuple[str, ...] = ()
# Validated, never returned or quoted in a message.
SECRETS = ("app_database_password", "app_secrets", "app_vault_secret_id")
# Where every service's secrets are mounted inside its container.
DB_SECRET = "db_password"  # noqa: S105 - a file name, not a password


def effective_services(values: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """The services the role renders: "web" (the application, from the
    app_* variables) and app_services, each as given over the guide's
    defaults (compose_document adds those it leaves out)."""
    config = {**PRODUCTION, **values["app_environment"], "SECRETS_DIR": _app.SECRETS_DIR,
              "APP_PORT": str(values["app_port"])}  # fmt: skip
    db = values["app_database"]
    if db:
        config.update({
            "DB_HOST": values["app_database_host"] or db["host"], "DB_PORT": str(db["port"]), "DB_NAME": db["dbname"],
            "DB_USER": db["user"], "DB_SSLMODE": db["sslmode"],
        })  # fmt: skip
        if db["sslrootcert"]:
            config["DB_SSLROOTCERT"] = "/etc/insightengine/db-root.crt"
    names = secret_names(values)
    web: dict[str, t.Any] = {
        "image": values["app_image"], "user": values["app_user"], "environment": config,
        "ports": [f"127.0.0.1:{values['app_published_port']}:{values['app_port']}"], "tmpfs": values["app_tmpfs"],
        "healthcheck": values["app_healthcheck"], "mem_limit": values["app_mem_limit"], "cpus": values["app_cpus"],
        "pids_limit": values["app_pids_limit"], "secrets": names,
    }  # fmt: skip
    if db and db["sslrootcert"]:
        web["volumes"] = [f"{db['sslrootcert']}:/etc/insightengine/db-root.crt:ro"]
    result = {"web": web}
    for name, service in values["app_services"].items():
        given = {k: val for k, val in service.items() if val is not None}
        base = result.get(name, {"image": values["app_image"], "user": values["app_user"]})
        result[name] = {**base, **given}
    return result


def secret_names(values: dict[str, t.Any]) -> list[str]:
    """Every secret the application gets: the database password (when it
    has a database), the named ones and those given in app_secrets."""
    names = ([DB_SECRET] if values["app_database"] else []) + list(values["app_secret_names"]) + list(values["app_secrets"])
    return list(dict.fromkeys(names))


def check(inputs: v.Inputs) -> None:
    """Checks across variables, on values that passed their own validator."""
    values = inputs.values
    if inputs.valid("app_secret_min_length", "app_secrets", "app_database_password", "app_vault_secret_id"):
        minimum = values["app_secret_min_length"]
        for name, secret in values["app_secrets"].items():
            if secret and len(secret) < minimum:
                inputs.error(f"app_secrets.{name} is shorter than {minimum} characters; leave it out to have one generated")
        if values["app_database_password"] and len(values["app_database_password"]) < 16:
            inputs.error("app_database_password is shorter than 16 characters (the postgres layer's minimum)")
    inputs.together("app_secrets_file", "app_secrets_vault_password_file", " (the role writes the file encrypted)")
    if inputs.valid("app_vault_url", "app_secrets_file") and values["app_vault_url"] and values["app_secrets_file"]:
        inputs.error("app_vault_url and app_secrets_file are both set: keep the secrets in one place")
    vault = ("app_vault_url", "app_vault_role_id", "app_vault_secret_id")
    if inputs.valid(*vault) and values["app_vault_url"] and not (values["app_vault_role_id"] and values["app_vault_secret_id"]):
        inputs.error("app_vault_url is set: app_vault_role_id and app_vault_secret_id (AppRole) must be set too")
    if inputs.valid("app_scan_waivers"):
        for problem in _app.scan_waiver_problems(values["app_scan_waivers"]):
            inputs.error(f"app_scan_waivers.{problem}")
    needed = (
        "app_image",
        "app_user",
        "app_port",
        "app_published_port",
        "app_healthcheck",
        "app_tmpfs",
        "app_mem_limit",
        "app_cpus",
        "app_pids_limit",
        "app_services",
        "app_environment",
        "app_database",
        "app_database_host",
        "app_secret_names",
        "app_secrets",
    )
    if not inputs.errors and inputs.valid(*needed):
        services_wanted = effective_services(values)
        made = secret_names(values)
        for name, service in services_wanted.items():
            try:
                image(service.get("image"))
            except Invalid as exc:
                inputs.error(f"app_services.{name}.image {exc.message}")
            unknown = [s for s in service.get("secrets") or [] if s not in made]
            if unknown:
                inputs.error(f"app_services.{name}.secrets names secrets the role does not make: {', '.join(unknown)}")
        values["app_compose_services"] = services_wanted
        values["app_compose_secrets"] = made
        # What each service leaves of the guide (refused below unless waived or switched off).
        values["app_accepted"] = {
            name: sorted(_app.deviations({**_app.SERVICE_DEFAULTS, "user": _app.DEFAULT_USER, **svc}))
            for name, svc in services_wanted.items()
        }


def check_waivers(inputs: v.Inputs, waivers: dict[str, t.Any]) -> None:
    """What only a waiver of the layer contract allows: a service that
    leaves a control of the guide, a configuration other than production."""
    values = inputs.values
    # A control switched off is not asked for either.
    off = {c.id for c in _app.CATALOG if not values.get(c.switch, True)}
    if "app_compose_services" in values:
        inputs.errors.extend(check_deviations(values["app_compose_services"], set(waivers) | off))
    if inputs.valid("app_environment"):
        inputs.errors.extend(check_production(values["app_environment"], "APP-07" in waivers or "APP-07" in off))


def check_host(inputs: v.Inputs, facts: dict[str, t.Any], context: dict[str, t.Any]) -> None:
    values = inputs.values
    if not facts.get("compose") and not context.get("check_mode"):
        inputs.error(
            "the host has no Compose (docker compose or docker-compose): apply the docker layer first "
            "(insightengine.hardening.docker with docker_engine_compose: true)"
        )
    trivy = facts.get("trivy") or {}
    unreported = [i for i in facts.get("images_to_scan") or [] if i not in values["app_scan_reports"]]
    if values["app_scan_enabled"] and unreported and not trivy.get("path") and not values["app_scan_install_trivy"]:
        inputs.error(
            f"Trivy is not installed and app_scan_install_trivy is false: nothing can scan {', '.join(unreported)} "
            "before it is deployed. Set app_scan_install_trivy: true (Aqua's apt repository), install Trivy yourself, "
            "or give the report your CI wrote in app_scan_reports"
        )
