# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The docker layer: its control catalog, the daemon.json grammar, the
firewall rules that hold published ports to the os layer's allow list, the
CIS file modes, and parsers of what the engine and the kernel hold
(``docker info``, ``docker ps``, ``iptables-save``).

daemon.json keys and their JSON types follow moby's ``daemon/config``
(``config.go``, ``config_linux.go``: the json tags of ``CommonConfig``,
``BridgeConfig``, ``DefaultBridgeConfig``, the Linux ``Config``, the
registry's ``ServiceOptions``), so a key dockerd does not know, or a value
of the wrong type, is refused before a file lands; engines that have
``dockerd --validate`` (Debian 13's 26.1) check the candidate as well.

Private to the collection: no API promise.
"""

from __future__ import annotations

import ipaddress
import json
import re
import typing as t

from ._findings import Control

GUIDE = "2. Container Security (Docker)"

CATALOG = (
    Control(
        "DKR-01",
        "A supported engine: Debian's docker.io (or an engine already installed, kept), with Compose",
        f"{GUIDE} / the engine the application's containers run on",
        "Run the docker role; an engine installed otherwise (docker-ce) is kept as it is.",
        source="dpkg-query -W; docker version; docker compose version or docker-compose version",
        switch="docker_engine_enabled",
    ),
    Control(
        "DKR-02",
        "Daemon hardened: no inter-container traffic, no-new-privileges, live-restore, no userland proxy, "
        "ports published on 127.0.0.1 by default, logs to journald or rotated, default ulimits",
        f"{GUIDE} / Non-Root User; Resource Limits (the daemon's defaults every container gets)",
        "Run the docker role (docker_daemon_settings); it keeps others' keys in daemon.json and restarts dockerd "
        "only with a file that validated.",
        source="docker info --format '{{json .}}'; /etc/docker/daemon.json as dockerd loaded it",
        switch="docker_daemon_hardening_enabled",
    ),
    Control(
        "DKR-03",
        "The API socket is root:docker 0660 and listens nowhere else",
        f"{GUIDE} / CIS Docker Benchmark 3.15 (socket ownership and mode), 2.1 (no TCP socket without TLS)",
        "chown root:docker /run/docker.sock; chmod 0660; remove tcp:// hosts from daemon.json and the unit.",
        source="stat /run/docker.sock; docker info (daemon hosts); ss -tlnp",
        switch="docker_socket_enabled",
    ),
    Control(
        "DKR-04",
        "Members of the docker group (root-equivalent) are the allowed ones only",
        f"{GUIDE} / CIS Docker Benchmark 1.1.2 (only trusted users in the docker group)",
        "Remove the listed users from the docker group (gpasswd -d USER docker) or add them to docker_group_members.",
        source="getent group docker; the users whose primary group is docker",
        switch="docker_group_enabled",
    ),
    Control(
        "DKR-05",
        "The engine's files have CIS modes and owners (units, socket unit, /etc/docker, daemon.json)",
        f"{GUIDE} / CIS Docker Benchmark 3.1-3.22 (daemon configuration files)",
        "Run the docker role; it sets the owner and mode of each listed file.",
        source="stat of each engine file",
        switch="docker_file_modes_enabled",
    ),
    Control(
        "DKR-06",
        "The firewall holds for containers: a published port answers other hosts only where the os layer allows it",
        f"{GUIDE} / 1. Firewall (UFW), which Docker's published ports otherwise bypass (moby #4737, #22054)",
        "Run the docker role; its DOCKER-USER rules follow os_firewall_allow.",
        source="iptables-save -t filter (DOCKER-USER); a connection from another host to each published port",
        switch="docker_firewall_enabled",
    ),
    Control(
        "DKR-07",
        "Ports published on 127.0.0.1 are not reachable from the local network segment (engines before 28.0)",
        f"{GUIDE} / 1. Firewall (UFW)",
        "Run the docker role; it adds the raw-table rule Docker 28.0 adds itself.",
        source="docker version; iptables-save -t raw (PREROUTING)",
        switch="docker_loopback_guard_enabled",
    ),
)

# daemon.json keys dockerd reads on Linux and the JSON type of each value:
# "bool", "int", "str", "list" (of strings), "dict" (an object). Deprecated
# keys an older engine still reads are included (Debian 12's 20.10).
DAEMON_KEYS: dict[str, str] = {
    # CommonConfig
    "authorization-plugins": "list", "exec-opts": "list", "storage-driver": "str", "storage-opts": "list",
    "labels": "list", "network-diagnostic-port": "int", "pidfile": "str", "raw-logs": "bool", "data-root": "str",
    "exec-root": "str", "group": "str", "api-cors-header": "str", "proxies": "dict", "live-restore": "bool",
    "max-concurrent-downloads": "int", "max-concurrent-uploads": "int", "max-download-attempts": "int",
    "shutdown-timeout": "int", "debug": "bool", "hosts": "list", "log-level": "str", "log-format": "str",
    "tls": "bool", "tlsverify": "bool", "tlscacert": "str", "tlscert": "str", "tlskey": "str",
    "swarm-default-advertise-addr": "str", "swarm-raft-heartbeat-tick": "int", "swarm-raft-election-tick": "int",
    "metrics-addr": "str", "experimental": "bool", "node-generic-resources": "list", "containerd": "str",
    "cri-containerd": "bool", "features": "dict", "builder": "dict", "containerd-namespace": "str",
    "containerd-plugin-namespace": "str", "default-runtime": "str", "cdi-spec-dirs": "list",
    # DNSConfig, LogConfig
    "dns": "list", "dns-opts": "list", "dns-search": "list", "host-gateway-ip": "str", "host-gateway-ips": "list",
    "log-driver": "str", "log-opts": "dict",
    # NetworkConfig, BridgeConfig, DefaultBridgeConfig
    "default-address-pools": "list_of_dict", "network-control-plane-mtu": "int", "default-network-opts": "dict",
    "firewall-backend": "str", "bridge": "str", "fixed-cidr": "str", "iptables": "bool", "ip6tables": "bool",
    "ip-forward": "bool", "ip-forward-no-drop": "bool", "ip-masq": "bool", "userland-proxy": "bool",
    "userland-proxy-path": "str", "allow-direct-routing": "bool", "bridge-accept-fwmark": "str", "ipv6": "bool",
    "fixed-cidr-v6": "str", "mtu": "int", "ip": "str", "bip": "str", "bip6": "str", "default-gateway": "str",
    "default-gateway-v6": "str", "icc": "bool",
    # registry ServiceOptions
    "allow-nondistributable-artifacts": "list", "registry-mirrors": "list", "insecure-registries": "list",
    # Linux Config
    "runtimes": "dict", "default-init": "str", "cgroup-parent": "str", "selinux-enabled": "bool",
    "userns-remap": "str", "default-ulimits": "dict", "cpu-rt-period": "int", "cpu-rt-runtime": "int",
    "init": "bool", "init-path": "str", "seccomp-profile": "str", "default-shm-size": "str",
    "no-new-privileges": "bool", "default-ipc-mode": "str", "default-cgroupns-mode": "str", "resolv-conf": "str",
    "rootless": "bool",
    # read by older engines (20.10)
    "cluster-store": "str", "cluster-store-opts": "dict", "cluster-advertise": "str", "graph": "str",
    "disable-legacy-registry": "bool", "oom-score-adjust": "int", "deprecated-key-path": "str",
}  # fmt: skip

# String keys with a fixed set of values (moby's config validation), and the
# integer keys that may be negative.
DAEMON_CHOICES: dict[str, tuple[str, ...]] = {
    "log-level": ("debug", "info", "warn", "error", "fatal"),
    "log-format": ("text", "json"),
    "default-cgroupns-mode": ("host", "private"),
    "default-ipc-mode": ("private", "shareable", "host", "none", "container"),
    "firewall-backend": ("iptables", "nftables"),
}
SIGNED_INTS = ("oom-score-adjust",)

_JSON_TYPES = {"bool": (bool,), "int": (int,), "str": (str,), "list": (list,), "dict": (dict,), "list_of_dict": (list,)}


def daemon_json_problems(document: t.Any) -> list[str]:
    """What dockerd would refuse in a daemon.json document (as parsed JSON):
    a key it does not know, a value of the wrong JSON type, a list of
    non-strings; one sentence each, naming the key."""
    if not isinstance(document, dict):
        return ["must be a JSON object"]
    problems = []
    for key, value in document.items():
        kind = DAEMON_KEYS.get(key)
        if kind is None:
            problems.append(f"{key}: not a daemon.json key dockerd reads")
            continue
        if (isinstance(value, bool) and kind == "int") or not isinstance(value, _JSON_TYPES[kind]):
            problems.append(f"{key}: must be {'a list' if kind.startswith('list') else 'a ' + kind}, got {json.dumps(value)}")
        elif kind == "list" and not all(isinstance(item, str) for item in value):
            problems.append(f"{key}: must be a list of strings")
        elif kind == "list_of_dict" and not all(isinstance(item, dict) for item in value):
            problems.append(f"{key}: must be a list of objects")
        elif key in DAEMON_CHOICES and value not in DAEMON_CHOICES[key]:
            problems.append(f"{key}: must be one of {', '.join(DAEMON_CHOICES[key])}, got {json.dumps(value)}")
        elif kind == "int" and value < 0 and key not in SIGNED_INTS:
            problems.append(f"{key}: must not be negative, got {value}")
    return problems


def merged_daemon_json(current: dict[str, t.Any] | None, managed: dict[str, t.Any]) -> dict[str, t.Any]:
    """The daemon.json to write: the keys others set stay (registry mirrors,
    data-root, ...), the role's keys take the role's values."""
    return {**(current or {}), **managed}


def parse_iptables_save(text: str) -> dict[str, dict[str, list[str]]]:
    """``iptables-save``: table -> chain -> its rules, each as written after
    ``-A CHAIN`` (declared chains without rules map to an empty list)."""
    tables: dict[str, dict[str, list[str]]] = {}
    table: dict[str, list[str]] | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("*"):
            table = tables.setdefault(line[1:], {})
        elif table is None or not line or line.startswith("#") or line == "COMMIT":
            continue
        elif line.startswith(":"):
            table.setdefault(line[1:].split()[0], [])
        elif line.startswith("-A "):
            parts = line.split(" ", 2)
            table.setdefault(parts[1], []).append(parts[2].strip() if len(parts) > 2 else "")
    return tables


def engine_major_minor(version: str | None) -> tuple[int, int] | None:
    """``26.1.5+dfsg1`` -> (26, 1); None when it does not parse."""
    if not version:
        return None
    parts = version.split("+", 1)[0].split("-", 1)[0].split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None


def needs_loopback_guard(version: str | None) -> bool:
    """Engines before 28.0 leave ports published on 127.0.0.1 reachable from
    hosts on the same segment (28.0 drops them in the raw table itself)."""
    parsed = engine_major_minor(version)
    return parsed is None or parsed < (28, 0)


# -- daemon.json: what the role manages -------------------------------------

# Keys whose value the role decides (from its variables); a key of this list
# the role no longer sets is removed, every other key stays as others set it.
MANAGED_KEYS = (
    "icc", "no-new-privileges", "live-restore", "userland-proxy", "ip", "log-driver", "log-opts", "default-ulimits",
    "userns-remap",
)  # fmt: skip
# Keys the operator's extra settings may not carry: they would undo a control
# or conflict with the unit's flags (dockerd refuses "hosts" in both places).
RESERVED_KEYS = {
    "hosts": "DKR-03 keeps the API on the local socket; a TCP socket needs TLS and a drop-in of your own",
    "iptables": "DKR-06 needs Docker's iptables rules (DOCKER-USER is where the firewall holds containers)",
    "ip-forward": "containers need forwarding; the os layer leaves it on",
    **dict.fromkeys(MANAGED_KEYS, "set by its own docker_daemon_* variable"),
}
PATH_KEYS = ("data-root", "exec-root", "pidfile", "tlscacert", "tlscert", "tlskey", "seccomp-profile", "init-path",
             "userland-proxy-path", "resolv-conf", "containerd")  # fmt: skip


def daemon_settings(values: dict[str, t.Any]) -> dict[str, t.Any]:
    """The daemon.json keys the role writes, from its validated variables."""
    settings: dict[str, t.Any] = {
        "icc": False,
        "no-new-privileges": True,
        "live-restore": True,
        "userland-proxy": False,
        "ip": values["docker_daemon_published_address"],
        "log-driver": values["docker_daemon_log_driver"],
    }
    if values["docker_daemon_log_driver"] in ("json-file", "local"):
        settings["log-opts"] = {
            "max-size": values["docker_daemon_log_max_size"],
            "max-file": str(values["docker_daemon_log_max_files"]),
        }
    if values["docker_daemon_ulimits"]:
        settings["default-ulimits"] = {
            name: {"Name": name, "Soft": limit["soft"], "Hard": limit["hard"]}
            for name, limit in sorted(values["docker_daemon_ulimits"].items())
        }
    if values["docker_daemon_userns_remap"]:
        settings["userns-remap"] = values["docker_daemon_userns_remap"]
    return settings


def daemon_json(current: dict[str, t.Any] | None, values: dict[str, t.Any]) -> dict[str, t.Any]:
    """The whole daemon.json the role writes: others' keys as they are, the
    operator's extra keys, the role's keys; managed keys it no longer sets
    are gone."""
    kept = {k: v for k, v in (current or {}).items() if k not in MANAGED_KEYS}
    return {**kept, **values["docker_daemon_extra"], **daemon_settings(values)}


def render_daemon_json(document: dict[str, t.Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


# -- the firewall for published ports ---------------------------------------

CHAIN = "INSIGHTENGINE-DOCKER"  # jumped to first from DOCKER-USER
RAW_CHAIN = "INSIGHTENGINE-LOOPBACK"  # jumped to first from raw PREROUTING
BRIDGES = ("docker0", "br-+")  # the default bridge and every user-defined (Compose) network
FIREWALL_UNIT = "insightengine-docker-firewall.service"


def _source(network: str) -> str:
    return ipaddress.ip_network(network, strict=False).with_prefixlen


def firewall_rules(allow: t.Iterable[dict[str, t.Any]]) -> list[str]:
    """The rules of CHAIN, as iptables-save prints them (so the kernel's copy
    compares as text): replies and containers' own traffic return to
    Docker's chains; a new connection from outside reaches a container only
    on a port (its original destination port, before Docker's DNAT) that an
    allow entry names, from that entry's source; the rest is dropped.
    Forwarding that does not go to a Docker network is not touched. IPv6
    sources are left to ip6tables (not managed: Docker's IPv6 is off by
    default)."""
    rules = ["-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"]
    rules += [f"-i {bridge} -j RETURN" for bridge in BRIDGES]
    for entry in allow:
        source = entry.get("from", "any")
        if source != "any" and ipaddress.ip_network(source, strict=False).version != 4:
            continue
        prefix = "" if source == "any" else f"-s {_source(source)} "
        protos = ("tcp", "udp") if entry.get("proto", "tcp") == "any" else (entry.get("proto", "tcp"),)
        for proto in protos:
            rules.append(f"{prefix}-p {proto} -m conntrack --ctorigdstport {entry['port']} -j RETURN")
    rules += [f"-o {bridge} -j DROP" for bridge in BRIDGES]
    return list(dict.fromkeys(rules))


def loopback_rules(enabled: bool) -> list[str]:
    """The raw-table rule Docker 28 adds itself: a packet for 127.0.0.0/8
    that arrives on any interface but lo is dropped before routing, so a
    port published on 127.0.0.1 answers this host only."""
    return ["-d 127.0.0.0/8 ! -i lo -j DROP"] if enabled else []


def render_restore(filter_rules: list[str], raw_rules: list[str]) -> str:
    """The iptables-restore --noflush input that replaces the role's two
    chains at once (each table commits atomically); nothing else is flushed."""
    lines = ["# insightengine.hardening docker: loaded by insightengine-docker-firewall.service", "*filter", f":{CHAIN} - [0:0]"]
    lines += [f"-A {CHAIN} {rule}" for rule in filter_rules]
    lines += ["COMMIT", "*raw", f":{RAW_CHAIN} - [0:0]"]
    lines += [f"-A {RAW_CHAIN} {rule}" for rule in raw_rules]
    lines += ["COMMIT"]
    return "\n".join(lines) + "\n"


def firewall_state(tables: dict[str, dict[str, list[str]]], filter_rules: list[str], raw_rules: list[str]) -> dict[str, t.Any]:
    """What the kernel holds against what it should: the role's chains and
    whether each is the first rule of the chain that must jump to it."""
    filt, raw = tables.get("filter", {}), tables.get("raw", {})
    user = filt.get("DOCKER-USER")
    forward = filt.get("FORWARD", [])
    # Docker puts its isolation chains (they only drop) before DOCKER-USER
    # after a restart; what matters is that nothing accepts before it.
    before = forward[: forward.index("-j DOCKER-USER")] if "-j DOCKER-USER" in forward else None
    state = {
        "docker_user": user,
        "forward_jumps": before is not None and all(rule.startswith("-j DOCKER-ISOLATION-STAGE-") for rule in before),
        "chain": filt.get(CHAIN),
        "jump": bool(user) and user[0] == f"-j {CHAIN}",
        "raw_chain": raw.get(RAW_CHAIN),
        "raw_jump": (raw.get("PREROUTING") or [None])[0] == f"-j {RAW_CHAIN}",
    }
    state["pending"] = (
        not (state["chain"] == filter_rules and state["jump"])
        or (bool(raw_rules) and not (state["raw_chain"] == raw_rules and state["raw_jump"]))
        or (not raw_rules and bool(state["raw_chain"]))
    )
    return state


_PORT = re.compile(
    r"(?P<ip>[0-9.]+|\[?[0-9a-fA-F:]*\]?):(?P<low>\d+)(?:-(?P<high>\d+))?->(?P<target>\d+(?:-\d+)?)/(?P<proto>tcp|udp|sctp)"
)


def parse_published(containers: t.Iterable[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Published ports from ``docker ps --format '{{json .}}'`` lines:
    container, host address, host port, protocol (one entry per address)."""
    published = []
    for container in containers:
        for match in _PORT.finditer(container.get("Ports") or ""):
            address = match.group("ip").strip("[]") or "::"
            low, high = int(match.group("low")), int(match.group("high") or match.group("low"))
            for port in range(low, min(high, low + 100) + 1):
                published.append(
                    {"container": container.get("Names"), "address": address, "port": port, "proto": match.group("proto")}
                )
    return published


def allowed_by(port: int, proto: str, allow: t.Iterable[dict[str, t.Any]]) -> list[str]:
    """The sources an allow list admits to one published port ([] for none)."""
    sources = []
    for entry in allow:
        low, _sep, high = str(entry["port"]).partition(":")
        if int(low) <= port <= int(high or low) and entry.get("proto", "tcp") in (proto, "any"):
            sources.append(entry.get("from", "any"))
    return sources


def loopback_only(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


# -- groups and files ---------------------------------------------------------


def mode_at_most(actual: str | None, maximum: str) -> bool:
    """CIS's "MODE or more restrictive": no permission bit beyond maximum."""
    if not actual:
        return False
    return int(actual, 8) & ~int(maximum, 8) & 0o7777 == 0


def file_expectations(
    units: dict[str, str | None], document: dict[str, t.Any] | None, certs: t.Iterable[str]
) -> list[dict[str, str]]:
    """CIS Docker Benchmark 3.1-3.24: owner, group and the most permissive
    mode of each engine file that exists (the caller drops those that do
    not). ``units`` maps docker.service and docker.socket to their unit file."""
    expected = [
        {"path": path, "owner": "root", "group": "root", "mode": "0644", "cis": cis}
        for name, cis in (("docker.service", "3.1-3.2"), ("docker.socket", "3.3-3.4"))
        if (path := units.get(name))
    ]
    expected += [
        {"path": "/etc/docker", "owner": "root", "group": "root", "mode": "0755", "cis": "3.5-3.6"},
        {"path": "/etc/docker/daemon.json", "owner": "root", "group": "root", "mode": "0644", "cis": "3.17-3.18"},
        {"path": "/etc/default/docker", "owner": "root", "group": "root", "mode": "0644", "cis": "3.19-3.20"},
        {"path": "/run/containerd/containerd.sock", "owner": "root", "group": "root", "mode": "0660", "cis": "3.23-3.24"},
    ]
    expected += [{"path": path, "owner": "root", "group": "root", "mode": "0444", "cis": "3.7-3.8"} for path in certs]
    document = document or {}
    for key, mode, cis in (("tlscacert", "0444", "3.9-3.10"), ("tlscert", "0444", "3.11-3.12"), ("tlskey", "0400", "3.13-3.14")):
        if isinstance(document.get(key), str):
            expected.append({"path": document[key], "owner": "root", "group": "root", "mode": mode, "cis": cis})
    return expected


def file_problems(expected: t.Iterable[dict[str, str]], states: dict[str, dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """The expected files that exist with a wrong owner, group or a mode
    beyond the maximum, with what was found."""
    wrong = []
    for item in expected:
        state = states.get(item["path"]) or {}
        if not state.get("exists"):
            continue
        if (
            state.get("owner") != item["owner"]
            or state.get("group") != item["group"]
            or not mode_at_most(state.get("mode"), item["mode"])
        ):
            found_mode = int(state.get("mode") or "0", 8)
            wrong.append({
                **item,
                "found": f"{state.get('owner')}:{state.get('group')} {state.get('mode')}",
                # a mode stricter than the maximum stays as strict
                "set_mode": f"{found_mode & int(item['mode'], 8):04o}",
            })  # fmt: skip
    return wrong


# -- reading the host -----------------------------------------------------------

DAEMON_FILE = "/etc/docker/daemon.json"


def engine_argument_spec() -> dict[str, t.Any]:
    """Options both docker modules take (doc fragment: insightengine.hardening.docker_engine)."""
    return {
        "firewall_allow": {"type": "list", "elements": "dict", "default": []},
        "loopback_guard": {"type": "bool", "default": True},
        "daemon_file": {"type": "path", "default": DAEMON_FILE},
    }


SOCKET = "/run/docker.sock"
# The docker info fields the modules report.
INFO_KEYS = ("ServerVersion", "LiveRestoreEnabled", "LoggingDriver", "SecurityOptions", "Debug", "Driver", "CgroupDriver",
             "DockerRootDir", "Swarm")  # fmt: skip
ENGINE_PACKAGES = ("docker.io", "docker-ce", "moby-engine", "docker-engine")


def compose_command(host: t.Any) -> dict[str, t.Any] | None:
    """Compose v2 (docker compose) or docker-compose 1.x: the argv that runs
    it, its version and its name; None when neither answers."""
    docker = host.which("docker")
    candidates = [[docker, "compose"]] if docker else []
    if host.which("docker-compose"):
        candidates.append(["docker-compose"])
    for argv in candidates:
        rc, out, _err = host.run(*argv, "version", "--short")
        if rc == 0 and out.strip():
            return {"argv": argv, "version": out.strip().lstrip("v"), "command": " ".join(argv).rsplit("/", 1)[-1]}
    return None


def _json_lines(text: str) -> list[dict[str, t.Any]]:
    found = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            found.append(item)
    return found


def read_daemon_file(host: t.Any, path: str = DAEMON_FILE) -> dict[str, t.Any]:
    text = host.read(path)
    if text is None:
        return {"path": path, "exists": False, "document": {}, "error": None}
    try:
        document = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        return {"path": path, "exists": True, "document": None, "error": str(exc)}
    if not isinstance(document, dict):
        return {"path": path, "exists": True, "document": None, "error": "not a JSON object"}
    return {"path": path, "exists": True, "document": document, "error": None}


# /proc/PID/limits names of the ulimits default-ulimits takes.
PROC_LIMITS = {
    "Max cpu time": "cpu", "Max file size": "fsize", "Max data size": "data", "Max stack size": "stack",
    "Max core file size": "core", "Max resident set": "rss", "Max processes": "nproc", "Max open files": "nofile",
    "Max locked memory": "memlock", "Max file locks": "locks", "Max pending signals": "sigpending",
    "Max msgqueue size": "msgqueue", "Max nice priority": "nice", "Max realtime priority": "rtprio",
    "Max realtime timeout": "rttime",
}  # fmt: skip


def parse_limits(text: str | None) -> dict[str, int]:
    """/proc/PID/limits: ulimit name -> hard limit (-1 for unlimited). A
    container's hard limit above dockerd's own cannot be set without
    CAP_SYS_RESOURCE: such a container fails to start."""
    hard = {}
    for line in (text or "").splitlines():
        for label, name in PROC_LIMITS.items():
            if line.startswith(label + " "):
                fields = line[len(label) :].split()
                if len(fields) >= 2:
                    hard[name] = -1 if fields[1] == "unlimited" else int(fields[1]) if fields[1].isdigit() else -1
    return hard


def daemon_hosts(cmdline: str | None, document: dict[str, t.Any] | None) -> list[str]:
    """Where dockerd serves its API: its -H/--host flags and daemon.json's hosts."""
    args = (cmdline or "").split("\0")
    hosts = []
    for i, arg in enumerate(args):
        if arg in ("-H", "--host") and i + 1 < len(args):
            hosts.append(args[i + 1])
        elif arg.startswith(("-H=", "--host=")):
            hosts.append(arg.split("=", 1)[1])
        elif arg.startswith("-H") and len(arg) > 2:
            hosts.append(arg[2:])
    hosts += [h for h in (document or {}).get("hosts") or [] if isinstance(h, str)]
    return hosts


def read_engine(host: t.Any, daemon_file: str = DAEMON_FILE) -> dict[str, t.Any]:
    """Everything both docker modules judge, in few commands: the engine
    and Compose, what dockerd runs with, the bridge's options, the
    published ports, the socket, the group, the kernel's rules."""
    installed = host.installed_packages()
    dockerd = host.which("dockerd")
    docker = host.which("docker")
    version = host.tool_version("dockerd", "--version", r"version ([0-9][^,\s]*)") if dockerd else None
    engine: dict[str, t.Any] = {
        "installed": bool(dockerd),
        "package": next((p for p in ENGINE_PACKAGES if p in installed), None),
        "version": version,
        "validate": bool(dockerd) and (engine_major_minor(version) or (0, 0)) >= (23, 0),
        "running": False,
        "cli": bool(docker),
        "compose": None,
        "log_drivers": None,
        "info": {},
    }
    bridge: dict[str, t.Any] = {}
    published: list[dict[str, t.Any]] = []
    if docker:
        rc, out, _err = host.run(docker, "info", "--format", "{{json .}}")
        info = (_json_lines(out) or [{}])[0] if rc == 0 else {}
        engine["running"] = bool(info.get("ServerVersion"))
        if engine["running"]:
            engine["log_drivers"] = sorted((info.get("Plugins") or {}).get("Log") or []) or None
            engine["info"] = {key: info.get(key) for key in INFO_KEYS}
            engine["info"]["Swarm"] = (info.get("Swarm") or {}).get("LocalNodeState")
            rc, out, _err = host.run(docker, "network", "inspect", "bridge", "--format", "{{json .Options}}")
            bridge = (_json_lines(out) or [{}])[0] if rc == 0 else {}
            rc, out, _err = host.run(docker, "ps", "--format", "{{json .}}")
            published = parse_published(_json_lines(out)) if rc == 0 else []
        found = compose_command(host)
        engine["compose"] = {"version": found["version"], "command": found["command"]} if found else None
    daemon = read_daemon_file(host, daemon_file)
    service, socket = host.unit_properties(("docker.service", "docker.socket"), ("MainPID", "FragmentPath"))
    pid = service.get("MainPID") or ""
    daemon["units"] = {"docker.service": service.get("FragmentPath") or None, "docker.socket": socket.get("FragmentPath") or None}
    started = host.process_start(pid)
    daemon["started"] = started
    daemon["cmdline"] = (host.read(f"/proc/{pid}/cmdline") or "") if started else ""
    daemon["hosts"] = daemon_hosts(daemon["cmdline"], daemon.get("document"))
    daemon["hard_limits"] = parse_limits(host.read(f"/proc/{pid}/limits")) if started else {}
    daemon["restart_pending"] = bool(started and daemon["exists"] and host.newer_than([daemon_file], started, slack=1.0))
    # userland-proxy: false leaves no docker-proxy processes behind.
    daemon["proxies"] = sum(
        1
        for entry in host.list_dir("/proc")
        if entry.rsplit("/", 1)[-1].isdigit() and (host.read(f"{entry}/comm") or "").strip() == "docker-proxy"
    )
    rc, out, _err = host.run("iptables-save") if host.which("iptables-save") else (1, "", "")
    certs = [p for d in host.list_dir("/etc/docker/certs.d") for p in host.list_dir(d)]
    expected = file_expectations(daemon["units"], daemon.get("document"), certs)
    states = {item["path"]: host.stat(item["path"]) for item in expected}
    return {
        "engine": engine,
        "daemon": daemon,
        "bridge": bridge,
        "published": published,
        "socket": host.stat(SOCKET),
        "group": host.group("docker"),
        "iptables": parse_iptables_save(out) if rc == 0 else None,
        "cis_files": [{**item, **states[item["path"]]} for item in expected if states[item["path"]].get("exists")],
        "files_wrong": file_problems(expected, states),
    }
