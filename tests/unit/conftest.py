"""Make this checkout importable as ansible_collections.insightengine.hardening."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "insightengine" / "hardening"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


def make_certificate(directory: Path, name: str, days: int = 30) -> tuple[Path, Path]:
    """A self-signed ECDSA certificate for name (with that SAN) and its key (0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def checked_report(*results: dict, check_mode: bool = False, changed: dict | None = None) -> dict:
    """The report document the callback writes for verify results of one
    host ("host1"), validated against the shipped JSON Schema."""
    import json

    import jsonschema

    from ansible_collections.insightengine.hardening.plugins.callback.report import build

    findings = {"host1": {result["layer"]: {"findings": result["findings"]} for result in results}}
    document = build(findings, {"host1": changed or {}}, {}, {}, check_mode, False)
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(document, default=str)), schema, format_checker=jsonschema.FormatChecker())
    return document


SYSTEMCTL_SHOW = ["show", "--property=Id,LoadState,UnitFileState,ActiveState,NeedDaemonReload", "--"]


def systemctl_show(cmd: list[str], units: dict[str, tuple[str, str]]) -> tuple[int, str, str] | None:
    """What ``systemctl show`` prints for the units HostReader.units() asks
    about, from unit -> (UnitFileState, ActiveState); None for another command."""
    if cmd[1:4] != SYSTEMCTL_SHOW:
        return None
    blocks = []
    for name in cmd[4:]:
        if name not in units:
            blocks.append(f"Id={name}\nLoadState=not-found\nUnitFileState=\nActiveState=inactive\nNeedDaemonReload=no\n")
            continue
        enabled, active = units[name]
        blocks.append(f"Id={name}\nLoadState=loaded\nUnitFileState={enabled}\nActiveState={active}\nNeedDaemonReload=no\n")
    return 0, "\n".join(blocks), ""
