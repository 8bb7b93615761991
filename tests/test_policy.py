"""The access-policy table: consistent, readable, and strict about unknown names."""

from __future__ import annotations

import pytest

from koepel.platform import policy
from koepel.platform.models import OrgKind


def test_every_kind_has_roles_with_labels():
    assert set(policy.ROLES) == set(OrgKind)
    for kind, roles in policy.ROLES.items():
        assert roles, kind
        assert all(r in policy.ROLE_LABELS for r in roles)
        assert kind in policy.KIND_LABELS


def test_every_action_names_known_roles():
    for action, roles in policy.ACTIONS.items():
        assert roles, action
        assert roles <= policy.ANY_ROLE, action


def test_can_reads_the_table():
    assert policy.can({"volunteer"}, "org.view")
    assert not policy.can({"volunteer"}, "org.people.invite")
    assert policy.can({"volunteer", "board"}, "org.people.invite")
    assert not policy.can(set(), "org.view")
    with pytest.raises(KeyError):
        policy.can({"board"}, "no.such.action")


def test_register_actions_refuses_duplicates_and_unknown_roles(monkeypatch):
    monkeypatch.setattr(policy, "ACTIONS", dict(policy.ACTIONS))
    policy.register_actions({"test.thing": {"board"}})
    assert policy.can({"board"}, "test.thing")
    with pytest.raises(ValueError):
        policy.register_actions({"test.thing": {"board"}})
    with pytest.raises(ValueError):
        policy.register_actions({"test.other": {"king"}})
