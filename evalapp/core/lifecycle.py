"""A lifecycle: the states of a kind of object, the steps between them and who may take each.

An area declares its lifecycle once, next to its model (see evalapp/ballots/lifecycle.py), as a
table of steps; services check a step before taking it, routes and the API find the step by its
name (and the function that performs it), and templates ask `can(user, obj, "close")` instead of
comparing states. `core` knows no area: who may take a step is asked through the `authorise`
function the area hands in (the permission vocabulary of evalapp.auth), by action name.

A step either moves the object to another state (`target`) or is done within a state (an
"action": editing a draft, taking attendance, casting); `transition` steps are the ones offered
as "next steps" by the pages and the API. `when` adds a condition beyond the state (results not
published yet) with its own refusal message.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l

from evalapp.core.errors import InvalidState, NotAllowed, NotFound

S = TypeVar("S", bound=enum.Enum)

LIFECYCLES: list[Lifecycle] = []  # every lifecycle declared, for tests and documentation

Authorise = Callable[[Any, str, Any], bool]
# authorise(user, action, obj) -> bool: the permission vocabulary (evalapp.auth.permissions.can)


@dataclass(frozen=True)
class Step(Generic[S]):
    name: str                       # in URLs and the API: "start-attendance", "close"
    sources: frozenset[S]           # the states it may be taken from
    who: str                        # the permission action asked of authorise(user, who, obj)
    target: S | None = None         # the state it leads to; None: done within the state
    transition: bool = False        # offered as a next step by the pages and the API
    done: Any = None                # what the pages say once it is done (a lazy string)
    refusal: Any = None             # said when the state does not allow it (None: the default)
    when: Callable[[Any], Any] | None = None  # obj -> None, or a refusal message

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", frozenset(self.sources))  # {DRAFT} reads better


@dataclass
class Lifecycle(Generic[S]):
    """The states of a kind of object and its steps, each declared once."""

    name: str
    states: type[S]
    steps: list[Step[S]]
    authorise: Authorise
    state_attribute: str = "status"  # where an object keeps its state
    state_label: Callable[[S], str] = lambda state: str(getattr(state, "label", state.value))
    default_refusal: Any = _l("This cannot be done in the current state.")
    phases: dict[str, frozenset[S]] = field(default_factory=dict)
    _performers: dict[str, Callable] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        names = [step.name for step in self.steps]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: a step is declared twice")
        for step in self.steps:
            unknown = set(step.sources) - set(self.states)
            if step.target is not None:
                unknown |= {step.target} - set(self.states)
            if unknown or not step.sources:
                raise ValueError(f"{self.name}.{step.name}: states {unknown or 'missing'}")
        self._by_name = {step.name: step for step in self.steps}
        self.phases = {name: frozenset(states) for name, states in self.phases.items()}
        LIFECYCLES.append(self)

    def state_of(self, obj) -> S:
        return getattr(obj, self.state_attribute)

    # ------------------------------------------------------------ reading the table

    def step(self, name: str) -> Step[S]:
        """The step called `name`; an unknown name is a 404 naming the steps that exist."""
        found = self._by_name.get(name)
        if found is None:
            raise self._unknown(name)
        return found

    def transition(self, name: str) -> Step[S]:
        """The transition called `name` (as in a URL); anything else is a 404."""
        found = self._by_name.get(name)
        if found is None or not found.transition:
            raise self._unknown(name)
        return found

    def _unknown(self, name: str) -> NotFound:
        return NotFound(_l("Unknown step %(name)s. The steps are: %(steps)s."),
                        name=str(name)[:40], steps=", ".join(self.transition_names))

    @property
    def transition_names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps if step.transition)

    @property
    def transitions(self) -> list[Step[S]]:
        return [step for step in self.steps if step.transition]

    def states_where(self, name: str) -> frozenset[S]:
        """The states in which step `name` may be taken."""
        return self.step(name).sources

    def phase(self, name: str) -> tuple[S, ...]:
        """A named set of states (e.g. "results_exist": counted or finalised), in order."""
        return tuple(state for state in self.states if state in self.phases[name])

    def in_phase(self, obj, name: str) -> bool:
        return self.state_of(obj) in self.phases[name]

    # ------------------------------------------------------------ asking

    def state_allows(self, obj, name: str, state: S | None = None) -> bool:
        """Whether the object's state (or `state`, read afresh by the caller) allows the step."""
        step = self.step(name)
        state = self.state_of(obj) if state is None else state
        return state in step.sources and (step.when is None or step.when(obj) is None)

    def allowed(self, user, obj, name: str) -> bool:
        """Whether `user` is one of those who may take the step (whatever the state)."""
        return bool(self.authorise(user, self.step(name).who, obj))

    def can(self, user, obj, name: str) -> bool:
        """Whether `user` may take step `name` on `obj` now: the one question templates ask."""
        return self.state_allows(obj, name) and self.allowed(user, obj, name)

    def available(self, user, obj) -> list[Step[S]]:
        """The transitions `user` may take on `obj` now."""
        return [step for step in self.transitions if self.can(user, obj, step.name)]

    # ------------------------------------------------------------ checking, for services

    def check(self, user, obj, name: str, *, state: S | None = None) -> Step[S]:
        """Refuse unless `user` may take the step now: NotAllowed (403) for someone who may not
        take it at all, InvalidState (409) for a state that does not allow it."""
        self.check_who(user, obj, name)
        return self.check_state(obj, name, state=state)

    def check_who(self, user, obj, name: str) -> Step[S]:
        """NotAllowed (403) unless `user` is one of those who may take the step; a service that
        locks the object before reading its state afresh checks this first."""
        step = self.step(name)
        if not self.allowed(user, obj, name):
            raise NotAllowed()
        return step

    def check_state(self, obj, name: str, *, state: S | None = None) -> Step[S]:
        step = self.step(name)
        current = self.state_of(obj) if state is None else state
        if current not in step.sources:
            raise InvalidState(step.refusal or self.default_refusal,
                               **({} if step.refusal else
                                  {"status": self.state_label(current)}))
        if step.when is not None:
            refusal = step.when(obj)
            if refusal is not None:
                raise InvalidState(refusal)
        return step

    def move(self, obj, name: str) -> None:
        """Put `obj` in the step's target state (after check())."""
        step = self.step(name)
        if step.target is not None:
            setattr(obj, self.state_attribute, step.target)

    # ------------------------------------------------------------ who performs a step

    def performs(self, name: str) -> Callable[[Callable], Callable]:
        """Register the service function that takes step `name`: `fn(actor, obj)`."""
        self.step(name)

        def register(fn: Callable) -> Callable:
            self._performers[name] = fn
            return fn

        return register

    def performer(self, name: str) -> Callable:
        """The service function that takes transition `name` (NotFound for any other name)."""
        self.transition(name)
        return self._performers[name]

    def take(self, actor, obj, name: str):
        """Take transition `name` through its service function, which checks it."""
        return self.performer(name)(actor, obj)
