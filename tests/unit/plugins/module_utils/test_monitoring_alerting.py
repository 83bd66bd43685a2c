"""The fail2ban answer parser and the loopback judgement of the monitoring layer."""

from __future__ import annotations

from ansible_collections.insightengine.hardening.plugins.module_utils import _monitoring as mon


def test_fail2ban_status_is_flattened_as_the_server_sends_it():
    answer = [
        (
            "Filter",
            [("Currently failed", 0), ("Total failed", 3), ("Journal matches", ["_SYSTEMD_UNIT=ssh.service + _COMM=sshd"])],
        ),
        ("Actions", [("Currently banned", 1), ("Total banned", 2), ("Banned IP list", ["192.0.2.7"])]),
    ]
    found = mon.flatten_status(answer)
    assert found["journal matches"] == ["_SYSTEMD_UNIT=ssh.service + _COMM=sshd"]
    assert found["total banned"] == 2 and found["banned ip list"] == ["192.0.2.7"]
    assert (
        mon.flatten_status([("Number of jail", 2), ("Jail list", "sshd, nginx-limit-req")])["jail list"]
        == "sshd, nginx-limit-req"
    )
    assert mon.flatten_status(None) == {}


def test_a_socket_others_can_write_to_is_not_read(tmp_path):
    path = tmp_path / "fail2ban.sock"
    path.write_text("")
    path.chmod(0o666)
    try:
        mon.fail2ban_ask("status", path=str(path))
    except OSError as exc:
        assert "root only" in str(exc)
    else:
        raise AssertionError("a socket others can write to was read")
