"""The rendered lookup gives what the builtin template lookup gives (and so
what the template module writes: Molecule's idempotence runs prove that
part), on templates that use trim_blocks, item and ansible_managed, run
through ansible-playbook on the controller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[4] / ".cache" / "collections"

TEMPLATE = """\
{{ ansible_managed | comment }}
{% for word in item.words %}
{{ word }} = {{ item.dest | basename }}
{% endfor %}
{# a comment #}
last line without a newline at the end"""

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  vars:
    files:
      - {src: sample.j2, dest: /etc/a.conf, words: [one, two]}
      - {src: sample.j2, dest: /etc/b.conf, words: []}
  tasks:
    - name: Both ways
      ansible.builtin.copy:
        dest: "{{ out }}"
        mode: "0600"
        content: >-
          {{ {'rendered': lookup('insightengine.hardening.rendered', files),
              'builtin': files | map('extract_builtin') | list} | to_json }}
"""


def test_rendered_equals_the_builtin_template_lookup(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "sample.j2").write_text(TEMPLATE)
    out = tmp_path / "out.json"
    # The builtin lookup per file, as the role did before (template_vars item).
    playbook = PLAYBOOK.replace(
        "files | map('extract_builtin') | list",
        "[lookup('ansible.builtin.template', 'sample.j2', template_vars={'item': files[0]}),"
        " lookup('ansible.builtin.template', 'sample.j2', template_vars={'item': files[1]})]",
    )
    (tmp_path / "play.yml").write_text(playbook)
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS), "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", "-c", "local", "play.yml",
         "-e", f"out={out}", "-e", f"ansible_python_interpreter={sys.executable}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    found = json.loads(out.read_text())
    assert found["rendered"] == {"/etc/a.conf": found["builtin"][0], "/etc/b.conf": found["builtin"][1]}
    assert "one = a.conf\ntwo = a.conf\n" in found["rendered"]["/etc/a.conf"]
    assert found["rendered"]["/etc/b.conf"].endswith("last line without a newline at the end")
