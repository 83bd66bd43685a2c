"""The app role's filters: the Compose file it renders and the database
password statement of the rotation."""

from __future__ import annotations

import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.insightengine.hardening.plugins.filter.compose_project import compose_project
from ansible_collections.insightengine.hardening.plugins.filter.scram_alter_role import scram_alter_role
from ansible_collections.insightengine.hardening.plugins.module_utils._postgres import scram_matches

SECRET = "Zq8rT2mW9xK4vN7pL1sD6fH3jB5cG0aYyEeUuIi"


def test_the_compose_file_carries_a_digest_of_each_secret_never_its_value():
    services = {"web": {"image": "registry.example/app:1", "secrets": ["jwt_secret"], "tmpfs": ["/tmp"]}}
    out = compose_project(services, {"jwt_secret": {"file": "/opt/i/secrets/jwt_secret", "value": SECRET}}, "insightengine")
    assert SECRET not in out["text"] and SECRET[:12] not in out["text"]
    document = yaml.safe_load(out["text"])
    assert document["secrets"] == {"jwt_secret": {"file": "/opt/i/secrets/jwt_secret"}}
    assert document["services"]["web"]["labels"]["io.insightengine.config-hash"] == out["hashes"]["web"]
    assert out["images"] == ["registry.example/app:1"]
    other = compose_project(
        services, {"jwt_secret": {"file": "/opt/i/secrets/jwt_secret", "value": SECRET + "x"}}, "insightengine"
    )
    assert other["hashes"]["web"] != out["hashes"]["web"]


def test_a_secret_the_role_does_not_make_is_refused():
    with pytest.raises(AnsibleFilterError, match="not defined: api_key"):
        compose_project({"web": {"image": "a:1", "secrets": ["api_key"]}}, {}, "insightengine")


def test_the_role_gets_a_verifier_the_server_accepts_never_the_password():
    statement = scram_alter_role(SECRET, "insightengine_app")
    match = re.fullmatch(r"ALTER ROLE \"insightengine_app\" PASSWORD '(SCRAM-SHA-256\$4096:[^']+)';\n", statement)
    assert match and SECRET not in statement
    assert scram_matches(match.group(1), SECRET) and not scram_matches(match.group(1), SECRET + "x")


@pytest.mark.parametrize("role", ['app"; DROP ROLE x; --', "app role", "", "1app"])
def test_a_role_name_that_would_need_quoting_is_refused(role):
    with pytest.raises(AnsibleFilterError):
        scram_alter_role(SECRET, role)
