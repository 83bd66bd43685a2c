"""The nginx layer, measured from the test runner as a client would see it,
on Debian 12 (nginx 1.22) and 13 (nginx 1.26), in front of prepare.yml's
small application.

The client code here is the test's own (ssl, http.client), not the verify
module's, so a bug in one cannot hide in the other.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import subprocess
import time
import warnings

import pytest
from conftest import (
    assert_bad_inputs_refused,
    assert_converged,
    assert_drift_reported,
    assert_refused_and_unchanged,
    assert_waivers_hold,
    run_playbook,
    sh,
)

HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "content-security-policy": (
        "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
CONF = "/etc/nginx/conf.d/insightengine-hardening.conf"
EXTRA = "/etc/nginx/insightengine.d/molecule-test.conf"


def context(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ctx.maximum_version = version
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def handshake(ip: str, name: str, version: ssl.TLSVersion) -> tuple[bool, str]:
    try:
        with socket.create_connection((ip, 443), timeout=5) as raw:  # noqa: SIM117 - the socket outlives a failed wrap
            with context(version).wrap_socket(raw, server_hostname=name) as tls:
                return True, f"{tls.version()} {tls.cipher()[0]}"
    except ssl.SSLError as exc:
        return False, str(exc)


def handshake_port(container: str, port: int, version: ssl.TLSVersion, ciphers: str = "DEFAULT@SECLEVEL=0") -> tuple[bool, str]:
    """A handshake from inside the container to one of its own ports (not
    published): whether it completed, and the cipher or openssl's output."""
    flag = {ssl.TLSVersion.TLSv1_1: "-tls1_1", ssl.TLSVersion.TLSv1_2: "-tls1_2"}[version]
    out = sh(
        container,
        f"echo | timeout 10 openssl s_client -connect 127.0.0.1:{port} {flag} -cipher '{ciphers}' 2>&1",
        check=False,
    ).stdout
    cipher = re.search(r"^New, \S+, Cipher is (\S+)", out, re.M)
    return (cipher is not None and cipher.group(1) != "(NONE)"), (cipher.group(1) if cipher else out)


def request(ip: str, name: str, path: str = "/", *, tls: bool = True, method: str = "GET", headers: dict | None = None):
    conn = (
        http.client.HTTPSConnection(ip, 443, timeout=10, context=context())
        if tls
        else http.client.HTTPConnection(ip, 80, timeout=10)
    )
    try:
        conn.request(method, path, headers={"Host": name, **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        return response.status, response.getheaders(), body
    finally:
        conn.close()


def security_header_problems(headers: list[tuple[str, str]], wanted: dict[str, str]) -> dict[str, object]:
    served: dict[str, list[str]] = {}
    for key, value in headers:
        served.setdefault(key.lower(), []).append(value)
    return {k: served.get(k) for k, v in wanted.items() if served.get(k) != [v]}


@pytest.fixture(scope="module", params=["nginx-debian12", "nginx-debian13"])
def target(request, ips):
    return request.param, ips[request.param]


# --- what a client gets ------------------------------------------------------------------


def test_http_redirects_to_https(target):
    name, ip = target
    status, headers, _body = request(ip, name, "/some/page?x=1", tls=False)
    assert status == 301
    assert dict(headers)["Location"] == f"https://{name}/some/page?x=1"


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        (ssl.TLSVersion.TLSv1, False),
        (ssl.TLSVersion.TLSv1_1, False),
        (ssl.TLSVersion.TLSv1_2, True),
        (ssl.TLSVersion.TLSv1_3, True),
    ],
    ids=["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
)
def test_only_tls_1_2_and_1_3_complete_a_handshake(target, version, accepted):
    name, ip = target
    ok, detail = handshake(ip, name, version)
    assert ok is accepted, detail


def test_tls_1_2_negotiates_forward_secret_aead_without_tickets(target):
    name, ip = target
    with socket.create_connection((ip, 443), timeout=5) as raw:  # noqa: SIM117
        with context(ssl.TLSVersion.TLSv1_2).wrap_socket(raw, server_hostname=name) as tls:
            cipher = tls.cipher()[0]
            assert cipher.startswith(("ECDHE-", "DHE-")) and ("GCM" in cipher or "CHACHA20" in cipher), cipher
            assert not tls.session.has_ticket


def test_every_header_on_200_404_502_and_a_location_with_its_own_add_header(target):
    name, ip = target
    # A location of the operator's own, with its own add_header (which in
    # plain nginx drops every inherited add_header), and a dead upstream.
    sh(
        name,
        f"printf '%s\\n' 'location /custom {{ add_header X-Custom yes always; proxy_pass http://insightengine_app/; }}'"
        f" 'location /down {{ proxy_pass http://127.0.0.1:9; }}' > {EXTRA} && nginx -t -q && systemctl reload nginx",
    )
    time.sleep(1)
    try:
        for path, status_wanted in (("/", 200), ("/no-such-page", 404), ("/down", 502), ("/custom", 200)):
            status, headers, _body = request(ip, name, path)
            assert status == status_wanted, (path, status)
            assert security_header_problems(headers, HEADERS) == {}, (path, headers)
            if path == "/custom":
                assert ("X-Custom", "yes") in headers
        status, headers, _body = request(ip, name, "/", tls=False)
        assert status == 301
        assert security_header_problems(headers, HEADERS) == {}, headers
    finally:
        sh(name, f"rm -f {EXTRA} && systemctl reload nginx")


def test_no_version_in_the_server_header(target):
    name, ip = target
    for path in ("/", "/no-such-page"):
        _status, headers, _body = request(ip, name, path)
        assert dict(headers).get("Server") == "nginx"


def test_the_waf_blocks_sql_injection_and_lets_normal_requests_through(target):
    name, ip = target
    status, _headers, body = request(ip, name, "/")
    assert status == 200 and b"upstream ok" in body
    status, _headers, _body = request(ip, name, "/?id=1%27%20OR%20%271%27%3D%271")
    assert status == 403
    assert "942100" in sh(name, "cat /var/log/nginx/modsec_audit.log").stdout  # libinjection's SQLi rule


def test_a_burst_above_the_rate_gets_429(target):
    name, ip = target
    time.sleep(3)  # let the bucket drain (5r/s, burst 10)
    statuses = [request(ip, name, "/")[0] for _attempt in range(40)]
    assert statuses[:11] == [200] * 11, statuses
    assert statuses.count(429) >= 20, statuses
    time.sleep(3)


def test_an_oversized_body_is_refused(target):
    name, ip = target
    time.sleep(1)
    status, _headers, _body = request(ip, name, "/", method="POST", headers={"Content-Length": str(11 * 1024 * 1024)})
    assert status == 413


def test_the_key_is_root_only(target):
    name, _ip = target
    assert sh(name, "stat -c '%a %U' /etc/nginx/tls/insightengine.key").stdout.split() == ["600", "root"]


def test_acme_challenges_are_served_over_http_not_redirected(hosts, converge_playbook, ips):
    for name in hosts:
        sh(name, "mkdir -p /srv/acme/.well-known/acme-challenge && echo token-value > /srv/acme/.well-known/acme-challenge/t1")
    run = run_playbook(converge_playbook, extra_vars={"nginx_acme_challenge_dir": "/srv/acme"})
    assert run.rc == 0, run.stdout[-3000:]
    try:
        for name in hosts:
            assert run.statuses(name, "nginx")["NGX-01"] == "pass"
            status, _headers, body = request(ips[name], name, "/.well-known/acme-challenge/t1", tls=False)
            assert (status, body) == (200, b"token-value\n")
            assert request(ips[name], name, "/elsewhere", tls=False)[0] == 301
    finally:
        back = run_playbook(converge_playbook)
        assert back.rc == 0, back.stdout[-3000:]


# --- check mode, drift, bad input -----------------------------------------------------------


def test_check_mode_after_converge_reports_nothing(hosts, converge_playbook):
    time.sleep(2)
    assert_converged(converge_playbook, hosts, "nginx", 10)


def test_tls_1_0_re_enabled_behind_the_roles_back_is_reported_then_repaired(hosts, converge_playbook):
    for name in hosts:
        protocols = "s/ssl_protocols TLSv1.2 TLSv1.3;/ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;/"
        sh(name, f"sed -i '{protocols}; s/server_tokens off;/server_tokens on;/' {CONF}")
        sh(name, "nginx -t -q && systemctl reload nginx")
    time.sleep(2)
    drift = {"NGX-02", "NGX-07"}
    assert_drift_reported(converge_playbook, hosts, "nginx", drift, drift)
    # The layer contract's waivers, on this drift: waived in check mode; a
    # normal run repairs the drift and still fails the expired waiver's control.
    assert_waivers_hold(converge_playbook, hosts, "nginx", drift)
    time.sleep(2)
    assert_converged(converge_playbook, hosts, "nginx", 10)


def test_a_waiver_for_an_unknown_control_is_refused_before_anything_changes(hosts, converge_playbook):
    waiver = {"reason": "typo", "approver": "ops", "expires": "2099-01-01"}
    assert_refused_and_unchanged(
        converge_playbook,
        hosts[0],
        {"insightengine_hardening_waivers": {"NGX-99": waiver}},
        "insightengine_hardening_waivers.NGX-99: no such control in this collection",
        FINGERPRINT,
    )


def test_a_waf_elsewhere_is_reported_as_handled_there(hosts, converge_playbook):
    run = run_playbook(converge_playbook, check=True, extra_vars={"nginx_waf_elsewhere": "Cloudflare WAF"})
    assert run.rc == 0
    for name in hosts:
        finding = run.findings(name, "nginx")["NGX-08"]
        assert finding["status"] == "not_applicable" and finding["reason"] == "handled elsewhere: Cloudflare WAF", finding


FINGERPRINT = ["(nginx -T 2>/dev/null)", "ls -l --time-style=+%s /etc/nginx/tls"]


def test_bad_input_fails_naming_the_variable_and_changes_nothing(hosts):
    """The validators' case tables and every option with a smuggled
    directive (; } { $ and newlines), on a real nginx: each stops the role
    before it changes anything, naming its variable."""
    for name in hosts:
        count = assert_bad_inputs_refused("nginx", name, FINGERPRINT, extra={"nginx_server_names": [name]})
        assert count > 80, count


# Sites of others: they inherit ssl_protocols and ssl_prefer_server_ciphers
# from the http level (nginx.conf), and offer TLS 1.1 suites at SECLEVEL 0
# (one CBC suite) in the server's own order, AES-256 first. On a stock Debian 12 nginx.conf
# (TLSv1 TLSv1.1 ..., prefer on) a TLS 1.1 handshake completes and the server
# picks AES-256 over the client's AES-128. The second site asks for TLS 1.1
# itself: the handshake that proves this client and server can speak it.
OTHER_CIPHERS = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"
OTHER_SITE = """server {{
    listen {port} ssl;
    server_name {name};
    ssl_certificate /etc/nginx/tls/insightengine.crt;
    ssl_certificate_key /etc/nginx/tls/insightengine.key;
    ssl_ciphers {ciphers};{protocols}
    location / {{ return 200 "other"; }}
}}
"""


def test_a_second_tls_site_without_the_hardening_fails_by_name(hosts, converge_playbook):
    sites = OTHER_SITE.format(port=8443, name="other.test", ciphers=OTHER_CIPHERS, protocols="") + OTHER_SITE.format(
        port=8444, name="legacy.test", ciphers=OTHER_CIPHERS, protocols="\n    ssl_protocols TLSv1.1 TLSv1.2;"
    )
    for name in hosts:
        sh(name, f"cat > /etc/nginx/sites-enabled/other <<'EOF'\n{sites}EOF\nnginx -t -q && systemctl reload nginx")
    try:
        time.sleep(1.5)
        run = run_playbook(converge_playbook, check=True)
        assert run.rc == 0, run.stdout[-2000:]
        for name in hosts:
            findings = {f["id"]: f for f in run.verify(name, "nginx")["findings"]}
            label = "other.test (https://127.0.0.1:8443, /etc/nginx/sites-enabled/other)"
            for cid in ("NGX-05", "NGX-06", "NGX-08", "NGX-09", "NGX-10"):
                assert findings[cid]["status"] == "fail", (cid, findings[cid])
                assert label in json.dumps(findings[cid]["actual"]), (cid, findings[cid]["actual"])
            # What it inherits from the http level is hardened, as a client
            # gets it: no TLS 1.1, the client's cipher order, no version.
            assert handshake_port(name, 8444, ssl.TLSVersion.TLSv1_1)[0], "the TLS 1.1 probe cannot speak TLS 1.1"
            assert not handshake_port(name, 8443, ssl.TLSVersion.TLSv1_1)[0]
            client_order = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
            assert handshake_port(name, 8443, ssl.TLSVersion.TLSv1_2, client_order) == (True, "ECDHE-ECDSA-AES128-GCM-SHA256")
            ngx02 = json.dumps(findings["NGX-02"]["actual"])
            assert findings["NGX-02"]["status"] == "fail" and "legacy.test" in ngx02 and "other.test" not in ngx02, ngx02
            assert findings["NGX-07"]["status"] == "pass"
    finally:
        for name in hosts:
            sh(name, "rm -f /etc/nginx/sites-enabled/other && systemctl reload nginx")
    time.sleep(1.5)


def test_an_nginx_configuration_analyzer_finds_no_high_severity_issue(hosts, tmp_path):
    for name in hosts:
        dump = tmp_path / f"{name}.conf"
        dump.write_text(sh(name, "nginx -T 2>/dev/null").stdout)
        result = subprocess.run(["gixy", "-f", "json", str(dump)], capture_output=True, text=True, check=False)
        issues = json.loads(result.stdout or "[]")
        assert [i for i in issues if i["severity"] == "HIGH"] == [], issues


def test_the_candidate_site_is_tested_whatever_the_include_line_looks_like(hosts, converge_playbook, ips):
    name = hosts[0]
    sh(name, "cp /etc/nginx/nginx.conf /root/nginx.conf.orig")
    # Another formatting of the same include: relative, spaced, commented.
    sh(
        name,
        r"sed -i 's#^\(\s*\)include /etc/nginx/conf.d/\*.conf;#\1include    conf.d/*.conf ;   \# ours#' /etc/nginx/nginx.conf",
    )
    assert "include    conf.d/*.conf ;" in sh(name, "cat /etc/nginx/nginx.conf").stdout
    try:
        before = sh(name, f"sha256sum {CONF}").stdout
        bad = run_playbook(converge_playbook, extra_vars={"nginx_upstream": "no-such-host.invalid:8080"}, limit=name)
        assert bad.rc != 0 and "no-such-host.invalid" in bad.failure_messages(name)
        assert sh(name, f"sha256sum {CONF}").stdout == before
        good = run_playbook(converge_playbook, extra_vars={"nginx_client_limit_body_timeout": 12}, limit=name)
        assert good.rc == 0, good.stdout[-2000:]
        assert "client_body_timeout 12s;" in sh(name, f"cat {CONF}").stdout
    finally:
        sh(name, "cp /root/nginx.conf.orig /etc/nginx/nginx.conf && nginx -t -q && systemctl reload nginx")
    time.sleep(1.5)
    assert run_playbook(converge_playbook, limit=name).rc == 0


def test_a_run_killed_between_the_site_write_and_its_reload_is_repaired_by_the_next(hosts, converge_playbook, ips):
    for name in hosts:
        ip = ips[name]
        # Behind the role's back: HSTS gone from the site, and served so.
        sh(name, f"sed -i '/Strict-Transport-Security/d' {CONF} && nginx -t -q && systemctl reload nginx")
        time.sleep(1.5)
        assert "strict-transport-security" not in {k.lower() for k, _v in request(ip, name)[1]}
        run_playbook(converge_playbook, limit=name, interrupt_after="Write the site")
        assert "Strict-Transport-Security" in sh(name, f"cat {CONF}").stdout
        assert "strict-transport-security" not in {k.lower() for k, _v in request(ip, name)[1]}, "nginx reloaded after all?"
        check = run_playbook(converge_playbook, check=True, limit=name)
        assert check.statuses(name, "nginx")["NGX-05"] == "fail"
        assert any("Reload nginx, which runs an older configuration" in t for t in check.changed_tasks(name))
        repair = run_playbook(converge_playbook, limit=name)
        assert repair.rc == 0, repair.stdout[-3000:]
        served = {k.lower(): v for k, v in request(ip, name)[1]}
        assert served["strict-transport-security"] == HEADERS["strict-transport-security"]
    time.sleep(1.5)
    assert_converged(converge_playbook, hosts, "nginx", 10)


def test_a_renamed_site_gets_a_certificate_for_its_new_name(hosts, converge_playbook, ips):
    name = hosts[1]
    renamed = {"nginx_server_names": ["renamed.test", name]}
    run = run_playbook(converge_playbook, extra_vars=renamed, limit=name)
    assert run.rc == 0, run.stdout[-3000:]
    sans = sh(name, "openssl x509 -noout -ext subjectAltName -in /etc/nginx/tls/insightengine.crt").stdout
    assert "DNS:renamed.test" in sans and f"DNS:{name}" in sans, sans
    assert run.statuses(name, "nginx")["NGX-04"] == "pass"
    again = run_playbook(converge_playbook, extra_vars=renamed, limit=name)
    assert again.changed(name) == 0, again.changed_tasks(name)
    time.sleep(1.5)
    back = run_playbook(converge_playbook, limit=name)
    assert (
        back.rc == 0
        and "renamed.test" not in sh(name, "openssl x509 -noout -ext subjectAltName -in /etc/nginx/tls/insightengine.crt").stdout
    )
    time.sleep(1.5)


def test_a_site_nginx_refuses_never_replaces_the_running_one(hosts, converge_playbook, ips):
    name = hosts[1]
    before = sh(name, f"sha256sum {CONF}").stdout
    run = run_playbook(converge_playbook, extra_vars={"nginx_upstream": "no-such-host.invalid:8080"}, limit=name)
    assert run.rc != 0
    assert "nginx_upstream" in run.failure_messages(name) and "no-such-host.invalid" in run.failure_messages(name)
    assert sh(name, f"sha256sum {CONF}").stdout == before
    time.sleep(1)
    assert request(ips[name], name, "/")[0] == 200
