# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The monitoring layer: its control catalog, where its files live, and
readers of what journald and rsyslog really run with.

Central logging is rsyslog: every host forwards through one action with a
disk-assisted queue (RELP over TLS by default, or syslog over TLS for an
ELK or Splunk endpoint), the central log host receives over TLS only and
writes one file per sending host. journald keeps a bounded, persistent
journal on every host, sealed (forward-secure) as a switch.

The readers judge what runs: journald's merged configuration (``systemd-analyze
cat-config``) and whether journald started after it last changed; rsyslog's
configuration checked by ``rsyslogd -N1`` and whether rsyslogd started after
every file it reads; the spool of the forwarding queue; and, as a client, a
TLS session to the log host that verifies its certificate by name and, for
RELP, is answered by the server (a RELP ``open`` accepted).

Private to the collection: no API promise.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import ssl
import typing as t

from ._findings import Control

GUIDE = "4.3 Monitoring & Audit"

JOURNALD_DROPIN = "/etc/systemd/journald.conf.d/60-insightengine.conf"
JOURNAL_DIR = "/var/log/journal"
RSYSLOG_CONF = "/etc/rsyslog.conf"
RSYSLOG_DIR = "/etc/rsyslog.d"
FORWARD_CONF = f"{RSYSLOG_DIR}/60-insightengine-forward.conf"
RECEIVER_CONF = f"{RSYSLOG_DIR}/40-insightengine-receiver.conf"
LOGROTATE_CONF = "/etc/logrotate.d/insightengine-remote"
TLS_DIR = "/etc/insightengine/rsyslog"
TLS_CA = f"{TLS_DIR}/ca.pem"
TLS_CERT = f"{TLS_DIR}/cert.pem"
TLS_KEY = f"{TLS_DIR}/key.pem"
SPOOL_DIR = "/var/spool/rsyslog"
QUEUE_NAME = "insightengine-forward"
ACTION_NAME = "insightengine-forward"
UNITS = ("rsyslog.service", "syslog.socket", "systemd-journald.service")
PROTOCOLS = {"relp": 2514, "tcp": 6514}

CATALOG = (
    Control(
        "MON-01",
        "A persistent, bounded journal on every host, loaded by the running journald; sealed and verified where switched on",
        f"{GUIDE} / Centralized Logging (tamper-proof storage: local copy kept and bounded)",
        "Run the monitoring role; it writes a journald drop-in (Storage=persistent, SystemMaxUse, SystemKeepFree, "
        "MaxRetentionSec, Seal) and restarts journald when a file it reads changed after it started; with "
        "monitoring_journal_seal, a changed entry shows in journalctl --verify: investigate, keep the file as evidence.",
        source="systemd-analyze cat-config systemd/journald.conf; journald's start time; /var/log/journal; "
        "journalctl --verify --verify-key (sealed journals)",
        switch="monitoring_journal_enabled",
    ),
    Control(
        "MON-02",
        "Logs are forwarded to the central log host over TLS, its certificate verified by name, through a disk-assisted queue",
        f"{GUIDE} / Centralized Logging (ship logs to a central server)",
        "Run the monitoring role with monitoring_log_host set (or one host in the insightengine_loghost group); "
        "check that the log host answers on monitoring_log_port.",
        source="rsyslogd -N1; rsyslogd's start time against its files; a TLS session to the log host (RELP open); "
        "the queue's spool",
        switch="monitoring_log_forward_enabled",
    ),
    Control(
        "MON-03",
        "The central log host receives over TLS only (client certificates checked), one file per host, retention bounded",
        f"{GUIDE} / Centralized Logging (the central server: tamper-proof storage)",
        "Run the monitoring role on the log host (group insightengine_loghost or monitoring_log_receiver_enabled: true).",
        source="listening sockets (/proc/net/tcp); a TLS session without a client certificate, refused; rsyslogd -N1; "
        "the logrotate file",
        switch="monitoring_log_receiver_enabled",
    ),
    Control(
        "MON-04",
        "Alerts for failed login bursts, HTTP 5xx rates and suspicious database activity are loaded and routed; "
        "exporters, mtail, Prometheus and Alertmanager answer on loopback only",
        f"{GUIDE} / Alerting (failed login attempts, high error rates, suspicious database queries)",
        "Run the monitoring role (monitoring_alerting_enabled); it installs Debian's node exporter, mtail, Prometheus, "
        "Alertmanager and, with a PostgreSQL server, its exporter (peer login as pg_monitor) bound to loopback, loads "
        "rules checked by promtool check rules and promtool test rules, and routes "
        "alerts to monitoring_alert_webhook_url or monitoring_alert_email_to.",
        source="the units' state and start times; listening sockets (/proc/net/tcp); connections to the host's other "
        "addresses, refused; Prometheus's /api/v1/rules, /api/v1/targets and /api/v1/alertmanagers; Alertmanager's "
        "/api/v2/status; mtail's and the exporters' /metrics (pg_up)",
        switch="monitoring_alerting_enabled",
    ),
    Control(
        "MON-05",
        "fail2ban bans sources of failed SSH logins (systemd backend, the ports sshd listens on) and of nginx rejections, "
        "also on the ports containers publish",
        f"{GUIDE} / Alerting (failed login attempts: answered, not only reported)",
        "Run the monitoring role (monitoring_fail2ban_enabled); it writes a jail file with backend = systemd and the "
        "ports from sshd -T, where Docker runs a chain per jail in DOCKER-USER, and restarts fail2ban when the host says "
        "it runs an older configuration or lost those chains' jumps.",
        source="fail2ban-client status (the jails the server runs, their journal matches or files), its actions and their "
        "ports; iptables -S DOCKER-USER",
        switch="monitoring_fail2ban_enabled",
    ),
    Control(
        "MON-06",
        "The kernel audits changes to identity files, sudoers and the SSH, nginx, PostgreSQL and Docker configuration "
        "(auditd's rules loaded)",
        f"{GUIDE} / Centralized Logging (tamper-proof: who changed what) and Regular Audits",
        "Run the monitoring role (monitoring_auditd_enabled) on a host that owns its kernel (a VM or bare metal); it "
        "writes /etc/audit/rules.d/60-insightengine.rules and loads it with augenrules --load when the kernel lacks a rule.",
        source="systemd-detect-virt --container; auditctl -s (enabled, lost); auditctl -l (the rules the kernel has loaded); "
        "auditd.service's state",
        switch="monitoring_auditd_enabled",
    ),
    Control(
        "MON-07",
        "File integrity of configuration and binaries: an AIDE baseline, checked on a timer, with no unreviewed change",
        f"{GUIDE} / Regular Audits (tamper evidence on the host)",
        "Review the changes the last check lists (journalctl -t insightengine-aide); if they are yours, accept them "
        "with monitoring_aide_accept_changes: true for one run (a new baseline); else treat the host as compromised.",
        source="the AIDE database and configuration; the check timer's state and loaded schedule (TimersCalendar); "
        "the last check's result "
        "(/var/lib/insightengine/aide/last-check.json, written by the check service)",
        switch="monitoring_aide_enabled",
    ),
    Control(
        "MON-08",
        "Lynis and the collection's verify run on a timer (quarterly by default), their reports shipped to the central "
        "log; the last audit is within its period",
        f"{GUIDE} / Regular Audits (schedule quarterly vulnerability assessments)",
        "Run the monitoring role (monitoring_audit_enabled); it installs Lynis, the collection's verify and a timer "
        "(monitoring_audit_calendar). Start insightengine-audit.service by hand to audit now; read the report with "
        "journalctl -t insightengine-audit or on the log host.",
        source="the audit timer's state and loaded schedule (TimersCalendar); "
        "the last audit's result (/var/lib/insightengine/audit/last-audit.json) "
        "and its age",
        switch="monitoring_audit_enabled",
    ),
)


# -- journald ---------------------------------------------------------------


def parse_journald_config(text: str) -> dict[str, str]:
    """The [Journal] settings of ``systemd-analyze cat-config`` output (every
    file in the order systemd reads them): the last assignment wins."""
    settings: dict[str, str] = {}
    section = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "Journal" and "=" in line:
            key, _sep, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def journald_config_files(host: t.Any) -> list[str]:
    """The files journald reads its configuration from, as systemd orders
    drop-ins (the main file first)."""
    files = ["/etc/systemd/journald.conf"]
    for directory in ("/usr/lib/systemd/journald.conf.d", "/run/systemd/journald.conf.d", "/etc/systemd/journald.conf.d"):
        files += host.list_dir(directory, ".conf")
    return [f for f in files if host.mtime(f) is not None]


def read_journald(host: t.Any, seal_key: str = "") -> dict[str, t.Any]:
    """journald's merged configuration, whether the running journald has
    loaded it, whether the journal is on disk, and with seal_key the
    verification of its sealed files."""
    analyze = host.which("systemd-analyze")
    text = host.run(analyze, "cat-config", "systemd/journald.conf")[1] if analyze else ""
    files = journald_config_files(host)
    started = host.process_start(host.unit_properties(["systemd-journald.service"], ["MainPID"])[0].get("MainPID", "0"))
    machine = (host.read("/etc/machine-id") or "").strip()
    directory = os.path.join(JOURNAL_DIR, machine) if machine else ""
    state: dict[str, t.Any] = {
        "settings": parse_journald_config(text),
        "files": files,
        "started": started,
        "stale": host.newer_than(files, started) if started else files,
        "directory": directory,
        "persistent": bool(directory) and host.mtime(os.path.join(directory, "system.journal")) is not None,
        "sealing_key": bool(directory) and host.mtime(os.path.join(directory, "fss")) is not None,
        "verified": None,
    }
    journalctl = host.which("journalctl")
    # Archived files only: journalctl --verify of a file journald is still
    # writing reports corruption that is not there (systemd issue 27532).
    archived = [p for p in host.list_dir(directory, ".journal") if "@" in os.path.basename(p)] if directory else []
    state["archived"] = len(archived)
    if seal_key and journalctl and archived:
        failed = []
        for path in archived:
            rc, out, err = host.run(journalctl, "--verify", f"--verify-key={seal_key}", f"--file={path}", "--quiet")
            if rc != 0:
                failed.append(f"{os.path.basename(path)}: " + "; ".join(line for line in (err + out).splitlines() if line)[-300:])
        state["verified"] = not failed
        state["verify_output"] = failed[:5]
    elif seal_key:
        state["verified"] = True  # nothing sealed and closed yet
    return state


# -- rsyslog ----------------------------------------------------------------


def rsyslog_files(host: t.Any) -> list[str]:
    return [RSYSLOG_CONF, *host.list_dir(RSYSLOG_DIR, ".conf")]


def spool_bytes(host: t.Any) -> int:
    """Bytes waiting in the forwarding queue's disk files."""
    total = 0
    for path in host.list_dir(SPOOL_DIR):
        if os.path.basename(path).startswith(QUEUE_NAME + "."):
            with contextlib.suppress(OSError):
                total += os.stat(path).st_size
    return total


def read_rsyslog(host: t.Any, tls_files: t.Iterable[str] = ()) -> dict[str, t.Any]:
    """rsyslogd's version, whether its configuration checks (``rsyslogd
    -N1``), whether the running rsyslogd started after every file it reads
    (configuration and TLS material) changed, and the forwarding spool."""
    rsyslogd = host.which("rsyslogd")
    state: dict[str, t.Any] = {"installed": bool(rsyslogd), "version": None, "valid": None, "errors": [], "started": None}
    files = [f for f in [*rsyslog_files(host), *tls_files] if host.mtime(f) is not None]
    state["files"] = files
    if not rsyslogd:
        state.update(stale=files, spool_bytes=0, dropins=[])
        return state
    state["version"] = host.tool_version("rsyslogd", "-v", r"rsyslogd\s+([0-9][0-9.]*)")
    rc, out, err = host.run(rsyslogd, "-N1")
    state["valid"] = rc == 0
    state["errors"] = [line for line in (err + out).splitlines() if "error" in line.lower()][:10]
    # One systemctl call: the main process, and the drop-ins systemd has
    # loaded (a new drop-in directory does not make systemd 252 say NeedDaemonReload).
    unit = host.unit_properties(["rsyslog.service"], ["MainPID", "DropInPaths"])[0]
    started = host.process_start(unit.get("MainPID", "0"))
    state["started"] = started
    state["dropins"] = (unit.get("DropInPaths") or "").split()
    state["stale"] = host.newer_than(files, started) if started else files
    state["spool_bytes"] = spool_bytes(host)
    return state


# -- a client's view ----------------------------------------------------------

RELP_OPEN = b"relp_version=0\nrelp_software=insightengine-verify\ncommands=syslog"


def relp_frame(txnr: int, command: str, data: bytes = b"") -> bytes:
    """One RELP frame: TXNR SP COMMAND SP DATALEN [SP DATA] LF."""
    head = f"{txnr} {command} {len(data)}".encode()
    return head + (b" " + data if data else b"") + b"\n"


def tls_session(
    target: str,
    port: int,
    *,
    ca: str,
    name: str,
    cert: str = "",
    key: str = "",
    relp: bool = False,
    timeout: float = 5.0,
    settle: float = 1.0,
) -> dict[str, t.Any]:
    """Connect to target:port over TLS as a sender does: the server's
    certificate verified against ca and name, the client certificate given.
    ``accepted`` is true when the handshake completes and, for RELP, the
    server answers ``open`` with 200; for plain syslog over TLS, when the
    server has not closed the session within settle seconds of the
    handshake (TLS 1.3 servers reject a client certificate after it)."""
    result: dict[str, t.Any] = {"target": f"{target}:{port}", "name": name, "accepted": False, "error": None, "protocol": None}
    try:
        context = ssl.create_default_context(cafile=ca)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert:
            context.load_cert_chain(cert, key or None)
    except (OSError, ssl.SSLError, ValueError) as exc:
        result["error"] = f"TLS material: {exc}"
        return result
    try:
        with socket.create_connection((target, port), timeout=timeout) as raw:
            _converse(context.wrap_socket(raw, server_hostname=name), relp, result, settle)
    except ssl.SSLCertVerificationError as exc:
        result["error"] = f"certificate not accepted: {exc.verify_message}"
    except (OSError, ssl.SSLError) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


def _converse(conn: t.Any, relp: bool, result: dict[str, t.Any], settle: float) -> None:
    """After the handshake: RELP open (and close), or for syslog over TLS a
    moment's wait for the server to close the session."""
    with conn:
        result["protocol"] = conn.version()
        if relp:
            conn.sendall(relp_frame(1, "open", RELP_OPEN))
            answer = _read_frame(conn)
            result["answer"] = answer.split(b"\n", 1)[0].decode("ascii", "replace")[:80]
            result["accepted"] = bool(re.match(rb"1 rsp \d+ 200", answer))
            if result["accepted"]:
                conn.sendall(relp_frame(2, "close"))
                _read_frame(conn)
            else:
                result["error"] = f"the server answered {result['answer']!r}"
            return
        conn.settimeout(settle)
        try:
            closed = conn.recv(1) == b""
        except socket.timeout:
            closed = False
        result["accepted"] = not closed
        if closed:
            result["error"] = "the server closed the session after the handshake"


def _read_frame(conn: t.Any, limit: int = 4096) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < limit:
        chunk = conn.recv(limit)
        if not chunk:
            break
        data += chunk
    return data


def read_certificate(host: t.Any, tls_files: t.Sequence[str], names: t.Sequence[str]) -> dict[str, t.Any]:
    """The certificate rsyslogd presents (the second of CA, certificate,
    key): whether it covers every name and whether the CA file verifies it."""
    if len(tls_files) < 2 or host.mtime(tls_files[1]) is None:
        return {"readable": False, "exists": False, "covers": False, "verifies": False, "days_left": None, "names": None}
    ca, cert = tls_files[0], tls_files[1]
    found = host.certificate(cert, names[0] if names else None)
    found["exists"] = True
    wanted = {f"dns:{n.lower()}" for n in names}
    found["covers"] = bool(found["names"] is not None and wanted <= {n.lower() for n in found["names"] or []})
    openssl = host.which("openssl")
    found["verifies"] = bool(
        openssl and host.mtime(ca) is not None and host.run(openssl, "verify", "-CAfile", ca, "-purpose", "any", cert)[0] == 0
    )
    return found


# -- alerting and bans (MON-04, MON-05) -----------------------------------------

RUNNING_ENABLED = ("enabled", "static", "alias")


def read_services(host: t.Any, services: dict[str, t.Sequence[str]]) -> dict[str, dict[str, t.Any]]:
    """Each unit's state, when its main process started (a timer: when it
    became active), the files it reads that changed after that (``stale``),
    and whether it needs a restart
    (not running, not enabled, stale, or systemd has not loaded its unit file)."""
    found = {}
    extra = ("MainPID", "ActiveEnterTimestampMonotonic", "TimersCalendar")
    for name, unit in host.units(services, extra=extra).items():
        entered = unit.pop("ActiveEnterTimestampMonotonic", "") or ""
        started = host.process_start(unit.pop("MainPID", "") or "0") if unit.get("active") == "active" else None
        # A unit without a process (a timer): when it last became active, on the same clock as btime.
        if started is None and unit.get("active") == "active" and entered.isdigit() and int(entered) and host.boot_time():
            started = host.boot_time() + int(entered) / 1_000_000
        files = [f for f in services[name] if host.mtime(f) is not None]
        stale = host.newer_than(files, started) if started else []
        found[name] = {
            **unit,
            "started": started,
            "stale": stale,
            "restart": unit.get("active") != "active"
            or unit.get("enabled") not in RUNNING_ENABLED
            or bool(stale)
            or bool(unit.get("need_daemon_reload")),
        }
    return found


def postgres_installed(host: t.Any, root: str = "/usr/lib/postgresql") -> bool:
    """Whether a PostgreSQL server of any version is installed (Debian's layout)."""
    return any(os.path.isfile(os.path.join(path, "bin", "postgres")) for path in host.list_dir(root))


def sshd_ports(host: t.Any) -> tuple[list[int], str | None]:
    """The ports sshd listens on, from ``sshd -T`` (its listenaddress lines,
    else its port lines); ([], reason) where there is no sshd or it fails."""
    from ._os import effective_sshd

    config, error = effective_sshd(host)
    if config is None:
        return [], error
    ports = {int(m.group(1)) for a in config.get("listenaddress", []) if (m := re.search(r":([0-9]+)$", a))}
    ports |= {int(p) for p in config.get("port", []) if p.isdigit()} if not ports else set()
    return sorted(ports), None


def http_get(url: str, timeout: float = 3.0) -> tuple[int | None, str]:
    """(status, body) of a plain HTTP GET to a loopback endpoint of this host
    (``http://127.0.0.1:9090/path``); (None, error) when nothing answers.
    http.client, not a URL opener: no proxy from the environment applies to
    loopback, and no TLS context is built for a plain request (0.03 s each)."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None, f"not a plain HTTP URL: {url}"
    path = parts.path or "/"
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        try:
            conn.request("GET", path + (f"?{parts.query}" if parts.query else ""))
            answer = conn.getresponse()
            return answer.status, answer.read(4 * 1024 * 1024).decode("utf-8", "replace")
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def host_addresses(host: t.Any) -> list[str]:
    """This host's addresses besides loopback (``hostname -I``)."""
    hostname = host.which("hostname")
    out = host.run(hostname, "-I")[1] if hostname else ""
    return [a for a in out.split() if not a.startswith(("127.", "::1", "fe80:"))][:8]


def connects(address: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


FAIL2BAN_SOCKET = "/run/fail2ban/fail2ban.sock"
_F2B_END = b"<F2B_END_COMMAND>"


def fail2ban_ask(*command: str, path: str = FAIL2BAN_SOCKET, timeout: float = 3.0) -> t.Any:
    """One command to the fail2ban server over its socket, as fail2ban-client
    sends it (a pickled list, then the end marker), without starting a Python
    client per question (about 0.4 s each). The answer is unpickled only from
    a socket root owns, which only root can write to. Returns the value, or
    raises OSError."""
    import pickle

    st = os.stat(path)
    if st.st_uid != 0 or st.st_mode & 0o022:
        raise OSError(f"{path} is not owned and writable by root only")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(path)
        conn.sendall(pickle.dumps(list(command), 2) + _F2B_END)
        data = b""
        while not data.endswith(_F2B_END) and len(data) < 4 * 1024 * 1024:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data.endswith(_F2B_END):
        raise OSError("fail2ban's answer ended early")
    code, value = pickle.loads(data[: -len(_F2B_END)])  # noqa: S301 - see above
    if code != 0:
        raise OSError(f"fail2ban refused {' '.join(command)}: {value}")
    return value


def flatten_status(value: t.Any) -> dict[str, t.Any]:
    """fail2ban's status answer, nested (name, value) pairs, as one mapping with lower-case keys."""
    found: dict[str, t.Any] = {}
    for item in value if isinstance(value, (list, tuple)) else ():
        if isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str):
            if isinstance(item[1], list) and item[1] and all(isinstance(i, tuple) for i in item[1]):
                found.update(flatten_status(item[1]))
            else:
                found[item[0].lower()] = item[1]
    return found


def read_fail2ban(host: t.Any, jails: t.Iterable[str], action: str) -> dict[str, t.Any]:
    """What the running fail2ban server does: its jails, and for each wanted
    jail its journal matches or files, the port its action blocks and the
    bans so far."""
    state: dict[str, t.Any] = {"installed": bool(host.which("fail2ban-client")), "running": False, "jails": [], "jail": {}}
    if not state["installed"]:
        return state
    try:
        status = flatten_status(fail2ban_ask("status"))
    except (OSError, ValueError, EOFError) as exc:
        state["error"] = str(exc)
        return state
    state["running"] = True
    state["jails"] = [j.strip() for j in str(status.get("jail list") or "").split(",") if j.strip()]
    for jail in jails:
        if jail not in state["jails"]:
            continue
        try:
            found = flatten_status(fail2ban_ask("status", jail))
            port = str(fail2ban_ask("get", jail, "action", action, "port"))
            actions = [str(a) for a in fail2ban_ask("get", jail, "actions") or []]
        except (OSError, ValueError, EOFError) as exc:
            state["jail"][jail] = {"error": str(exc), "journal_matches": None, "files": None, "port": None, "actions": []}
            continue
        matches, files = found.get("journal matches"), found.get("file list")
        state["jail"][jail] = {
            "journal_matches": " ".join(matches) if isinstance(matches, list) else matches,
            "files": " ".join(files) if isinstance(files, list) else files,
            "port": port,
            "actions": actions,
            "banned": int(found.get("total banned") or 0),
            "currently_banned": list(found.get("banned ip list") or []),
        }
    return state


# The action that makes a jail's bans hold for ports containers publish:
# Docker forwards those (DNAT), so they never meet the INPUT ban.
DOCKER_ACTION = "insightengine-docker-user"


def docker_user_rules(host: t.Any) -> list[str] | None:
    """The rules of iptables' DOCKER-USER chain as iptables -S prints them; None without the chain."""
    if not host.which("iptables"):
        return None
    rc, out, _err = host.run("iptables", "-w", "-S", "DOCKER-USER")
    return [line for line in out.splitlines() if line.startswith("-A ")] if rc == 0 else None


def docker_bans_lost(host: t.Any, running: t.Iterable[str]) -> list[str]:
    """What the running fail2ban (its jails: ``running``, from read_fail2ban)
    put in DOCKER-USER and the kernel no longer has (someone flushed it): the
    host's state says fail2ban must restart."""
    jails = {}
    try:
        for jail in running:
            if DOCKER_ACTION in [str(a) for a in fail2ban_ask("get", jail, "actions") or []]:
                chain, port = (str(fail2ban_ask("get", jail, "action", DOCKER_ACTION, key)) for key in ("chain", "port"))
                jails[jail] = {"docker_chain": chain, "docker_port": port}
    except (OSError, ValueError, EOFError):
        return []  # not running: it starts anyway
    return docker_ban_problems(docker_user_rules(host), jails)


def docker_ban_problems(rules: list[str] | None, jails: dict[str, dict[str, t.Any]]) -> list[str]:
    """Why a jail's bans would not hold for published ports: DOCKER-USER lacks
    the jump to its chain for a port, or has it only after a rule that ends
    the chain for everyone (Docker's final RETURN on engines before 28)."""
    problems = []
    wanted = {name: jail for name, jail in jails.items() if jail.get("docker_chain")}
    if wanted and rules is None:
        return ["iptables has no DOCKER-USER chain: bans do not hold for the ports containers publish"]
    ends = [i for i, rule in enumerate(rules or []) if re.fullmatch(r"-A DOCKER-USER -j (RETURN|ACCEPT)", rule)]
    reach = (rules or [])[: ends[0]] if ends else rules or []
    for name, jail in wanted.items():
        for port in str(jail["docker_port"]).split(","):
            rule = f"-A DOCKER-USER -p tcp -m conntrack --ctorigdstport {port} -j {jail['docker_chain']}"
            if rule in reach:
                continue
            where = "only after a rule that ends the chain" if rule in (rules or []) else "nowhere"
            problems.append(f"{name}: DOCKER-USER sends port {port} to {jail['docker_chain']} {where}")
    return problems


# -- kernel audit, file integrity, scheduled audits (MON-06 .. MON-08) ------

AIDE_CONF = "/etc/aide/aide.conf"
AIDE_DIR = "/var/lib/insightengine/aide"
AIDE_DB = f"{AIDE_DIR}/aide.db.gz"
AIDE_LAST = f"{AIDE_DIR}/last-check.json"
AUDIT_DIR = "/var/lib/insightengine/audit"
AUDIT_LAST = f"{AUDIT_DIR}/last-audit.json"
AUDIT_ARGS = f"{AUDIT_DIR}/verify-args.json"


def audit_rule_line(watch: dict[str, t.Any]) -> str:
    """A watch as the rules file states it."""
    return f"-w {watch['path']} -p {watch['perm']} -k {watch['key']}"


def loaded_watches(rules: t.Iterable[str]) -> set[tuple[str, str, str]]:
    """(path, permissions, key) of each watch the kernel has loaded, from
    auditctl -l: a file's watch prints as ``-w PATH -p wa -k KEY``, a
    directory's as ``-a always,exit -F dir=PATH/ -F perm=wa -F key=KEY`` on
    audit 3; permissions sorted, trailing slashes dropped."""
    found = set()
    for rule in rules:
        words = rule.split()
        fields: dict[str, str] = {}
        for i, word in enumerate(words[:-1]):
            if word in ("-w", "-p", "-k"):
                fields[{"-w": "path", "-p": "perm", "-k": "key"}[word]] = words[i + 1]
            elif word == "-F" and "=" in words[i + 1]:
                name, _sep, value = words[i + 1].partition("=")
                if name in ("dir", "path"):
                    fields["path"] = value
                elif name in ("perm", "key"):
                    fields[name] = value
        if {"path", "perm", "key"} <= fields.keys():
            found.add((fields["path"].rstrip("/") or "/", "".join(sorted(fields["perm"])), fields["key"].strip('"')))
    return found


def read_auditd(host: t.Any) -> dict[str, t.Any]:
    """What the kernel audits: whether this host owns the kernel's audit (not
    a container), auditctl -s (enabled, failure, backlog_limit, lost) and the
    rules it has loaded (auditctl -l). A container does not own the kernel's
    audit: there, nothing else is read."""
    state: dict[str, t.Any] = {"container": host.container() or "", "installed": False, "status": {}, "rules": [], "error": ""}
    auditctl = host.which("auditctl")
    state["installed"] = bool(auditctl)
    if state["container"] or not auditctl:
        return state
    state["unit"] = host.units(["auditd.service"])["auditd.service"]
    rc, out, err = host.run(auditctl, "-s")
    if rc != 0:
        state["error"] = (err or out).strip()[:300]
        return state
    state["status"] = {k: v for k, _sep, v in (line.partition(" ") for line in out.splitlines()) if k}
    rc, out, err = host.run(auditctl, "-l")
    if rc != 0:
        state["error"] = (err or out).strip()[:300]
        return state
    state["rules"] = [line.strip() for line in out.splitlines() if line.strip() and line.strip() != "No rules"]
    return state


def read_json_state(host: t.Any, path: str) -> dict[str, t.Any] | None:
    """A result file a timer's service wrote (JSON object), None when absent or unreadable."""
    import json

    text = host.read(path)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"error": f"{path} is not JSON"}
    return value if isinstance(value, dict) else {"error": f"{path} is not a JSON object"}


def missing_watches(state: dict[str, t.Any], watches: t.Iterable[dict[str, t.Any]]) -> list[str]:
    """The watches (as the rules file states them) the kernel has not loaded."""
    loaded = loaded_watches(state.get("rules", []))
    return [
        audit_rule_line(w)
        for w in watches
        if (str(w["path"]).rstrip("/") or "/", "".join(sorted(w.get("perm") or "wa")), w["key"]) not in loaded
    ]


def read_integrity(host: t.Any, watches: t.Sequence[dict[str, t.Any]] = ()) -> dict[str, t.Any]:
    """What MON-06 .. MON-08 need from the host before a change: the kernel's
    audit (read_auditd) and the existing watches it lacks, whether the AIDE
    baseline is missing or older than its configuration, and whether an
    audit has ever been recorded."""
    db, conf = host.mtime(AIDE_DB), host.mtime(AIDE_CONF)
    auditd = read_auditd(host)
    existing = [w for w in watches if host.mtime(w["path"]) is not None]
    return {
        "auditd": auditd,
        "existing": [w["path"] for w in existing],
        "missing_watches": [] if auditd["container"] else missing_watches(auditd, existing),
        "aide_baseline_stale": db is None or (conf is not None and conf > db),
        "aide_checked_since_baseline": bool(db and (read_json_state(host, AIDE_LAST) or {}).get("time", 0) >= int(db)),
        "audit_recorded": host.mtime(AUDIT_LAST) is not None,
        # The scheduled verify's arguments so far: a run with fewer layers adds to them, never drops one.
        "verify_args": {k: v for k, v in (read_json_state(host, AUDIT_ARGS) or {}).items() if k != "error"},
    }


def loaded_calendar(timers_calendar: str) -> list[str]:
    """The OnCalendar expressions a loaded timer runs on, from systemctl's
    TimersCalendar (``{ OnCalendar=*-*-* 00:00:00 ; next_elapse=... }``)."""
    return [m.strip() for m in re.findall(r"OnCalendar=([^;}]*)", timers_calendar or "")]


def normalized_calendars(host: t.Any, expressions: t.Sequence[str]) -> list[str | None]:
    """Each calendar expression as systemd normalizes it (``quarterly`` ->
    ``*-01,04,07,10-01 00:00:00``), in one systemd-analyze call; None where
    it cannot say."""
    analyze = host.which("systemd-analyze")
    if not analyze or not expressions:
        return [None for _e in expressions]
    rc, out, _err = host.run(analyze, "calendar", *expressions)
    found = re.findall(r"^\s*Normalized form: (.+)$", out, re.M)
    return [f.strip() for f in found] if rc == 0 and len(found) == len(expressions) else [None for _e in expressions]
