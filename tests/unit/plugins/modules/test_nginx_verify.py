"""nginx_verify end to end against local servers: an HTTPS site and an HTTP
redirect served by Python, with nginx -T recorded from Debian 12 and 13
after the role ran. Each drift fails its own control."""

from __future__ import annotations

import contextlib
import http.server
import re
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import checked_report, make_certificate

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _nginx as ngx
from ansible_collections.insightengine.hardening.plugins.module_utils._findings import Findings
from ansible_collections.insightengine.hardening.plugins.modules.nginx_verify import NginxVerifier

FIXTURES = Path(__file__).parents[1] / "module_utils" / "fixtures" / "nginx"
NAME = "site.test"
HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=()",
}


class Site:
    """What the fake site serves; tests change it to drift."""

    def __init__(self):
        self.headers = dict(HEADERS)
        self.error_headers = dict(HEADERS)
        self.server = "nginx"
        self.min_tls = ssl.TLSVersion.TLSv1_2


def make_handler(site: Site, tls: bool):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if not tls:
                self.send_response(301)
                self.send_header("Location", f"https://{NAME}{self.path}")
                headers = site.headers
            elif "OR" in self.path or "%27" in self.path:
                self.send_response(403)
                headers = site.error_headers
            elif self.path == "/":
                self.send_response(200)
                headers = site.headers
            else:
                self.send_response(404)
                headers = site.error_headers
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def version_string(self):
            return site.server

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"), NAME, days=90)


@pytest.fixture
def site(tls_files):
    state = Site()
    https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, tls=True))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = state.min_tls
    context.options |= ssl.OP_NO_TICKET
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    context.load_cert_chain(*tls_files)
    https.socket = context.wrap_socket(https.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, tls=False))
    for server in (https, plain):
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    state.ports = (plain.server_address[1], https.server_address[1])
    state.context = context
    yield state
    https.shutdown()
    plain.shutdown()


class RecordedNginx(_host.HostReader):
    """nginx -T and the WAF rules as recorded; openssl runs for real."""

    def __init__(self, release: str, https_port: int):
        super().__init__(run=self._run, which=lambda name: f"/usr/bin/{name}" if name == "nginx" else _which(name))
        dump = (FIXTURES / f"nginx_T_{release}.txt").read_text()
        self.dump = re.sub(r"listen 443 ssl", f"listen {https_port} ssl", dump)
        self.rules = (FIXTURES / f"modsecurity_{release}.conf").read_text()

    def _run(self, cmd: list[str]) -> tuple[int, str, str]:
        if cmd == ["/usr/bin/nginx", "-T"]:
            return 0, self.dump, ""
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def read(self, path: str) -> str | None:
        return self.rules if path.endswith("insightengine-modsecurity.conf") else super().read(path)


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


def params(site: Site, tls_files) -> dict:
    cert, key = tls_files
    return {
        "address": "127.0.0.1",
        "server_name": NAME,
        "http_port": site.ports[0],
        "https_port": site.ports[1],
        "acme_path": "",
        "protocols": ["TLSv1.2", "TLSv1.3"],
        "ciphers": "",
        "ecdh_curve": "",
        "site_file": "/etc/nginx/conf.d/insightengine-hardening.conf",
        "certificate": {"cert_file": str(cert), "key_file": str(key), "min_days_left": 14},
        "headers": HEADERS,
        "hsts_min_age": 31536000,
        "waf": {"rules_file": "/etc/nginx/insightengine-modsecurity.conf", "detection_only": False},
        "rate_limit": {"rate": "10r/s", "burst": 20, "conn": 20},
        "client_limits": {"client_max_body_size": "10m", "client_body_timeout": "10s"},
        "disabled": {},
        "not_applicable": {},
        "waivers": {},
        "strict": True,
    }


def statuses(site, tls_files, release="debian13", **changes) -> dict[str, str]:
    p = params(site, tls_files)
    p.update(changes)
    findings = Findings("nginx", ngx.CATALOG, p["disabled"], p["not_applicable"], p["waivers"])
    NginxVerifier(p, RecordedNginx(release, site.ports[1]), findings).run()
    checked_report(findings.result(strict=False))
    return {f.control.id: f.status for f in findings.findings()}


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_a_served_site_in_shape_passes_every_control(site, tls_files, release):
    assert statuses(site, tls_files, release) == {f"NGX-{n:02d}": "pass" for n in range(1, 11)}


def test_a_header_missing_on_error_pages_fails_ngx_06_only(site, tls_files):
    del site.error_headers["X-Content-Type-Options"]
    result = statuses(site, tls_files)
    assert {c for c, s in result.items() if s == "fail"} == {"NGX-06"}


def test_a_short_hsts_fails_ngx_05_only(site, tls_files):
    site.headers["Strict-Transport-Security"] = site.error_headers["Strict-Transport-Security"] = "max-age=600"
    result = statuses(site, tls_files)
    assert {c for c, s in result.items() if s == "fail"} == {"NGX-05"}


def test_a_version_in_the_server_header_fails_ngx_07(site, tls_files):
    site.server = "nginx/1.22.1"
    assert statuses(site, tls_files)["NGX-07"] == "fail"


def test_an_accepted_tls_1_1_handshake_fails_ngx_02(site, tls_files):
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore", DeprecationWarning)
        site.context.minimum_version = ssl.TLSVersion.TLSv1_1
    site.context.set_ciphers("ALL:@SECLEVEL=0")
    result = statuses(site, tls_files)
    if ngx.tls_handshake("127.0.0.1", site.ports[1], "TLSv1.1")["accepted"] is not True:
        pytest.skip("this machine's OpenSSL will not speak TLS 1.1 even at SECLEVEL=0")
    assert result["NGX-02"] == "fail"


def test_a_different_certificate_on_disk_fails_ngx_04(site, tls_files, tmp_path):
    other = tmp_path / "other.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={NAME}",
         "-keyout", str(tmp_path / "other.key"), "-out", str(other), "-days", "30"],
        check=True, capture_output=True,
    )  # fmt: skip
    result = statuses(site, tls_files, certificate={"cert_file": str(other), "key_file": str(tls_files[1]), "min_days_left": 14})
    assert result["NGX-04"] == "fail"


def test_a_waf_in_detection_only_is_not_the_blocking_one_asked_for(site, tls_files):
    result = statuses(site, tls_files, waf={"rules_file": "/etc/nginx/insightengine-modsecurity.conf", "detection_only": True})
    assert result["NGX-08"] == "fail"  # the recorded rules say SecRuleEngine On


def test_limits_other_than_asked_fail_ngx_09_and_10(site, tls_files):
    result = statuses(
        site, tls_files, rate_limit={"rate": "50r/s", "burst": 10, "conn": 20}, client_limits={"client_max_body_size": "1m"}
    )
    assert result["NGX-09"] == result["NGX-10"] == "fail"


@contextlib.contextmanager
def another_site(site, tls_files, context: ssl.SSLContext, served: Site, cert_file):
    """A second TLS site, served by Python with context and in nginx -T as
    other.test naming cert_file: its label and the findings by control."""
    https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(served, tls=True))
    https.socket = context.wrap_socket(https.socket, server_side=True)
    threading.Thread(target=https.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        port = https.server_address[1]
        host = RecordedNginx("debian13", site.ports[1])
        host.dump += (
            f"\n# configuration file /etc/nginx/sites-enabled/other:\n"
            f"server {{\n    listen {port} ssl;\n    server_name other.test;\n    ssl_certificate {cert_file};\n}}\n"
        )
        findings = Findings("nginx", ngx.CATALOG, {})
        NginxVerifier(params(site, tls_files), host, findings).run()
        yield (
            f"other.test (https://127.0.0.1:{port}, /etc/nginx/sites-enabled/other)",
            {f.control.id: f for f in findings.findings()},
        )
    finally:
        https.shutdown()


def test_a_second_tls_site_without_the_headers_fails_by_name(site, tls_files):
    other = Site()
    other.headers, other.error_headers = {}, {}
    with another_site(site, tls_files, site.context, other, tls_files[0]) as (label, result):
        for cid in ("NGX-05", "NGX-06"):
            assert result[cid].status == "fail"
            assert any(key.startswith(label) for key in result[cid].actual), result[cid].actual
        assert result["NGX-09"].status == "fail"
        assert result["NGX-09"].actual["other sites on this host"] == {label: "no limit_req or limit_conn"}
        assert result["NGX-02"].status == "pass"  # it refuses TLS 1.0 and 1.1 like the role's site


@pytest.mark.parametrize("same_file", [True, False], ids=["serves its file", "serves another certificate"])
def test_another_site_must_serve_the_certificate_its_configuration_names(site, tls_files, tmp_path, same_file):
    (tmp_path / "served").mkdir()
    served = make_certificate(tmp_path / "served", "other.test", days=90)
    configured = served if same_file else make_certificate(tmp_path, "other.test", days=90)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*served)
    with another_site(site, tls_files, context, Site(), configured[0]) as (_label, result):
        problems = result["NGX-04"].actual["other sites on this host"]
        if same_file:
            assert (result["NGX-04"].status, problems) == ("pass", {})
        else:
            assert result["NGX-04"].status == "fail"
            assert [p.startswith(f"serves a certificate other than {configured[0]}") for p in problems.values()] == [True]
