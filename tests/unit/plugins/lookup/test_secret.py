"""The secret lookup: generated once, 0600 in 0700 directories all the way
down, reused, and never written in check mode."""

from __future__ import annotations

import stat

import pytest
import yaml
from ansible.errors import AnsibleLookupError

from ansible_collections.insightengine.hardening.plugins.lookup import secret


class Lookup(secret.LookupModule):
    """The plugin with its documented options, without a plugin loader."""

    def set_options(self, task_keys=None, var_options=None, direct=None):
        documented = yaml.safe_load(secret.DOCUMENTATION)["options"]
        self._options = {name: (direct or {}).get(name, spec.get("default")) for name, spec in documented.items()}


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def lookup(term: str, root, check_mode: bool = False, **options) -> str:
    return Lookup().run([term], variables={"ansible_check_mode": check_mode}, root=str(root), **options)[0]


def test_a_secret_is_generated_once_with_tight_modes(tmp_path):
    root = tmp_path / "secrets"
    first = lookup("db1/postgres/app", root)
    assert len(first) == 40 and first.isalnum() and len(set(first)) > 15
    assert lookup("db1/postgres/app", root) == first
    assert mode(root / "db1" / "postgres" / "app") == 0o600
    for directory in (root, root / "db1", root / "db1" / "postgres"):
        assert mode(directory) == 0o700, directory


def test_check_mode_writes_nothing(tmp_path):
    root = tmp_path / "secrets"
    value = lookup("db1/postgres/app", root, check_mode=True)
    assert len(value) == 40
    assert not root.exists()


def test_a_loose_secrets_directory_is_tightened(tmp_path):
    root = tmp_path / "secrets"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    lookup("h/app", root, length=20)
    assert mode(root) == 0o700


@pytest.mark.parametrize("term", ["../escape", "a/../../b", "/abs", "a b", ""])
def test_terms_are_plain_relative_names(tmp_path, term):
    with pytest.raises(AnsibleLookupError):
        lookup(term, tmp_path)
