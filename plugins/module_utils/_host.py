# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every layer reads of a host: commands (run once, output kept), files,
systemd units, packages, os-release, the container it runs in, certificates.

:class:`HostReader` runs commands through a ``run`` callable
(``AnsibleModule.run_command`` in the modules) and caches each output, so a
module that needs one output for five controls runs the command once.
Every info module returns files, units and packages in the shape of
:meth:`HostReader.state`. The parsers are pure functions over command
output, unit-tested against real outputs of Debian 12 and 13.

Private to the collection: no API promise.
"""

from __future__ import annotations

import calendar
import grp
import hashlib
import ipaddress
import os
import pwd
import re
import stat
import time
import typing as t


def parse_os_release(text: str) -> dict[str, str]:
    release = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            release[key.strip()] = value.strip().strip('"')
    return release


def parse_dpkg_installed(text: str) -> set[str]:
    """``dpkg-query -W -f='${Package} ${db:Status-Status}\\n'``."""
    installed = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == "installed":
            installed.add(parts[0].split(":", 1)[0])
    return installed


def days_until_openssl_date(text: str, now: float | None = None) -> float | None:
    """Days from now until a date as openssl prints it ("Nov 30 02:15:00 2028 GMT")."""
    try:
        end = calendar.timegm(time.strptime(text.strip(), "%b %d %H:%M:%S %Y %Z"))
    except ValueError:
        return None
    return round((end - (time.time() if now is None else now)) / 86400, 1)


def parse_subject_alt_names(text: str) -> list[str]:
    """The subjectAltName extension as ``openssl x509 -ext subjectAltName``
    prints it (alone or among other -noout output): ["DNS:a.example",
    "IP:10.0.0.5"] (IP Address -> IP)."""
    names: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("X509v3 Subject Alternative Name"):
            inside = True
            continue
        if inside and line[:1].isspace():
            for part in line.split(","):
                kind, sep, value = part.strip().partition(":")
                if sep:
                    names.append(f"{'IP' if kind == 'IP Address' else kind}:{value.strip()}")
            continue
        inside = False
    return names


def ciphers_invalid(host: t.Any, lists: t.Iterable[str]) -> list[str]:
    """The OpenSSL cipher lists the host's openssl refuses (none judged
    without openssl: the server's own check, nginx -t, still stands)."""
    openssl = host.which("openssl")
    return [c for c in lists if host.run(openssl, "ciphers", "--", c)[0] != 0] if openssl else []


def members_of(match: t.Callable[[str], bool]) -> list[str]:
    """The accounts in the groups whose names match (NSS, so LDAP groups
    too): listed members and those whose primary group it is."""
    groups = [g for g in grp.getgrall() if match(g.gr_name)]
    gids = {g.gr_gid for g in groups}
    return sorted({m for g in groups for m in g.gr_mem} | {p.pw_name for p in pwd.getpwall() if p.pw_gid in gids})


def octal_mode(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"


def parse_proc_net_tcp(text: str, v6: bool = False, map_v4: bool = True) -> list[dict[str, t.Any]]:
    """/proc/net/tcp or tcp6: local and remote address and port, state and
    inode of each socket (IPv4-mapped IPv6 addresses as IPv4 with map_v4)."""
    entries = []
    for line in (text or "").splitlines()[1:]:
        parts = line.split()
        if len(parts) < 4:
            continue
        try:
            (local, lport), (remote, rport) = (_proc_address(parts[1], map_v4), _proc_address(parts[2], map_v4))
        except ValueError:
            continue
        entries.append(
            {
                "local": local,
                "local_port": lport,
                "remote": remote,
                "remote_port": rport,
                "state": parts[3],
                "inode": parts[9] if len(parts) > 9 else None,
                "v6": v6,
            }
        )
    return entries


def parse_proc_net_listeners(text: str, port: int, v6: bool = False) -> list[str]:
    """Listening TCP sockets on port, from /proc/net/tcp or tcp6 ("127.0.0.1:5432", "[::1]:5432")."""
    found = {
        f"[{e['local']}]:{port}" if v6 else f"{e['local']}:{port}"
        for e in parse_proc_net_tcp(text, v6, map_v4=False)
        if e["state"] == "0A" and e["local_port"] == int(port)  # 0A: LISTEN
    }
    return sorted(found)


def listeners(host: t.Any, port: int) -> list[str] | None:
    """What listens on a TCP port ("127.0.0.1:5432", "[::1]:5432"), read from the kernel (no ss needed);
    None when /proc/net cannot be read."""
    v4, v6 = host.read("/proc/net/tcp"), host.read("/proc/net/tcp6")
    if v4 is None and v6 is None:
        return None
    return parse_proc_net_listeners(v4 or "", port) + parse_proc_net_listeners(v6 or "", port, v6=True)


def _proc_address(field: str, map_v4: bool = True) -> tuple[str, int]:
    address, _sep, hexport = field.partition(":")
    raw = bytes.fromhex(address)
    # The kernel prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    ip = ipaddress.ip_address(words)
    if map_v4 and isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip), int(hexport, 16)


Runner = t.Callable[[t.List[str]], t.Tuple[int, str, str]]


class HostReader:
    """Reads the effective state of the host.  Never changes anything."""

    def tool_version(self, name: str, flag: str, pattern: str) -> str | None:
        """A program's version from its version flag's output (stdout or
        stderr), the first group of pattern; None when it is not installed."""
        path = self.which(name)
        if not path:
            return None
        _rc, out, err = self.run(path, flag)
        match = re.search(pattern, err + out)
        return match.group(1) if match else None

    def __init__(
        self, run: Runner, which: t.Callable[[str], str | None], run_env: t.Callable[..., tuple[int, str, str]] | None = None
    ):
        self._run = run
        self._run_env = run_env or (lambda _env, cmd: run(cmd))
        self._which = which
        self._cache: dict[tuple[str, ...], tuple[int, str, str]] = {}

    @classmethod
    def for_module(cls, module: t.Any) -> HostReader:
        """A reader that runs commands through an AnsibleModule, in the C locale."""
        return cls(
            run=lambda cmd: module.run_command(cmd, check_rc=False, environ_update={"LC_ALL": "C"}),
            which=lambda name: module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"]),
            run_env=lambda env, cmd: module.run_command(cmd, check_rc=False, environ_update={"LC_ALL": "C", **env}),
        )

    def run(self, *cmd: str) -> tuple[int, str, str]:
        if cmd not in self._cache:
            self._cache[cmd] = self._run(list(cmd))
        return self._cache[cmd]

    def run_env(self, env: dict[str, str], *cmd: str) -> tuple[int, str, str]:
        """A command with more environment variables (not cached: a probe)."""
        return self._run_env(env, list(cmd))

    def which(self, name: str) -> str | None:
        return self._which(name)

    def read(self, path: str) -> str | None:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None

    def list_dir(self, directory: str, suffix: str = "") -> list[str]:
        """Paths in a directory whose names end in suffix, sorted (as pam_limits and sshd read them)."""
        try:
            names = sorted(n for n in os.listdir(directory) if n.endswith(suffix))
        except OSError:
            return []
        return [os.path.join(directory, n) for n in names]

    @staticmethod
    def clock_ticks() -> int:
        try:
            return int(os.sysconf("SC_CLK_TCK"))
        except (ValueError, OSError):
            return 100

    def boot_time(self) -> float | None:
        """When the kernel booted (epoch seconds, /proc/stat's btime)."""
        return next(
            (float(line.split()[1]) for line in (self.read("/proc/stat") or "").splitlines() if line.startswith("btime ")), None
        )

    def process_start(self, pid: str, parent: str | None = None) -> float | None:
        """When a process started (epoch seconds, to the clock tick: boot time
        plus /proc/PID/stat's starttime); None when there is no such process,
        or with parent, when that is not its parent."""
        if not pid.isdigit() or pid == "0":
            return None
        boot = self.boot_time()
        fields = (self.read(f"/proc/{pid}/stat") or "").rsplit(")", 1)[-1].split()
        if boot is None or len(fields) < 20 or (parent is not None and fields[1] != parent):
            return None
        return boot + int(fields[19]) / self.clock_ticks()

    def mtime(self, path: str) -> float | None:
        try:
            return os.stat(path).st_mtime
        except OSError:
            return None

    def newer_than(self, paths: t.Iterable[str], reference: float, slack: float = 0.05) -> list[str]:
        """The paths changed after reference (a service's last load), give or
        take slack seconds: what that service does not run yet."""
        return sorted({p for p in paths if p and (self.mtime(p) or 0) > reference + slack})

    # -- packages and apt --------------------------------------------------
    def installed_packages(self) -> set[str]:
        rc, out, _unused = self.run("dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n")
        return parse_dpkg_installed(out) if rc == 0 else set()

    # -- systemd ------------------------------------------------------------
    def systemd_property(self, prop: str) -> str | None:
        systemctl = self.which("systemctl")
        if not systemctl:
            return None
        rc, out, _unused = self.run(systemctl, "show", f"--property={prop}")
        if rc != 0:
            return None
        value = out.strip().partition("=")[2]
        return value

    def os_release(self) -> dict[str, str]:
        return parse_os_release(self.read("/etc/os-release") or "")

    def container(self) -> str | None:
        """The container technology this host runs in, or None on a VM or metal."""
        detect = self.which("systemd-detect-virt")
        if detect:
            rc, out, _unused = self.run(detect, "--container")
            value = out.strip()
            return value if rc == 0 and value and value != "none" else None
        if os.path.exists("/.dockerenv"):
            return "docker"
        marker = self.read("/run/systemd/container")
        return marker.strip() if marker else None

    # -- files and accounts ---------------------------------------------------
    @staticmethod
    def file_state(path: str) -> dict[str, t.Any]:
        """stat() plus the SHA-1 of a regular file's content."""
        state = HostReader.stat(path)
        if state["exists"] and not state["is_dir"]:
            digest = hashlib.sha1()  # noqa: S324 - a change detector, as Ansible's checksum
            try:
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(65536), b""):
                        digest.update(block)
                state["sha1"] = digest.hexdigest()
            except OSError:
                state["sha1"] = None
        return state

    @staticmethod
    def group(name: str) -> dict[str, t.Any]:
        """A group (NSS): whether it exists, its gid, its members (primary included)."""
        try:
            gid = grp.getgrnam(name).gr_gid
        except KeyError:
            return {"exists": False, "gid": None, "members": []}
        return {"exists": True, "gid": gid, "members": members_of(lambda n: n == name)}

    @staticmethod
    def missing_users(names: t.Iterable[str]) -> list[str]:
        """The names that are not accounts (NSS)."""
        missing = set()
        for name in names:
            try:
                pwd.getpwnam(name)
            except KeyError:
                missing.add(name)
        return sorted(missing)

    @staticmethod
    def uid(path: str) -> int | None:
        """The numeric owner of a path (None when it does not exist)."""
        try:
            return os.lstat(path).st_uid
        except OSError:
            return None

    @staticmethod
    def stat(path: str) -> dict[str, t.Any]:
        try:
            st = os.lstat(path)
        except OSError:
            return {"exists": False}
        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            owner = str(st.st_uid)
        try:
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            group = str(st.st_gid)
        return {
            "exists": True,
            "mode": octal_mode(st.st_mode),
            "owner": owner,
            "group": group,
            "is_dir": stat.S_ISDIR(st.st_mode),
        }

    def unit_properties(self, names: t.Iterable[str], properties: t.Iterable[str]) -> list[dict[str, str]]:
        """``systemctl show --property=...`` of each unit, in one call: one
        mapping per name, in order (empty where systemctl cannot answer)."""
        names = list(names)
        systemctl = self.which("systemctl")
        if not names or not systemctl:
            return [{} for _name in names]
        rc, out, _unused = self.run(systemctl, "show", f"--property={','.join(properties)}", "--", *names)
        blocks = [dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line) for block in out.split("\n\n")]
        blocks = blocks[: len(names)] if rc == 0 else []
        return blocks + [{} for _name in names[len(blocks) :]]

    def units(self, names: t.Iterable[str], extra: t.Sequence[str] = ()) -> dict[str, dict[str, t.Any]]:
        """enabled, active and need_daemon_reload of each unit, in one
        ``systemctl show`` call ("not-found" for a unit systemd does not know);
        with extra, those properties too, under their own names."""
        names = list(dict.fromkeys(names))
        unknown = {"enabled": "unknown", "active": "unknown", "need_daemon_reload": False}
        systemctl = self.which("systemctl")
        if not names:
            return {}
        if not systemctl:
            return {name: dict(unknown) for name in names}
        blocks = self.unit_properties(names, ("Id", "LoadState", "UnitFileState", "ActiveState", "NeedDaemonReload", *extra))
        states = {}
        for name, block in zip(names, blocks):
            if not block:
                continue  # systemctl could not answer: unknown
            if block.get("LoadState") == "not-found":
                states[name] = {"enabled": "not-found", "active": "inactive", "need_daemon_reload": False}
                continue
            states[name] = {
                "enabled": block.get("UnitFileState") or "static",
                "active": block.get("ActiveState") or "unknown",
                "need_daemon_reload": block.get("NeedDaemonReload") == "yes",
                **{prop: block.get(prop, "") for prop in extra},
            }
        return {name: states.get(name, dict(unknown)) for name in names}

    def state(
        self,
        files: t.Iterable[str] = (),
        units: t.Iterable[str] = (),
        packages: t.Iterable[str] = (),
        absent: t.Iterable[str] = (),
    ) -> dict[str, t.Any]:
        """The part of every info module's result that is the same for all
        layers: each file's state, each unit's state, and which of the
        wanted packages are missing and which of the unwanted installed."""
        packages, absent = list(packages), list(absent)
        installed = self.installed_packages() if packages or absent else set()
        return {
            "files": {path: self.file_state(path) for path in files},
            "units": self.units(units),
            "packages": {
                "missing": sorted(set(packages) - installed),
                "unwanted": sorted(set(absent) & installed),
            },
        }

    def certificate(self, path: str, name: str | None = None) -> dict[str, t.Any]:
        """A PEM certificate file in one ``openssl x509`` call: SHA-256
        fingerprint, days left, subject alternative names, OCSP URI and,
        with name, whether it is valid for that name. ``readable`` is false
        when there is no openssl or the file does not parse."""
        found: dict[str, t.Any] = {
            "readable": False, "fingerprint": None, "days_left": None, "names": None, "ocsp_uri": "", "name_matches": None,
        }  # fmt: skip
        openssl = self.which("openssl")
        if not openssl or not path:
            return found
        cmd = [openssl, "x509", "-noout", "-fingerprint", "-sha256", "-enddate", "-ocsp_uri", "-ext", "subjectAltName"]
        rc, out, _unused = self.run(*cmd, *(("-checkhost", name) if name else ()), "-in", path)
        if rc != 0:
            return found
        found.update(readable=True, names=parse_subject_alt_names(out))
        for line in out.splitlines():
            if "Fingerprint=" in line:
                found["fingerprint"] = line.split("=", 1)[1].strip().replace(":", "").lower()
            elif line.startswith("notAfter="):
                found["days_left"] = days_until_openssl_date(line.split("=", 1)[1])
            elif line.startswith(("http://", "https://")):
                found["ocsp_uri"] = line.strip()
            elif line.startswith("Hostname "):
                found["name_matches"] = line.rstrip().endswith(" does match certificate")
        return found


def exit_info(module: t.Any, gather: t.Callable[[dict[str, t.Any], t.Any], dict[str, t.Any]], reader: type = HostReader) -> None:
    """The rest of an info module's life after its argument parsing: read the
    host with ``gather`` through a reader on the module, return what it read."""
    module.exit_json(changed=False, **gather(module.params, reader.for_module(module)))
