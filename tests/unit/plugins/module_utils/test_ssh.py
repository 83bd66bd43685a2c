"""sshd's semantics as a client meets them: allow and deny lists with their
host part, Match blocks and the connections that reach them, what ssh -vv
saw of a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _ssh

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("lists", "user", "groups", "address", "allowed"),
    [
        ({}, "deploy", [], "10.0.0.5", True),
        ({"allow_users": ["deploy"]}, "deploy", [], "10.0.0.5", True),
        ({"allow_users": ["admin"]}, "deploy", [], "10.0.0.5", False),
        ({"allow_users": ["dep*"]}, "deploy", [], "10.0.0.5", True),
        # the host part: CIDR, negation, wildcards, as match_user reads it
        ({"allow_users": ["deploy@10.0.0.0/8"]}, "deploy", [], "10.0.0.5", True),
        ({"allow_users": ["deploy@10.0.0.0/8"]}, "deploy", [], "192.0.2.7", False),
        ({"allow_users": ["deploy@10.0.0.0/8,!10.0.0.5"]}, "deploy", [], "10.0.0.5", False),
        ({"allow_users": ["deploy@192.0.2.*"]}, "deploy", [], "192.0.2.7", True),
        ({"allow_users": ["deploy@host.example"]}, "deploy", [], "192.0.2.7", False),
        # no client address (not over SSH): the user part decides
        ({"allow_users": ["deploy@10.0.0.0/8"]}, "deploy", [], None, True),
        ({"deny_users": ["deploy"]}, "deploy", [], "10.0.0.5", False),
        ({"deny_users": ["deploy@192.0.2.0/24"]}, "deploy", [], "10.0.0.5", True),
        ({"allow_groups": ["sudo"]}, "deploy", ["deploy", "sudo"], "10.0.0.5", True),
        ({"allow_groups": ["wheel"]}, "deploy", ["deploy", "sudo"], "10.0.0.5", False),
        ({"allow_groups": ["s*"]}, "deploy", ["sudo"], "10.0.0.5", True),
        ({"deny_groups": ["sudo"]}, "deploy", ["sudo"], "10.0.0.5", False),
        ({"allow_users": ["deploy"], "allow_groups": ["wheel"]}, "deploy", ["sudo"], "10.0.0.5", False),
    ],
)
def test_sshd_access_decides_as_sshd_does(lists, user, groups, address, allowed):
    assert _ssh.sshd_access(user, groups, address, **lists)["allowed"] is allowed


def test_match_blocks_and_the_connections_that_reach_them():
    text = {
        "/etc/ssh/sshd_config": "Port 2222\nPasswordAuthentication no\nMatch Group ops\n  PasswordAuthentication yes\n"
        "Match User alice Address 10.9.0.0/16\n  PermitRootLogin yes\nMatch LocalPort 2201\n  DenyUsers *\n",
    }
    blocks = _ssh.match_blocks(_ssh.config_lines("/etc/ssh/sshd_config", text.get))
    assert [b["criteria"] for b in blocks] == [
        {"group": "ops"},
        {"user": "alice", "address": "10.9.0.0/16"},
        {"localport": "2201"},
    ]
    assert blocks[0]["settings"] == {"passwordauthentication": "yes"}
    specs, notes = _ssh.connection_specs(
        blocks, "deploy", lambda pattern: ["bob"] if pattern == "ops" else [], ("127.0.0.1", 2222)
    )
    described = {(s["user"], s["addr"], s["lport"]) for s in specs}
    assert ("deploy", _ssh.DEFAULT_ADDRESS, 2222) in described and ("root", _ssh.DEFAULT_ADDRESS, 2222) in described
    assert ("bob", _ssh.DEFAULT_ADDRESS, 2222) in described  # a member of ops
    assert ("alice", "10.9.0.1", 2222) in described  # both criteria at once
    assert ("deploy", _ssh.DEFAULT_ADDRESS, 2201) in described and ("root", _ssh.DEFAULT_ADDRESS, 2201) in described
    assert notes == []


def test_a_group_nobody_is_in_is_noted_not_evaluated():
    blocks = _ssh.match_blocks([("/f", 1, ["Match", "Group", "nobody-here"]), ("/f", 2, ["PasswordAuthentication", "yes"])])
    specs, notes = _ssh.connection_specs(blocks, "deploy", lambda _p: [], ("0.0.0.0", 22))  # noqa: S104 - an address sshd listens on, in a test
    assert len(specs) == 2 and "no existing user" in notes[0]


def test_keyword_equals_value_and_quotes_are_read():
    lines = _ssh.config_lines("/x", {"/x": 'Match User="alice"\nBanner=/etc/issue.net\n'}.get)
    assert [w for _f, _n, w in lines][1] == ["Banner", "/etc/issue.net"]
    assert _ssh.match_blocks(lines)[0]["criteria"] == {"user": "alice"}


@pytest.mark.parametrize("release", ["debian12", "debian13"])
def test_what_a_client_is_offered(release):
    stock = _ssh.parse_probe((FIXTURES / f"ssh_probe_{release}.txt").read_text())
    assert stock["connected"] and stock["methods"] == ["password", "publickey"]
    assert stock["banner"] == "Hello banner\nline2"
    assert "ecdh-sha2-nistp256" in stock["kex"]["kexalgorithms"]
    assert not any(a.startswith(("ext-info", "kex-strict")) for a in stock["kex"]["kexalgorithms"])
    hardened = _ssh.parse_probe((FIXTURES / f"ssh_probe_hardened_{release}.txt").read_text())
    assert hardened["methods"] == ["publickey"]
    assert hardened["banner"].startswith("Authorized uses only.")
    assert "ecdh-sha2-nistp256" not in hardened["kex"]["kexalgorithms"]


def test_a_probe_that_could_not_connect():
    result = _ssh.parse_probe("ssh: connect to host 127.0.0.1 port 2222: Connection refused\n")
    assert result["methods"] is None and "Connection refused" in result["error"]


@pytest.mark.parametrize(
    ("config", "methods"),
    [
        (
            {"pubkeyauthentication": ["yes"], "passwordauthentication": ["no"], "authenticationmethods": ["publickey"]},
            ["publickey"],
        ),
        (
            {"pubkeyauthentication": ["yes"], "passwordauthentication": ["yes"], "authenticationmethods": ["any"]},
            ["password", "publickey"],
        ),
        (
            {"pubkeyauthentication": ["yes"], "passwordauthentication": ["yes"], "authenticationmethods": ["publickey"]},
            ["publickey"],
        ),
        ({"pubkeyauthentication": ["yes"], "kbdinteractiveauthentication": ["yes"]}, ["keyboard-interactive", "publickey"]),
    ],
)
def test_offered_methods_follow_authenticationmethods(config, methods):
    assert _ssh.offered_methods(config) == methods


@pytest.mark.parametrize(
    "line",
    [
        "Include a.conf b.conf",
        "Include=a.conf b.conf",
        "Include = a.conf b.conf",
        "Include =a.conf b.conf",
        "include\ta.conf b.conf",
    ],
)
def test_a_keyword_is_split_from_its_value_however_the_line_separates_them(line):
    assert _ssh.include_patterns("x", {"x": line}.get) == ["a.conf", "b.conf"]
