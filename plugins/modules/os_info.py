#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: os_info
short_description: Read what the os role must know before it changes SSH, the firewall or sysctls
version_added: 0.3.0
description:
  - Named C(insightengine.hardening.os_facts) before 0.3.0 (it returns no C(ansible_facts));
    the old name still works and is deprecated.
  - Reads, without changing anything, the state that the P(insightengine.hardening.os#role) role
    needs to change a host safely.
  - The effective C(sshd) configuration (C(sshd -T)), the ports C(sshd) listens on, and the
    algorithms the installed OpenSSH supports (C(ssh -Q)).
  - The account that must keep SSH access (the login user), whether it exists, its groups and how
    many authorized keys C(sshd) would find for it through C(AuthorizedKeysFile).
  - The UFW rules this collection added earlier (recognised by their comment), so that rules it no
    longer wants can be removed while rules that others added stay.
  - For each requested kernel parameter, whether it exists, its live value, whether it can be
    written here, and whether a container shares it with its host.
  - For each requested path, its mode and owner.
  - The SSH connection the module runs under (the client's address as sshd sees it), and whether sshd
    runs an older configuration than its files (a reload is pending).
  - What purging unwanted packages would also remove (C(apt-get -s purge)), and the host keys sshd
    would load.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.read_only
options:
  login_user:
    description:
      - The account that must keep SSH access.
      - When empty, the user that Ansible logs in as is used (C(SUDO_USER) under C(sudo), else the
        user running the module).
    type: str
    default: ""
  allow_users:
    description: C(AllowUsers) patterns to test the login user against (RV(login)).
    type: list
    elements: str
    default: []
  allow_groups:
    description: C(AllowGroups) names to test the login user against (RV(login)).
    type: list
    elements: str
    default: []
  ssh_sources:
    description:
      - Where SSH will be allowed from (C(any) or networks); RV(login) tells whether an address
        connected to sshd now is among them.
    type: list
    elements: str
    default: [any]
  sysctl:
    description: Wanted kernel parameters (name to value); RV(sysctl) lists those to apply.
    type: dict
    default: {}
  permissions:
    description:
      - Paths with the most permissive C(mode) allowed and their C(owner) and C(group);
        RV(permissions_drift) lists the ones to fix.
    type: list
    elements: dict
    default: []
  firewall_rules:
    description:
      - Wanted incoming UFW rules, each with C(port), C(proto), C(from), C(rule) and C(comment).
      - RV(ufw.missing) lists those ufw does not hold yet.
    type: list
    elements: dict
    default: []
  ufw_comment:
    description:
      - Comment prefix that marks the UFW rules this collection manages. Such rules that are no
        longer in O(firewall_rules) are listed in RV(ufw.stale); rules without it never are.
    type: str
    default: insightengine.hardening
  units:
    description: systemd units whose state to read (one C(systemctl show) call).
    type: list
    elements: str
    default: []
  files:
    description: Paths whose existence, mode, owner and content checksum (SHA-1) to read.
    type: list
    elements: path
    default: []
  packages_present:
    description: Packages that should be installed; RV(packages) lists those that are not.
    type: list
    elements: str
    default: []
  packages_absent:
    description: Packages that should not be installed; RV(packages) lists those that are.
    type: list
    elements: str
    default: []
  host_keys:
    description:
      - Host key files sshd is to load; RV(host_keys) says, per file, whether it exists and what
        C(ssh-keygen -l) reads in it (type and bits).
    type: list
    elements: path
    default: []
  dropin:
    description:
      - The sshd drop-in the os role writes. Its own C(AllowUsers)/C(AllowGroups) are told apart from
        others' (RV(sshd_access)), and C(sshd_config) must include it (RV(sshd.includes_dropin)).
    type: path
    default: /etc/ssh/sshd_config.d/00-insightengine-hardening.conf
seealso:
  - module: insightengine.hardening.os_verify
"""

EXAMPLES = r"""
- name: Read what the os role needs to know
  insightengine.hardening.os_info:
    login_user: deploy
    allow_users: [deploy, "admin@10.0.0.*"]
    sysctl:
      net.ipv4.tcp_syncookies: 1
      kernel.kptr_restrict: 2
    permissions:
      - {path: /etc/crontab, mode: "0600", owner: root, group: root}
    firewall_rules:
      - {port: 2222, proto: tcp, from: any, rule: allow, comment: "insightengine.hardening os: ssh"}
  register: os_info

- name: Refuse to lock out the deploy user
  ansible.builtin.assert:
    that:
      - os_info.login.authorized_keys > 0
      - os_info.login.allowed
"""

RETURN = r"""
os_release:
  description: C(ID), C(ID_LIKE), C(VERSION_ID) and C(VERSION_CODENAME) from /etc/os-release.
  type: dict
  returned: always
  sample: {ID: debian, ID_LIKE: "", VERSION_ID: "12", VERSION_CODENAME: bookworm}
container:
  description: The container technology the host runs in (for example C(docker), C(lxc)); null on a VM or metal.
  type: str
  returned: always
  sample: docker
login:
  description: The account that must keep SSH access, as C(sshd) would see it.
  type: dict
  returned: always
  sample:
    user: deploy
    exists: true
    groups: [deploy, sudo]
    authorized_keys: 1
    authorized_keys_files: [/home/deploy/.ssh/authorized_keys]
    keys_command: false
    allowed: true
    allowed_reason: allowed
    ssh_clients: [192.0.2.7]
    ssh_clients_allowed: true
    peer: {address: 192.0.2.7, local_address: 192.0.2.10, local_port: 22}
sshd:
  description: The effective C(sshd) configuration and listeners.
  type: dict
  returned: always
  contains:
    installed:
      description: Whether C(sshd) is installed.
      type: bool
    error:
      description: Why the configuration could not be read, or null.
      type: str
    ports:
      description: The C(Port) values of the effective configuration.
      type: list
      elements: int
    listening:
      description: The TCP ports the running C(sshd) listens on (null when C(ss) is missing).
      type: list
      elements: int
    socket_activated:
      description: Whether C(ssh.socket) starts C(sshd) (Ubuntu 22.10 and later).
      type: bool
    version:
      description: The OpenSSH version (major.minor), null when not installed.
      type: str
    own_ports:
      description: The C(Port) lines of O(dropin) (kept when the role no longer manages the port).
      type: list
      elements: int
    own_allowusers:
      description: The C(AllowUsers) entries of O(dropin) (told apart from others' in RV(sshd_access)).
      type: list
      elements: str
    own_allowgroups:
      description: The C(AllowGroups) entries of O(dropin).
      type: list
      elements: str
    files:
      description: The configuration files sshd reads (sshd_config and what it includes).
      type: list
      elements: str
    includes_dropin:
      description: Whether sshd_config includes O(dropin).
      type: bool
    reload_pending:
      description:
        - Whether a file sshd reads (or a host key) is newer than its pid file, which sshd rewrites on
          every start and reload; null when that cannot be told (socket activation, sshd not running).
      type: bool
  sample:
    installed: true
    error: null
    ports: [22]
    listening: [22]
    socket_activated: false
    version: "9.2"
sshd_access:
  description:
    - C(AllowUsers)/C(AllowGroups) entries other files set (the effective lists for the login user's
      connection, minus O(dropin)'s own), and the C(DenyUsers)/C(DenyGroups) in effect.
  type: dict
  returned: always
  sample: {others_allowusers: [], others_allowgroups: [], denyusers: [], denygroups: []}
host_keys:
  description: Per path in O(host_keys), C(exists), C(type) (C(ED25519), C(RSA), ...), C(bits) and the error, if any.
  type: dict
  returned: always
  sample: {/etc/ssh/ssh_host_ed25519_key: {exists: true, type: ED25519, bits: 256, error: null}}
systemd:
  description: What the systemd manager runs with (C(DefaultLimitCORE)).
  type: dict
  returned: always
  sample: {DefaultLimitCORE: "0"}
ssh_supported:
  description: Algorithms the installed OpenSSH supports, from C(ssh -Q).
  type: dict
  returned: always
  sample:
    kex: [curve25519-sha256, sntrup761x25519-sha512@openssh.com]
    ciphers: [chacha20-poly1305@openssh.com]
    macs: [hmac-sha2-512-etm@openssh.com]
    signatures: [ssh-ed25519, rsa-sha2-512]
ufw:
  description: UFW state and the rule changes O(firewall_rules) asks for.
  type: dict
  returned: always
  contains:
    installed:
      description: Whether ufw is installed.
      type: bool
    active:
      description: Whether the firewall is active.
      type: bool
    defaults:
      description: Default policy by direction (empty while inactive).
      type: dict
    logging:
      description: The logging level (null while inactive).
      type: str
    rules:
      description: Every incoming rule ufw holds (active or not), with C(action), C(proto), C(port), C(from), C(comment).
      type: list
      elements: dict
    wanted:
      description: O(firewall_rules), with the port C({sshd}) replaced by the ports sshd is configured for.
      type: list
      elements: dict
    missing:
      description: Wanted rules that ufw does not hold.
      type: list
      elements: dict
    stale:
      description: Rules carrying O(ufw_comment) that are no longer wanted.
      type: list
      elements: dict
  sample:
    installed: true
    active: true
    defaults: {incoming: deny, outgoing: allow, routed: disabled}
    logging: on (low)
    missing: []
    stale: [{port: "22", proto: tcp, from: any, rule: allow, comment: "insightengine.hardening os: ssh"}]
sysctl:
  description: Live values of the applicable parameters, those that differ, and those that do not apply here with the reason.
  type: dict
  returned: always
  sample:
    values: {net.ipv4.tcp_syncookies: "1"}
    drift: {}
    not_applicable: {kernel.kptr_restrict: owned by the host kernel (docker container)}
permissions_drift:
  description: The entries of O(permissions) whose path exists with a looser mode or another owner.
  type: list
  elements: dict
  returned: always
  sample: [{path: /etc/crontab, mode: "0600", owner: root, group: root}]
units:
  description: Per unit, C(enabled) (C(systemctl)'s unit file state, C(not-found) for an unknown unit), C(active) and
    C(need_daemon_reload), the same shape in every info module of the collection.
  type: dict
  returned: always
  sample: {apt-daily.timer: {enabled: enabled, active: active, need_daemon_reload: false}}
pam_umask:
  description: Whether C(pam_umask) runs in /etc/pam.d/common-session.
  type: bool
  returned: always
files:
  description: Per path in O(files), C(exists), C(mode), C(owner), C(group), C(is_dir) and, for files, C(sha1).
  type: dict
  returned: always
  sample:
    /etc/issue: {exists: true, mode: "0644", owner: root, group: root, is_dir: false, sha1: "0b8d5c..."}
packages:
  description:
    - C(missing) packages of O(packages_present), C(unwanted) installed packages of O(packages_absent),
      and C(removal), what purging the unwanted ones would remove (C(apt-get -s purge)).
  type: dict
  returned: always
  sample: {missing: [ufw], unwanted: [telnet], removal: {purge: [telnet], removes: [telnet], error: null}}
login_defs:
  description: The effective settings of /etc/login.defs (the last value of each name).
  type: dict
  returned: always
  sample: {UMASK: "027", PASS_MAX_DAYS: "365"}
"""

import getpass
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host, _os, _ssh, _ufw


def access_lists(reader: _os.OsReader, config: dict | None, login: dict, sshd: dict) -> dict:
    """AllowUsers/AllowGroups that others' files set (the effective lists for
    the login user's connection, minus what this role's own drop-in adds),
    and the DenyUsers/DenyGroups in effect."""
    peer = login.get("peer") or {}
    effective = config
    if config and peer and login.get("exists"):
        spec = _ssh.spec_argument(
            {
                "user": login["user"],
                "host": peer["address"],
                "addr": peer["address"],
                "laddr": peer["local_address"],
                "lport": peer["local_port"],
            }
        )
        effective = reader.sshd_for(spec)[0] or config

    def others(key: str) -> list[str]:
        remaining = list(_ssh.sshd_words(effective or {}, key))
        for word in sshd[f"own_{key}"]:
            if word in remaining:
                remaining.remove(word)
        return remaining

    return {
        "others_allowusers": others("allowusers"),
        "others_allowgroups": others("allowgroups"),
        "denyusers": _ssh.sshd_words(effective or {}, "denyusers"),
        "denygroups": _ssh.sshd_words(effective or {}, "denygroups"),
    }


def firewall_wanted(rules: list[dict], sshd: dict) -> list[dict]:
    """The wanted rules, with the port placeholder {sshd} (SSH rules while the
    role does not manage sshd's port) replaced by the ports sshd is
    configured for: the firewall opens the port sshd really listens on."""
    wanted = []
    ssh_ports = sshd["ports"] or sshd["listening"] or [22]
    for rule in rules:
        if str(rule.get("port")) == "{sshd}":
            wanted.extend({**rule, "port": str(port)} for port in ssh_ports)
        else:
            wanted.append(rule)
    return wanted


def gather(params: dict, reader: _os.OsReader) -> dict:
    config, error = reader.sshd()
    keys_files = _ssh.sshd_words(config, "authorizedkeysfile") if config else [".ssh/authorized_keys"]
    keys_command = bool(config and _ssh.sshd_value(config, "authorizedkeyscommand") not in (None, "none"))
    login = reader.account(params["login_user"] or os.environ.get("SUDO_USER") or getpass.getuser(), keys_files, keys_command)
    sshd = _os.sshd_state(reader, config, error, params["dropin"])
    ports = sshd["ports"]
    clients = reader.ssh_clients(ports) or []
    login["ssh_clients"] = clients
    login["peer"] = reader.connection_peer(ports)
    peer_address = (login["peer"] or {}).get("address")
    login["ssh_clients_allowed"] = _os.addresses_allowed([peer_address] if peer_address else clients, params["ssh_sources"])
    access = access_lists(reader, config, login, sshd)
    verdict = _ssh.sshd_access(
        login["user"],
        login["groups"],
        peer_address,
        allow_users=access["others_allowusers"] + params["allow_users"],
        allow_groups=access["others_allowgroups"] + params["allow_groups"],
        deny_users=access["denyusers"],
        deny_groups=access["denygroups"],
    )
    login["allowed"] = login["exists"] and verdict["allowed"]
    login["allowed_reason"] = verdict["reason"]

    ufw = reader.ufw()
    user_rules = reader.ufw_user_rules()
    wanted = firewall_wanted(params["firewall_rules"], sshd)
    plan = _ufw.ufw_plan(user_rules, wanted, params["ufw_comment"])
    container = reader.container()
    session = reader.read("/etc/pam.d/common-session") or ""
    release = reader.os_release()
    state = reader.state(params["files"], params["units"], params["packages_present"], params["packages_absent"])
    return {
        "os_release": {k: release.get(k, "") for k in ("ID", "ID_LIKE", "VERSION_ID", "VERSION_CODENAME")},
        "container": container,
        "login": login,
        "sshd": sshd,
        "sshd_access": access,
        "host_keys": {path: reader.host_key(path) for path in params["host_keys"]},
        "ssh_supported": reader.ssh_supported(),
        "ufw": {
            "installed": ufw is not None,
            "active": bool(ufw and ufw.get("active")),
            "defaults": (ufw or {}).get("defaults", {}),
            "logging": (ufw or {}).get("logging"),
            "rules": [r for r in user_rules if r["direction"] == "in"],
            "wanted": wanted,
            **plan,
        },
        "sysctl": _os.sysctl_plan(reader, params["sysctl"], container),
        "permissions_drift": [item for item in params["permissions"] if _os.permission_problems(reader.stat(item["path"]), item)],
        "systemd": {"DefaultLimitCORE": reader.systemd_property("DefaultLimitCORE")},
        "pam_umask": _os.pam_has_module(session, "pam_umask.so"),
        **state,
        "packages": {**state["packages"], "removal": reader.purge_simulation(state["packages"]["unwanted"])},
        "login_defs": _os.parse_login_defs(reader.read("/etc/login.defs") or ""),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "login_user": {"type": "str", "default": ""},
            "allow_users": {"type": "list", "elements": "str", "default": []},
            "allow_groups": {"type": "list", "elements": "str", "default": []},
            "ssh_sources": {"type": "list", "elements": "str", "default": ["any"]},
            "sysctl": {"type": "dict", "default": {}},
            "permissions": {"type": "list", "elements": "dict", "default": []},
            "firewall_rules": {"type": "list", "elements": "dict", "default": []},
            "ufw_comment": {"type": "str", "default": "insightengine.hardening"},
            "units": {"type": "list", "elements": "str", "default": []},
            "files": {"type": "list", "elements": "path", "default": []},
            "packages_present": {"type": "list", "elements": "str", "default": []},
            "packages_absent": {"type": "list", "elements": "str", "default": []},
            "host_keys": {"type": "list", "elements": "path", "default": [], "no_log": False},
            "dropin": {"type": "path", "default": "/etc/ssh/sshd_config.d/00-insightengine-hardening.conf"},
        },
        supports_check_mode=True,
    )
    _host.exit_info(module, gather, _os.OsReader)


if __name__ == "__main__":
    main()
