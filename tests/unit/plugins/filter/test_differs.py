from __future__ import annotations

import hashlib

import pytest

from ansible_collections.insightengine.hardening.plugins.filter.differs import differs

CONTENT = "PermitRootLogin no\n"
STATE = {"exists": True, "sha1": hashlib.sha1(CONTENT.encode()).hexdigest(), "mode": "0644", "owner": "root", "group": "root"}  # noqa: S324


@pytest.mark.parametrize(
    ("state", "item", "kwargs", "stale"),
    [
        (STATE, {"dest": "/f"}, {}, False),
        (STATE, {"dest": "/f"}, {"group": "root"}, False),
        ({**STATE, "group": "adm"}, {"dest": "/f"}, {}, False),  # group not compared unless asked
        ({**STATE, "group": "adm"}, {"dest": "/f"}, {"group": "root"}, True),
        ({**STATE, "sha1": "0" * 40}, {"dest": "/f"}, {}, True),
        ({**STATE, "mode": "0600"}, {"dest": "/f"}, {}, True),
        ({**STATE, "mode": "0600"}, {"dest": "/f", "mode": "0600"}, {}, False),
        ({**STATE, "owner": "postgres"}, {"dest": "/f", "owner": "postgres"}, {}, False),
        ({**STATE, "owner": "postgres"}, {"dest": "/f"}, {}, True),
        ({"exists": False}, {"dest": "/f"}, {}, True),
        (None, {"dest": "/f"}, {}, True),
    ],
)
def test_a_file_differs_when_content_mode_owner_or_group_differ(state, item, kwargs, stale):
    assert differs({"/f": state} if state else {}, item, CONTENT, **kwargs) is stale


def test_an_item_without_dest_is_an_error():
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError, match="dest"):
        differs({}, {"src": "x"}, CONTENT)
