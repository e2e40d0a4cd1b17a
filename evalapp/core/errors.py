"""Domain errors raised by services, and their mapping to HTTP.

Services raise these with a translatable message; one error handler (registered in create_app)
turns them into an HTML page or a JSON body with the matching status. Nothing has been committed
when they are raised, so the request changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    default_message = _l("The request could not be carried out.")

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.params = params
        self.field = field
        super().__init__(str(self.message))

    def text(self) -> str:
        message = str(self.message)
        return message % self.params if self.params else message


class ValidationFailed(DomainError):
    status = 422
    default_message = _l("The data entered is not valid.")

    def __init__(self, message: Any = None, *, errors: list[Any] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.errors = errors or []


class NotAllowed(DomainError):
    status = 403
    default_message = _l("You do not have permission to do this.")


class NotFound(DomainError):
    status = 404
    default_message = _l("The item you asked for does not exist.")


class InvalidState(DomainError):
    status = 409
    default_message = _l("This cannot be done in the current state.")


class AlreadyExists(DomainError):
    status = 409
    default_message = _l("This item already exists.")


class AlreadyVoted(DomainError):
    status = 409
    default_message = _l("You have already voted in this round. Each person votes once.")
