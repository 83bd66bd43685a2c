# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The os layer: its control catalog, parsers of effective state, and
:class:`OsReader`, the host reader (``_host.HostReader``) with what the os
layer judges: sshd, the firewall, apt, kernel modules and parameters,
accounts.

The parsers are pure functions over command output, unit-tested against real
outputs of Debian 12 and 13. UFW lives in ``_ufw.py``, sshd's semantics in
``_ssh.py``.

Private to the collection: no API promise.
"""

from __future__ import annotations

import contextlib
import fnmatch
import grp
import ipaddress
import os
import pwd
import re
import typing as t

from ansible_collections.insightengine.hardening.plugins.module_utils import _ufw
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Control
from ansible_collections.insightengine.hardening.plugins.module_utils._host import HostReader, parse_proc_net_tcp
from ansible_collections.insightengine.hardening.plugins.module_utils._ssh import (
    SSHD_TEST_CONNECTION,
    _ssh_connection,
    config_lines,
    count_authorized_keys,
    expand_authorized_keys_files,
    include_patterns,
    parse_probe,
    parse_ssh_keygen_l,
    parse_sshd_t,
    sshd_value,
)

GUIDE = "Security Hardening Guide §1 Operating System Hardening"

CATALOG: tuple[Control, ...] = (
    Control(
        "OS-01",
        "Minimal install",
        f"{GUIDE}: Minimal Install - install only necessary packages",
        'Purge the listed packages (apt-get purge) and set APT::Install-Recommends "false".',
        source="dpkg-query -W; apt-config dump",
        switch="os_minimal_install_enabled",
    ),
    Control(
        "OS-02",
        "SSH root login disabled",
        f"{GUIDE}: SSH Configuration - disable root login (PermitRootLogin no)",
        "Set PermitRootLogin no in the first file sshd reads and reload sshd.",
        source="sshd -T -C for each connection a Match block can change",
        switch="os_ssh_root_login_disabled_enabled",
    ),
    Control(
        "OS-03",
        "SSH key-based authentication only",
        f"{GUIDE}: SSH Configuration - use key-based authentication only (PasswordAuthentication no)",
        "Set PasswordAuthentication no, KbdInteractiveAuthentication no, PubkeyAuthentication yes.",
        source="sshd -T -C for each connection; ssh -vv to the running sshd (authentication methods offered)",
        switch="os_ssh_key_only_enabled",
    ),
    Control(
        "OS-04",
        "SSH port",
        f"{GUIDE}: SSH Configuration - change default SSH port (optional, e.g., 2222)",
        "Set Port to the configured port only and reload sshd; remove other Port lines.",
        source="sshd -T (port); ss -tlnp (ports sshd listens on)",
        switch="os_ssh_port_enabled",
    ),
    Control(
        "OS-05",
        "SSH cryptography",
        f"{GUIDE}: SSH Configuration (baseline) - modern key exchange, ciphers, MACs and host keys only",
        "Set KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms and PubkeyAcceptedAlgorithms to the configured lists.",
        source="sshd -T; ssh -vv to the running sshd (algorithms offered)",
        switch="os_ssh_crypto_enabled",
    ),
    Control(
        "OS-06",
        "SSH session limits",
        f"{GUIDE}: SSH Configuration (baseline) - MaxAuthTries, LoginGraceTime, no X11 or agent forwarding",
        "Set the listed sshd options to the configured values and reload sshd.",
        source="sshd -T -C for each connection a Match block can change",
        switch="os_ssh_limits_enabled",
    ),
    Control(
        "OS-07",
        "SSH access limited to listed users and groups",
        f"{GUIDE}: SSH Configuration (baseline) - optional AllowUsers/AllowGroups",
        "Set AllowUsers/AllowGroups to the configured lists and reload sshd.",
        source="sshd -T -C for each connection (allowusers, allowgroups); getent group",
        switch="os_ssh_allow_list_enabled",
    ),
    Control(
        "OS-08",
        "Firewall denies incoming by default",
        f"{GUIDE}: Firewall (UFW) - deny all incoming by default (ufw default deny incoming)",
        "ufw default deny incoming; ufw default allow outgoing; ufw enable.",
        source="ufw status verbose",
        switch="os_firewall_policy_enabled",
    ),
    Control(
        "OS-09",
        "Firewall allows SSH, HTTP and HTTPS",
        f"{GUIDE}: Firewall (UFW) - allow SSH (ufw allow 2222/tcp) and HTTP/HTTPS (80/tcp, 443/tcp)",
        "ufw allow each configured port (the SSH port first).",
        source="ufw status verbose; /etc/ufw/user.rules, /etc/ufw/user6.rules",
        switch="os_firewall_rules_enabled",
    ),
    Control(
        "OS-10",
        "Automatic security updates",
        f"{GUIDE}: Updates - enable automatic security updates (unattended-upgrades)",
        "Install unattended-upgrades, set APT::Periodic and security origins, "
        "enable apt-daily.timer and apt-daily-upgrade.timer.",
        source="apt-config dump; systemctl is-enabled apt-daily.timer apt-daily-upgrade.timer; needrestart.conf",
        switch="os_auto_updates_enabled",
    ),
    Control(
        "OS-11",
        "Network stack sysctls",
        f"{GUIDE} (baseline): network sysctls - syncookies, rp_filter, no redirects or source routing",
        "Write the values to /etc/sysctl.d and apply them with sysctl -w.",
        source="/proc/sys",
        switch="os_net_sysctl_enabled",
    ),
    Control(
        "OS-12",
        "Core dumps disabled",
        f"{GUIDE} (baseline): core dumps off",
        "Set hard core 0 in limits.d, DefaultLimitCORE=0 for systemd, Storage=none for systemd-coredump.",
        source="systemctl show -p DefaultLimitCORE; /etc/security/limits.conf and limits.d; coredump.conf",
        switch="os_core_dumps_disabled_enabled",
    ),
    Control(
        "OS-13",
        "Restrictive default umask",
        f"{GUIDE} (baseline): restrictive default umask",
        "Set UMASK in /etc/login.defs and enable pam_umask in common-session.",
        source="/etc/login.defs (UMASK); /etc/pam.d/common-session (pam_umask)",
        switch="os_umask_enabled",
    ),
    Control(
        "OS-14",
        "Password aging",
        f"{GUIDE} (baseline): password aging in login.defs",
        "Set PASS_MAX_DAYS, PASS_MIN_DAYS and PASS_WARN_AGE in /etc/login.defs.",
        source="/etc/login.defs (PASS_MAX_DAYS, PASS_MIN_DAYS, PASS_WARN_AGE)",
        switch="os_password_aging_enabled",
    ),
    Control(
        "OS-15",
        "Cron and SSH file permissions",
        f"{GUIDE} (baseline): tight permissions on cron and SSH files",
        "chmod/chown the listed paths to the configured mode and owner.",
        source="stat of each listed path",
        switch="os_file_permissions_enabled",
    ),
    Control(
        "OS-16",
        "Kernel hardening sysctls",
        f"{GUIDE} (baseline): kernel sysctls such as kptr_restrict and dmesg_restrict",
        "Write the values to /etc/sysctl.d and apply them with sysctl -w.",
        source="/proc/sys",
        switch="os_kernel_sysctl_enabled",
    ),
    Control(
        "OS-17",
        "Login banner",
        f"{GUIDE} (baseline): login banner",
        "Write the banner to /etc/issue and /etc/issue.net and set Banner /etc/issue.net in sshd.",
        source="/etc/issue, /etc/issue.net; sshd -T (banner)",
        switch="os_login_banner_enabled",
    ),
    Control(
        "OS-18",
        "Unused kernel modules cannot load",
        f"{GUIDE} (baseline): minimal install - no unused filesystems, network protocols or USB storage",
        "Add 'install MODULE /bin/false' for each module to /etc/modprobe.d and unload loaded ones.",
        source="modprobe -n -v for each module; /proc/modules",
        switch="os_kernel_modules_disabled_enabled",
    ),
    Control(
        "OS-19",
        "Password quality enforced",
        f"{GUIDE} (baseline): strong passwords for local accounts (sudo)",
        "Install libpam-pwquality (pam-auth-update adds it to common-password) and set its limits.",
        source="/etc/security/pwquality.conf and pwquality.conf.d; /etc/pam.d/common-password",
        switch="os_password_quality_enabled",
    ),
)

CRACKLIB_DICTIONARY = "/var/cache/cracklib/cracklib_dict.pwd"


# --------------------------------------------------------------------------
# Parsers: text in, data out
# --------------------------------------------------------------------------


_APT_LINE = re.compile(r'^(?P<key>\S+?)(?P<list>::)?\s+"(?P<value>.*)";$')


def parse_apt_config(text: str) -> dict[str, list[str]]:
    """``apt-config dump``: scalar keys map to [value], list keys to their items."""
    config: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = _APT_LINE.match(line.strip())
        if not m:
            continue
        key = m.group("key")
        if m.group("list"):
            config.setdefault(key, []).append(m.group("value"))
        else:
            config.setdefault(key, [])
            if m.group("value"):
                config[key] = [m.group("value")]
    return config


def apt_true(config: dict[str, list[str]], key: str) -> bool | None:
    values = config.get(key)
    if not values:
        return None
    return values[-1].lower() in ("1", "true", "yes", "on")


def parse_login_defs(text: str) -> dict[str, str]:
    """/etc/login.defs: ``NAME value``; shadow's getdef keeps the last one."""
    defs: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        defs[parts[0]] = parts[1].strip().strip('"') if len(parts) > 1 else ""
    return defs


def parse_limits(texts: t.Iterable[str], item: str = "core") -> dict[str, str]:
    """pam_limits files in the order pam_limits reads them: the last hard
    (or '-') value per domain wins.  Returns {domain: value}."""
    hard: dict[str, str] = {}
    for text in texts:
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            parts = line.split()
            if len(parts) != 4 or parts[2] != item:
                continue
            domain, kind, _unused, value = parts
            if kind in ("hard", "-"):
                hard[domain] = value
    return hard


def parse_modprobe_install(texts: t.Iterable[str]) -> dict[str, str]:
    """``install MODULE COMMAND`` lines of modprobe.d files, in the order
    modprobe reads them; the first command for a module is the one it runs.
    Module names treat - and _ alike, as modprobe does."""
    commands: dict[str, str] = {}
    for text in texts:
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split(None, 2)
            if len(parts) == 3 and parts[0] == "install":
                commands.setdefault(parts[1].replace("-", "_"), parts[2].strip())
    return commands


def parse_modprobe_dry_run(text: str) -> str | None:
    """``modprobe -n -v MODULE``: the install command it would run, if any."""
    for line in text.splitlines():
        if line.startswith("install "):
            return line[len("install ") :].strip()
    return None


def module_refused(command: str | None) -> bool:
    return bool(command) and command.split()[0] in ("/bin/false", "/bin/true", "/usr/bin/false", "/usr/bin/true")


def parse_pwquality(texts: t.Iterable[str]) -> dict[str, str]:
    """pwquality.conf, then pwquality.conf.d/*.conf: ``name = value`` or a
    bare flag (``enforce_for_root``); later files win."""
    settings: dict[str, str] = {}
    for text in texts:
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, sep, value = line.partition("=")
            settings[name.strip()] = value.strip() if sep else "1"
    return settings


_NEEDRESTART = re.compile(r"^\s*\$nrconf\{restart\}\s*=\s*['\"](\w)['\"]", re.M)


def parse_needrestart_mode(texts: t.Iterable[str]) -> str | None:
    """needrestart.conf, then conf.d/*.conf (Perl): the last
    ``$nrconf{restart} = 'X';`` wins (a = restart services automatically)."""
    mode = None
    for text in texts:
        for match in _NEEDRESTART.finditer(text):
            mode = match.group(1)
    return mode


def pam_has_module(text: str, module: str) -> bool:
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        if module in line.split():
            return True
    return False


_SS_ADDR = re.compile(r":(\d+)$")


def parse_ss_sockets(text: str, processes: t.Iterable[str]) -> list[tuple[str, int]]:
    """``ss -Htlnp``: (address, port) of each TCP socket the named processes listen on."""
    names = tuple(f'(("{p}",' for p in processes)
    sockets = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 6 or not any(n in line for n in names):
            continue
        m = _SS_ADDR.search(parts[3])
        if m:
            sockets.add((parts[3][: m.start()].strip("[]").split("%")[0], int(m.group(1))))
    return sorted(sockets)


def parse_ss_peers(text: str, ports: t.Iterable[int]) -> list[str]:
    """``ss -Htn state established``: addresses of the peers connected to
    one of the local ports (IPv4-mapped IPv6 addresses as IPv4)."""
    wanted = {int(p) for p in ports}
    peers = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        local, peer = parts[2], parts[3]
        m = _SS_ADDR.search(local)
        if not m or int(m.group(1)) not in wanted:
            continue
        address = peer.rsplit(":", 1)[0].strip("[]")
        peers.add(address[7:] if address.startswith("::ffff:") else address)
    return sorted(peers)


def addresses_allowed(addresses: t.Iterable[str], sources: t.Iterable[str]) -> bool:
    """Whether at least one address falls in one of the sources ("any" or CIDR).
    No address at all counts as allowed: there is nobody to lock out."""
    addresses = list(addresses)
    sources = list(sources)
    if not addresses or "any" in sources:
        return True
    networks = []
    for source in sources:
        with contextlib.suppress(ValueError):
            networks.append(ipaddress.ip_network(source, strict=False))
    for address in addresses:
        with contextlib.suppress(ValueError):
            ip = ipaddress.ip_address(address)
            if any(ip.version == n.version and ip in n for n in networks):
                return True
    return False


# Kernel parameters that a container shares with its host.  Network
# parameters under net.ipv4 and net.ipv6 belong to the network namespace, as
# does net.core.somaxconn; everything else (kernel.*, fs.*, vm.*, dev.*,
# net.core.bpf_*) is global to the host kernel.
def sysctl_namespaced(key: str) -> bool:
    return key.startswith(("net.ipv4.", "net.ipv6.", "net.netfilter.", "net.unix.")) or key == "net.core.somaxconn"


def sysctl_path(key: str) -> str:
    return "/proc/sys/" + key.replace(".", "/")


def normalize_sysctl(value: t.Any) -> str:
    return " ".join(str(value).split())


def parse_apt_simulation(text: str) -> list[str]:
    """``apt-get -s purge ...``: every package apt would remove or purge."""
    removed = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Purg", "Remv"):
            removed.append(parts[1].split(":", 1)[0])
    return sorted(set(removed))


def effective_sshd(host: HostReader) -> tuple[dict[str, list[str]] | None, str | None]:
    """(effective sshd config as ``sshd -T`` prints it, error); for any layer's reader."""
    sshd = host.which("sshd")
    if not sshd:
        return None, "sshd is not installed"
    rc, out, err = host.run(sshd, "-T")
    if rc != 0 and "connection test specification" in err:
        # Match blocks on the address or port need a connection to
        # evaluate: describe one that no such block should single out.
        rc, out, err = host.run(sshd, "-T", "-C", SSHD_TEST_CONNECTION)
    if rc != 0:
        return None, f"sshd -T failed: {(err or out).strip()}"
    return parse_sshd_t(out), None


class OsReader(HostReader):
    """Reads what the os layer judges: sshd, the firewall, apt, kernel
    modules and parameters, accounts. Never changes anything."""

    # -- ssh --------------------------------------------------------------
    def sshd(self) -> tuple[dict[str, list[str]] | None, str | None]:
        """(effective sshd config, error)."""
        return effective_sshd(self)

    def ssh_supported(self) -> dict[str, list[str]]:
        ssh = self.which("ssh")
        supported: dict[str, list[str]] = {}
        for kind, query in (("kex", "kex"), ("ciphers", "cipher"), ("macs", "mac"), ("signatures", "key-sig")):
            if not ssh:
                supported[kind] = []
                continue
            rc, out, _unused = self.run(ssh, "-Q", query)
            supported[kind] = out.split() if rc == 0 else []
        return supported

    def openssh_version(self) -> str | None:
        """The OpenSSH version, e.g. "9.2" (from ``ssh -V``)."""
        return self.tool_version("ssh", "-V", r"OpenSSH_(\d+\.\d+)")

    def sshd_listeners(self) -> list[tuple[str, int]] | None:
        """(address, port) of each socket sshd listens on (None without ss)."""
        ss = self.which("ss")
        if not ss:
            return None
        rc, out, _unused = self.run(ss, "-Htlnp")
        return parse_ss_sockets(out, ("sshd",)) if rc == 0 else None

    def sshd_listening_ports(self) -> list[int] | None:
        listeners = self.sshd_listeners()
        return None if listeners is None else sorted({port for _address, port in listeners})

    def ssh_clients(self, ports: t.Iterable[int]) -> list[str] | None:
        """Addresses connected to sshd now (Ansible among them, over SSH)."""
        ss = self.which("ss")
        if not ss:
            return None
        rc, out, _unused = self.run(ss, "-Htn", "state", "established")
        return parse_ss_peers(out, ports) if rc == 0 else None

    def connection_peer(self, ports: t.Iterable[int]) -> dict[str, t.Any] | None:
        """The SSH connection this module runs under (Ansible's): the client's
        address as sshd sees it, and the local address and port. From
        SSH_CONNECTION when set, else from the TCP socket an ancestor process
        (sshd's session) holds; None when not under SSH."""
        own = _ssh_connection(os.environ.get("SSH_CONNECTION", ""))
        if own:
            return own
        wanted = {int(p) for p in ports}
        established = [
            e
            for e in parse_proc_net_tcp(self.read("/proc/net/tcp") or "")
            + parse_proc_net_tcp(self.read("/proc/net/tcp6") or "", True)
            if e["state"] == "01" and (not wanted or e["local_port"] in wanted)
        ]
        by_inode = {e["inode"]: e for e in established}
        pid = os.getpid()
        for _depth in range(32):
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                fds = []
            for fd in fds:
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in by_inode:
                    entry = by_inode[target[8:-1]]
                    return {"address": entry["remote"], "local_address": entry["local"], "local_port": entry["local_port"]}
            environ = (self.read(f"/proc/{pid}/environ") or "").split("\0")
            inherited = _ssh_connection(next((e.split("=", 1)[1] for e in environ if e.startswith("SSH_CONNECTION=")), ""))
            if inherited:
                return inherited
            stat_text = self.read(f"/proc/{pid}/stat") or ""
            fields = stat_text.rsplit(")", 1)[-1].split()
            if len(fields) < 2 or not fields[1].isdigit() or int(fields[1]) <= 1:
                break
            pid = int(fields[1])
        return None

    def sshd_for(self, spec: str) -> tuple[dict[str, list[str]] | None, str | None]:
        """``sshd -T -C SPEC``: the configuration sshd applies to that connection."""
        sshd = self.which("sshd")
        if not sshd:
            return None, "sshd is not installed"
        rc, out, err = self.run(sshd, "-T", "-C", spec)
        if rc != 0:
            return None, f"sshd -T -C {spec} failed: {(err or out).strip()}"
        return parse_sshd_t(out), None

    def host_key(self, path: str) -> dict[str, t.Any]:
        state = self.stat(path)
        if not state["exists"]:
            return {"exists": False}
        keygen = self.which("ssh-keygen")
        if not keygen:
            return {**state, "type": None, "error": "ssh-keygen is not installed"}
        rc, out, err = self.run(keygen, "-l", "-f", path)
        bits, kind = parse_ssh_keygen_l(out) if rc == 0 else (None, None)
        return {**state, "bits": bits, "type": kind, "error": None if kind else (err or out).strip()[:200]}

    def ssh_probe(self, user: str, address: str, port: int) -> dict[str, t.Any]:
        """What a client is offered: ssh -vv, authenticating with nothing, to
        the running sshd. No key, no password, no configuration of ours."""
        ssh = self.which("ssh")
        if not ssh:
            return {**parse_probe(""), "error": "the OpenSSH client is not installed"}
        options = [
            "-vv", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "PreferredAuthentications=none",
            "-o", "PubkeyAuthentication=no", "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=/dev/null",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
            "-o", "LogLevel=DEBUG2",
        ]  # fmt: skip
        target = f"[{address}]" if ":" in address else address
        _rc, _out, err = self.run(ssh, *options, "-p", str(port), f"{user}@{target}", "true")
        return parse_probe(err)

    def purge_simulation(self, packages: list[str]) -> dict[str, t.Any]:
        """What ``apt-get purge PACKAGES`` would remove (a simulation, no lock)."""
        if not packages:
            return {"purge": [], "removes": [], "error": None}
        rc, out, err = self.run("apt-get", "-s", "-o", "Debug::NoLocking=1", "purge", *packages)
        if rc != 0:
            return {"purge": packages, "removes": [], "error": (err or out).strip()[-300:]}
        return {"purge": packages, "removes": parse_apt_simulation(out), "error": None}

    def apt_config(self) -> dict[str, list[str]]:
        rc, out, _unused = self.run("apt-config", "dump")
        return parse_apt_config(out) if rc == 0 else {}

    # -- firewall -----------------------------------------------------------
    def ufw(self) -> dict[str, t.Any] | None:
        return _ufw.read_status(self)

    def ufw_user_rules(self) -> list[dict[str, t.Any]]:
        return _ufw.read_user_rules(self)

    def modprobe_install(self, module: str) -> str | None:
        """The command modprobe would run instead of loading the module."""
        modprobe = self.which("modprobe")
        if modprobe:
            rc, out, _unused = self.run(modprobe, "-n", "-v", module)
            return parse_modprobe_dry_run(out) if rc == 0 else None
        files = []
        for directory in ("/run/modprobe.d", "/etc/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d"):
            files.extend(self.list_dir(directory, ".conf"))
        return parse_modprobe_install(self.read(f) or "" for f in files).get(module.replace("-", "_"))

    def loaded_modules(self) -> set[str] | None:
        text = self.read("/proc/modules")
        return {line.split()[0] for line in text.splitlines() if line.strip()} if text is not None else None

    # -- kernel parameters --------------------------------------------------
    def sysctl(self, key: str) -> dict[str, t.Any]:
        path = sysctl_path(key)
        value = self.read(path)
        return {
            "exists": value is not None,
            "value": normalize_sysctl(value) if value is not None else None,
            "writable": value is not None and os.access(path, os.W_OK),
            "namespaced": sysctl_namespaced(key),
        }

    def account(self, user: str, authorized_keys_file: list[str], keys_command: bool) -> dict[str, t.Any]:
        """What sshd would see of a user: exists, groups, authorized keys."""
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            return {
                "user": user,
                "exists": False,
                "groups": [],
                "authorized_keys": 0,
                "authorized_keys_files": [],
                "keys_command": keys_command,
            }
        groups = {g.gr_name for g in grp.getgrall() if user in g.gr_mem}
        with contextlib.suppress(KeyError):
            groups.add(grp.getgrgid(entry.pw_gid).gr_name)
        files = expand_authorized_keys_files(authorized_keys_file, user, entry.pw_dir, entry.pw_uid)
        keys = sum(count_authorized_keys(self.read(f) or "") for f in files)
        return {
            "user": user,
            "exists": True,
            "uid": entry.pw_uid,
            "home": entry.pw_dir,
            "groups": sorted(groups),
            "authorized_keys": keys,
            "authorized_keys_files": files,
            "keys_command": keys_command,
        }


def sshd_state(reader: OsReader, config: dict | None, error: str | None, dropin: str) -> dict:
    """The effective sshd configuration's ports, what sshd listens on, and
    whether the running sshd loaded its files (a reload is pending when any
    file it reads is newer than its pid file, which sshd rewrites on every
    start and reload)."""
    ports = [int(p) for p in (config or {}).get("port", [])]
    socket_activated = reader.units(["ssh.socket"])["ssh.socket"]["enabled"] == "enabled"
    files = [path for path, _number, _words in config_lines("/etc/ssh/sshd_config", reader.read)]
    files = sorted({"/etc/ssh/sshd_config", *files})
    includes_dropin = any(
        fnmatch.fnmatchcase(dropin, pattern if pattern.startswith("/") else "/etc/ssh/" + pattern)
        for pattern in include_patterns("/etc/ssh/sshd_config", reader.read)
    )
    pid_time = reader.mtime(sshd_value(config, "pidfile") or "/run/sshd.pid") if config else None
    pending = None
    if not socket_activated and pid_time is not None:
        pending = bool(reader.newer_than(files + list((config or {}).get("hostkey", [])), pid_time))
    # What the role's own drop-in says now (kept or told apart from others').
    own: dict[str, list[str]] = {"port": [], "allowusers": [], "allowgroups": []}
    for _path, _number, words in config_lines(dropin, reader.read):
        if words[0].lower() in own:
            own[words[0].lower()].extend(words[1:])
    return {
        "installed": reader.which("sshd") is not None,
        "error": error,
        "ports": ports,
        "own_ports": [int(p) for p in own["port"] if p.isdigit()],
        "own_allowusers": own["allowusers"],
        "own_allowgroups": own["allowgroups"],
        "listening": reader.sshd_listening_ports(),
        "socket_activated": socket_activated,
        "version": reader.openssh_version(),
        "files": files,
        "includes_dropin": includes_dropin or not config,
        "reload_pending": pending,
    }


# --------------------------------------------------------------------------
# Plans: what differs from what is wanted (shared by os_info and os_verify)
# --------------------------------------------------------------------------


def sysctl_plan(reader: OsReader, wanted: dict[str, t.Any], container: str | None) -> dict[str, dict[str, t.Any]]:
    """Split wanted kernel parameters into applicable ones (with live values
    and those that differ) and not applicable ones (with the reason)."""
    plan: dict[str, dict[str, t.Any]] = {"values": {}, "drift": {}, "not_applicable": {}}
    for key, value in sorted(wanted.items()):
        state = reader.sysctl(key)
        if not state["exists"]:
            plan["not_applicable"][key] = "not supported by this kernel"
        elif container and not state["namespaced"]:
            plan["not_applicable"][key] = f"owned by the host kernel ({container} container)"
        elif container and not state["writable"] and state["value"] != normalize_sysctl(value):
            # The container runtime owns these (docker run --sysctl); when it
            # set the wanted value, the effective state is right all the same.
            reason = f"/proc/sys is read-only in this {container} container (set it with the runtime's --sysctl)"
            plan["not_applicable"][key] = reason
        else:
            plan["values"][key] = state["value"]
            if state["value"] != normalize_sysctl(value):
                plan["drift"][key] = normalize_sysctl(value)
    return plan


def permission_problems(st: dict[str, t.Any], item: dict[str, t.Any]) -> list[str]:
    """What is wrong with a path: a mode looser than allowed, another owner."""
    if not st.get("exists"):
        return []
    problems = []
    allowed = int(str(item["mode"]), 8)
    if int(st["mode"], 8) & ~allowed:
        problems.append(f"mode {st['mode']} (at most {allowed:04o})")
    for key in ("owner", "group"):
        if item.get(key) and st[key] != item[key]:
            problems.append(f"{key} {st[key]} (want {item[key]})")
    return problems
