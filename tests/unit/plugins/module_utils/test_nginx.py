"""The nginx layer's probes against real local servers (TLS pinned to one
version, HTTP headers as served) and the nginx -T parser."""

from __future__ import annotations

import http.server
import ssl
import threading
from pathlib import Path

import pytest
from conftest import make_certificate

from ansible_collections.insightengine.hardening.plugins.module_utils import _host
from ansible_collections.insightengine.hardening.plugins.module_utils import _nginx as ngx


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"), "localhost")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/missing":
            self.send_response(404)
        else:
            self.send_response(200)
            self.send_header("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("X-Frame-Options", "DENY")  # twice: a proxy and the app both set it
        self.send_header("Content-Length", "0")
        self.end_headers()

    def version_string(self):
        return "nginx/1.22.1"

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(certificate):
    """An HTTPS server that speaks TLS 1.2 and 1.3 only."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*certificate)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


@pytest.mark.parametrize(("version", "accepted"), [("TLSv1", False), ("TLSv1.1", False), ("TLSv1.2", True), ("TLSv1.3", True)])
def test_a_handshake_pinned_to_one_version(server, version, accepted):
    result = ngx.tls_handshake("127.0.0.1", server, version, "localhost")
    if result["accepted"] is None:
        pytest.skip(f"this machine's OpenSSL cannot offer {version}: {result['error']}")
    assert result["accepted"] is accepted, result
    if accepted:
        assert result["protocol"] == version
        assert result["cipher"]


def test_nothing_listening_is_unknown_not_refused():
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert ngx.tls_handshake("127.0.0.1", port, "TLSv1.2")["accepted"] is None


def test_headers_as_served(server):
    ok = ngx.http_get("127.0.0.1", server, "/", server_name="localhost")
    assert ok["status"] == 200
    assert ok["headers"]["x-frame-options"] == ["DENY", "DENY"]
    assert ngx.server_version_disclosed(ok) == "nginx/1.22.1"
    wanted = {"strict-transport-security": "", "x-frame-options": "DENY", "x-content-type-options": "nosniff"}
    assert ngx.header_problems(ok, wanted) == {"x-frame-options": "sent 2 times", "x-content-type-options": "missing"}
    missing = ngx.http_get("127.0.0.1", server, "/missing")
    assert missing["status"] == 404
    assert ngx.header_problems(missing, {"strict-transport-security": ""}) == {"strict-transport-security": "missing"}
    plain = ngx.http_get("127.0.0.1", server, "/", tls=False)
    assert plain["status"] is None and plain["error"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=31536000; includeSubDomains; preload", {"max_age": 31536000, "include_subdomains": True, "preload": True}),
        ('max-age="600"', {"max_age": 600, "include_subdomains": False, "preload": False}),
        ("includesubdomains", {"max_age": None, "include_subdomains": True, "preload": False}),
        (None, {"max_age": None, "include_subdomains": False, "preload": False}),
    ],
)
def test_hsts_values(value, expected):
    assert ngx.parse_hsts(value) == expected


def test_hsts_below_a_year_or_without_subdomains_is_a_problem():
    for value in ("max-age=600; includeSubDomains", "max-age=31536000"):
        response = {"headers": {"strict-transport-security": [value]}}
        assert ngx.header_problems(response, {"strict-transport-security": ""}) == {"strict-transport-security": value}


DUMP = """\
nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
nginx: configuration file /etc/nginx/nginx.conf test is successful
# configuration file /etc/nginx/nginx.conf:
user www-data;
include /etc/nginx/modules-enabled/*.conf;
http {
    server_tokens off; # no version
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}

# configuration file /etc/nginx/modules-enabled/50-mod-http-modsecurity.conf:
load_module modules/ngx_http_modsecurity_module.so;

# configuration file /etc/nginx/conf.d/limits.conf:
limit_req_zone $binary_remote_addr zone=perip:10m rate=10r/s;

# configuration file /etc/nginx/sites-enabled/app:
server {
    listen 443 ssl;
    add_header X-Frame-Options "DENY" always;
    location /api {
        include snippets/headers.conf;
        limit_req zone=perip burst=20 nodelay;
    }
}

# configuration file /etc/nginx/snippets/headers.conf:
add_header X-Content-Type-Options 'nosniff' always;
"""


def test_nginx_t_follows_includes_into_their_blocks():
    directives = ngx.parse_nginx_t(DUMP)
    by_name = {d["name"]: d for d in directives}
    tokens = {"name": "server_tokens", "args": ["off"], "file": "/etc/nginx/nginx.conf", "context": ["http"], "blocks": [1]}
    assert by_name["server_tokens"] == tokens
    assert by_name["load_module"]["context"] == []
    assert by_name["limit_req_zone"]["context"] == ["http"]
    assert by_name["limit_req"]["context"] == ["http", "server", "location /api"]
    # A relative include resolves against the main file's directory.
    assert [d["args"] for d in directives if d["name"] == "add_header"] == [
        ["X-Frame-Options", "DENY", "always"],
        ["X-Content-Type-Options", "nosniff", "always"],
    ]
    assert [d["context"] for d in directives if d["name"] == "add_header"][1] == ["http", "server", "location /api"]
    assert ngx.directive_values(directives, "server_tokens") == [["off"]]
    assert ngx.parse_nginx_t("nginx: [emerg] unknown directive") == []


def test_the_https_server_and_what_it_inherits():
    directives = ngx.parse_nginx_t(DUMP)
    server = ngx.server_for_port(directives, 443, ssl_only=True)
    assert server is not None
    assert ngx.server_for_port(directives, 80) is None
    assert ngx.effective(directives, "server_tokens", server) == ["off"]  # from http
    assert ngx.effective(directives, "add_header", server) == ["X-Frame-Options", "DENY", "always"]
    assert ngx.effective(directives, "limit_req", server) is None  # only in a location
    assert ngx.effective(directives, "ssl_protocols", server) is None


OTHER_SITE = """# configuration file /etc/nginx/nginx.conf:
user www-data;
pid /run/nginx.pid;
http {
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}

# configuration file /etc/nginx/conf.d/insightengine-hardening.conf:
server_tokens off;
server { listen 443 ssl default_server; server_name site.test; }

# configuration file /etc/nginx/sites-enabled/other:
server {
    listen [::]:8443 ssl;
    listen 8443 ssl;
    server_name other.example www.other.example;
    ssl_certificate /etc/nginx/tls2/c.pem;
}
server { listen 8080; server_name _; }
"""


def test_every_server_that_listens_is_found():
    directives = ngx.parse_nginx_t(OTHER_SITE)
    found = {(s["file"], tuple(s["names"]), tuple((x["port"], x["ssl"]) for x in s["listens"])) for s in ngx.sites(directives)}
    assert found == {
        ("/etc/nginx/conf.d/insightengine-hardening.conf", ("site.test",), ((443, True),)),
        ("/etc/nginx/sites-enabled/other", ("other.example", "www.other.example"), ((8443, True), (8443, True))),
        ("/etc/nginx/sites-enabled/other", ("_",), ((8080, False),)),
    }


def test_http_level_directives_say_where_they_are():
    directives = ngx.parse_nginx_t(OTHER_SITE)
    level = ngx.http_level(directives, exclude_file="/etc/nginx/conf.d/insightengine-hardening.conf")
    assert level["ssl_protocols"] == [{"file": "/etc/nginx/nginx.conf", "args": ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]}]
    assert "server_tokens" not in level  # only the role's own file sets it
    assert "server_tokens" in ngx.http_level(directives)
    assert ngx.loaded_files(OTHER_SITE, directives) == [
        "/etc/nginx/conf.d/insightengine-hardening.conf",
        "/etc/nginx/nginx.conf",
        "/etc/nginx/sites-enabled/other",
        "/etc/nginx/tls2/c.pem",
    ]


def test_a_file_newer_than_the_newest_worker_means_a_reload_is_pending(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\n")
    text = f"# configuration file {conf}:\npid /run/test.pid;\n"

    class Host:
        def __init__(self, started: float):
            self.files = {
                "/run/test.pid": "100\n",
                "/proc/stat": "btime 1000\n",
                "/proc/200/stat": f"200 (nginx) S 100 {'0 ' * 17}{int((started - 1000) * 100)} 0",
            }

        def read(self, path):
            return self.files.get(path)

        def list_dir(self, directory, suffix=""):
            return ["/proc/200", "/proc/self"]

        def clock_ticks(self):
            return 100

        def mtime(self, path):
            return conf.stat().st_mtime if path == str(conf) else None

        newer_than = _host.HostReader.newer_than
        process_start = _host.HostReader.process_start
        boot_time = _host.HostReader.boot_time

    directives = ngx.parse_nginx_t(text)
    assert ngx.reload_pending(Host(conf.stat().st_mtime + 30), text, directives)["pending"] is False
    assert ngx.reload_pending(Host(conf.stat().st_mtime - 30), text, directives) == {"pending": True, "newer": [str(conf)]}
