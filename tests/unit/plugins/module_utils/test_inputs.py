"""The role input validators, driven by their case tables (tests/unit/cases/)
and by an enumeration of every option of every role's argument specs: a
valid value plus a newline plus a directive is refused, naming the option.

The same tables drive the Molecule bad-input step on real hosts."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import pytest

from ansible_collections.insightengine.hardening.plugins.module_utils import _inputs as v

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "cases"))
from input_cases import LAYERS, injections, layer_module, options, table, validate, with_partners

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
        if name in getattr(layer_module(layer), "SECRETS", ()) and isinstance(value, str) and value:
            assert all(value not in e for e in errors), "a secret was quoted in an error"


@pytest.mark.parametrize(("layer", "case"), _cases("accepted"), ids=lambda x: x if isinstance(x, str) else str(x["vars"])[:60])
def test_accepted_inputs_are_normalised(layer, case):
    inputs = validate(layer, case["vars"])
    assert inputs.errors == []
    for name, value in case["values"].items():
        assert inputs[name] == value, name


# --- the enumeration: a valid value + newline + directive, option by option -------------


def _injection_cases():
    return [(layer, name, value) for layer in LAYERS for name, value in injections(layer)]


@pytest.mark.parametrize(("layer", "name", "value"), _injection_cases(), ids=lambda x: x if isinstance(x, str) else None)
def test_a_directive_smuggled_after_a_newline_is_refused(layer, name, value):
    errors = validate(layer, with_partners(name, value)).errors
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
