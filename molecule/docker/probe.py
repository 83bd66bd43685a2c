"""A client on the scenario's network, run in a throwaway container: tries a
TCP connection to each PORT of the target (or 127.0.0.1:PORT, sent to the
target's address on the segment as a neighbour on the same L2 segment can)
and prints a JSON object, "HOST:PORT" -> true when it answered.

    python3 probe.py TARGET 8081 8082 127.0.0.1:8083   (TARGET: a name or address)
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys


def route_loopback_through(target: str) -> None:
    """127.0.0.1 goes out eth0 to the target (needs NET_ADMIN and
    route_localnet on eth0, which the container gets at creation)."""
    for cmd in (
        "ip rule add pref 10 to 127.0.0.1 lookup 100",
        f"ip route add 127.0.0.1/32 via {target} dev eth0 table 100 onlink",
        "ip rule del pref 0",
        "ip rule add pref 20 lookup local",
    ):
        subprocess.run(cmd.split(), check=True)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def main() -> None:
    target, specs = socket.gethostbyname(sys.argv[1]), sys.argv[2:]
    if any(spec.startswith("127.0.0.1:") for spec in specs):
        route_loopback_through(target)
    found = {}
    for spec in specs:
        host, _sep, port = spec.rpartition(":")
        found[spec] = answers(host or target, int(port))
    print(json.dumps(found))


if __name__ == "__main__":
    main()
