# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validators for role inputs, shared by every layer.

A role's inputs are checked on the controller before the role changes
anything (the ``validate_inputs`` action plugin).  Each public variable has
one validator: a callable that takes the value as Ansible templated it and
returns it *normalised* (``"2222"`` becomes ``2222``, ``"no"`` stays ``"no"``
and ``False`` becomes ``"no"`` for an sshd yes/no option), or raises
:class:`Invalid` with a sentence that completes "<variable> ...".  The role
then renders its files from the normalised values only, so what is checked
is exactly what is written and later compared.

The rule for every value that lands in a file, a unit or an SQL statement:
it is checked against the grammar of that place.  No validator here lets a
control character through (a trailing newline included), and the token
validators refuse what ends a directive or opens a block in their grammar.

Patterns are matched with :func:`re.fullmatch`: a ``$`` in Python also
matches before a trailing newline, which is how ``"22\\n"`` used to pass.

Private to the collection: no API promise.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import posixpath
import re
import ssl
import typing as t

Validator = t.Callable[[t.Any], t.Any]

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators:
# nothing a configuration file, a unit or a log line should ever receive.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The same, but tab and newline allowed (free text such as a login banner).
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class Invalid(ValueError):
    """A value that does not fit; ``where`` is the path below the variable
    (``[0].port``) and the message completes "<variable><where> ..."."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(message)
        self.message = message
        self.where = where

    def inside(self, step: str) -> Invalid:
        return Invalid(self.message, step + self.where)


def shown(value: t.Any) -> str:
    """A value as an error message shows it: JSON, so a newline is visible as \\n."""
    try:
        text = json.dumps(value, ensure_ascii=True, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _got(value: t.Any) -> str:
    return f"got {shown(value)}"


def _text(value: t.Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        raise Invalid(f"must be {what} (a string), {_got(value)}")
    return value


def has_control(value: str, multiline: bool = False) -> bool:
    return bool((_CONTROL_MULTILINE if multiline else _CONTROL).search(value))


def no_control(value: str, multiline: bool = False) -> str:
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL
    match = pattern.search(value)
    if match:
        char = match.group(0)
        raise Invalid(f"must not contain control characters ({shown(char)} at position {match.start()}), {_got(value)}")
    return value


# --------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def boolean(value: t.Any) -> bool:
    """A real boolean. The strings Ansible itself reads as booleans are
    converted (extra vars given as key=value arrive as strings); anything
    else is refused, so "false" can never be truthy in a template."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise Invalid(f"must be true or false, {_got(value)}")


def integer(minimum: int | None = None, maximum: int | None = None, what: str = "a whole number") -> Validator:
    """A whole number in [minimum, maximum]; digits in a string (with
    surrounding spaces) are converted once, here, and nowhere else."""

    def check(value: t.Any) -> int:
        if isinstance(value, bool):
            raise Invalid(f"must be {what}, {_got(value)}")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r" *-?[0-9]{1,18} *", value):
            number = int(value.strip())
        else:
            raise Invalid(f"must be {what}, {_got(value)}")
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = (
                f"between {minimum} and {maximum}"
                if minimum is not None and maximum is not None
                else (f"at least {minimum}" if minimum is not None else f"at most {maximum}")
            )
            raise Invalid(f"must be {bounds}, {_got(value)}")
        return number

    return check


def port(value: t.Any) -> int:
    return integer(1, 65535, "a TCP port")(value)


def choice(*choices: str, what: str = "one of") -> Validator:
    """One of fixed words. YAML's unquoted yes/no/on/off arrive as booleans:
    they are read back as the word when that word is a choice."""

    def check(value: t.Any) -> str:
        if isinstance(value, bool):
            for word in ("yes", "on", "true") if value else ("no", "off", "false"):
                if word in choices:
                    return word
        if isinstance(value, int) and not isinstance(value, bool) and str(value) in choices:
            return str(value)
        if isinstance(value, str) and value in choices:
            return value
        raise Invalid(f"must be {what} {', '.join(choices)}, {_got(value)}")

    return check


def string(
    pattern: str | None = None,
    *,
    what: str = "a string",
    empty: bool = False,
    max_length: int = 255,
    numbers: bool = False,
    strip: bool = False,
) -> Validator:
    """A single-line string matching pattern as a whole (re.fullmatch)."""
    compiled = re.compile(pattern) if pattern else None

    def check(value: t.Any) -> str:
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = _text(value, what)
        no_control(text)
        if strip:
            text = text.strip()
        if not text:
            if empty:
                return ""
            raise Invalid(f"must not be empty (want {what})")
        if len(text) > max_length:
            raise Invalid(f"must be at most {max_length} characters, {_got(text)}")
        if compiled is not None and not compiled.fullmatch(text):
            raise Invalid(f"must be {what}, {_got(value)}")
        return text

    return check


def text(*, multiline: bool = False, empty: bool = True, max_length: int = 4096, forbidden: str = "") -> Validator:
    """Free text (a banner, a reason shown in a report): printable, no control
    characters (newlines and tabs allowed when multiline), none of forbidden."""

    def check(value: t.Any) -> str:
        value = _text(value, "text")
        no_control(value, multiline=multiline)
        if not value.strip() and not empty:
            raise Invalid("must not be empty")
        if len(value) > max_length:
            raise Invalid(f"must be at most {max_length} characters long, got {len(value)}")
        bad = sorted({c for c in value if c in forbidden})
        if bad:
            raise Invalid(f"must not contain {' '.join(bad)}, {_got(value)}")
        return value

    return check


def optional(validator: Validator) -> Validator:
    """The empty string (or None) means "not set"; anything else must pass validator."""

    def check(value: t.Any) -> t.Any:
        if value is None or value == "":
            return ""
        return validator(value)

    return check


# --------------------------------------------------------------------------
# Names, paths, networks
# --------------------------------------------------------------------------

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
# Container and service names (compose's app_web_1) resolve with underscores.
_LABEL_ = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOSTNAME_UNDERSCORE_RE = re.compile(rf"{_LABEL_}(?:\.{_LABEL_})*\.?")
# A path as it lands in sshd_config, nginx, postgresql.conf, a unit's
# ExecStart and a libpq DSN alike: no whitespace, quotes, ; { } $ % # \ or *.
_PATH_CHARS = re.compile(r"[A-Za-z0-9._/@+,:=-]+")


def hostname(value: t.Any, *, wildcard: bool = False, underscore: bool = False) -> str:
    """A DNS host name (RFC 1123 labels), lower-cased; ``*.example.com`` when
    wildcard; underscores allowed when underscore (names resolvers accept)."""
    name = _text(value, "a host name")
    no_control(name)
    body = name[2:] if wildcard and name.startswith("*.") else name
    pattern = HOSTNAME_UNDERSCORE_RE if underscore else HOSTNAME_RE
    if len(name) > 253 or not pattern.fullmatch(body) or body.replace(".", "").isdigit():
        raise Invalid(f"must be a host name, {_got(value)}")
    return name.rstrip(".").lower()


def address(value: t.Any) -> str:
    """An IPv4 or IPv6 address, as ipaddress writes it."""
    try:
        return str(ipaddress.ip_address(_text(value, "an IP address").strip()))
    except ValueError:
        raise Invalid(f"must be an IP address, {_got(value)}") from None


def host(value: t.Any, *, wildcard: bool = False, underscore: bool = False) -> str:
    """An IP address (as ipaddress writes it), else a host name as hostname() takes it."""
    try:
        return address(value)
    except Invalid:
        pass
    try:
        return hostname(value, wildcard=wildcard, underscore=underscore)
    except Invalid:
        raise Invalid(f"must be an IP address or a host name, {_got(value)}") from None


def network(*, any_word: bool = False, world: bool = True) -> Validator:
    """An address or network in CIDR notation, judged by ipaddress (so
    999.1.1.1/99 and 10.0.0.1/8 are refused: the second has host bits set).
    ``any`` is allowed when any_word; world=False refuses 0.0.0.0/0 and ::/0."""

    def check(value: t.Any) -> str:
        raw = _text(value, "an address or network (CIDR)")
        no_control(raw)
        raw = raw.strip()
        if any_word and raw == "any":
            return "any"
        try:
            net = ipaddress.ip_network(raw, strict=True)
        except ValueError as exc:
            hint = ""
            with contextlib.suppress(ValueError):
                hint = f" (did you mean {ipaddress.ip_network(raw, strict=False)}?)"
            raise Invalid(f"must be an address or network (CIDR): {exc}{hint}, {_got(value)}") from None
        if not world and net.prefixlen == 0:
            raise Invalid(f"must not be every address, {_got(value)}")
        return str(net)

    return check


def path(value: t.Any) -> str:
    """An absolute, normalised path that every grammar here can hold without
    quoting: letters, digits and ``. _ / @ + , : = -`` only; no ``..``.
    Doubled and trailing slashes are normalised away."""
    raw = _text(value, "an absolute path")
    no_control(raw)
    if not raw.startswith("/"):
        raise Invalid(f"must be an absolute path, {_got(value)}")
    if not _PATH_CHARS.fullmatch(raw):
        bad = sorted({c for c in raw if not _PATH_CHARS.fullmatch(c)})
        raise Invalid(
            f"must be a path of letters, digits and . _ / @ + , : = - only (not {' '.join(map(shown, bad))}), {_got(value)}"
        )
    parts = [p for p in raw.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise Invalid(f"must not contain . or .. components, {_got(value)}")
    normal = posixpath.normpath("/" + "/".join(parts))
    if normal == "/":
        raise Invalid(f"must not be /, {_got(value)}")
    return normal


def controller_path(value: t.Any) -> str:
    """A path on the controller: absolute, or starting with ~/ (the user's home)."""
    raw = _text(value, "a path")
    if raw.startswith("~/"):
        return "~" + path(raw[1:])
    return path(raw)


_POSIX_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,30}[$]?")


def user_name(value: t.Any) -> str:
    """A POSIX account name as Debian's adduser accepts it."""
    return string(_POSIX_NAME.pattern, what="a user name (lower-case letters, digits, _ . -)")(value)


def group_name(value: t.Any) -> str:
    return string(_POSIX_NAME.pattern, what="a group name (lower-case letters, digits, _ . -)")(value)


def octal_mode(value: t.Any) -> str:
    """A file mode as an octal string ("0600"), returned with four digits.
    An integer is refused: YAML reads an unquoted 0600 as 384."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise Invalid(f'must be a quoted octal string such as "0600" (YAML reads an unquoted 0600 as {value}), {_got(value)}')
    raw = string(r"0?[0-7]{3,4}", what='an octal mode such as "0600"')(value)
    return f"{int(raw, 8):04o}"


# --------------------------------------------------------------------------
# Durations, sizes, calendars
# --------------------------------------------------------------------------

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(minimum: int = 0, maximum: int | None = None) -> Validator:
    """Seconds, as a number or with a unit (30, "30s", "5m", "1h"), returned as whole seconds."""

    def check(value: t.Any) -> int:
        if isinstance(value, str):
            raw = no_control(value).strip()
            match = re.fullmatch(r"([0-9]{1,9})\s*([smhd]?)", raw)
            if not match:
                raise Invalid(f"must be a duration in seconds (30, 30s, 5m, 1h), {_got(value)}")
            value = int(match.group(1)) * _SECONDS.get(match.group(2) or "s", 1)
        return integer(minimum, maximum, "a duration in seconds")(value)

    return check


_SIZE = re.compile(r"([1-9][0-9]{0,9})([kKmMgG]?)")
_SIZE_FACTOR = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def size(minimum: int = 1, maximum: int | None = None) -> Validator:
    """A size as nginx writes it (10m, 512k, 1g), returned lower-case; bounds in bytes."""

    def check(value: t.Any) -> str:
        raw = string(_SIZE.pattern, what="a size such as 10m or 512k", numbers=True)(value)
        match = _SIZE.fullmatch(raw)
        if match is None:  # (the string validator above matched it already)
            raise Invalid(f"must be a size such as 10m or 512k, {_got(value)}")
        number = int(match.group(1)) * _SIZE_FACTOR[match.group(2).lower()]
        if number < minimum or (maximum is not None and number > maximum):
            raise Invalid(f"must be between {minimum} and {maximum} bytes, {_got(value)}")
        return match.group(1) + match.group(2).lower()

    return check


# systemd.time(7) calendar events: words, digits, * , . / ~ : - + and spaces.
# The host's systemd-analyze calendar has the last word (see the facts modules).
_CALENDAR = re.compile(r"[A-Za-z0-9*,./~:+ -]{1,100}")


def calendar(value: t.Any) -> str:
    """A systemd calendar expression ("daily", "*-*-* 02:15:00"), spaces folded."""
    raw = _text(value, "a systemd calendar expression")
    no_control(raw)
    folded = " ".join(raw.split())
    if not folded or not _CALENDAR.fullmatch(folded):
        raise Invalid(f'must be a systemd calendar expression such as "daily" or "*-*-* 02:15:00", {_got(value)}')
    return folded


# --------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------


def cipher_suites(value: str) -> list[dict[str, t.Any]]:
    """The TLS 1.2 suites an OpenSSL cipher string selects, as this
    controller's OpenSSL reads it; ValueError when it selects none."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.set_ciphers(value)
    except ssl.SSLError as exc:
        raise ValueError(f"OpenSSL selects no cipher from it ({getattr(exc, 'reason', None) or exc})") from None
    return [c for c in context.get_ciphers() if c.get("protocol") != "TLSv1.3" and not c["name"].startswith("TLS_")]


def openssl_ciphers(value: t.Any) -> str:
    """An OpenSSL cipher string, judged by OpenSSL itself: it must select
    TLS 1.2 suites, and each must have forward secrecy (ECDHE/DHE) and AEAD."""
    raw = string(
        r"[A-Za-z0-9:+!@=_.,-]{1,1000}", what="an OpenSSL cipher list (letters, digits and : + ! @ = _ . , -)", max_length=1000
    )(value)
    try:
        suites = cipher_suites(raw)
    except ValueError as exc:
        raise Invalid(f"is not a cipher list OpenSSL accepts: {exc}, got {shown(value)}") from None
    if not suites:
        raise Invalid(f"selects no TLS 1.2 cipher suite, got {shown(value)}")
    weak = [c["name"] for c in suites if c.get("kea") not in ("kx-ecdhe", "kx-dhe") or not c.get("aead")]
    if weak:
        raise Invalid(f"selects suites without forward secrecy or AEAD: {', '.join(weak)} (want ECDHE/DHE with GCM or CHACHA20)")
    return raw


# --------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------


def _at(step: str, validator: Validator, value: t.Any) -> t.Any:
    """validator(value), an error naming where it is ([0], ["key"], .field)."""
    try:
        return validator(value)
    except Invalid as exc:
        raise exc.inside(step) from None


def list_of(item: Validator, *, min_items: int = 0, max_items: int = 1000, unique: bool = True) -> Validator:
    def check(value: t.Any) -> list[t.Any]:
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
            raise Invalid(f"must be a list, {_got(value)}")
        if len(value) < min_items:
            raise Invalid(f"must list at least {min_items} item{'s' if min_items > 1 else ''}, got {len(value)}")
        if len(value) > max_items:
            raise Invalid(f"must list at most {max_items} items, got {len(value)}")
        result = []
        for index, element in enumerate(value):
            normal = _at(f"[{index}]", item, element)
            if unique and normal in result:
                raise Invalid(f"lists {shown(normal)} twice", f"[{index}]")
            result.append(normal)
        return result

    return check


def dict_of(key: Validator, value: Validator, *, max_items: int = 1000) -> Validator:
    def check(mapping: t.Any) -> dict[t.Any, t.Any]:
        if not isinstance(mapping, dict):
            raise Invalid(f"must be a mapping, {_got(mapping)}")
        if len(mapping) > max_items:
            raise Invalid(f"must have at most {max_items} entries, got {len(mapping)}")
        result = {}
        for raw_key, raw_value in mapping.items():
            try:
                normal_key = key(raw_key)
            except Invalid as exc:
                raise Invalid(f"key {exc.message}") from None
            result[normal_key] = _at(f"[{shown(normal_key)}]", value, raw_value)
        return result

    return check


def record(
    fields: dict[str, Validator], *, required: t.Iterable[str] = (), defaults: dict[str, t.Any] | None = None
) -> Validator:
    """A mapping with known keys only; missing keys take their default."""
    needed = set(required)
    defaults = defaults or {}

    def check(value: t.Any) -> dict[str, t.Any]:
        if not isinstance(value, dict):
            raise Invalid(f"must be a mapping with {', '.join(fields)}, {_got(value)}")
        unknown = sorted(str(k) for k in value if k not in fields)
        if unknown:
            raise Invalid(f"has unknown keys {', '.join(unknown)} (known: {', '.join(fields)})")
        missing = sorted(k for k in needed if value.get(k) in (None, ""))
        if missing:
            raise Invalid(f"must set {', '.join(missing)}")
        result = {}
        for name, validator in fields.items():
            raw = value.get(name, defaults.get(name))
            if raw is None and name not in needed:
                result[name] = None
                continue
            result[name] = _at(f".{name}", validator, raw)
        return result

    return check


# --------------------------------------------------------------------------
# Running a layer's table
# --------------------------------------------------------------------------


class Inputs:
    """The outcome of validating a role's variables: normalised values and
    one error sentence per problem, each starting with the variable's name."""

    def __init__(self, spec: dict[str, Validator], raw: dict[str, t.Any], secrets: t.Iterable[str] = ()):
        self.values: dict[str, t.Any] = {}
        self.inventory_hostname = ""  # set by the validate_inputs action
        self.errors: list[str] = []
        self.warnings: list[str] = []
        for name, validator in spec.items():
            if name not in raw:
                self.errors.append(f"{name} is not defined (the role's defaults were not loaded?)")
                continue
            try:
                self.values[name] = validator(raw[name])
            except Invalid as exc:
                message = exc.message
                if name in secrets:  # never quote a secret, whatever the validator said
                    message = re.sub(r",? got .*$", "", message, flags=re.S)
                self.errors.append(f"{name}{exc.where} {message}")

    def valid(self, *names: str) -> bool:
        """Whether every named variable passed its own check (cross checks
        only run on values that are themselves valid)."""
        return all(name in self.values for name in names)

    def __getitem__(self, name: str) -> t.Any:
        return self.values[name]

    def error(self, message: str) -> None:
        self.errors.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def together(self, first: str, second: str, note: str = "") -> None:
        """Two options that are set together or not at all."""
        if self.valid(first, second) and bool(self[first]) != bool(self[second]):
            self.error(f"{first} and {second} go together: give both or neither{note}")

    def more_than(self, larger: str, smaller: str) -> None:
        if self.valid(larger, smaller) and self[larger] <= self[smaller]:
            self.error(f"{larger} ({self[larger]}) must be more than {smaller} ({self[smaller]})")

    def at_most(self, smaller: str, larger: str) -> None:
        if self.valid(larger, smaller) and self[smaller] > self[larger]:
            self.error(f"{smaller} ({self[smaller]}) must be at most {larger} ({self[larger]})")
