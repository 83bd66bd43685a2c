# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nginx role's inputs: one validator per public variable, checks across
variables, and the checks that need the host (nginx_info).

Where values land: the nginx site file, where ``;`` ends a directive,
``{`` and ``}`` open and close blocks, ``$`` starts a variable (in a header
value, one the client controls) and whitespace separates arguments; and the
ModSecurity rules file. Header values are written as nginx double-quoted
strings, so they are checked as HTTP field values too (printable ASCII, no
backslash).

Private to the collection: no API promise.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
from ansible_collections.insightengine.hardening.plugins.module_utils._inputs import Invalid

# CRS and ModSecurity rules whose removal switches the blocking decision off
# (or the scoring it is made from): an exclusion must be a detection rule.
DECISION_RULES = (
    (200000, 200999, "ModSecurity's own request body and parser checks"),
    (900000, 901999, "the Core Rule Set's setup and initialisation (anomaly thresholds, paranoia level)"),
    (949000, 949999, "the inbound anomaly score blocking evaluation"),
    (959000, 959999, "the outbound anomaly score blocking evaluation"),
)
# An HTTP field value nginx can hold in a double-quoted string: printable
# ASCII; no backslash (an escape), $ (a variable), { } (blocks).
_HEADER_FORBIDDEN = "\\${}"
_CSP_DIRECTIVE = re.compile(r"[a-z][a-z-]*(\s+[^\s;,]+)*")
_PERMISSION = re.compile(r'[a-z][a-z0-9-]*=(?:\*|self|\((?:\s*(?:self|src|\*|"[^"\s\\]+"))*\s*\))')


def header_value(value: t.Any) -> str:
    raw = v.string(None, what="an HTTP header value", max_length=2000)(value)
    bad = sorted({c for c in raw if c in _HEADER_FORBIDDEN or not (" " <= c <= "~")})
    if bad:
        raise Invalid(
            f"must be printable ASCII without \\ $ {{ }} (nginx would read them as escapes, variables or blocks): "
            f"{' '.join(map(v.shown, bad))} in {v.shown(value)}"
        )
    if raw != raw.strip():
        raise Invalid(f"must not start or end with spaces, got {v.shown(value)}")
    return raw


def content_security_policy(value: t.Any) -> str:
    raw = header_value(value)
    parts = [p.strip() for p in raw.split(";") if p.strip()]
    if not parts:
        raise Invalid("is empty; a policy needs at least default-src")
    names = []
    for part in parts:
        if not _CSP_DIRECTIVE.fullmatch(part):
            raise Invalid(
                f'does not parse: {v.shown(part)} is not "directive source ..." '
                '(directives are separated by ";", sources by spaces)'
            )
        names.append(part.split()[0])
    if len(set(names)) != len(names):
        raise Invalid("names a directive twice (browsers ignore the second)")
    if "default-src" not in names:
        raise Invalid("must set default-src")
    return raw


def permissions_policy(value: t.Any) -> str:
    raw = header_value(value)
    for member in (m.strip() for m in raw.split(",")):
        if not _PERMISSION.fullmatch(member):
            raise Invalid(
                f'does not parse: {v.shown(member)} is not feature=(allowlist), e.g. camera=() or geolocation=(self "https://a.example")'
            )
    return raw


def server_name(value: t.Any) -> str:
    raw = v.string(None, what="a host name")(value)
    return raw if raw == "_" else v.host(raw, wildcard=True)


def upstream(value: t.Any) -> str:
    """HOST:PORT, [IPv6]:PORT or unix:/path, as nginx's server directive takes it."""
    raw = v.string(None, what="HOST:PORT, [IPv6]:PORT or unix:/path")(value)
    if raw.startswith("unix:"):
        return "unix:" + v.path(raw[5:])
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})|([^:\[\]]+):([0-9]{1,5})", raw)
    if not match:
        raise Invalid(f"must be HOST:PORT, [IPv6]:PORT or unix:/path, got {v.shown(value)}")
    if match.group(1):
        return f"[{v.address(match.group(1))}]:{v.port(match.group(2))}"
    return f"{v.host(match.group(3), underscore=True)}:{v.port(match.group(4))}"


def rate(value: t.Any) -> str:
    return v.string(r"[1-9][0-9]{0,5}r/[sm]", what="a rate such as 10r/s or 300r/m (zero would refuse every request)")(value)


# Groups OpenSSL 3 knows for TLS key exchange (what ssl_ecdh_curve takes).
GROUPS = (
    "X25519", "X448", "prime256v1", "secp256r1", "secp384r1", "secp521r1", "P-256", "P-384", "P-521",
    "X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "ffdhe2048", "ffdhe3072", "ffdhe4096",
)  # fmt: skip


def ecdh_curve(value: t.Any) -> str:
    raw = v.string(r"[A-Za-z0-9-]+(:[A-Za-z0-9-]+)*", what="colon-separated key exchange groups such as X25519:prime256v1")(value)
    unknown = [g for g in raw.split(":") if g not in GROUPS]
    if unknown:
        raise Invalid(f"names groups OpenSSL does not offer for TLS: {', '.join(unknown)} (known: {', '.join(GROUPS)})")
    if raw.split(":")[0] in ("ffdhe2048",):
        raise Invalid("must not prefer a 2048-bit finite-field group")
    return raw


def rule_exclusion(value: t.Any) -> int:
    rule = v.integer(1, 9999999, "a rule ID")(value)
    for low, high, what in DECISION_RULES:
        if low <= rule <= high:
            raise Invalid(f"is rule {rule}, part of {what}: removing it switches the WAF's blocking decision off")
    return rule


SPEC: dict[str, v.Validator] = {
    "nginx_verify_strict": v.boolean,
    "nginx_server_names": v.list_of(server_name, min_items=1, max_items=100),
    "nginx_upstream": upstream,
    "nginx_http_port": v.port,
    "nginx_https_port": v.port,
    "nginx_acme_challenge_dir": v.optional(v.path),
    "nginx_default_site_disabled": v.boolean,
    "nginx_https_redirect_enabled": v.boolean,
    "nginx_tls_protocols_enabled": v.boolean,
    "nginx_tls_protocols": v.list_of(
        v.choice("TLSv1.2", "TLSv1.3", what="TLSv1.2 or TLSv1.3 (SSLv3, TLSv1 and TLSv1.1 are broken), not one of"), min_items=1
    ),
    "nginx_tls_ciphers_enabled": v.boolean,
    "nginx_tls_ciphers": v.openssl_ciphers,
    "nginx_tls_ecdh_curve": ecdh_curve,
    "nginx_certificate_enabled": v.boolean,
    "nginx_ssl_cert_file": v.optional(v.path),
    "nginx_ssl_key_file": v.optional(v.path),
    "nginx_ssl_cert_valid_days": v.integer(2, 3650, "a number of days"),
    "nginx_ssl_cert_renew_days": v.integer(1, 365, "a number of days"),
    "nginx_ssl_cert_min_days_left": v.integer(1, 365, "a number of days"),
    "nginx_ssl_stapling": v.choice("auto", "on", "off"),
    "nginx_hsts_enabled": v.boolean,
    "nginx_hsts_max_age": v.integer(31536000, 315360000, "seconds (at least one year)"),
    "nginx_hsts_preload": v.boolean,
    "nginx_security_headers_enabled": v.boolean,
    "nginx_frame_options": v.choice("DENY", "SAMEORIGIN"),
    "nginx_content_security_policy": content_security_policy,
    "nginx_referrer_policy": v.choice("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"),
    "nginx_permissions_policy": permissions_policy,
    "nginx_server_tokens_enabled": v.boolean,
    "nginx_waf_enabled": v.boolean,
    "nginx_waf_elsewhere": v.text(max_length=200),
    "nginx_waf_detection_only": v.boolean,
    "nginx_waf_rule_exclusions": v.list_of(rule_exclusion, max_items=500),
    "nginx_waf_paranoia_level": v.integer(1, 4, "a paranoia level"),
    "nginx_rate_limit_enabled": v.boolean,
    "nginx_rate_limit": rate,
    "nginx_rate_limit_burst": v.integer(0, 100000),
    "nginx_conn_limit": v.integer(1, 100000),
    "nginx_client_limits_enabled": v.boolean,
    "nginx_client_limit_body_size": v.size(1024, 1024**3),
    "nginx_client_limit_body_timeout": v.integer(1, 300, "seconds"),
    "nginx_client_limit_header_timeout": v.integer(1, 300, "seconds"),
    "nginx_client_limit_keepalive_timeout": v.integer(1, 300, "seconds"),
    "nginx_client_limit_send_timeout": v.integer(1, 300, "seconds"),
}
MULTILINE: tuple[str, ...] = ()


def check(inputs: v.Inputs) -> None:
    if inputs.valid("nginx_http_port", "nginx_https_port") and inputs["nginx_http_port"] == inputs["nginx_https_port"]:
        inputs.error("nginx_http_port and nginx_https_port must differ")
    if inputs.valid("nginx_server_names"):
        first = inputs["nginx_server_names"][0]
        if first == "_" or first.startswith("*."):
            inputs.error(f"nginx_server_names must start with a plain host name (the one verified and certified), got {first}")
    inputs.together("nginx_ssl_cert_file", "nginx_ssl_key_file", " (neither generates a certificate)")
    inputs.more_than("nginx_ssl_cert_valid_days", "nginx_ssl_cert_renew_days")
    inputs.at_most("nginx_ssl_cert_min_days_left", "nginx_ssl_cert_renew_days")


def not_applicable(values: dict[str, t.Any]) -> dict[str, str]:
    """Controls another system provides, by the operator's word."""
    if values.get("nginx_waf_elsewhere"):
        return {"NGX-08": f"handled elsewhere: {values['nginx_waf_elsewhere']}"}
    return {}


def check_host(inputs: v.Inputs, facts: dict[str, t.Any], context: dict[str, t.Any]) -> None:
    values = inputs.values
    if facts.get("config_valid") is False:
        inputs.error(f"nginx -t fails before any change, so no new configuration could be validated: {facts.get('config_error')}")
    files = facts.get("files") or {}
    for var in ("nginx_ssl_cert_file", "nginx_ssl_key_file"):
        if values[var] and not (files.get(values[var]) or {"exists": True}).get("exists"):
            inputs.error(f"{var} {values[var]} does not exist on the host")
    if not values["nginx_default_site_disabled"] and (files.get("/etc/nginx/sites-enabled/default") or {}).get("exists"):
        inputs.error(
            f"the distribution's default site (/etc/nginx/sites-enabled/default) claims port {values['nginx_http_port']} too; "
            "disable it or set nginx_default_site_disabled: true"
        )
    if values["nginx_tls_ciphers"] and facts.get("ciphers_invalid"):
        inputs.error(f"nginx_tls_ciphers is not a cipher list the host's OpenSSL accepts: {facts['ciphers_invalid']}")
