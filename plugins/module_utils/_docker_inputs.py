# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The docker role's inputs: one validator per public variable, checks
across variables, and the checks that need the host (docker_info).

Where values land: ``/etc/docker/daemon.json`` (JSON the role serialises,
so the grammar that matters is dockerd's: known keys, the right JSON type,
values dockerd parses), the iptables rules the firewall unit loads
(ports, protocols, IPv4 networks), and the docker group (account names).

Private to the collection: no API promise.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.insightengine.hardening.plugins.module_utils import _docker
from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Invalid
from ansible_collections.insightengine.hardening.plugins.module_utils._os_inputs import firewall_rule

# Log drivers whose output the monitoring layer ships (journald) or that
# rotate (local, json-file with max-size/max-file).
LOG_DRIVERS = ("journald", "local", "json-file")
# setrlimit resources dockerd's default-ulimits takes (go-units ulimit names).
ULIMITS = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
           "rttime", "sigpending", "stack")  # fmt: skip
_LOG_SIZE = r"[1-9][0-9]{0,5}[kmg]"


def ulimit(value: t.Any) -> dict[str, int]:
    limit = v.record(
        {
            "soft": v.integer(-1, 2**31 - 1, "a limit (-1: unlimited)"),
            "hard": v.integer(-1, 2**31 - 1, "a limit (-1: unlimited)"),
        },
        required=("soft", "hard"),
    )(value)
    if limit["hard"] != -1 and (limit["soft"] == -1 or limit["soft"] > limit["hard"]):
        raise Invalid(f"soft must not exceed hard, got soft {limit['soft']} and hard {limit['hard']}")
    return limit


def userns_remap(value: t.Any) -> str:
    """ "" (off), "default" (dockerd's dockremap user) or USER[:GROUP]."""
    raw = v.string(r"default|[a-z_][a-z0-9_.-]{0,31}(:[a-z_][a-z0-9_.-]{0,31})?", what='"", default or USER[:GROUP]', empty=True)(
        value
    )
    return raw


def _daemon_value(key: str, value: t.Any) -> t.Any:
    """One value of an operator's daemon.json key: the JSON type dockerd
    expects, strings without control characters, paths absolute."""
    problems = _docker.daemon_json_problems({key: value})
    if problems:
        raise Invalid(problems[0].split(": ", 1)[1], f"[{v.shown(key)}]")

    def clean(item: t.Any, where: str) -> t.Any:
        if isinstance(item, str):
            if v.has_control(item):
                raise Invalid(f"must not contain control characters, got {v.shown(item)}", where)
            return item
        if isinstance(item, dict):
            return {clean(k, where): clean(val, f"{where}[{v.shown(k)}]") for k, val in item.items()}
        if isinstance(item, list):
            return [clean(val, f"{where}[{i}]") for i, val in enumerate(item)]
        if item is None:
            raise Invalid("must not be null (leave the key out instead)", where)
        return item

    value = clean(value, f"[{v.shown(key)}]")
    if key in _docker.PATH_KEYS:
        try:
            value = v.path(value)
        except Invalid as exc:
            raise Invalid(exc.message, f"[{v.shown(key)}]") from None
    return value


def daemon_extra(value: t.Any) -> dict[str, t.Any]:
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping of daemon.json keys to values, got {v.shown(value)}")
    result = {}
    for key, item in value.items():
        if not isinstance(key, str) or v.has_control(key) or key not in _docker.DAEMON_KEYS:
            raise Invalid(f"key {v.shown(key)} is not a daemon.json key dockerd reads")
        if key in _docker.RESERVED_KEYS:
            raise Invalid(f"must not set {key}: {_docker.RESERVED_KEYS[key]}")
        result[key] = _daemon_value(key, item)
    return result


SPEC: dict[str, v.Validator] = {
    "docker_verify_strict": v.boolean,
    "docker_engine_enabled": v.boolean,
    "docker_engine_compose": v.boolean,
    "docker_daemon_hardening_enabled": v.boolean,
    "docker_daemon_published_address": v.address,
    "docker_daemon_log_driver": v.choice(*LOG_DRIVERS, what="a log driver that ships (journald) or rotates, one of"),
    "docker_daemon_log_max_size": v.string(_LOG_SIZE, what="a size such as 10m (k, m or g)"),
    "docker_daemon_log_max_files": v.integer(1, 100, "a number of files"),
    "docker_daemon_ulimits": v.dict_of(v.choice(*ULIMITS, what="a ulimit name, one of"), ulimit, max_items=len(ULIMITS)),
    "docker_daemon_userns_remap": userns_remap,
    "docker_daemon_extra": daemon_extra,
    "docker_socket_enabled": v.boolean,
    "docker_group_enabled": v.boolean,
    "docker_group_members": v.list_of(v.user_name, max_items=100),
    "docker_file_modes_enabled": v.boolean,
    "docker_firewall_enabled": v.boolean,
    "docker_firewall_allow": v.list_of(firewall_rule, max_items=200),
    "docker_loopback_guard_enabled": v.boolean,
}
MULTILINE: tuple[str, ...] = ()


def check(inputs: v.Inputs) -> None:
    if inputs.valid("docker_firewall_allow"):
        for i, rule in enumerate(inputs["docker_firewall_allow"]):
            if rule["rule"] == "limit":
                inputs.warn(f"docker_firewall_allow[{i}].rule: limit applies to UFW only; containers get allow")


def check_host(inputs: v.Inputs, facts: dict[str, t.Any], context: dict[str, t.Any]) -> None:
    values = inputs.values
    engine = facts.get("engine") or {}
    daemon = facts.get("daemon") or {}
    if not engine.get("installed") and not values["docker_engine_enabled"]:
        inputs.error("docker_engine_enabled is false and the host has no Docker engine: there is nothing to harden")
    if daemon.get("error"):
        inputs.error(
            f"{daemon.get('path', '/etc/docker/daemon.json')} does not parse ({daemon['error']}): the role keeps the keys others "
            "set there and cannot read them; fix or remove the file first"
        )
    elif values["docker_daemon_hardening_enabled"]:
        others = {k: val for k, val in (daemon.get("document") or {}).items() if k not in _docker.MANAGED_KEYS}
        problems = _docker.daemon_json_problems(others)
        if problems and not engine.get("validate"):
            inputs.warn(
                f"{daemon.get('path')} holds keys this role does not know ({'; '.join(problems)}); "
                "this engine has no dockerd --validate to judge them"
            )
    drivers = engine.get("log_drivers")
    if values["docker_daemon_hardening_enabled"] and drivers and values["docker_daemon_log_driver"] not in drivers:
        inputs.error(
            f"docker_daemon_log_driver {values['docker_daemon_log_driver']} is not a log driver this engine has "
            f"({', '.join(drivers)})"
        )
    for name, limit in values["docker_daemon_ulimits"].items():
        ceiling = (daemon.get("hard_limits") or {}).get(name)
        if (
            values["docker_daemon_hardening_enabled"]
            and ceiling not in (None, -1)
            and (limit["hard"] == -1 or limit["hard"] > ceiling)
        ):
            inputs.error(
                f'docker_daemon_ulimits["{name}"].hard {limit["hard"]} is above dockerd\'s own hard limit {ceiling} '
                "on this host: "
                "every container would fail to start (error setting rlimit)"
            )
    missing = set(facts.get("users_missing") or ())
    for i, name in enumerate(values["docker_group_members"]):
        if name in missing:
            inputs.error(f"docker_group_members[{i}]: no user {name} on the host (the role adds members, it creates no accounts)")
    remap = values["docker_daemon_userns_remap"]
    if remap and remap != "default" and re.split(":", remap)[0] in missing:
        inputs.error(f"docker_daemon_userns_remap: no user {remap.split(':')[0]} on the host (use default for dockremap)")
