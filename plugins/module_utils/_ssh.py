# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""sshd as a client meets it: its pattern semantics (match.c, auth.c), the
Match blocks of its configuration, and what a client is offered on the wire.

- :func:`sshd_access` decides AllowUsers/AllowGroups/DenyUsers/DenyGroups as
  sshd's ``allowed_user()`` does, host part included (``USER@HOST`` is
  matched against the client's address, with CIDR and negation).
- :func:`match_blocks` finds every ``Match`` line sshd would read (Include
  followed, globs expanded) and :func:`connection_specs` turns each into a
  connection that satisfies it, for ``sshd -T -C``.
- :func:`parse_probe` reads what ``ssh -vv`` saw of a server: its KEXINIT
  proposal, the authentication methods it offers and its banner.
- :func:`parse_sshd_t` and its accessors read ``sshd -T``; the rest judge
  algorithms, moduli, host keys (``ssh-keygen -l``) and authorized keys.

Pure functions over text (the os layer's ``OsReader`` runs the commands);
private to the collection: no API promise.
"""

from __future__ import annotations

import fnmatch
import glob
import ipaddress
import os
import re
import shlex
import typing as t

# The address a connection spec uses when a Match block does not say
# (RFC 5737 documentation range: no real client has it).
DEFAULT_ADDRESS = "203.0.113.1"


def version_at_least(version: str | None, minimum: str) -> bool:
    def parts(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", text)[:3])

    return bool(version) and parts(version or "0") >= parts(minimum)


# --------------------------------------------------------------------------
# match.c
# --------------------------------------------------------------------------


def match_pattern(string: str, pattern: str) -> bool:
    """sshd's match_pattern: * and ? wildcards, case-sensitive."""
    return fnmatch.fnmatchcase(string, pattern.replace("[", "[[]"))


def match_pattern_list(string: str, patterns: str, lower: bool = False) -> int:
    """1 for a match, -1 for a negated match (which wins), 0 for none."""
    if lower:
        string = string.lower()
    positive = 0
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        if lower:
            pattern = pattern.lower()
        if match_pattern(string, pattern):
            if negated:
                return -1
            positive = 1
    return positive


def addr_match_list(address: str | None, patterns: str) -> int:
    """addrmatch.c's addr_match_list: CIDR entries and wildcards, negation.
    1 match, -1 negated match, 0 none, -2 a malformed CIDR entry."""
    if not address:
        return 0
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return 0
    positive = 0
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        if "/" in pattern:
            try:
                network = ipaddress.ip_network(pattern, strict=False)
            except ValueError:
                return -2
            matched = ip.version == network.version and ip in network
        else:
            matched = match_pattern(address, pattern)
        if matched:
            if negated:
                return -1
            positive = 1
    return positive


def match_host_and_ip(host: str | None, address: str | None, patterns: str) -> int:
    ip_match = addr_match_list(address, patterns)
    if ip_match == -2:
        return -1
    host_match = match_pattern_list(host or "", patterns, lower=True) if host else 0
    if ip_match == -1 or host_match == -1:
        return 0
    return 1 if (ip_match or host_match) else 0


def match_user(user: str, host: str | None, address: str | None, pattern: str) -> int:
    """match.c's match_user: USER or USER@HOST (the last @ splits)."""
    if "@" not in pattern:
        return 1 if match_pattern(user, pattern) else 0
    user_part, _sep, host_part = pattern.rpartition("@")
    if not match_pattern(user, user_part):
        return 0
    return match_host_and_ip(host, address, host_part)


def sshd_access(
    user: str,
    groups: t.Iterable[str],
    address: str | None,
    *,
    allow_users: t.Iterable[str] = (),
    allow_groups: t.Iterable[str] = (),
    deny_users: t.Iterable[str] = (),
    deny_groups: t.Iterable[str] = (),
) -> dict[str, t.Any]:
    """Whether sshd's allowed_user() lets user in from address (UseDNS no:
    the host is the address). Returns {"allowed": bool, "reason": str}."""
    allow_users, allow_groups = list(allow_users), list(allow_groups)
    deny_users, deny_groups = list(deny_users), list(deny_groups)
    groups = list(groups)
    host = address
    for pattern in deny_users:
        if match_user(user, host, address, pattern):
            return {"allowed": False, "reason": f"DenyUsers {pattern} matches"}
    if allow_users and not any(match_user(user, host, address, p) == 1 for p in allow_users):
        if address is None and any(match_pattern(user, p.rpartition("@")[0]) for p in allow_users if "@" in p):
            return {
                "allowed": True,
                "reason": "an AllowUsers entry names the user; its host part is not checked (no SSH client address)",
            }
        return {
            "allowed": False,
            "reason": f"no AllowUsers entry ({' '.join(allow_users)}) matches {user}" + (f" from {address}" if address else ""),
        }
    for pattern in deny_groups:
        if any(match_pattern_list(g, pattern) == 1 for g in groups):
            return {"allowed": False, "reason": f"DenyGroups {pattern} matches"}
    if allow_groups and not any(match_pattern_list(g, p) == 1 for g in groups for p in allow_groups):
        return {"allowed": False, "reason": f"none of its groups is in AllowGroups ({' '.join(allow_groups)})"}
    return {"allowed": True, "reason": "allowed"}


# --------------------------------------------------------------------------
# Match blocks
# --------------------------------------------------------------------------


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def _directive(raw: str) -> list[str]:
    """The words of one line, the keyword apart from its value however the
    line separates them: as sshd does, whitespace, one "=", or both."""
    words = _words(raw)
    if not words:
        return words
    keyword, sep, value = words[0].partition("=")
    rest = ([value] if value else []) + words[1:]
    if not sep and rest and rest[0].startswith("="):
        rest = ([rest[0][1:]] if rest[0] != "=" else []) + rest[1:]
    return [keyword, *rest]


def config_lines(
    path: str, read: t.Callable[[str], str | None], base: str = "/etc/ssh", depth: int = 0
) -> list[tuple[str, int, list[str]]]:
    """(file, line number, words) of every directive sshd reads from path,
    Include lines followed (relative to /etc/ssh, globs sorted as sshd does)."""
    text = read(path)
    if text is None or depth > 16:
        return []
    lines: list[tuple[str, int, list[str]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        words = _directive(raw)
        if not words:
            continue
        if words[0].lower() == "include":
            for pattern in words[1:]:
                full = pattern if pattern.startswith("/") else os.path.join(base, pattern)
                for included in sorted(glob.glob(full)):
                    lines.extend(config_lines(included, read, base, depth + 1))
            continue
        lines.append((path, number, words))
    return lines


def include_patterns(path: str, read: t.Callable[[str], str | None]) -> list[str]:
    """The Include patterns of one configuration file (not followed)."""
    patterns = []
    for raw in (read(path) or "").splitlines():
        words = _directive(raw)
        if words and words[0].lower() == "include":
            patterns.extend(words[1:])
    return patterns


def match_blocks(lines: list[tuple[str, int, list[str]]]) -> list[dict[str, t.Any]]:
    """Each Match line: its criteria (lower-case keyword -> pattern list),
    where it is, and the directives inside it (lower-case keyword -> value)."""
    blocks: list[dict[str, t.Any]] = []
    current: dict[str, t.Any] | None = None
    for path, number, words in lines:
        keyword = words[0].lower()
        if keyword == "match":
            criteria: dict[str, str] = {}
            rest = words[1:]
            i = 0
            while i < len(rest):
                name = rest[i].lower()
                if name in ("all", "invalid-user"):
                    criteria[name] = ""
                    i += 1
                    continue
                if "=" in rest[i]:
                    name, _sep, value = rest[i].partition("=")
                    criteria[name.lower()] = value
                    i += 1
                    continue
                criteria[name] = rest[i + 1] if i + 1 < len(rest) else ""
                i += 2
            current = {"file": path, "line": number, "criteria": criteria, "text": " ".join(words), "settings": {}}
            blocks.append(current)
        elif current is not None:
            current["settings"].setdefault(keyword, " ".join(words[1:]))
    return blocks


def _example(patterns: str, fill: str = "x") -> str | None:
    """A string that the first positive, simple pattern of a list matches."""
    for pattern in patterns.split(","):
        if pattern.startswith("!") or not pattern:
            continue
        return pattern.replace("*", "").replace("?", fill) or fill
    return None


def _address_in(patterns: str) -> str | None:
    for pattern in patterns.split(","):
        if pattern.startswith("!") or not pattern:
            continue
        if "/" in pattern:
            try:
                network = ipaddress.ip_network(pattern, strict=False)
            except ValueError:
                continue
            hosts = network.hosts()
            return str(next(iter(hosts), network.network_address))
        candidate = pattern.replace("*", "1").replace("?", "1")
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def connection_specs(  # noqa: PLR0912 - one branch per Match criterion
    blocks: list[dict[str, t.Any]],
    login_user: str | None,
    members: t.Callable[[str], list[str]],
    local: tuple[str, int],
) -> tuple[list[dict[str, t.Any]], list[str]]:
    """Connections to evaluate with ``sshd -T -C``: the login user and root
    from a documentation address, and for each Match block one connection
    per user it can apply to that satisfies every criterion of the block.

    ``members(pattern)`` lists existing users in groups matching pattern;
    ``local``: (address, port) sshd listens on. Returns (specs, notes):
    notes say which blocks could not be evaluated and why."""
    laddr, lport = local
    base = {"host": DEFAULT_ADDRESS, "addr": DEFAULT_ADDRESS, "laddr": laddr, "lport": lport}
    users = [u for u in dict.fromkeys([login_user or "root", "root"]) if u]
    specs = [{**base, "user": u, "why": "default connection"} for u in users]
    notes = []
    for block in blocks:
        criteria = block["criteria"]
        where = f"{block['text']} ({block['file']}:{block['line']})"
        spec = dict(base)
        candidates = list(users)
        possible = True
        for name, patterns in criteria.items():
            if name == "user":
                example = _example(patterns)
                candidates = [example] if example else []
            elif name == "group":
                found = members(patterns)
                candidates = found[:3]
                if not found:
                    notes.append(f"{where}: no existing user is in a matching group, nobody gets this block now")
                    possible = False
            elif name in ("address", "host"):
                ip = _address_in(patterns)
                if ip:
                    spec["addr"] = spec["host"] = ip
                elif name == "host":
                    spec["host"] = _example(patterns, "a") or spec["host"]
                else:
                    possible = False
                    notes.append(f"{where}: no address satisfies it")
            elif name == "localaddress":
                ip = _address_in(patterns)
                if ip:
                    spec["laddr"] = ip
            elif name == "localport":
                example = _example(patterns, "0")
                if example and example.isdigit():
                    spec["lport"] = int(example)
            elif name in ("all", "invalid-user", "rdomain"):
                continue
            else:
                notes.append(f"{where}: criterion {name} is not evaluated")
        if not possible or not candidates:
            continue
        for user in candidates:
            specs.append({**spec, "user": user, "why": where})
    unique = []
    seen = set()
    for spec in specs:
        key = (spec["user"], spec["host"], spec["addr"], spec["laddr"], spec["lport"])
        if key not in seen:
            seen.add(key)
            unique.append(spec)
    return unique, notes


def spec_argument(spec: dict[str, t.Any]) -> str:
    return f"user={spec['user']},host={spec['host']},addr={spec['addr']},laddr={spec['laddr']},lport={spec['lport']}"


def describe(spec: dict[str, t.Any]) -> str:
    return f"{spec['user']} from {spec['addr']} to port {spec['lport']}"


def offered_methods(config: dict[str, list[str]]) -> list[str]:
    """The authentication methods sshd -T's settings offer a client."""

    def on(key: str) -> bool:
        values = config.get(key) or []
        return bool(values) and values[0] == "yes"

    methods = []
    if on("pubkeyauthentication"):
        methods.append("publickey")
    if on("gssapiauthentication"):
        methods.append("gssapi-with-mic")
    if on("passwordauthentication"):
        methods.append("password")
    if on("kbdinteractiveauthentication"):
        methods.append("keyboard-interactive")
    if on("hostbasedauthentication"):
        methods.append("hostbased")
    required = (config.get("authenticationmethods") or ["any"])[0]
    if required != "any":
        firsts = {chain.split(",")[0].split(":")[0] for chain in required.split()}
        methods = [m for m in methods if m in firsts]
    return sorted(methods)


# --------------------------------------------------------------------------
# ssh -vv: what a client is offered
# --------------------------------------------------------------------------

_MARKERS = ("ext-info-", "kex-strict-")
_KEXINIT = {
    "kex algorithms": "kexalgorithms",
    "host key algorithms": "hostkeyalgorithms",
    "ciphers ctos": "ciphers",
    "macs ctos": "macs",
}


def parse_probe(stderr: str) -> dict[str, t.Any]:
    """``ssh -vv -o PreferredAuthentications=none`` stderr: the server's
    KEXINIT proposal (its own lists, markers such as ext-info-s left out),
    the methods it lets the user continue with, and the banner it sent."""
    result: dict[str, t.Any] = {"connected": False, "kex": {}, "methods": None, "banner": None, "error": None}
    in_server = False
    banner: list[str] | None = None
    for line in stderr.splitlines():
        if line.startswith("debug1: Remote protocol version"):
            result["connected"] = True
        elif line.startswith("debug2: peer server KEXINIT proposal"):
            in_server = True
        elif line.startswith("debug2: local client KEXINIT proposal"):
            in_server = False
        elif in_server and line.startswith("debug2: "):
            name, sep, value = line[len("debug2: ") :].partition(":")
            key = _KEXINIT.get(name.strip().lower())
            if sep and key:
                result["kex"][key] = [a for a in value.strip().split(",") if a and not a.startswith(_MARKERS)]
            elif name.strip().startswith("reserved"):
                in_server = False
        elif line.startswith("debug1: SSH2_MSG_SERVICE_ACCEPT received"):
            banner = []
        elif line.startswith("debug1: Authentications that can continue:"):
            result["methods"] = sorted(m for m in line.rsplit(":", 1)[1].strip().split(",") if m)
            if banner is not None:
                result["banner"] = "\n".join(banner)
            banner = None
        elif banner is not None and not line.startswith("debug"):
            banner.append(line)
        elif re.match(r"(ssh: connect to host|Connection (closed|refused|timed out)|kex_exchange_identification)", line):
            result["error"] = line.strip()
    return result


# sshd -T, keys and the connection Ansible runs under (moved from _os.py)

# Algorithms that are never acceptable, whatever a configuration says: SHA-1,
# MD5, CBC mode, 64-bit tags, NIST-curve ECDH kex, small or SHA-1 DH groups.
_WEAK_PATTERNS = (
    re.compile(r"sha1"),
    re.compile(r"md5"),
    re.compile(r"-cbc$"),
    re.compile(r"^3des|arcfour|blowfish|cast128"),
    re.compile(r"-96(-etm@openssh\.com)?$"),
    re.compile(r"^umac-64"),
    re.compile(r"^diffie-hellman-group(1|14)-"),
    re.compile(r"^ecdh-sha2-nistp"),
    re.compile(r"^ssh-rsa(-cert-v01@openssh\.com)?$"),
    re.compile(r"^ssh-dss"),
)


MODULI_MIN_BITS = 3071  # the moduli file records size - 1: 3071 means a 3072-bit group


# The connection `sshd -T -C` evaluates when Match blocks need one: root (so a
# Match User root block counts), from a documentation address (RFC 5737).
SSHD_TEST_CONNECTION = "user=root,host=verify.invalid,addr=203.0.113.1,laddr=0.0.0.0,lport=65535"


def weak_algorithms(algorithms: t.Iterable[str]) -> list[str]:
    return [a for a in algorithms if any(p.search(a) for p in _WEAK_PATTERNS)]


def parse_sshd_t(text: str) -> dict[str, list[str]]:
    """``sshd -T`` output: ``key value`` per line; repeated keys accumulate."""
    config: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        key, _unused, value = line.partition(" ")
        config.setdefault(key.lower(), []).append(value.strip())
    return config


def sshd_value(config: dict[str, list[str]], key: str) -> str | None:
    values = config.get(key)
    return values[0] if values else None


def sshd_list(config: dict[str, list[str]], key: str) -> list[str]:
    """A comma-separated option (ciphers, macs, ...) as a list; none -> []."""
    value = sshd_value(config, key)
    if value is None or value == "none":
        return []
    return [v for v in value.split(",") if v]


def sshd_words(config: dict[str, list[str]], key: str) -> list[str]:
    """A space-separated option that may repeat (allowusers, allowgroups)."""
    words: list[str] = []
    for value in config.get(key, []):
        words.extend(w for w in value.split() if w != "none")
    return words


def parse_moduli_min_bits(text: str) -> int | None:
    sizes = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 7 and not line.startswith("#") and parts[4].isdigit():
            sizes.append(int(parts[4]))
    return min(sizes) if sizes else None


def count_authorized_keys(text: str) -> int:
    count = 0
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and re.search(r"(^|\s)(ssh-|ecdsa-|sk-)\S+\s+\S+", line):
            count += 1
    return count


def expand_authorized_keys_files(patterns: list[str], user: str, home: str, uid: int) -> list[str]:
    """sshd's AuthorizedKeysFile tokens (%h %u %U %%), relative to the home."""
    paths = []
    for pattern in patterns:
        path = pattern.replace("%%", "\0").replace("%h", home).replace("%u", user).replace("%U", str(uid))
        path = path.replace("\0", "%")
        if not path.startswith("/"):
            path = os.path.join(home, path)
        paths.append(path)
    return paths


_KEYGEN = re.compile(r"^(\d+) \S+ .*\((\w+)\)\s*$")


def parse_ssh_keygen_l(text: str) -> tuple[int | None, str | None]:
    """``ssh-keygen -l -f KEY``: "3072 SHA256:... comment (RSA)" -> (3072, "RSA")."""
    for line in text.splitlines():
        m = _KEYGEN.match(line.strip())
        if m:
            return int(m.group(1)), m.group(2)
    return None, None


def _ssh_connection(value: str) -> dict[str, t.Any] | None:
    """SSH_CONNECTION ("client port server port") as a peer, or None."""
    fields = value.split()
    if len(fields) == 4 and fields[3].isdigit():
        return {"address": fields[0], "local_address": fields[2], "local_port": int(fields[3])}
    return None
