# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nginx layer: catalog, probes of what is served, and the parser of
``nginx -T``, shared by nginx_info and nginx_verify.

The probes are clients: a TLS handshake pinned to one protocol version, an
HTTP request that records the status and every header as served. They read
what a browser would get, not the configuration text.

This file is private to the collection (leading underscore): no API promise.
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.client
import posixpath
import re
import socket
import ssl
import typing as t
import warnings

from ._findings import Control

GUIDE = "4.2 Network Security"

CATALOG = (
    Control(
        "NGX-01",
        "HTTP redirects to HTTPS (ACME challenges excepted)",
        f"{GUIDE} / Reverse Proxy",
        "Run the nginx role; port 80 answers with a permanent redirect to https.",
        source="GET http://SERVER/ (status and Location); GET of the ACME challenge path",
        switch="nginx_https_redirect_enabled",
    ),
    Control(
        "NGX-02",
        "TLS 1.2 and 1.3 only: SSLv3, TLS 1.0 and 1.1 handshakes are refused",
        f"{GUIDE} / Reverse Proxy - Configure TLS 1.2/1.3 only",
        "Run the nginx role (nginx_tls_protocols).",
        source="TLS handshakes pinned to SSLv3, TLS 1.0, 1.1, 1.2 and 1.3",
        switch="nginx_tls_protocols_enabled",
    ),
    Control(
        "NGX-03",
        "Modern TLS: forward-secret AEAD ciphers for TLS 1.2, no session tickets, strong DH parameters",
        f"{GUIDE} / Reverse Proxy - Configure TLS 1.2/1.3 only",
        "Run the nginx role (nginx_tls_ciphers).",
        source="TLS 1.2 handshakes per cipher; nginx -T (ssl_session_tickets, ssl_dhparam)",
        switch="nginx_tls_ciphers_enabled",
    ),
    Control(
        "NGX-04",
        "Certificate valid for the served name and not about to expire; private key readable by root only",
        f"{GUIDE} / Reverse Proxy",
        "Renew the certificate (nginx_ssl_cert_file) or let the role generate one; chmod 0600 the key.",
        source="the served certificate (TLS handshake); openssl x509 -checkhost -enddate; stat of the key",
        switch="nginx_certificate_enabled",
    ),
    Control(
        "NGX-05",
        "HSTS on every HTTPS response (max-age of a year or more, includeSubDomains)",
        f"{GUIDE} / Reverse Proxy - Enable HSTS",
        "Run the nginx role (nginx_hsts_max_age).",
        source="HTTPS responses (Strict-Transport-Security), error pages included",
        switch="nginx_hsts_enabled",
    ),
    Control(
        "NGX-06",
        "Security headers on every response, error pages included: X-Frame-Options, X-Content-Type-Options, "
        "Content-Security-Policy, Referrer-Policy, Permissions-Policy",
        f"{GUIDE} / Reverse Proxy - Set secure headers",
        "Run the nginx role; a location with its own add_header must repeat the role's headers (include the snippet).",
        source="HTTPS responses (security headers), error pages included",
        switch="nginx_security_headers_enabled",
    ),
    Control(
        "NGX-07",
        "No version disclosed (server_tokens off)",
        f"{GUIDE} / Reverse Proxy",
        "Run the nginx role.",
        source="HTTP and HTTPS responses (Server header, error page body); nginx -T (server_tokens)",
        switch="nginx_server_tokens_enabled",
    ),
    Control(
        "NGX-08",
        "Web application firewall: ModSecurity with the OWASP Core Rule Set, blocking",
        f"{GUIDE} / WAF",
        "Run the nginx role (nginx_waf_enabled), or set nginx_waf_elsewhere to the cloud WAF in front.",
        source="nginx -T (modsecurity, rules file); an SQL injection probe, answered 403 when blocking",
        switch="nginx_waf_enabled",
    ),
    Control(
        "NGX-09",
        "Rate and connection limits per client, answered with 429",
        f"{GUIDE} / DDoS Protection",
        "Run the nginx role (nginx_rate_limit, nginx_conn_limit).",
        source="nginx -T (limit_req, limit_conn and their status) for each server that listens",
        switch="nginx_rate_limit_enabled",
    ),
    Control(
        "NGX-10",
        "Tight client timeouts and request body limit",
        f"{GUIDE} / DDoS Protection",
        "Run the nginx role (nginx_client_limit_body_size and the nginx_client_limit_*_timeout variables).",
        source="nginx -T (client_max_body_size and the timeouts) for each server that listens",
        switch="nginx_client_limits_enabled",
    ),
)

TLS_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
HSTS_MIN_AGE = 31536000


# --------------------------------------------------------------------------
# Probes (clients of what is served)
# --------------------------------------------------------------------------


def _client_context(version: str | None = None) -> ssl.SSLContext:
    """A client that accepts any certificate (it measures, it does not trust)
    and, pinned to a version, offers that version only, with OpenSSL's own
    floor lowered so that only the server can refuse an old protocol."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # old versions are what this probes for
            context.minimum_version = TLS_VERSIONS[version]
            context.maximum_version = TLS_VERSIONS[version]
        if version in ("TLSv1", "TLSv1.1"):
            context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def tls_handshake(host: str, port: int, version: str, server_name: str | None = None, timeout: float = 5.0) -> dict[str, t.Any]:
    """Whether the server completes a handshake at exactly this TLS version."""
    try:
        context = _client_context(version)
    except (ValueError, ssl.SSLError) as exc:  # this client's OpenSSL cannot offer the version at all
        return {"version": version, "accepted": None, "error": f"this client cannot offer {version}: {exc}"}
    try:
        # Nested: one parenthesized with needs Python 3.10 on the target.
        with socket.create_connection((host, port), timeout=timeout) as raw:  # noqa: SIM117
            with context.wrap_socket(raw, server_hostname=server_name or host) as tls:
                cipher = tls.cipher()
                der = tls.getpeercert(binary_form=True)
                return {
                    "version": version,
                    "accepted": True,
                    "protocol": tls.version(),
                    "cipher": cipher[0] if cipher else None,
                    "session_ticket": bool(tls.session and tls.session.has_ticket),
                    "certificate_sha256": hashlib.sha256(der).hexdigest() if der else None,
                }
    except ssl.SSLError as exc:
        return {"version": version, "accepted": False, "error": exc.reason or str(exc)}
    except OSError as exc:
        return {"version": version, "accepted": None, "error": str(exc)}


def http_get(
    host: str,
    port: int,
    path: str = "/",
    *,
    tls: bool = True,
    server_name: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> dict[str, t.Any]:
    """One request, as served: status, every header (names lower-cased; a
    header sent twice keeps both values) and the Location."""
    if tls:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=timeout, context=_client_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    request_headers = {"Host": server_name or host, "User-Agent": "insightengine-hardening-verify", **(headers or {})}
    try:
        conn.request("GET", path, headers=request_headers)
        response = conn.getresponse()
        response.read()
        served: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            served.setdefault(name.lower(), []).append(value)
        return {"path": path, "status": response.status, "headers": served, "error": None}
    except (OSError, http.client.HTTPException) as exc:
        return {"path": path, "status": None, "headers": {}, "error": str(exc)}
    finally:
        conn.close()


# --------------------------------------------------------------------------
# Header values
# --------------------------------------------------------------------------


def parse_hsts(value: str | None) -> dict[str, t.Any]:
    """``max-age=31536000; includeSubDomains; preload``."""
    result: dict[str, t.Any] = {"max_age": None, "include_subdomains": False, "preload": False}
    for part in (value or "").split(";"):
        name, _sep, arg = part.strip().partition("=")
        name = name.strip().lower()
        if name == "max-age" and arg.strip().strip('"').isdigit():
            result["max_age"] = int(arg.strip().strip('"'))
        elif name == "includesubdomains":
            result["include_subdomains"] = True
        elif name == "preload":
            result["preload"] = True
    return result


CSP_DIRECTIVE = re.compile(r"^[a-z][a-z-]*(\s+[^\s;,]+)*$")


def header_problems(response: dict[str, t.Any], wanted: dict[str, str], hsts_min_age: int = HSTS_MIN_AGE) -> dict[str, str]:
    """Which wanted headers a response lacks or serves differently.

    ``wanted``: lower-case header name -> exact value; the HSTS entry is
    judged by its parts (max-age at least hsts_min_age, includeSubDomains).
    """
    problems = {}
    served = response.get("headers") or {}
    for name, value in wanted.items():
        values = served.get(name) or []
        if not values:
            problems[name] = "missing"
        elif len(values) > 1:
            problems[name] = f"sent {len(values)} times"
        elif name == "strict-transport-security":
            hsts = parse_hsts(values[0])
            if (hsts["max_age"] or 0) < hsts_min_age or not hsts["include_subdomains"]:
                problems[name] = values[0]
        elif values[0] != value:
            problems[name] = values[0]
    return problems


def server_version_disclosed(response: dict[str, t.Any]) -> str | None:
    """The Server header when it carries a version (``nginx/1.22.1``)."""
    for value in (response.get("headers") or {}).get("server", []):
        if re.search(r"/\d", value):
            return value
    return None


# --------------------------------------------------------------------------
# nginx -T
# --------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:(#[^\n]*)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{};])|([^\s{};"'#]+))""")


def parse_nginx_t(text: str) -> list[dict[str, t.Any]]:
    """The directives of ``nginx -T`` in the order nginx reads them: name,
    arguments, the file they are in and the blocks around them
    (``["http", "server", "location /api"]``). Includes are followed into the
    block that includes them, as nginx does."""
    files = _split_dump(text)
    if not files:
        return []
    main = next(iter(files))
    prefix = posixpath.dirname(main)
    directives: list[dict[str, t.Any]] = []

    counter = [0]

    def walk(path: str, outer: list[tuple[str, int]], seen: frozenset[str]) -> None:
        stack = list(outer)
        words: list[str] = []
        for comment, quoted, punct, word in _TOKEN.findall(files[path]):
            if comment:
                continue
            if quoted:
                words.append(quoted[1:-1])
            elif word:
                words.append(word)
            elif punct == ";":
                if words and words[0] == "include" and len(words) > 1:
                    pattern = words[1] if words[1].startswith("/") else posixpath.join(prefix, words[1])
                    for included in sorted(p for p in files if fnmatch.fnmatchcase(p, pattern) and p not in seen):
                        walk(included, stack, seen | {included})
                elif words:
                    directives.append(
                        {
                            "name": words[0],
                            "args": words[1:],
                            "file": path,
                            "context": [name for name, _id in stack],
                            "blocks": [block for _name, block in stack],
                        }
                    )
                words = []
            elif punct == "{":
                counter[0] += 1
                stack.append((" ".join(words), counter[0]))
                words = []
            elif punct == "}":
                if len(stack) > len(outer):
                    stack.pop()
                words = []

    walk(main, [], frozenset({main}))
    return directives


def files_of(text: str) -> list[str]:
    """The files nginx -T printed, main file first."""
    return list(_split_dump(text))


def _split_dump(text: str) -> dict[str, str]:
    """``nginx -T`` prints each file it read after ``# configuration file PATH:``."""
    parts = re.split(r"^# configuration file (.+?):\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def directive_values(directives: list[dict[str, t.Any]], name: str) -> list[list[str]]:
    return [d["args"] for d in directives if d["name"] == name]


def servers(directives: list[dict[str, t.Any]]) -> dict[int, list[dict[str, t.Any]]]:
    """The directives of each server block (its own level only), by block id."""
    found: dict[int, list[dict[str, t.Any]]] = {}
    for d in directives:
        if d["context"][:2] == ["http", "server"] and len(d["context"]) == 2:
            found.setdefault(d["blocks"][1], []).append(d)
    return found


def server_for_port(directives: list[dict[str, t.Any]], port: int, ssl_only: bool = False) -> int | None:
    """The block id of the server that listens on port (by default_server
    first), or None."""
    candidates = []
    for block, own in servers(directives).items():
        for d in own:
            if d["name"] != "listen" or not d["args"]:
                continue
            address = d["args"][0]
            if address.rsplit(":", 1)[-1] != str(port):
                continue
            if ssl_only and "ssl" not in d["args"][1:]:
                continue
            candidates.append((0 if "default_server" in d["args"] else 1, block))
    return min(candidates)[1] if candidates else None


def effective(directives: list[dict[str, t.Any]], name: str, server: int | None) -> list[str] | None:
    """A directive's arguments as the server block sees them: its own, else
    the http block's, else None (nginx's built-in default)."""
    if server is not None:
        own = [d["args"] for d in servers(directives).get(server, []) if d["name"] == name]
        if own:
            return own[-1]
    top = [d["args"] for d in directives if d["name"] == name and d["context"] == ["http"]]
    return top[-1] if top else None


def http_level(directives: list[dict[str, t.Any]], exclude_file: str = "") -> dict[str, list[dict[str, t.Any]]]:
    """Directives set directly in the http block (what every server inherits),
    by name, with the file each is in; exclude_file's are left out."""
    found: dict[str, list[dict[str, t.Any]]] = {}
    for d in directives:
        if d["context"] == ["http"] and d["file"] != exclude_file:
            found.setdefault(d["name"], []).append({"file": d["file"], "args": d["args"]})
    return found


def sites(directives: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Every server block that listens: its names, its listen sockets and the file it is in."""
    found = []
    for block, own in servers(directives).items():
        listens = []
        for d in own:
            if d["name"] != "listen" or not d["args"]:
                continue
            address = d["args"][0]
            host, _sep, port = address.rpartition(":")
            if not port.isdigit():  # "listen 80" or "listen [::]:80"
                host, port = "", address if address.isdigit() else ""
            if not port:
                continue
            listens.append(
                {
                    "address": host.strip("[]") or "*",
                    "port": int(port),
                    "ssl": "ssl" in d["args"][1:],
                    "default": "default_server" in d["args"],
                }
            )
        names = [n for d in own if d["name"] == "server_name" for n in d["args"]]
        if listens:
            found.append({"block": block, "file": own[0]["file"], "names": names, "listens": listens})
    return found


def worker_start_times(host: t.Any, pid_file: str) -> list[float] | None:
    """When nginx's worker processes started (epoch seconds): nginx starts
    new workers on every successful reload, so the newest is at or after
    the last configuration load. None when nginx does not run."""
    master = (host.read(pid_file) or "").strip()
    if not master.isdigit():
        return None
    starts = (host.process_start(entry.rsplit("/", 1)[-1], parent=master) for entry in host.list_dir("/proc"))
    return [start for start in starts if start is not None]


def loaded_files(text: str, directives: list[dict[str, t.Any]]) -> list[str]:
    """Every file nginx read for its running configuration: the files of
    nginx -T, and the certificates, keys, DH parameters and WAF rules they name."""
    files = set(_split_dump(text))
    for d in directives:
        if (
            d["name"]
            in (
                "ssl_certificate",
                "ssl_certificate_key",
                "ssl_dhparam",
                "ssl_trusted_certificate",
                "modsecurity_rules_file",
            )
            and d["args"]
            and d["args"][0].startswith("/")
            and "$" not in d["args"][0]
        ):
            files.add(d["args"][0])
    return sorted(files)


def reload_pending(host: t.Any, text: str, directives: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    pid_file = next((d["args"][0] for d in directives if d["name"] == "pid" and not d["context"] and d["args"]), "/run/nginx.pid")
    starts = worker_start_times(host, pid_file)
    if not starts:
        return {"pending": None, "newer": []}
    # btime (whole seconds) makes a start time up to a second early.
    newer = host.newer_than(loaded_files(text, directives), max(starts), slack=1.0)
    return {"pending": bool(newer), "newer": newer}
