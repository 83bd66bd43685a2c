# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_bundle
short_description: The collection's verify modules as one Python file a host can run without Ansible
version_added: 0.6.0
description:
  - Returns the text of a Python program that holds this collection's verify modules, its module_utils and the
    controller's C(ansible.module_utils) (as AnsiballZ does, without the arguments), zipped and base64-encoded.
  - C(python3 verify_bundle.py os_verify [ARGS.json]) runs a module as Ansible would, with the module's arguments
    from the file or stdin (under C(ANSIBLE_MODULE_ARGS)), and prints its JSON result. The monitoring role installs it for the
    scheduled audit (MON-08).
  - The text is the same for the same files (fixed timestamps, sorted names), so a copy changes only when a module
    does. It is cached under O(cache_dir), which must belong to the controller's user and be closed to others.
options:
  cache_dir:
    description: Where the built text is kept between runs (created with mode 0700).
    type: path
    default: ~/.ansible/insightengine-hardening/cache
"""

EXAMPLES = r"""
- name: Install the verify modules for a scheduled audit
  ansible.builtin.copy:
    content: "{{ lookup('insightengine.hardening.verify_bundle') }}"
    dest: /usr/local/lib/insightengine/verify_bundle.py
    mode: "0644"
"""

RETURN = r"""
_raw:
  description: The program's text.
  type: list
  elements: str
"""

import base64
import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

# ansible.module_utils minus what no verify module reaches (facts, the Windows helpers).
SKIP = ("facts", "csharp", "powershell", "__pycache__")
NAMESPACE = "ansible_collections/insightengine/hardening"
LAUNCHER = '''#!/usr/bin/python3
# Managed by insightengine.hardening.monitoring (MON-08). The collection's
# verify modules and the module_utils they run on (ansible-core {version}),
# built by the lookup insightengine.hardening.verify_bundle. Usage:
#   python3 verify_bundle.py LAYER_verify [ARGS.json]
# ARGS.json (or stdin): {{"ANSIBLE_MODULE_ARGS": {{...}}}}. Prints the module's result.
import base64
import os
import re
import runpy
import sys
import tempfile

PAYLOAD = """
{payload}"""


def main():
    if len(sys.argv) not in (2, 3) or not re.fullmatch(r"[a-z]+_verify", sys.argv[1]):
        raise SystemExit("usage: verify_bundle.py LAYER_verify [ARGS.json]")
    name = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="insightengine-verify-") as tmp:
        bundle = os.path.join(tmp, "bundle.zip")
        with open(bundle, "wb") as handle:
            handle.write(base64.b64decode(PAYLOAD))
        sys.path.insert(0, bundle)
        sys.argv = [name, *sys.argv[2:]]  # no file: the module reads its arguments from stdin
        runpy.run_module("{namespace}.plugins.modules." + name, run_name="__main__")


if __name__ == "__main__":
    main()
'''


def _sources() -> list[tuple[str, Path]]:
    """(name in the zip, file) for every file the bundle holds."""
    import ansible
    import ansible.module_utils

    files = []
    utils = Path(ansible.module_utils.__file__).parent
    for path in sorted(utils.rglob("*.py")):
        rel = path.relative_to(utils)
        if rel.parts[0] not in SKIP and "__pycache__" not in rel.parts:
            files.append((f"ansible/module_utils/{rel.as_posix()}", path))
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "plugins" / "module_utils").glob("*.py")):
        files.append((f"{NAMESPACE}/plugins/module_utils/{path.name}", path))
    for path in sorted((root / "plugins" / "modules").glob("*_verify.py")):
        files.append((f"{NAMESPACE}/plugins/modules/{path.name}", path))
    return files


def _cache_dir(path: str) -> Path:
    directory = Path(os.path.expanduser(path))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = directory.stat()
    if st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        raise AnsibleLookupError(f"verify_bundle: {directory} must belong to this user and be closed to others (0700)")
    return directory


def build(files: list[tuple[str, Path]], version: str) -> str:
    buffer = io.BytesIO()
    names = {name for name, _path in files}
    packages = {"ansible/__init__.py", "ansible_collections/__init__.py", "ansible_collections/insightengine/__init__.py"}
    packages |= {f"{NAMESPACE}/__init__.py", f"{NAMESPACE}/plugins/__init__.py"}
    packages |= {f"{NAMESPACE}/plugins/module_utils/__init__.py", f"{NAMESPACE}/plugins/modules/__init__.py"}
    entries = [(name, b"") for name in sorted(packages - names)] + [(name, path.read_bytes()) for name, path in files]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, data)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    payload = "\n".join(encoded[i : i + 100] for i in range(0, len(encoded), 100)) + "\n"
    return LAUNCHER.format(version=version, payload=payload, namespace=NAMESPACE.replace("/", "."))


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        from ansible.release import __version__

        self.set_options(var_options=variables, direct=kwargs)
        files = _sources()
        key = hashlib.sha256(__version__.encode())
        for name, path in files:
            st = path.stat()
            key.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        cached = _cache_dir(self.get_option("cache_dir")) / f"verify_bundle-{key.hexdigest()[:32]}.py"
        try:
            return [cached.read_text(encoding="ascii")]
        except OSError:
            pass
        text = build(files, __version__)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="ascii")
        os.replace(tmp, cached)
        return [text]
