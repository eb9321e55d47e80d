"""Errors that carry the field at fault and its fix as data, so that the console API's 400/409 and a
file's row error point at the field without reading it back out of a message.

FieldError: a value the caller sent is wrong; `str()` is "<field>: <fix>", as the API's message.
FieldRule: a rule across several fields of a model, broken: raised by a model validator (pydantic
keeps it in the error's context), it names the field to fix; `str()` is the fix alone, as pydantic's
messages are.
"""

from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field: str, fix: str) -> None:
        super().__init__(f"{field}: {fix}")
        self.field = field
        self.fix = fix


class FieldRule(FieldError):
    def __str__(self) -> str:
        return self.fix
