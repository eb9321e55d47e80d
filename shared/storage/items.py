"""Turning models into DynamoDB items and back: JSON-safe values, numbers as numbers."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.domain.fields import FieldError

M = TypeVar("M", bound=BaseModel)

KEY_ATTRIBUTES = (
    "PK",
    "SK",
    "GSI1PK",
    "GSI1SK",
    "GSI2PK",
    "GSI2SK",
    "GSI3PK",
    "GSI3SK",
    "GSI4PK",
    "GSI4SK",
    "GSI5PK",
    "GSI5SK",
    "expires_at",
)
_KEYS = frozenset(KEY_ATTRIBUTES)


def to_item(model: BaseModel, **keys: Any) -> dict[str, Any]:
    return {**model.model_dump(mode="json"), **{k: v for k, v in keys.items() if v is not None}}


def from_item(model: type[M], item: dict[str, Any]) -> M:
    data = {k: _plain(v) for k, v in item.items() if k not in _KEYS}
    return model.model_validate(data)


_SCALARS = frozenset({str, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # most attributes: nothing to turn
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class BadCursor(FieldError):
    def __init__(self) -> None:
        super().__init__("cursor", "not a cursor this API gave out: pass the `next` of the previous page")


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    """An opaque page cursor from DynamoDB's LastEvaluatedKey."""
    if key is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        raise BadCursor from None
    if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
        raise BadCursor
    return key
