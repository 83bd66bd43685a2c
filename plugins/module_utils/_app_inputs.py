# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The app role's inputs (work in progress: the role is not there yet).

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
from ansible_collections.insightengine.hardening.plugins.module_utils._postgres_inputs import well_known

# The guide's production configuration (4.1): variable -> the only value
# accepted without a waiver of APP-07.
PRODUCTION = {"APP_ENV": "production", "SSL_ENABLED": "true", "COOKIE_SECURE": "true", "DEBUG": "false"}
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


def env_value(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return v.text(max_length=4096)(value)


def environment(value: t.Any) -> dict[str, str]:
    result = v.dict_of(v.string(_ENV_NAME.pattern, what="an environment name (A-Z, 0-9, _)"), env_value, max_items=200)(value)
    for name in result:
        if _SECRET_NAME.search(name):
            raise Invalid(
                f"[{name}] looks like a secret: put it in app_secrets (a file), not the environment docker inspect shows"
            )
    return result


SERVICE_FIELDS: dict[str, v.Validator] = {
    "image": v.optional(image),
    "user": v.optional(user),
    "command": v.optional(v.list_of(v.text(max_length=4096), max_items=100, unique=False)),
    "environment": v.optional(environment),
    "ports": v.optional(v.list_of(port, max_items=50)),
    "tmpfs": v.optional(v.list_of(v.path, max_items=20)),
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
        for cid, what in _app.deviations({**_app.SERVICE_DEFAULTS, "user": "10001:10001", **asked}).items():
            if cid not in waived:
                errors.append(f"app_services.{name}: {what}; only a waiver of {cid} in insightengine_hardening_waivers allows it")
    return errors
