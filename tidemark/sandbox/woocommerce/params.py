"""A collection's query parameters, sorting and pages, checked as WordPress checks them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from tidemark.sandbox.woocommerce.records import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    ORDERBY,
    Post,
    WooError,
    slug,
)


def sorted_posts(posts: list[Post], orderby: str, order: str) -> list[Post]:
    keys: dict[str, Callable[[Post], Any]] = {
        "date": lambda p: (p.date_created, p.id),
        "modified": lambda p: (p.date_modified, p.id),
        "title": lambda p: (p.name, p.id),
        "slug": lambda p: (slug(p.name), p.id),
        "price": lambda p: (float(p.sale_price or p.regular_price or 0), p.id),
    }
    return sorted(posts, key=keys.get(orderby, lambda p: p.id), reverse=order == "desc")


def paginate(posts: list[Post], per_page: int, page: int) -> tuple[list[Post], int, int]:
    total = len(posts)
    start = (page - 1) * per_page
    return posts[start : start + per_page], total, math.ceil(total / per_page)


def id_list(params: Mapping[str, str], name: str, errors: dict[str, tuple[str, str]]) -> set[int]:
    """An array of ids, given as a comma separated list (wp_parse_id_list)."""
    values = [value for value in re.split(r"[\s,]+", params.get(name, "")) if value]
    for position, value in enumerate(values):
        if not value.isdigit():
            errors[name] = ("rest_invalid_type", f"{name}[{position}] is not of type integer.")
            return set()
    return {int(value) for value in values}


def collection_args(params: Mapping[str, str]) -> tuple[int, int, str, str]:
    """per_page, page, orderby and order, validated as WordPress validates them."""
    errors: dict[str, tuple[str, str]] = {}
    per_page = _integer_param(
        params, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE, errors=errors
    )
    page = _integer_param(params, "page", 1, minimum=1, maximum=None, errors=errors)
    orderby = params.get("orderby", "date")
    if orderby not in ORDERBY:
        errors["orderby"] = not_in_enum("orderby", ORDERBY)
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        errors["order"] = not_in_enum("order", ("asc", "desc"))
    if errors:
        raise invalid_params(errors)
    return per_page, page, orderby, order


def _integer_param(
    params: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int | None,
    errors: dict[str, tuple[str, str]],
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?\d+", raw.strip()):
        errors[name] = ("rest_invalid_type", f"{name} is not of type integer.")
        return default
    value = int(raw)
    if maximum is not None and not minimum <= value <= maximum:
        errors[name] = (
            "rest_out_of_bounds",
            f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)",
        )
    elif value < minimum:
        errors[name] = ("rest_out_of_bounds", f"{name} must be greater than or equal to {minimum}")
    return value


def not_in_enum(name: str, options: tuple[str, ...]) -> tuple[str, str]:
    listed = ", ".join(options[:-1]) + f", and {options[-1]}" if len(options) > 2 else " and ".join(options)
    return "rest_not_in_enum", f"{name} is not one of {listed}."


def invalid_params(errors: dict[str, tuple[str, str]]) -> WooError:
    """WP_REST_Request::has_valid_params' error: 400 rest_invalid_param with params and details."""
    return WooError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {', '.join(errors)}",
        params={name: message for name, (_, message) in errors.items()},
        details={
            name: {"code": code, "message": message, "data": None} for name, (code, message) in errors.items()
        },
    )


def boolean_param(params: Mapping[str, str], name: str) -> bool:
    """A boolean parameter as rest_sanitize_boolean reads it (absent: false); else 400 rest_invalid_param."""
    raw = params.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0", ""):
        raise invalid_params({name: ("rest_invalid_type", f"{name} is not of type boolean.")})
    return raw in ("true", "1")
