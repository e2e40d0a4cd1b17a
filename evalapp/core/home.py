"""The home page as each role's to-do list, gathered from the areas.

`core` knows no area: each area registers the sections it offers (a template and a function that
gathers its context for a user), and the home page shows, in order, every section whose function
returns something for the signed-in user. An area registers its sections in its own `home.py`,
imported by its routes module, e.g.:

    @home_section("ballots.to_vote", order=10, template="ballots/_home_to_vote.html")
    def rounds_to_vote(user):
        rounds = ...
        return {"rounds": rounds} if rounds else None
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Gather = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class HomeSection:
    key: str
    order: int
    template: str
    gather: Gather


_SECTIONS: dict[str, HomeSection] = {}


def home_section(key: str, *, order: int, template: str) -> Callable[[Gather], Gather]:
    """Register `gather(user) -> context | None` as the home page section `key`."""

    def register(gather: Gather) -> Gather:
        _SECTIONS[key] = HomeSection(key=key, order=order, template=template, gather=gather)
        return gather

    return register


@dataclass(frozen=True)
class ShownSection:
    key: str
    template: str
    context: dict[str, Any]


def sections_for(user) -> list[ShownSection]:
    """The sections that have something for `user`, in their order."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        context = section.gather(user)
        if context is not None:
            shown.append(ShownSection(section.key, section.template, context))
    return shown
