"""The errors themetag raises: one base class, a few kinds a caller may want to catch.

The library raises these and never prints or exits; the CLI turns them into a
one-line ``Error: ...`` and an exit code in one place.
"""

from __future__ import annotations


class ThemetagError(Exception):
    """Base class of every error themetag raises on purpose.

    ``path`` and ``line`` (1-based) name where the problem is, when known, and
    lead the message: ``labels/a.jsonl:3: unknown theme 'x'``.
    """

    def __init__(self, message: str = "", *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class InputError(ThemetagError, ValueError):
    """Input text or a file that cannot be read as an article."""


class LabelError(ThemetagError, ValueError):
    """A label file or schema that does not validate."""


class OutputError(ThemetagError):
    """A file or folder themetag was asked to write and cannot (the path is checked before the work starts)."""


class ModelError(ThemetagError):
    """A model directory that is missing, incomplete, or of an unknown format."""
