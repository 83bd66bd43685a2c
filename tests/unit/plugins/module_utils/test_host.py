"""The shared host reader: units, files and packages in one shape, certificates in one call."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
from conftest import make_certificate, systemctl_show

from ansible_collections.insightengine.hardening.plugins.module_utils import _host, _ufw


def reader(outputs=None, units=None, real=False):
    def run(cmd):
        if real:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            return proc.returncode, proc.stdout, proc.stderr
        shown = systemctl_show(cmd, units or {})
        if shown:
            return shown
        return (0, outputs[tuple(cmd)], "") if tuple(cmd) in (outputs or {}) else (1, "", f"unexpected {cmd}")

    binaries = {"systemctl": "/usr/bin/systemctl", "openssl": shutil.which("openssl") if real else None}
    return _host.HostReader(run=run, which=binaries.get)


def test_units_are_read_in_one_call_and_unknown_ones_are_not_found():
    calls = []
    host = reader(units={"nginx.service": ("enabled", "active"), "x.timer": ("disabled", "inactive")})
    original = host._run
    host._run = lambda cmd: calls.append(cmd) or original(cmd)
    states = host.units(["nginx.service", "x.timer", "gone.service"])
    assert states == {
        "nginx.service": {"enabled": "enabled", "active": "active", "need_daemon_reload": False},
        "x.timer": {"enabled": "disabled", "active": "inactive", "need_daemon_reload": False},
        "gone.service": {"enabled": "not-found", "active": "inactive", "need_daemon_reload": False},
    }
    assert len(calls) == 1
    assert host.units([]) == {}


def test_every_layer_gets_files_units_and_packages_in_one_shape(tmp_path):
    (tmp_path / "a.conf").write_text("x\n")
    dpkg = ("dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n")
    host = reader({dpkg: "nginx installed\ntelnet installed\n"}, {"nginx.service": ("enabled", "active")})
    state = host.state([str(tmp_path / "a.conf")], ["nginx.service"], ["nginx", "modsecurity-crs"], ["telnet", "rsh"])
    assert set(state) == {"files", "units", "packages"}
    assert state["files"][str(tmp_path / "a.conf")]["sha1"] == hashlib.sha1(b"x\n").hexdigest()  # noqa: S324
    assert state["units"]["nginx.service"]["active"] == "active"
    assert state["packages"] == {"missing": ["modsecurity-crs"], "unwanted": ["telnet"]}


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")
def test_a_certificate_is_read_in_one_openssl_call(tmp_path):
    cert, _key = make_certificate(tmp_path, "site.example", days=30)
    host = reader(real=True)
    found = host.certificate(str(cert), "site.example")
    assert found["readable"] and found["name_matches"] is True
    assert found["names"] == ["DNS:site.example"]
    assert 29 <= found["days_left"] <= 30
    assert len(found["fingerprint"]) == 64
    assert host.certificate(str(cert), "other.example")["name_matches"] is False
    assert host.certificate(str(tmp_path / "missing.crt"))["readable"] is False


def test_subject_alt_names_among_other_output():
    text = (
        "notAfter=Dec 31 20:39:00 2026 GMT\nX509v3 Subject Alternative Name: \n"
        "    DNS:a.example, IP Address:10.0.0.5\nHostname a does match certificate\n"
    )
    assert _host.parse_subject_alt_names(text) == ["DNS:a.example", "IP:10.0.0.5"]
    assert _host.parse_subject_alt_names("notAfter=Dec 31 20:39:00 2026 GMT\n") == []


@pytest.mark.parametrize(
    ("rule", "port", "covered"),
    [("5432", 5432, True), ("5000:6000", "5432", True), ("any", 5432, True), ("", 5432, True), ("80,443", 5432, False),
     ("80,5432", 5432, True), ("5433:6000", 5432, False)],
)  # fmt: skip
def test_ufw_port_fields(rule, port, covered):
    assert _ufw.port_matches(rule, port) is covered
