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


JAILS = {
    "sshd": {"docker_chain": "f2b-docker-sshd", "docker_port": "22"},
    "nginx-limit-req": {"docker_chain": "f2b-docker-limit-req", "docker_port": "80,443"},
    "other": {"docker_chain": "", "docker_port": ""},
}
OURS = [
    "-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 22 -j f2b-docker-sshd",
    "-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 443 -j f2b-docker-limit-req",
    "-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 80 -j f2b-docker-limit-req",
]


def test_bans_hold_for_published_ports_after_the_docker_layers_chain_and_before_dockers_return():
    # the docker layer's chain first, ours after it, Docker's final RETURN (engines before 28) last
    rules = ["-A DOCKER-USER -j INSIGHTENGINE-DOCKER", *OURS, "-A DOCKER-USER -j RETURN"]
    assert mon.docker_ban_problems(rules, JAILS) == []
    assert mon.docker_ban_problems(None, {"other": JAILS["other"]}) == []


def test_a_missing_or_unreachable_jump_is_named_per_jail_and_port():
    late = ["-A DOCKER-USER -j INSIGHTENGINE-DOCKER", OURS[0], "-A DOCKER-USER -j RETURN", OURS[1]]
    assert mon.docker_ban_problems(late, JAILS) == [
        "nginx-limit-req: DOCKER-USER sends port 80 to f2b-docker-limit-req nowhere",
        "nginx-limit-req: DOCKER-USER sends port 443 to f2b-docker-limit-req only after a rule that ends the chain",
    ]
    assert mon.docker_ban_problems(None, JAILS) == [
        "iptables has no DOCKER-USER chain: bans do not hold for the ports containers publish"
    ]
