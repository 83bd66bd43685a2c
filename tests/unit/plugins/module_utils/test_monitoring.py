"""The monitoring layer's readers and its client: journald's merged
configuration, the RELP frames, and a TLS session against a local server
that checks the client's certificate (the Molecule scenario talks to a real
rsyslog)."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
from conftest import make_certificate

from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring as mon

# The shape systemd-analyze cat-config prints (a constructed sample): the
# main file, a drop-in of ours, Debian 13's vendor drop-in last.
CAT_CONFIG = """\
# /etc/systemd/journald.conf
[Journal]
#Storage=auto
SystemMaxUse=4G

# /etc/systemd/journald.conf.d/60-insightengine.conf
[Journal]
Storage=persistent
SystemMaxUse=1G

# /usr/lib/systemd/journald.conf.d/syslog.conf
[Journal]
ForwardToSyslog=yes
[Other]
Storage=volatile
"""


def test_journald_settings_are_the_last_assignment_of_the_journal_section():
    settings = mon.parse_journald_config(CAT_CONFIG)
    assert settings == {"SystemMaxUse": "1G", "Storage": "persistent", "ForwardToSyslog": "yes"}
    assert mon.parse_journald_config("") == {}


def test_relp_frames():
    assert mon.relp_frame(1, "open", b"relp_version=0") == b"1 open 14 relp_version=0\n"
    assert mon.relp_frame(2, "close") == b"2 close 0\n"


class Server(threading.Thread):
    """One TLS session on 127.0.0.1: the client's certificate required
    (cafile), then a RELP answer to whatever the client sends first."""

    def __init__(self, cert, key, cafile, answer: bytes):
        super().__init__(daemon=True)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.load_verify_locations(cafile)
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = b""

    def run(self):
        conn, _address = self.listener.accept()
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                self.received = tls.recv(4096)
                tls.sendall(self.answer)
                tls.recv(4096)
        except (OSError, ssl.SSLError):
            pass
        finally:
            self.listener.close()


@pytest.fixture
def pki(tmp_path):
    server = make_certificate(tmp_path, "logs.test")
    client = make_certificate(tmp_path, "web1.test")
    return {"server": server, "client": client}


def session(pki, answer=b"1 rsp 6 200 OK\n", **kwargs):
    server = Server(*pki["server"], pki["client"][0], answer)
    server.start()
    options = {"ca": str(pki["server"][0]), "name": "logs.test", "cert": str(pki["client"][0]), "key": str(pki["client"][1])}
    result = mon.tls_session("127.0.0.1", server.port, relp=True, timeout=5, **{**options, **kwargs})
    server.join(5)
    return result, server


def test_a_relp_open_the_server_accepts(pki):
    result, server = session(pki)
    assert result["accepted"] is True and result["error"] is None, result
    assert result["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert server.received.startswith(b"1 open ") and b"commands=syslog" in server.received


def test_a_server_whose_certificate_has_another_name_is_not_trusted(pki):
    result, _server = session(pki, name="other.test")
    assert result["accepted"] is False and "certificate not accepted" in result["error"], result


def test_without_a_client_certificate_the_session_is_refused(pki):
    result, _server = session(pki, cert="", key="")
    assert result["accepted"] is False and result["error"], result


def test_a_relp_server_that_does_not_answer_200_does_not_accept(pki):
    result, _server = session(pki, answer=b"1 rsp 20 500 not permitted\n")
    assert result["accepted"] is False and "500" in result["error"], result


def test_nothing_listening_is_an_error_not_a_pass(pki):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    result = mon.tls_session("127.0.0.1", port, ca=str(pki["server"][0]), name="logs.test", relp=True, timeout=2)
    assert result["accepted"] is False and "ConnectionRefused" in result["error"], result


def inputs_for(host: str, **changes):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "cases"))
    from input_cases import defaults

    from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v
    from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring_inputs as spec

    inputs = v.Inputs(spec.SPEC, {**defaults("monitoring"), **changes})
    inputs.inventory_hostname = host
    spec.check(inputs)
    return inputs, spec.not_applicable({**inputs.values, "inventory_hostname": host})


def test_the_log_host_does_not_forward_to_itself_and_a_sender_receives_nothing():
    log_host = {"monitoring_log_host": "logs1", "monitoring_log_receiver": True}
    inputs, na = inputs_for("logs1", **log_host)
    assert inputs.errors == [] and set(na) == {"MON-02"}, (inputs.errors, na)
    inputs, na = inputs_for("web1", monitoring_log_host="logs1")
    assert inputs.errors == [] and set(na) == {"MON-03"}, (inputs.errors, na)
    # a second log host that ships to the first one forwards (its own name is not the target)
    inputs, na = inputs_for("logs2", **log_host)
    assert inputs.errors == [] and na == {}, (inputs.errors, na)


def test_a_sender_without_a_log_host_is_refused_but_the_log_host_needs_none():
    inputs, _na = inputs_for("web1", monitoring_log_host="")
    assert [e for e in inputs.errors if e.startswith("monitoring_log_host:")], inputs.errors
    inputs, _na = inputs_for("logs1", monitoring_log_host="", monitoring_log_receiver=True, monitoring_log_tls_names=["logs1"])
    assert inputs.errors == [], inputs.errors


def test_an_inventory_name_that_is_no_dns_name_is_refused_for_the_certificate():
    inputs, _na = inputs_for("10.0.0.5", monitoring_log_host="logs1")
    assert [e for e in inputs.errors if e.startswith("inventory_hostname: ")], inputs.errors
    # with the operator's own CA and certificate, the inventory name is not in it
    own = {"monitoring_log_tls_ca_file": "/etc/ssl/ca.pem", "monitoring_log_tls_cert_file": "/etc/ssl/h.pem",
           "monitoring_log_tls_key_file": "/etc/ssl/h.key"}  # fmt: skip
    inputs, _na = inputs_for("10.0.0.5", monitoring_log_host="logs1", **own)
    assert inputs.errors == [], inputs.errors


def test_a_port_another_program_holds_is_refused_until_the_receiver_is_ours():
    from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring_inputs as spec

    inputs, _na = inputs_for("logs1", monitoring_log_host="logs1", monitoring_log_receiver=True)
    facts = {"listening": {"2514": ["0.0.0.0:2514"], "6514": []}, "files": {mon.RECEIVER_CONF: {"exists": False}}}
    spec.check_host(inputs, facts, {})
    assert [e for e in inputs.errors if e.startswith("monitoring_log_receiver_relp_port: port 2514")], inputs.errors
    inputs, _na = inputs_for("logs1", monitoring_log_host="logs1", monitoring_log_receiver=True)
    spec.check_host(inputs, {**facts, "files": {mon.RECEIVER_CONF: {"exists": True}}}, {})
    assert inputs.errors == [], inputs.errors
