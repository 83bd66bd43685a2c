# Copyright (c) 2026 InsightEngine platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: rendered
short_description: Several of a role's templates rendered at once, as the template module would write them
version_added: 0.6.0
description:
  - Takes files (mappings with C(src), a template of the role, and C(dest)) and returns a mapping of each C(dest) to
    the text its template renders, with C(item) set to the file, exactly as M(ansible.builtin.template) in a loop
    over the files would write it.
  - Same result as one P(ansible.builtin.template#lookup) per file (with the file as C(item) in its template_vars),
    for the cost of one. The builtin lookup copies every variable of the host for each template (about 50 ms per file
    on the molecule hosts); this copies them once. A role compares the result with the host's files (the
    M(insightengine.hardening.monitoring_info) SHA-1s, filter P(insightengine.hardening.differs#filter)) so that a
    converged host runs no template task.
  - On ansible-core before 2.19 it falls back to the builtin lookup, one file at a time.
options:
  _terms:
    description: The files, each a mapping with C(src) and C(dest).
    required: true
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Which files differ on the host
  ansible.builtin.debug:
    msg: "{{ files | selectattr('dest', 'in', stale) | list }}"
  vars:
    rendered: "{{ lookup('insightengine.hardening.rendered', files) }}"
    stale: "{{ rendered | dict2items | rejectattr('value', 'equalto', 'x') | map(attribute='key') | list }}"
"""

RETURN = r"""
_raw:
  description: One mapping of each file's C(dest) to its rendered text.
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase

try:  # ansible-core 2.19 and later: the builtin lookup's own renderer
    from ansible._internal._templating import _template_vars
    from ansible._internal._templating._engine import TemplateOptions, TemplateOverrides
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - older cores take the builtin lookup per file
    _template_vars = None


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        files = [f for term in terms for f in (term if isinstance(term, list) else [term])]
        for f in files:
            if not isinstance(f, dict) or not f.get("src") or not f.get("dest"):
                raise AnsibleError("rendered: each file must be a mapping with src and dest")
        if _template_vars is None:
            builtin = lookup_loader.get("ansible.builtin.template", loader=self._loader, templar=self._templar)
            return [{f["dest"]: builtin.run([f["src"]], variables, template_vars={"item": f})[0] for f in files}]
        searchpath = []
        for path in variables.get("ansible_search_path", []):
            searchpath += [os.path.join(path, "templates"), path]
        # The builtin lookup's defaults (its options), as the template module renders too.
        overrides = TemplateOverrides.from_kwargs(
            {
                "variable_start_string": "{{",
                "variable_end_string": "}}",
                "comment_start_string": "{#",
                "comment_end_string": "#}",
                "trim_blocks": True,
            }
        )
        options = TemplateOptions(escape_backslashes=False, overrides=overrides)
        base = dict(variables)  # one shallow copy; each template adds its own item and template_* names
        found = {}
        for f in files:
            lookupfile = self.find_file_in_search_path(variables, "templates", f["src"])
            if not lookupfile:
                raise AnsibleError(f"rendered: the template file {f['src']} could not be found")
            text = trust_as_template(self._loader.get_text_file_contents(lookupfile))
            scope = {
                **base,
                **_template_vars.generate_ansible_template_vars(
                    path=f["src"], fullpath=lookupfile, include_ansible_managed="ansible_managed" not in base
                ),
                "item": f,
            }
            templar = self._templar.copy_with_new_env(
                available_variables=scope, searchpath=[os.path.dirname(lookupfile), *searchpath]
            )
            found[f["dest"]] = templar._engine.template(text, options=options)
        return [found]
