"""Domain errors. Each carries a message a person can act on; the UI shows it as is."""

from __future__ import annotations

from dataclasses import dataclass


class CRMError(Exception):
    """Base class: `str(error)` is the message to show to the person."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    row: int | None = None  # 1-based line of a file, or position in a batch

    def __str__(self) -> str:
        where = f"line {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.message}"


class ValidationError(CRMError):
    def __init__(
        self, errors: list[FieldError], summary: str = "Please correct the highlighted fields"
    ):
        self.errors = errors
        details = "; ".join(str(e) for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{summary}: {details}{more}")

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls([FieldError(field, message)])


class PermissionDenied(CRMError):
    pass


class NotFound(CRMError):
    pass


class ConflictError(CRMError):
    """Somebody else saved the same record after it was read: reload, then apply the change again."""


class AuthenticationError(CRMError):
    pass


class ImportRejected(ValidationError):
    """An import with bad rows: nothing was written, every bad row is listed."""

    def __init__(self, errors: list[FieldError]):
        rows = len({e.row for e in errors})
        super().__init__(errors, summary=f"Import rejected, nothing was written; {rows} bad row(s)")


class DatabaseUnavailable(CRMError):
    pass
