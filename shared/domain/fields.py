"""A rule across several fields of a model, broken: raised by a model validator, it names the
field to fix, so a file's row error and the console API's 400 both point at it."""

from __future__ import annotations


class FieldRule(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
