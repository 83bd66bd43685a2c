# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The docker layer (work in progress, not in the layer registry yet): its
control catalog, the daemon.json grammar, and parsers of what the engine
and the kernel hold (``docker info``, ``iptables-save``).

daemon.json keys and their JSON types follow moby's ``daemon/config``
(``config.go``, ``config_linux.go``: the json tags of ``CommonConfig``,
``BridgeConfig``, ``DefaultBridgeConfig``, the Linux ``Config``, the
registry's ``ServiceOptions``), so a key dockerd does not know, or a value
of the wrong type, is refused before a file lands; engines that have
``dockerd --validate`` (Debian 13's 26.1) check the candidate as well.

Private to the collection: no API promise.
"""

from __future__ import annotations

import json
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
