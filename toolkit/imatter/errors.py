"""The one exception tree users see. The CLI turns these into a message and an exit code."""

from __future__ import annotations


class ImatterError(Exception):
    """A problem the user can fix. `str(err)` is the whole message; `exit_code` is for the CLI."""

    exit_code = 1

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])


class UsageError(ImatterError):
    """The command was called wrongly (a missing option, an unknown choice).

    Raised only by the CLI (`imatter.cli`): library code cannot know how it was called, so it
    raises `InvalidValue` or `Conflict` (exit 1) instead. A test enforces this.
    """

    exit_code = 2


class InvalidValue(ImatterError):
    """A value is not acceptable: a malformed id or email, an unknown choice, a bad date."""


class Conflict(ImatterError):
    """The records or the rules do not allow this, e.g. a group's leader enrolled as a learner."""


class ProgrammeError(ImatterError):
    """The programme file is malformed or inconsistent."""


class ImportRowError(ImatterError):
    """A CSV import found bad rows; `details` lists each, and nothing was imported.

    `hints` say once how to fix a kind of problem that many rows share.
    """

    def __init__(
        self, message: str, *, details: list[str] | None = None, hints: list[str] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.hints = list(hints or [])


class NotFound(ImatterError):
    """A person, setting, course, role or file that does not exist."""


class Duplicate(ImatterError):
    """The record already exists; it was not recorded twice."""


class NotEligible(ImatterError):
    """The rules say no: the message says what is missing."""


class PermissionDenied(ImatterError):
    """The person doing this is not allowed to."""


class InvalidCredential(ImatterError):
    """A credential that is malformed, altered, expired, revoked or signed by an unknown key."""


class StoreError(ImatterError):
    """The database cannot be opened or upgraded."""


class RubricError(ImatterError):
    """A rubric file is malformed or does not fit its assessment notebook."""


class AssessmentError(ImatterError):
    """An assessment step failed: a course directory, a submission or nbgrader itself."""
