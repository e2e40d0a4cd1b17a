"""Permissions as one vocabulary: can(user, action, scope), with every area's actions
registered by the area (auth knows none of them)."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from evalapp.auth.models import Role
from evalapp.auth.permissions import (
    SYSTEM,
    action,
    actions,
    can,
    is_admin_anywhere,
    is_admin_everywhere,
    require,
    scope_paths,
)
from evalapp.core.errors import NotAllowed


def test_areas_register_their_actions(app):
    registered = set(actions())
    assert {"admin.anywhere", "admin.everywhere", "accounts.manage", "org.manage",
            "api.use"} <= registered
    assert {"ballots.create", "ballots.see", "ballots.manage", "ballots.run_meeting",
            "ballots.count", "ballots.finalise", "ballots.vote", "ballots.see_results",
            "ballots.see_all_results", "ballots.see_own_result",
            "ballots.see_trackers"} <= registered
    # Every step of every lifecycle names a registered action as who may take it.
    from evalapp.core.lifecycle import LIFECYCLES

    for lifecycle in LIFECYCLES:
        assert {step.who for step in lifecycle.steps} <= registered, lifecycle.name


def test_an_unknown_action_is_a_mistake_not_a_refusal(app, admin):
    with pytest.raises(LookupError):
        can(admin, "ballots.teleport")


def test_an_action_is_registered_once():
    @action("test.once")
    def first(user) -> bool:
        return True

    action("test.once")(first)  # the same predicate again (a module imported twice): fine
    with pytest.raises(ValueError):
        action("test.once")(lambda user: False)


def test_admin_anywhere_and_everywhere_are_named_predicates(factory):
    """What was spelled scope_paths(user, ADMIN) == [] (and `is None`) in several places."""
    unit = factory.unit("Sở Nội vụ")
    users = {
        "org-wide admin": factory.user("a1", roles=(Role.ADMIN,)),
        "admin of a unit": factory.user("a2", roles=(Role.ADMIN,), unit=unit),
        "secretary": factory.user("s1", roles=(Role.SECRETARY,)),
        "disabled admin": factory.user("a3", roles=(Role.ADMIN,)),
        "anonymous": AnonymousUserMixin(),
        "system": SYSTEM,
    }
    users["disabled admin"].active = False
    anywhere = {name: is_admin_anywhere(u) for name, u in users.items()}
    everywhere = {name: is_admin_everywhere(u) for name, u in users.items()}
    assert anywhere == {name: scope_paths(u, Role.ADMIN) != [] for name, u in users.items()}
    assert everywhere == {name: scope_paths(u, Role.ADMIN) is None
                          for name, u in users.items()}
    assert anywhere == {"org-wide admin": True, "admin of a unit": True, "secretary": False,
                        "disabled admin": False, "anonymous": False, "system": True}
    assert everywhere["admin of a unit"] is False and everywhere["org-wide admin"] is True
    assert can(users["admin of a unit"], "org.manage", unit)
    assert not can(users["admin of a unit"], "org.manage", factory.unit("Sở Y tế"))


def test_require_refuses_with_403(factory):
    with pytest.raises(NotAllowed) as refused:
        require(factory.user("s2", roles=(Role.SECRETARY,)), "admin.anywhere")
    assert refused.value.status == 403
