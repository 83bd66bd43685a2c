#!/usr/bin/python
# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nginx_verify
short_description: Verify the nginx layer of the hardening guide from what is served
version_added: 0.1.0
description:
  - Connects to the site as a client and returns one finding per control of the nginx layer
    (C(NGX-01) to C(NGX-10)), in the same shape as every verify module of this collection.
  - TLS handshakes pinned to each protocol version (which are accepted, which refused), the negotiated
    TLS 1.2 cipher and session ticket, the certificate served and its expiry, and the headers of a normal
    response, an error response and the HTTP redirect.
  - Reads C(nginx -T) for what a client cannot see (server_tokens, limit_req, limit_conn, client limits,
    the WAF engine) and the WAF's rules file; sends one SQL-injection probe that a blocking WAF must
    answer with 403.
  - Never changes anything.
author:
  - InsightEngine platform team (@insightengine)
extends_documentation_fragment:
  - insightengine.hardening.findings
  - insightengine.hardening.read_only
options:
  address:
    description: Where to connect (the site is asked for by O(server_name)).
    type: str
    default: 127.0.0.1
  server_name:
    description: The host name requested (SNI and Host header).
    type: str
    required: true
  http_port:
    description: NGX-01. The plain HTTP port that must redirect.
    type: int
    default: 80
  https_port:
    description: The HTTPS port.
    type: int
    default: 443
  acme_path:
    description: NGX-01. A path under C(/.well-known/acme-challenge/) that must not be redirected; empty when ACME is not used.
    type: str
    default: ""
  protocols:
    description: NGX-02. The TLS versions that must be accepted; every other one must be refused.
    type: list
    elements: str
    default: [TLSv1.2, TLSv1.3]
  ciphers:
    description: NGX-03. The C(ssl_ciphers) value nginx must use for TLS 1.2.
    type: str
    default: ""
  ecdh_curve:
    description: NGX-03. The C(ssl_ecdh_curve) value nginx must use; empty to not check it.
    type: str
    default: ""
  site_file:
    description:
      - The role's own site file. Every server block of other files that listens is judged too, as a
        client of its own name and port; a site that breaks a control fails it, by name.
    type: str
    default: /etc/nginx/conf.d/insightengine-hardening.conf
  certificate:
    description: NGX-04. C(cert_file), C(key_file), C(min_days_left).
    type: dict
    default: {}
  headers:
    description:
      - NGX-05, NGX-06. Header name to exact value, on every response. C(Strict-Transport-Security) is
        judged by its parts (max-age of at least O(hsts_min_age), includeSubDomains).
    type: dict
    default: {}
  hsts_min_age:
    description: NGX-05. The smallest accepted HSTS max-age in seconds.
    type: int
    default: 31536000
  waf:
    description: NGX-08. C(rules_file) (the ModSecurity rules nginx loads) and C(detection_only) (bool).
    type: dict
    default: {}
  rate_limit:
    description: NGX-09. C(rate) (for example C(10r/s)) and C(burst), C(conn) (connections per client).
    type: dict
    default: {}
  client_limits:
    description: NGX-10. Wanted nginx values, for example C(client_max_body_size) C(10m), C(client_body_timeout) C(10s).
    type: dict
    default: {}
seealso:
  - module: insightengine.hardening.nginx_info
"""

EXAMPLES = r"""
- name: Verify the site as a client sees it
  insightengine.hardening.nginx_verify:
    server_name: app.example.com
    headers:
      Strict-Transport-Security: "max-age=63072000; includeSubDomains"
      X-Content-Type-Options: nosniff
    strict: false
  register: nginx_audit
"""

RETURN = r"""
layer:
  description: Always C(nginx).
  type: str
  returned: always
findings:
  description:
    - One finding per control, always all of them.
    - See M(insightengine.hardening.os_verify) and C(docs/report.schema.json).
  type: list
  elements: dict
  returned: always
summary:
  description: Number of findings per status.
  type: dict
  returned: always
failed_controls:
  description: IDs of the failing controls.
  type: list
  elements: str
  returned: always
report:
  description: One line per control.
  type: list
  elements: str
  returned: always
"""

import secrets
import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _nginx as ngx
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import (
    Findings,
    findings_argument_spec,
    run_verify,
)

AEAD_FS = ("ECDHE-", "DHE-")
SQLI_PROBE = "/?id=1%27%20OR%20%271%27%3D%271"


class NginxVerifier:
    def __init__(self, params: dict[str, t.Any], host: _host.HostReader, findings: Findings):
        self.p = params
        self.host = host
        self.f = findings
        nginx = host.which("nginx")
        rc, out, err = host.run(nginx, "-T") if nginx else (1, "", "nginx is not installed")
        self.config_error = None if rc == 0 else (err or out).strip()[-500:]
        self.directives = ngx.parse_nginx_t(out) if rc == 0 else []
        self.server = ngx.server_for_port(self.directives, params["https_port"], ssl_only=True)

    def get(self, path: str, tls: bool = True) -> dict[str, t.Any]:
        port = self.p["https_port"] if tls else self.p["http_port"]
        return ngx.http_get(self.p["address"], port, path, tls=tls, server_name=self.p["server_name"])

    def value(self, name: str) -> list[str] | None:
        return ngx.effective(self.directives, name, self.server)

    def run(self) -> None:
        # One handshake per TLS version serves NGX-02, NGX-03 and NGX-04.
        self.handshakes = {
            version: ngx.tls_handshake(self.p["address"], self.p["https_port"], version, self.p["server_name"])
            for version in ngx.TLS_VERSIONS
        }
        ok = self.get("/")
        missing = self.get(f"/insightengine-verify-{secrets.token_hex(4)}")
        redirect = self.get("/", tls=False)
        self.others = self.probe_others()
        self.redirects(redirect)
        self.protocols()
        self.ciphers()
        self.certificate()
        self.headers({"normal response": ok, "error response": missing}, redirect)
        self.tokens([ok, missing, redirect])
        self.waf()
        self.limits()

    # -- every other server block that listens ------------------------------
    def probe_others(self) -> list[dict[str, t.Any]]:
        """The server blocks of other files, each asked for by its first name
        on its own port, as a client would: a site on the host that is not
        hardened fails the controls it breaks, by name."""
        found = []
        ours = {self.server}
        for site in ngx.sites(self.directives):
            if site["file"] == self.p["site_file"] or site["block"] in ours:
                continue
            name = next((n for n in site["names"] if n not in ("_", "") and "*" not in n and "~" not in n), None)
            for listen in site["listens"]:
                address = listen["address"]
                address = "127.0.0.1" if address in ("*", "0.0.0.0", "") else ("::1" if address == "::" else address)  # noqa: S104
                label = (
                    f"{name or 'default'} ({'https' if listen['ssl'] else 'http'}://{address}:{listen['port']}, {site['file']})"
                )
                entry: dict[str, t.Any] = {
                    "label": label,
                    "site": site,
                    "name": name or address,
                    "listen": listen,
                    "address": address,
                }
                if listen["ssl"]:
                    entry["handshakes"] = {v: ngx.tls_handshake(address, listen["port"], v, name) for v in ngx.TLS_VERSIONS}
                    entry["ok"] = ngx.http_get(address, listen["port"], "/", tls=True, server_name=name)
                    entry["missing"] = ngx.http_get(
                        address, listen["port"], f"/insightengine-verify-{secrets.token_hex(4)}", tls=True, server_name=name
                    )
                    if not self.p["waf"].get("detection_only"):
                        entry["probe"] = ngx.http_get(address, listen["port"], SQLI_PROBE, tls=True, server_name=name)
                else:
                    entry["ok"] = ngx.http_get(address, listen["port"], "/", tls=False, server_name=name)
                found.append(entry)
        return found

    def other_value(self, entry: dict[str, t.Any], name: str) -> list[str] | None:
        return ngx.effective(self.directives, name, entry["site"]["block"])

    def judge_others(
        self,
        cid: str,
        expected: dict[str, t.Any],
        actual: dict[str, t.Any],
        judge: t.Callable[[dict[str, t.Any]], str | None],
        tls: bool | None = True,
    ) -> None:
        """Every other site the control applies to (TLS ones, plain HTTP ones,
        or both when tls is None): none may break it."""
        judged = [e for e in self.others if tls is None or e["listen"]["ssl"] == tls]
        problems = {}
        for entry in judged:
            problem = judge(entry)
            if problem:
                problems[entry["label"]] = problem
        if judged:
            expected["other sites on this host"] = {}
            actual["other sites on this host"] = problems

    def config_needed(self, cid: str) -> bool:
        if self.config_error is not None or self.server is None:
            reason = self.config_error or f"no server listens on {self.p['https_port']} with ssl (nginx -T)"
            self.f.error(cid, reason)
            return False
        return True

    # NGX-01
    def redirects(self, redirect: dict[str, t.Any]) -> None:
        if not self.f.wanted("NGX-01"):
            return
        location = (redirect["headers"].get("location") or [""])[0]
        expected: dict[str, t.Any] = {"status": "301 or 308", "location": "https://..."}
        actual: dict[str, t.Any] = {
            "status": expected["status"] if redirect["status"] in (301, 308) else (redirect["status"] or redirect["error"]),
            "location": expected["location"] if location.startswith("https://") else location,
        }
        if self.p["acme_path"]:
            acme = self.get(self.p["acme_path"], tls=False)
            expected["ACME path redirected"] = False
            actual["ACME path redirected"] = acme["status"] in (301, 302, 307, 308)

        def plain(entry: dict[str, t.Any]) -> str | None:
            response = entry["ok"]
            where = (response["headers"].get("location") or [""])[0]
            if response["status"] in (301, 308) and where.startswith("https://"):
                return None
            return f"answers {response['status'] or response['error']} without redirecting to https"

        self.judge_others("NGX-01", expected, actual, plain, tls=False)
        self.f.compare("NGX-01", expected, actual)

    # NGX-02
    def protocols(self) -> None:
        if not self.f.wanted("NGX-02"):
            return
        wanted = set(self.p["protocols"])
        expected, actual, unknown = {}, {}, []
        for version, result in self.handshakes.items():
            expected[version] = "accepted" if version in wanted else "refused"
            if result["accepted"] is None:
                unknown.append(f"{version}: {result['error']}")
                actual[version] = "unknown"
            else:
                actual[version] = "accepted" if result["accepted"] else "refused"
        # The handshakes stand without nginx -T; the configuration adds what they cannot see.
        configured = self.value("ssl_protocols") if self.config_error is None and self.server is not None else None
        expected["ssl_protocols"] = sorted(wanted)
        actual["ssl_protocols"] = sorted(configured or ["(not readable)" if self.config_error else "(nginx default)"])
        # A version this client cannot offer is judged from the configuration alone.
        for line in unknown:
            version = line.split(":", 1)[0]
            if version not in wanted and version not in (configured or []):
                actual[version] = "refused"

        def versions(entry: dict[str, t.Any]) -> str | None:
            accepted = sorted(v for v, r in entry["handshakes"].items() if r["accepted"] and v not in wanted)
            configured_there = self.other_value(entry, "ssl_protocols") or []
            weak = sorted(set(configured_there) - wanted)
            if accepted or weak:
                return f"accepts {', '.join(accepted)}" if accepted else f"ssl_protocols {' '.join(configured_there)}"
            return None

        self.judge_others("NGX-02", expected, actual, versions)
        self.f.compare("NGX-02", expected, actual)

    # NGX-03
    def ciphers(self) -> None:
        if not self.f.wanted("NGX-03") or not self.config_needed("NGX-03"):
            return
        tls12 = self.handshakes["TLSv1.2"]
        cipher = tls12.get("cipher") or ""
        expected: dict[str, t.Any] = {
            "TLS 1.2 cipher": "forward secrecy and AEAD",
            "session tickets": "off",
            "ssl_dhparam": "set",
        }
        strong = cipher.startswith(AEAD_FS) and ("GCM" in cipher or "CHACHA20" in cipher)
        actual: dict[str, t.Any] = {
            "TLS 1.2 cipher": expected["TLS 1.2 cipher"] if strong else (cipher or tls12.get("error")),
            "session tickets": "off" if (self.value("ssl_session_tickets") or ["on"])[0] == "off" else "on",
            "ssl_dhparam": "set" if self.value("ssl_dhparam") else "not set",
        }
        if self.p["ciphers"]:
            expected["ssl_ciphers"] = self.p["ciphers"]
            actual["ssl_ciphers"] = " ".join(self.value("ssl_ciphers") or ["(nginx default)"])
        if tls12.get("session_ticket"):
            actual["session tickets"] = "issued"
        if self.p["ecdh_curve"]:
            expected["ssl_ecdh_curve"] = self.p["ecdh_curve"]
            actual["ssl_ecdh_curve"] = " ".join(self.value("ssl_ecdh_curve") or ["(nginx default)"])

        def ciphers(entry: dict[str, t.Any]) -> str | None:
            handshake = entry["handshakes"]["TLSv1.2"]
            suite = handshake.get("cipher") or ""
            if handshake.get("accepted") and not (suite.startswith(AEAD_FS) and ("GCM" in suite or "CHACHA20" in suite)):
                return f"TLS 1.2 negotiates {suite}"
            if handshake.get("session_ticket"):
                return "issues TLS session tickets"
            return None

        self.judge_others("NGX-03", expected, actual, ciphers)
        self.f.compare("NGX-03", expected, actual)

    # NGX-04
    @staticmethod
    def served_certificate(handshakes: dict[str, dict[str, t.Any]]) -> str | None:
        accepted = [h for h in handshakes.values() if h["accepted"]]
        return accepted[-1]["certificate_sha256"] if accepted else None

    def certificate(self) -> None:
        if not self.f.wanted("NGX-04"):
            return
        cert = self.p["certificate"]
        min_days = float(cert.get("min_days_left", 14))
        served = self.served_certificate(self.handshakes)
        expected: dict[str, t.Any] = {
            "served": "the configured certificate",
            "name matches": True,
            "valid for days": f">= {cert.get('min_days_left', 14)}",
        }
        state = self.host.certificate(cert.get("cert_file", ""), self.p["server_name"])
        actual: dict[str, t.Any] = {
            "served": expected["served"]
            if served and served == state.get("fingerprint")
            else (served or "no certificate served"),
            "name matches": bool(state["name_matches"]),
            "valid for days": expected["valid for days"]
            if state["days_left"] is not None and state["days_left"] >= min_days
            else state["days_left"],
        }
        if cert.get("key_file"):
            st = self.host.stat(cert["key_file"])
            expected["key mode"] = "0600 or stricter"
            actual["key mode"] = (
                expected["key mode"] if st["exists"] and not int(st["mode"], 8) & 0o077 else st.get("mode", "missing")
            )

        def certificate(entry: dict[str, t.Any]) -> str | None:
            cert_file = (self.other_value(entry, "ssl_certificate") or [""])[0]
            if not cert_file or "$" in cert_file:
                return "no certificate file to check (ssl_certificate)"
            there = self.host.certificate(cert_file, entry["name"])
            if not there["readable"]:
                return f"{cert_file} cannot be read"
            # A site asked for by name gets its own server block: it must
            # serve the file nginx -T names (else nginx runs older files).
            served_there = self.served_certificate(entry["handshakes"])
            if entry["name"] != entry["address"] and served_there and served_there != there["fingerprint"]:
                return f"serves a certificate other than {cert_file} (SHA-256 {served_there})"
            if not there["name_matches"]:
                return f"{cert_file} is not valid for {entry['name']}"
            if there["days_left"] is None or there["days_left"] < min_days:
                return f"{cert_file} expires in {there['days_left']} days"
            return None

        self.judge_others("NGX-04", expected, actual, certificate)
        self.f.compare("NGX-04", expected, actual)

    # NGX-05, NGX-06
    def headers(self, responses: dict[str, dict[str, t.Any]], redirect: dict[str, t.Any]) -> None:
        wanted = {k.lower(): str(v) for k, v in self.p["headers"].items()}
        hsts = {k: v for k, v in wanted.items() if k == "strict-transport-security"}
        others = {k: v for k, v in wanted.items() if k != "strict-transport-security"}
        for cid, headers, also_redirect in (("NGX-05", hsts, False), ("NGX-06", others, True)):
            if not self.f.wanted(cid):
                continue
            checked = dict(responses)
            if also_redirect:
                checked["redirect"] = redirect
            for entry in self.others:
                if entry["listen"]["ssl"]:
                    checked[f"{entry['label']} normal response"] = entry["ok"]
                    checked[f"{entry['label']} error response"] = entry["missing"]
            problems = {}
            for label, response in checked.items():
                if response["status"] is None:
                    problems[label] = response["error"]
                    continue
                found = ngx.header_problems(response, headers, self.p["hsts_min_age"])
                if found:
                    problems[f"{label} ({response['status']})"] = found
            self.f.check(cid, not problems, headers or "(no header configured)", problems or "on every response checked")

    # NGX-07
    def tokens(self, responses: list[dict[str, t.Any]]) -> None:
        if not self.f.wanted("NGX-07") or not self.config_needed("NGX-07"):
            return
        disclosed = sorted({v for r in responses for v in [ngx.server_version_disclosed(r)] if v})
        expected = {"server_tokens": "off", "Server header": "no version"}
        actual = {
            "server_tokens": (self.value("server_tokens") or ["on"])[0],
            "Server header": ", ".join(disclosed) if disclosed else "no version",
        }

        def tokens(entry: dict[str, t.Any]) -> str | None:
            served = ngx.server_version_disclosed(entry["ok"])
            setting = (self.other_value(entry, "server_tokens") or ["on"])[0]
            return f"Server: {served}" if served else (f"server_tokens {setting}" if setting != "off" else None)

        self.judge_others("NGX-07", expected, actual, tokens, tls=None)
        self.f.compare("NGX-07", expected, actual)

    # NGX-08
    def waf(self) -> None:
        if not self.f.wanted("NGX-08") or not self.config_needed("NGX-08"):
            return
        waf = self.p["waf"]
        engine_wanted = "DetectionOnly" if waf.get("detection_only") else "On"
        rules_file = (self.value("modsecurity_rules_file") or [""])[0]
        text = self.host.read(rules_file) or "" if rules_file else ""
        engine = None
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == "SecRuleEngine":
                engine = words[1]
        expected: dict[str, t.Any] = {
            "modsecurity": "on",
            "rules file": waf.get("rules_file") or "set",
            "SecRuleEngine": engine_wanted,
            "Core Rule Set": "included",
        }
        actual: dict[str, t.Any] = {
            "modsecurity": (self.value("modsecurity") or ["off"])[0],
            "rules file": rules_file or "not set",
            "SecRuleEngine": engine,
            "Core Rule Set": "included" if "modsecurity-crs/rules" in text or "coreruleset" in text else "not included",
        }
        if not waf.get("rules_file") and rules_file:
            actual["rules file"] = "set"
        if not waf.get("detection_only"):
            probe = self.get(SQLI_PROBE)
            expected["SQL injection probe"] = 403
            actual["SQL injection probe"] = probe["status"] or probe["error"]

            def blocks(entry: dict[str, t.Any]) -> str | None:
                answer = entry["probe"]
                return (
                    None
                    if answer["status"] == 403
                    else f"answers a SQL-injection probe with {answer['status'] or answer['error']}"
                )

            self.judge_others("NGX-08", expected, actual, blocks)
        self.f.compare("NGX-08", expected, actual)

    # NGX-09, NGX-10
    def limits(self) -> None:
        if self.f.wanted("NGX-09") and self.config_needed("NGX-09"):
            rate = self.p["rate_limit"]
            zones = {
                args[1].split("=", 1)[1].split(":")[0]: args
                for args in ngx.directive_values(self.directives, "limit_req_zone")
                if len(args) > 1 and args[1].startswith("zone=")
            }
            limit = self.value("limit_req") or []
            zone = next((a.split("=", 1)[1] for a in limit if a.startswith("zone=")), None)
            expected = {
                "limit_req": f"rate={rate.get('rate')} burst={rate.get('burst')}",
                "limit_req_status": "429",
                "limit_conn": str(rate.get("conn")),
                "limit_conn_status": "429",
            }
            zone_rate = next((a.split("=", 1)[1] for a in zones.get(zone, []) if a.startswith("rate=")), None)
            burst = next((a.split("=", 1)[1] for a in limit if a.startswith("burst=")), None)
            conn = self.value("limit_conn") or []
            actual = {
                "limit_req": f"rate={zone_rate} burst={burst}" if zone else "none",
                "limit_req_status": (self.value("limit_req_status") or ["503"])[0],
                "limit_conn": conn[1] if len(conn) > 1 else "none",
                "limit_conn_status": (self.value("limit_conn_status") or ["503"])[0],
            }

            def limited(entry: dict[str, t.Any]) -> str | None:
                missing = [n for n in ("limit_req", "limit_conn") if not self.other_value(entry, n)]
                return f"no {' or '.join(missing)}" if missing else None

            self.judge_others("NGX-09", expected, actual, limited)
            self.f.compare("NGX-09", expected, actual)
        if self.f.wanted("NGX-10") and self.config_needed("NGX-10"):
            wanted = {k: str(v) for k, v in self.p["client_limits"].items()}
            actual = {k: " ".join(self.value(k) or ["(nginx default)"]) for k in wanted}

            def client_limits(entry: dict[str, t.Any]) -> str | None:
                unset = [k for k in wanted if not self.other_value(entry, k)]
                return f"nginx's defaults for {', '.join(unset)}" if unset else None

            self.judge_others("NGX-10", wanted, actual, client_limits)
            self.f.compare("NGX-10", wanted, actual)


def main() -> None:
    argument_spec = {
        "address": {"type": "str", "default": "127.0.0.1"},
        "server_name": {"type": "str", "required": True},
        "http_port": {"type": "int", "default": 80},
        "https_port": {"type": "int", "default": 443},
        "acme_path": {"type": "str", "default": ""},
        "protocols": {"type": "list", "elements": "str", "default": ["TLSv1.2", "TLSv1.3"]},
        "ciphers": {"type": "str", "default": ""},
        "ecdh_curve": {"type": "str", "default": ""},
        "site_file": {"type": "str", "default": "/etc/nginx/conf.d/insightengine-hardening.conf"},
        "certificate": {"type": "dict", "default": {}},
        "headers": {"type": "dict", "default": {}},
        "hsts_min_age": {"type": "int", "default": ngx.HSTS_MIN_AGE},
        "waf": {"type": "dict", "default": {}},
        "rate_limit": {"type": "dict", "default": {}},
        "client_limits": {"type": "dict", "default": {}},
    }
    argument_spec.update(findings_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    host = _host.HostReader.for_module(module)
    run_verify(module, "nginx", ngx.CATALOG, lambda findings: NginxVerifier(module.params, host, findings).run())


if __name__ == "__main__":
    main()
