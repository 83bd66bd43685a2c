"""The pre-flight checklist's parsers and judgements (PRE-01 to PRE-05) on
recorded and constructed outputs: verifiers made by PostgreSQL's own
algorithms, apt-get's simulation as Debian 12 prints it, nginx -T, shadow."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _postgres, _preflight

# apt-get -s -o Debug::NoLocking=1 dist-upgrade on a Debian 12 container (2026-12-04), plus a
# stable point-release line and an Ubuntu one.
APT_SIMULATION = """\
Reading package lists...
Building dependency tree...
Calculating upgrade...
The following packages will be upgraded:
  apt libzstd1 tzdata zlib1g
4 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.
Inst libzstd1 [1.5.4+dfsg2-5] (1.5.4+dfsg2-5+deb12u1 Debian-Security:12/oldstable-security [amd64])
Inst zlib1g [1:1.2.13.dfsg-1] (1:1.2.13.dfsg-1+deb12u1 Debian-Security:12/oldstable-security [amd64])
Inst apt [2.6.1] (2.6.2 Debian-Security:12/oldstable-security [amd64])
Inst tzdata [2025b-0+deb12u1] (2026f-0+deb12u1 Debian:12.13/oldstable [all])
Inst libssl3t64 [3.0.13-0ubuntu3.5] (3.0.13-0ubuntu3.6 Ubuntu:24.04/noble-security [amd64])
Conf libzstd1 (1.5.4+dfsg2-5+deb12u1 Debian-Security:12/oldstable-security [amd64])
"""


def test_pending_security_updates_are_those_from_a_security_origin():
    assert _preflight.pending_security_updates(APT_SIMULATION) == [
        "apt 2.6.2",
        "libssl3t64 3.0.13-0ubuntu3.6",
        "libzstd1 1.5.4+dfsg2-5+deb12u1",
        "zlib1g 1:1.2.13.dfsg-1+deb12u1",
    ]
    assert _preflight.pending_security_updates("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n") == []


def test_database_roles_with_a_default_password_are_found_by_their_verifiers():
    roles = {
        "postgres": None,  # no password: peer only, not a default password
        "insightengine": _postgres.scram_verifier("a-long-generated-Secret-9f3c"),
        "legacy": "md5" + hashlib.md5(b"changemelegacy", usedforsecurity=False).hexdigest(),
        "report": _postgres.scram_verifier("report"),  # the role's own name
        "ops": _postgres.scram_verifier("Winter2026!"),  # a site's placeholder, given as extra
        "old": "postgres",  # a plaintext password from long ago
    }
    hits = _preflight.default_password_roles(roles, _postgres.scram_matches, ["Winter2026!"])
    assert set(hits) == {"legacy", "report", "ops", "old"}
    assert hits["report"] == "its own name"
    assert all("Winter" not in how and "changeme" not in how for how in hits.values()), "never the password"


def test_secret_files_and_alertmanager_receivers_with_defaults():
    files = {"/opt/app/secrets/db_password": "changeme\n", "/opt/app/secrets/jwt": "9c1f...long", "/opt/app/secrets/x": None}
    assert _preflight.default_secret_files(files) == ["/opt/app/secrets/db_password"]
    config = """\
global:
  smtp_auth_password: 'changeme'
receivers:
  - name: insightengine
    webhook_configs:
      - url: "https://alerts:admin@hooks.example.com/insightengine"
      - url: "https://hooks.example.com/T0K3N-long-random"
        http_config:
          basic_auth:
            username: am
            password: a-real-Secret-value
"""
    assert _preflight.alertmanager_default_secrets(config) == ["line 2: smtp_auth_password", "line 6: a URL's password"]
    assert (
        _preflight.alertmanager_default_secrets(config.replace("changeme", "x-long-Secret").replace(":admin@", ":S3cr3t-long@"))
        == []
    )


def test_accounts_that_log_in_without_a_password_or_are_installer_defaults():
    shadow = "\n".join(
        [
            "root:*:20000:0:99999:7:::",
            "daemon:*:20000:0:99999:7:::",
            "operator:$y$j9T$abc$def:20000:0:99999:7:::",
            "pi:$6$salt$hash:20000:0:99999:7:::",
            "ubuntu:!$6$salt$hash:20000:0:99999:7:::",  # locked
            "nopass::20000:0:99999:7:::",
        ]
    )
    accounts = _preflight.shadow_login_accounts(shadow)
    assert accounts == {"root": "locked", "daemon": "locked", "operator": "hash", "pi": "hash", "ubuntu": "locked", "nopass": ""}
    assert _preflight.default_accounts(accounts) == {"nopass": "no password", "pi": "a default account with a usable password"}


NGINX_T = """\
nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
# configuration file /etc/nginx/nginx.conf:
error_log /var/log/nginx/error.log warn;
http {
    # error_log /var/log/nginx/debug.log debug;   (a comment)
    include /etc/nginx/conf.d/*.conf;
}
# configuration file /etc/nginx/conf.d/site.conf:
server {
    error_log /var/log/nginx/site.log debug;
    location /files/ { autoindex on; }
    location /other/ { autoindex off; }
}
"""


def test_nginx_debug_logging_and_autoindex_are_found_where_they_are():
    assert _preflight.nginx_debug(NGINX_T) == [
        "/etc/nginx/conf.d/site.conf: error_log /var/log/nginx/site.log debug;",
        "/etc/nginx/conf.d/site.conf: autoindex on;",
    ]
    clean = NGINX_T.replace("site.log debug;", "site.log warn;").replace("autoindex on;", "autoindex off;")
    assert _preflight.nginx_debug(clean) == []


def test_postgres_and_container_debug_settings():
    settings = {
        "log_min_messages": {"setting": "debug2"},
        "client_min_messages": {"setting": "notice"},
        "log_min_error_statement": {"setting": "error"},
        "debug_print_plan": {"setting": "on"},
        "debug_print_parse": {"setting": "off"},
    }
    assert _preflight.postgres_debug(settings) == {"log_min_messages": "debug2", "debug_print_plan": "on"}
    env = ["PATH=/usr/bin", "APP_ENV=production", "DEBUG=false", "FLASK_DEBUG=1", "NODE_ENV=development", "DEBUG_TOOLBAR=true"]
    assert _preflight.container_debug(env) == ["FLASK_DEBUG=1", "NODE_ENV=development"]
    assert _preflight.container_debug(["APP_ENV=production", "DEBUG=false", "SSL_ENABLED=true"]) == []


@pytest.mark.parametrize(
    ("reviewed", "days"),
    [("2026-11-20", 14), ("2026-12-04", 0), ("", None), ("yesterday", None), ("2026-13-01", None)],
)
def test_the_review_date(reviewed, days):
    assert _preflight.review_age_days(reviewed, datetime.date(2026, 12, 4)) == days


def test_alertmanager_request_counters():
    metrics = """\
alertmanager_notification_requests_failed_total{integration="email"} 0
alertmanager_notification_requests_failed_total{integration="webhook"} 7
alertmanager_notification_requests_total{integration="email"} 2
alertmanager_notification_requests_total{integration="webhook"} 9
alertmanager_notifications_failed_total{integration="webhook"} 0
alertmanager_notifications_total{integration="webhook"} 1
"""
    assert _preflight.notification_requests(metrics) == (11.0, 7.0)
