"""The role input validators, driven by their case tables (tests/unit/cases/)
and by an enumeration of every option of every role's argument specs: a
valid value plus a newline plus a directive is refused, naming the option.

The same tables drive the Molecule bad-input step on real hosts."""

from __future__ import annotations

import copy
import importlib
import typing as t
from pathlib import Path

import pytest
import yaml

from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v

ROOT = Path(__file__).resolve().parents[4]
CASES = ROOT / "tests" / "unit" / "cases"
LAYERS = ("os", "postgres", "nginx")
# What a valid value looks like where a default is empty (the injection
# test appends its directive to these).
EXAMPLES: dict[str, t.Any] = {
    "os_ssh_allow_users": ["deploy"],
    "os_ssh_allow_groups": ["admins"],
    "os_ssh_login_user": "deploy",
    "os_auto_updates_mail": "root",
    "os_sysctl_overrides": {"kernel.sysrq": 0},
    "postgres_version": "15",
    "postgres_client_networks": ["10.0.2.0/24"],
    "postgres_ssl_cert_file": "/etc/ssl/db.crt",
    "postgres_ssl_key_file": "/etc/ssl/db.key",
    "postgres_ssl_ca_file": "/etc/ssl/ca.crt",
    "postgres_ssl_root_cert": "/etc/ssl/root.crt",
    "postgres_ssl_cert_subject_alt_names": ["DNS:db1.example.com"],
    "postgres_hba_rules": [
        {"type": "hostssl", "database": "all", "user": "monitor", "address": "10.0.3.0/24", "method": "scram-sha-256"}
    ],
    "postgres_hba_drop": ["host all all 0.0.0.0/0 trust"],
    "postgres_app_password": "Correct-Horse-Battery-4242",
    "postgres_owner_password": "Another-Strong-Passw0rd-99",
    "postgres_superusers_allowed": ["admin"],
    "postgres_storage_encryption_elsewhere": "EBS encryption",
    "nginx_acme_challenge_dir": "/srv/acme",
    "nginx_ssl_cert_file": "/etc/ssl/site.crt",
    "nginx_ssl_key_file": "/etc/ssl/site.key",
    "nginx_waf_elsewhere": "Cloudflare WAF",
    "nginx_waf_rule_exclusions": [942100],
    "nginx_server_names": ["site.example.com"],
}
DIRECTIVE = "\nMatch User root\n    PermitRootLogin yes"


def layer_module(layer: str):
    return importlib.import_module(f"ansible_collections.insightengine.hardening.plugins.module_utils._{layer}_inputs")


def options(layer: str) -> dict[str, dict[str, t.Any]]:
    spec = yaml.safe_load((ROOT / "roles" / layer / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def defaults(layer: str) -> dict[str, t.Any]:
    values = yaml.safe_load((ROOT / "roles" / layer / "defaults" / "main.yml").read_text())
    values.update({k: val for k, val in EXAMPLES.items() if k.startswith(layer + "_") and k == "nginx_server_names"})
    return values


def validate(layer: str, changes: dict[str, t.Any]) -> v.Inputs:
    module = layer_module(layer)
    inputs = v.Inputs(module.SPEC, {**defaults(layer), **changes}, getattr(module, "SECRETS", ()))
    module.check(inputs)
    return inputs


def table(layer: str, kind: str) -> list[dict[str, t.Any]]:
    return yaml.safe_load((CASES / f"{layer}.yml").read_text())[kind]


# --- every option has a validator, every validator an option --------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_every_option_of_the_role_has_a_validator(layer):
    assert set(layer_module(layer).SPEC) == set(options(layer))


@pytest.mark.parametrize("layer", LAYERS)
def test_the_defaults_are_valid(layer):
    assert validate(layer, {}).errors == []


# --- the case tables ------------------------------------------------------------


def _cases(kind: str) -> list[tuple[str, dict[str, t.Any]]]:
    return [(layer, case) for layer in LAYERS for case in table(layer, kind)]


@pytest.mark.parametrize(("layer", "case"), _cases("refused"), ids=lambda x: x if isinstance(x, str) else str(x["vars"])[:60])
def test_refused_inputs_name_the_variable(layer, case):
    errors = validate(layer, case["vars"]).errors
    assert errors, f"{case['vars']} was accepted"
    assert any(e.startswith(case["error"]) for e in errors), errors
    for name, value in case["vars"].items():
        if name in getattr(layer_module(layer), "SECRETS", ()) and isinstance(value, str):
            assert all(value not in e for e in errors), "a secret was quoted in an error"


@pytest.mark.parametrize(("layer", "case"), _cases("accepted"), ids=lambda x: x if isinstance(x, str) else str(x["vars"])[:60])
def test_accepted_inputs_are_normalised(layer, case):
    inputs = validate(layer, case["vars"])
    assert inputs.errors == []
    for name, value in case["values"].items():
        assert inputs[name] == value, name


# --- the enumeration: a valid value + newline + directive, option by option -------------


def injections(layer: str) -> list[tuple[str, t.Any]]:
    """For every option of the role, values that carry a directive after a
    newline (or, for free text, a terminal escape): in the option itself, in
    each list element, in each key and value of a mapping, in each field of
    a list of mappings."""
    cases: list[tuple[str, t.Any]] = []
    module = layer_module(layer)
    multiline = set(getattr(module, "MULTILINE", ()))
    base = defaults(layer)
    for name, option in options(layer).items():
        example = copy.deepcopy(EXAMPLES.get(name, base.get(name)))
        kind = option.get("type", "str")
        payload = "\x1b]0;owned\x07" if name in multiline else DIRECTIVE
        if kind in ("str", "path", "raw"):
            cases.append((name, f"{example}{payload}"))
        elif kind in ("int", "bool"):
            cases.append((name, f"{str(example).lower()}{payload}"))
        elif kind == "list" and option.get("elements") == "dict":
            element = (example or [{}])[0]
            for field, value in element.items():
                if isinstance(value, (str, int)):
                    cases.append((name, [{**element, field: f"{value}{payload}"}]))
        elif kind == "list":
            first = (example or ["x"])[0]
            cases.append((name, [f"{first}{payload}"]))
        elif kind == "dict":
            key, value = next(iter((example or {"a.b": 1}).items()))
            cases.append((name, {f"{key}{payload}": value}))
            cases.append((name, {key: f"{value}{payload}"}))
        else:
            raise AssertionError(f"{name}: type {kind} has no injection case")
    return cases


def _injection_cases():
    return [(layer, name, value) for layer in LAYERS for name, value in injections(layer)]


@pytest.mark.parametrize(("layer", "name", "value"), _injection_cases(), ids=lambda x: x if isinstance(x, str) else None)
def test_a_directive_smuggled_after_a_newline_is_refused(layer, name, value):
    changes = {name: value}
    # Options that only count together with another one.
    if name in ("postgres_ssl_cert_file", "postgres_ssl_key_file"):
        changes = {"postgres_ssl_cert_file": "/etc/ssl/db.crt", "postgres_ssl_key_file": "/etc/ssl/db.key", name: value}
    if name in ("nginx_ssl_cert_file", "nginx_ssl_key_file"):
        changes = {"nginx_ssl_cert_file": "/etc/ssl/site.crt", "nginx_ssl_key_file": "/etc/ssl/site.key", name: value}
    errors = validate(layer, changes).errors
    assert any(e.startswith(name) for e in errors), f"{name}={value!r} was not refused by its own validator: {errors}"


def test_every_option_is_enumerated():
    for layer in LAYERS:
        enumerated = {name for name, _value in injections(layer)}
        assert enumerated == set(options(layer)), set(options(layer)) - enumerated


# --- the shared validators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "value", "expected"),
    [
        (v.port, "443", 443),
        (v.boolean, "yes", True),
        (v.boolean, 0, False),
        (v.network(any_word=True), "any", "any"),
        (v.network(), "2001:db8::/32", "2001:db8::/32"),
        (v.path, "/etc//ssh/", "/etc/ssh"),
        (v.octal_mode, "640", "0640"),
        (v.duration(), "5m", 300),
        (v.size(), "512K", "512k"),
        (v.calendar, " daily ", "daily"),
        (v.hostname, "Web1.Example.COM.", "web1.example.com"),
        (v.controller_path, "~/secrets/", "~/secrets"),
    ],
)
def test_shared_validators_normalise(validator, value, expected):
    assert validator(value) == expected


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (v.port, True),
        (v.port, "22\n"),
        (v.port, "2_222"),
        (v.boolean, "maybe"),
        (v.network(), "999.1.1.1/99"),
        (v.network(), "10.0.0.1/8"),
        (v.network(world=False), "::/0"),
        (v.path, "/etc/ssh/../shadow"),
        (v.path, "/etc/ssh key"),
        (v.path, "/"),
        (v.octal_mode, 384),
        (v.duration(), "5 minutes"),
        (v.size(), "0"),
        (v.calendar, "daily\nExecStart=/bin/sh"),
        (v.hostname, "a..b"),
        (v.hostname, "1.2.3.4"),
        (v.text(), "a\x00b"),
        (v.text(), "tab\tinside"),
        (v.string(r"[a-z]+"), "abc\n"),
        (v.list_of(v.port), "22"),
        (v.list_of(v.port), [22, "22"]),
        (v.openssl_ciphers, "NULL-SHA256"),
    ],
)
def test_shared_validators_refuse(validator, value):
    with pytest.raises(v.Invalid):
        validator(value)


def test_a_secret_is_never_quoted():
    inputs = v.Inputs({"x_password": v.text()}, {"x_password": "s3cret\x00value"}, secrets=("x_password",))
    assert inputs.errors and all("s3cret" not in e for e in inputs.errors)
