# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The os role's inputs: one validator per public variable, the checks
across variables, and the checks that need the host (lockout protection),
run on what os_info read.

Where each value lands decides its grammar: the sshd drop-in (whitespace
separates arguments, a newline starts a directive), sysctl.d and
modprobe.d (one setting per line), pwquality.conf (name = value),
apt.conf.d (a double-quoted string ending in ";") and login.defs.

Private to the collection: no API promise.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
from ansible_collections.insightengine.hardening.plugins.module_utils import _os, _ssh
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Invalid

KEX = (
    "mlkem768x25519-sha256",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group16-sha512",
)
CIPHERS = (
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
)
MACS = (
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-512",
    "hmac-sha2-256",
    "umac-128@openssh.com",
)
KEY_ALGORITHMS = (
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-256-cert-v01@openssh.com",
)

# Packages a managed host cannot lose: Ansible reaches it over SSH with sudo
# and runs Python; apt, dpkg and systemd run everything else.
PROTECTED_PACKAGES = (
    "openssh-server",
    "openssh-sftp-server",
    "sudo",
    "python3",
    "python3-minimal",
    "python3-apt",
    "apt",
    "dpkg",
    "systemd",
    "systemd-sysv",
    "libc6",
    "libpam-modules",
    "libpam-runtime",
    "login",
    "passwd",
    "base-files",
    "bash",
    "coreutils",
    "ufw",
    "iptables",
    "unattended-upgrades",
    "libpam-pwquality",
    "procps",
    "iproute2",
)

# pwquality.conf(5): the settings and their ranges (credits may be negative).
PWQUALITY = {
    "difok": (0, 100),
    "minlen": (6, 256),
    "dcredit": (-100, 100),
    "ucredit": (-100, 100),
    "lcredit": (-100, 100),
    "ocredit": (-100, 100),
    "minclass": (0, 4),
    "maxrepeat": (0, 100),
    "maxsequence": (0, 100),
    "maxclassrepeat": (0, 100),
    "gecoscheck": (0, 1),
    "dictcheck": (0, 1),
    "usercheck": (0, 1),
    "usersubstr": (0, 100),
    "enforcing": (0, 1),
    "retry": (1, 10),
    "local_users_only": (0, 1),
}
# Floors: a password quality that does not enforce, or that is below these,
# weakens the control it configures.
PWQUALITY_FLOORS = {"minlen": 12, "enforcing": 1, "dictcheck": 1, "usercheck": 1}

_PACKAGE = r"[a-z0-9][a-z0-9+.-]{1,99}"
# Kernel parameter names as sysctl.d(5) takes them (dots or slashes), and the
# values a line of sysctl.d can hold: numbers and words, single spaces.
_SYSCTL_NAME = r"[a-z0-9_][a-z0-9_\-]*(?:[./][a-z0-9_][a-z0-9_\-]*)+"
_SYSCTL_VALUE = r"-?[A-Za-z0-9_.:,/+-]+(?: -?[A-Za-z0-9_.:,/+-]+)*"
_MODULE = r"[A-Za-z0-9_-]{1,64}"
# An Origins-Pattern entry: comma-separated key=value, apt's ${...} macros
# allowed; no quote, ; { } or control character (the value sits in "...";).
_ORIGIN_KEYS = ("o", "a", "n", "l", "c", "site", "origin", "suite", "archive", "codename", "label", "component")
_ORIGIN_MACROS = ("${distro_id}", "${distro_codename}")
_ORIGIN_VALUE = re.compile(r"[A-Za-z0-9._~+:/*@ -]*")


def sshd_word(what: str, pattern: str) -> v.Validator:
    """An sshd argument: one word, no whitespace, quotes, # or \\ (each would
    end the argument, start a comment or be taken as an escape)."""
    return v.string(pattern, what=what, max_length=200)


def _allow_user(value: t.Any) -> str:
    """An AllowUsers entry: USER or USER@HOST, globs (* ?) in both parts; the
    host part is a comma-separated list of addresses, CIDR networks or host
    patterns, each maybe negated with !, exactly as sshd's match_user reads it."""
    entry = sshd_word("USER or USER@HOST (globs * and ? allowed)", r"[A-Za-z0-9_.*?$-]+(@[!A-Za-z0-9_.*?:/,\[\]-]+)?")(value)
    if "@" in entry:
        host = entry.split("@", 1)[1]
        for pattern in host.split(","):
            pattern = pattern.lstrip("!")
            if not pattern:
                raise Invalid(f"has an empty host pattern, got {v.shown(value)}")
            if "/" in pattern:
                try:
                    v.network()(pattern)
                except Invalid as exc:
                    raise Invalid(f"host part {pattern}: {exc.message}") from None
    return entry


def _allow_group(value: t.Any) -> str:
    return sshd_word("a group name or pattern", r"!?[A-Za-z0-9_.*?$-]+")(value)


def _max_startups(value: t.Any) -> str:
    raw = v.string(r"[0-9]{1,4}(:[0-9]{1,3}:[0-9]{1,4})?", what="N or START:RATE:FULL (e.g. 10:30:60)", numbers=True)(value)
    parts = [int(p) for p in raw.split(":")]
    if parts[0] < 1:
        raise Invalid(f"must allow at least 1 unauthenticated connection, got {v.shown(value)}")
    if len(parts) == 3 and not (parts[1] <= 100 and parts[0] <= parts[2]):
        raise Invalid(f"must have RATE at most 100 and START at most FULL, got {v.shown(value)}")
    return raw


def _weak_free(kind: str, allowed: tuple[str, ...]) -> v.Validator:
    one = v.choice(*allowed, what=f"a {kind} from")
    base = v.list_of(one, min_items=1)

    def check(value: t.Any) -> list[str]:
        algorithms = base(value)
        weak = _ssh.weak_algorithms(algorithms)
        if weak:
            raise Invalid(f"lists weak algorithms: {', '.join(weak)}")
        return algorithms

    return check


def _ufw_port(value: t.Any) -> str:
    """A port or a range FROM:TO, returned as ufw shows it ("443", "6000:6010")."""
    if isinstance(value, str) and ":" in value:
        raw = v.string(r"[0-9]{1,5}:[0-9]{1,5}", what="a port or a range FROM:TO")(value)
        low, high = (v.port(p) for p in raw.split(":"))
        if low >= high:
            raise Invalid(f"must be a range with FROM below TO, got {v.shown(value)}")
        return f"{low}:{high}"
    return str(v.port(value))


def firewall_rule(value: t.Any) -> dict[str, t.Any]:
    rule = v.record(
        {
            "port": _ufw_port,
            "proto": v.choice("tcp", "udp", "any", what="one of"),
            "from": v.network(any_word=True),
            "rule": v.choice("allow", "limit", what="one of"),
        },
        required=("port",),
        defaults={"proto": "tcp", "from": "any", "rule": "allow"},
    )(value)
    if ":" in rule["port"] and rule["proto"] == "any":
        raise Invalid("must name tcp or udp for a port range (ufw refuses ranges for any)", ".proto")
    return rule


def _origin(value: t.Any) -> str:
    raw = v.string(None, what="an Origins-Pattern entry", max_length=300)(value)
    body = raw
    for macro in _ORIGIN_MACROS:
        body = body.replace(macro, "")
    for part in body.split(","):
        key, sep, val = part.partition("=")
        if not sep or key.strip() not in _ORIGIN_KEYS or not _ORIGIN_VALUE.fullmatch(val):
            raise Invalid(
                f"must be comma-separated KEY=VALUE pairs (keys {', '.join(_ORIGIN_KEYS)}; no quotes, ; {{ }} or $ "
                f"beyond {' '.join(_ORIGIN_MACROS)}), got {v.shown(value)}"
            )
    return raw


def _mail(value: t.Any) -> str:
    return v.string(
        r"[A-Za-z0-9._%+-]+(@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)?", what="a mail address or local user", empty=True
    )(value)


def _sysctl_value(value: t.Any) -> t.Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return v.string(_SYSCTL_VALUE, what="a kernel parameter value (numbers or words, single spaces)", numbers=True)(value)


_sysctl = v.dict_of(v.string(_SYSCTL_NAME, what="a kernel parameter name such as net.ipv4.tcp_syncookies"), _sysctl_value)


def _sysctl_defaults(value: t.Any) -> dict[str, t.Any]:
    params = _sysctl(value)
    empty = sorted(k for k, val in params.items() if val is None)
    if empty:
        raise Invalid(f"has no value for {', '.join(empty)} (null drops a parameter only in os_sysctl_overrides)")
    return params


def _umask(value: t.Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise Invalid(f'must be a quoted octal string such as "027" (YAML reads an unquoted 027 as {value})')
    raw = v.string(r"0?[0-7]{3}", what='an octal umask such as "027"')(value)
    umask = raw[-3:]
    if int(umask[-1]) & 2 == 0:
        raise Invalid(f"must at least mask write access for others (last digit 2, 3, 6 or 7), got {v.shown(value)}")
    return umask


def _pwquality(value: t.Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping of pwquality settings, got {v.shown(value)}")
    result = {}
    for key, raw in value.items():
        if key not in PWQUALITY:
            raise Invalid(f"has unknown setting {v.shown(key)} (pwquality.conf(5): {', '.join(sorted(PWQUALITY))})")
        low, high = PWQUALITY[key]
        try:
            result[key] = v.integer(low, high)(raw)
        except Invalid as exc:
            raise exc.inside(f".{key}") from None
    for key, floor in PWQUALITY_FLOORS.items():
        if key in result and result[key] < floor:
            raise Invalid(f"must not be below {floor} (it would weaken OS-19), got {result[key]}", f".{key}")
    if "minlen" not in result:
        raise Invalid("must set minlen (at least 12)")
    return result


def _banner(value: t.Any) -> str:
    return v.text(multiline=True, max_length=2000)(value)


SPEC: dict[str, v.Validator] = {
    "os_verify_strict": v.boolean,
    "os_minimal_install_enabled": v.boolean,
    "os_packages_absent": v.list_of(v.string(_PACKAGE, what="a Debian package name (no globs)")),
    "os_apt_no_recommends": v.boolean,
    "os_apt_cache_valid_time": v.integer(0, 7 * 86400),
    "os_ssh_root_login_disabled_enabled": v.boolean,
    "os_ssh_key_only_enabled": v.boolean,
    "os_ssh_port_enabled": v.boolean,
    "os_ssh_port": v.port,
    "os_ssh_crypto_enabled": v.boolean,
    "os_ssh_kex_algorithms": _weak_free("key exchange algorithm", KEX),
    "os_ssh_ciphers": _weak_free("cipher", CIPHERS),
    "os_ssh_macs": _weak_free("MAC", MACS),
    "os_ssh_host_key_algorithms": _weak_free("host key algorithm", KEY_ALGORITHMS),
    "os_ssh_pubkey_accepted_algorithms": _weak_free("key algorithm", KEY_ALGORITHMS),
    "os_ssh_host_keys": v.list_of(v.path, min_items=1, max_items=16),
    "os_ssh_limits_enabled": v.boolean,
    "os_ssh_max_auth_tries": v.integer(1, 10),
    "os_ssh_login_grace_time": v.integer(5, 600, "seconds (0 would mean no limit)"),
    "os_ssh_max_sessions": v.integer(1, 64, "a number of sessions (0 refuses every shell)"),
    "os_ssh_max_startups": _max_startups,
    "os_ssh_client_alive_interval": v.integer(0, 3600),
    "os_ssh_client_alive_count_max": v.integer(1, 10),
    "os_ssh_allow_tcp_forwarding": v.choice("no", "local", "remote", "yes"),
    "os_ssh_allow_agent_forwarding": v.boolean,
    "os_ssh_x11_forwarding": v.boolean,
    "os_ssh_log_level": v.choice("INFO", "VERBOSE", "DEBUG1"),
    "os_ssh_allow_list_enabled": v.boolean,
    "os_ssh_allow_users": v.list_of(_allow_user, max_items=100),
    "os_ssh_allow_groups": v.list_of(_allow_group, max_items=100),
    "os_ssh_login_user": v.optional(v.user_name),
    "os_ssh_lockout_protection": v.boolean,
    "os_ssh_port_change_timeout": v.integer(5, 600),
    "os_firewall_policy_enabled": v.boolean,
    "os_firewall_rules_enabled": v.boolean,
    "os_firewall_allow": v.list_of(firewall_rule, max_items=200),
    "os_firewall_ssh_from": v.list_of(
        v.network(any_word=True), min_items=1
    ),  # an empty list would lock SSH out: at least one source ("any" allows every address)
    "os_firewall_ssh_rule": v.choice("allow", "limit"),
    "os_firewall_logging": v.choice("off", "low", "medium", "high", "full"),
    "os_auto_updates_enabled": v.boolean,
    "os_auto_updates_origins": v.list_of(_origin, max_items=50),
    "os_auto_updates_reboot": v.boolean,
    "os_auto_updates_reboot_time": v.string(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|now", what="HH:MM (or now)"),
    "os_auto_updates_remove_unused": v.boolean,
    "os_auto_updates_mail": _mail,
    "os_auto_updates_restart_services": v.boolean,
    "os_net_sysctl_enabled": v.boolean,
    "os_net_sysctl": _sysctl_defaults,
    "os_core_dumps_disabled_enabled": v.boolean,
    "os_umask_enabled": v.boolean,
    "os_umask": _umask,
    "os_password_aging_enabled": v.boolean,
    "os_password_max_days": v.integer(1, 3650, "a number of days"),
    "os_password_min_days": v.integer(0, 3650, "a number of days"),
    "os_password_warn_days": v.integer(0, 3650, "a number of days"),
    "os_file_permissions_enabled": v.boolean,
    "os_file_permissions": v.list_of(
        v.record(
            {"path": v.path, "mode": v.octal_mode, "owner": v.optional(v.user_name), "group": v.optional(v.group_name)},
            required=("path", "mode"),
        ),
        max_items=200,
    ),
    "os_kernel_sysctl_enabled": v.boolean,
    "os_kernel_sysctl": _sysctl_defaults,
    "os_sysctl_overrides": _sysctl,
    "os_kernel_modules_disabled_enabled": v.boolean,
    "os_kernel_modules_disabled": v.list_of(v.string(_MODULE, what="a kernel module name")),
    "os_password_quality_enabled": v.boolean,
    "os_password_quality": _pwquality,
    "os_password_quality_enforce_for_root": v.boolean,
    "os_login_banner_enabled": v.boolean,
    "os_login_banner": _banner,
}

# Options whose grammar has lines: the injection test appends a control
# character instead of a newline to them.
MULTILINE = ("os_login_banner",)


def check(inputs: v.Inputs) -> None:
    """Checks across variables, on values that passed their own validator."""
    if inputs.valid("os_password_max_days", "os_password_min_days", "os_password_warn_days"):
        most = inputs["os_password_max_days"]
        if inputs["os_password_min_days"] > most:
            inputs.error(f"os_password_min_days ({inputs['os_password_min_days']}) must not exceed os_password_max_days ({most})")
        if inputs["os_password_warn_days"] > most:
            inputs.error(
                f"os_password_warn_days ({inputs['os_password_warn_days']}) must not exceed os_password_max_days ({most})"
            )
    if inputs.valid("os_packages_absent", "os_minimal_install_enabled") and inputs["os_minimal_install_enabled"]:
        needed = sorted(set(inputs["os_packages_absent"]) & set(PROTECTED_PACKAGES))
        if needed:
            inputs.error(
                f"os_packages_absent lists {', '.join(needed)}, which the host needs to be managed "
                "(SSH, sudo, Python, apt, systemd, the firewall): remove them from the list"
            )
    if inputs.valid("os_auto_updates_enabled", "os_auto_updates_origins") and (
        inputs["os_auto_updates_enabled"] and not inputs["os_auto_updates_origins"]
    ):
        inputs.error("os_auto_updates_origins must list at least one origin pattern while os_auto_updates_enabled is true")
    if inputs.valid("os_login_banner_enabled", "os_login_banner") and (
        inputs["os_login_banner_enabled"] and not inputs["os_login_banner"].strip()
    ):
        inputs.error("os_login_banner must not be empty while os_login_banner_enabled is true")
    for name in ("os_net_sysctl", "os_kernel_sysctl", "os_sysctl_overrides"):
        if not inputs.valid(name):
            continue
        for key in inputs[name]:
            if "/" in key:
                inputs.error(f"{name} key {key} must use dots, not slashes (net.ipv4.tcp_syncookies)")


def ssh_enabled(values: dict[str, t.Any]) -> bool:
    return any(
        values[name]
        for name in (
            "os_ssh_root_login_disabled_enabled",
            "os_ssh_key_only_enabled",
            "os_ssh_port_enabled",
            "os_ssh_crypto_enabled",
            "os_ssh_limits_enabled",
            "os_ssh_allow_list_enabled",
            "os_login_banner_enabled",
        )
    )


def check_host(inputs: v.Inputs, facts: dict[str, t.Any], context: dict[str, t.Any]) -> None:  # noqa: PLR0912 - one per host check
    """What os_info read, against the inputs: unsupported hosts and changes
    that would lock the login user out. ``context``: over_ssh, check_mode."""
    values = inputs.values
    release = facts.get("os_release") or {}
    family = [release.get("ID", ""), *(release.get("ID_LIKE") or "").split()]
    if "debian" not in family:
        inputs.error(
            "insightengine.hardening.os supports Debian and Ubuntu (the apt family); "
            f"this host runs {release.get('ID') or 'an unknown system'}"
        )
    sshd = facts.get("sshd") or {}
    ssh_on = ssh_enabled(values)
    if ssh_on and sshd.get("installed") and sshd.get("error"):
        inputs.error(
            f"the current sshd configuration cannot be read ({sshd['error']}): fix it before this role changes SSH, "
            "or set every os_ssh_* control off"
        )
    if ssh_on and sshd.get("installed") and not sshd.get("includes_dropin", True):
        inputs.error(
            "/etc/ssh/sshd_config does not include /etc/ssh/sshd_config.d/*.conf, so the role's drop-in would never be read: "
            "add 'Include /etc/ssh/sshd_config.d/*.conf' at its top, or set every os_ssh_* control off"
        )
    supported = facts.get("ssh_supported") or {}
    if values["os_ssh_crypto_enabled"] and supported.get("kex"):
        for name, kind in (
            ("os_ssh_kex_algorithms", "kex"),
            ("os_ssh_ciphers", "ciphers"),
            ("os_ssh_macs", "macs"),
            ("os_ssh_host_key_algorithms", "signatures"),
            ("os_ssh_pubkey_accepted_algorithms", "signatures"),
        ):
            if not set(values[name]) & set(supported.get(kind) or []):
                inputs.error(f"{name}: the installed OpenSSH supports none of the listed algorithms")
    if values["os_ssh_crypto_enabled"] and sshd.get("installed"):
        host_keys = facts.get("host_keys") or {}
        version = sshd.get("version") or "0"
        for key_path in values["os_ssh_host_keys"]:
            key = host_keys.get(key_path) or {}
            if not key.get("exists"):
                inputs.error(f"os_ssh_host_keys lists {key_path}, which does not exist on the host: sshd would not load it")
            elif not key.get("type"):
                inputs.error(f"os_ssh_host_keys lists {key_path}, which is not a key sshd can load ({key.get('error')})")
            elif key["type"] == "RSA" and (key.get("bits") or 0) < 3072 and _ssh.version_at_least(version, "9.1"):
                inputs.error(
                    f"os_ssh_host_keys lists {key_path}, an RSA key of {key.get('bits')} bits: RequiredRSASize 3072 refuses it"
                )
        if not any((host_keys.get(p) or {}).get("type") for p in values["os_ssh_host_keys"]):
            inputs.error("os_ssh_host_keys: none of the listed host keys can be loaded, so sshd would not start")
    removal = (facts.get("packages") or {}).get("removal") or {}
    protected = sorted(set(removal.get("removes") or []) & set(PROTECTED_PACKAGES))
    if values["os_minimal_install_enabled"] and protected:
        inputs.error(
            f"os_packages_absent: purging {', '.join(removal.get('purge') or [])} would also remove {', '.join(protected)} "
            "(apt-get -s purge), which the host needs to be managed"
        )
    elif values["os_minimal_install_enabled"] and removal.get("error"):
        inputs.error(f"os_packages_absent: apt cannot tell what purging them would remove: {removal['error']}")
    _check_lockout(inputs, facts, context, ssh_on)


def _check_lockout(inputs: v.Inputs, facts: dict[str, t.Any], context: dict[str, t.Any], ssh_on: bool) -> None:
    values = inputs.values
    login = facts.get("login") or {}
    sshd = facts.get("sshd") or {}
    over_ssh = bool(context.get("over_ssh"))
    if not (values["os_ssh_lockout_protection"] and ssh_on and sshd.get("installed")):
        return
    if not (values["os_ssh_login_user"] or over_ssh):
        return
    user = login.get("user")
    if not login.get("exists"):
        inputs.error(
            f"os_ssh_login_user: the account {user} does not exist on this host, so it could not log in after this change"
        )
        return
    if values["os_ssh_key_only_enabled"] and not login.get("authorized_keys") and not login.get("keys_command"):
        inputs.error(
            f"os_ssh_key_only_enabled would turn password login off, but {user} has no authorized key in "
            f"{', '.join(login.get('authorized_keys_files') or [])}: add a key first, or set os_ssh_key_only_enabled: false"
        )
    if values["os_ssh_root_login_disabled_enabled"] and user == "root":
        inputs.error(
            "os_ssh_root_login_disabled_enabled would refuse root over SSH, and root is the account that logs in: "
            "log in as another user with sudo, or set os_ssh_root_login_disabled_enabled: false"
        )
    clients = client_addresses(login, context)
    firewall_on = values["os_firewall_policy_enabled"] or values["os_firewall_rules_enabled"]
    if over_ssh and firewall_on and not _os.addresses_allowed(clients, values["os_firewall_ssh_from"]):
        inputs.error(
            f"os_firewall_ssh_from ({', '.join(values['os_firewall_ssh_from'])}) leaves out every address connected over SSH "
            f"now ({', '.join(clients)}): the firewall would refuse new SSH connections from them, Ansible's included"
        )
    if values["os_ssh_allow_list_enabled"]:
        lists = facts.get("sshd_access") or {}
        verdicts = [
            (address, _ssh.sshd_access(
                user,
                login.get("groups") or [],
                address,
                allow_users=(lists.get("others_allowusers") or []) + values["os_ssh_allow_users"],
                allow_groups=(lists.get("others_allowgroups") or []) + values["os_ssh_allow_groups"],
                deny_users=lists.get("denyusers") or [],
                deny_groups=lists.get("denygroups") or [],
            ))
            for address in (clients if over_ssh and clients else [None])
        ]  # fmt: skip
        if not any(verdict["allowed"] for _address, verdict in verdicts):
            address, verdict = verdicts[0]
            where = f" from {address}" if address else ""
            inputs.error(
                f"os_ssh_allow_users / os_ssh_allow_groups would exclude {user}{where} "
                f"(groups: {', '.join(login.get('groups') or [])}): {verdict['reason']}"
            )


def client_addresses(login: dict[str, t.Any], context: dict[str, t.Any]) -> list[str]:
    """The addresses Ansible's SSH session comes from, as sshd sees them: the
    session the module runs under when it could be read; else this
    controller's source address when it is among sshd's clients; else every
    client connected to sshd now."""
    peer = (login.get("peer") or {}).get("address")
    if peer:
        return [peer]
    clients = login.get("ssh_clients") or []
    controller = context.get("controller_address")
    if controller and (controller in clients or not clients):
        return [controller]
    return list(clients)
