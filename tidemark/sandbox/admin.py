"""The sandbox admin API every sandbox store offers tests and demos: list what the store holds,
and change a quantity by hand as a merchant would in the store's own admin."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def admin_routes(
    variants: Callable[[], list[dict[str, Any]]], set_quantity_by_hand: Callable[[str, int], None]
) -> list[Route]:
    async def list_variants(request: Request) -> Response:
        return JSONResponse(variants())

    async def set_quantity(request: Request) -> Response:
        sku = request.path_params["sku"]
        try:
            payload = json.loads(await request.body())
        except ValueError:
            payload = None
        quantity = payload.get("quantity") if isinstance(payload, dict) else None
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            return JSONResponse({"error": 'send {"quantity": <a whole number >= 0>}'}, status_code=400)
        try:
            set_quantity_by_hand(sku, quantity)
        except KeyError:
            return JSONResponse({"error": f"no variant with SKU {sku!r}"}, status_code=404)
        return JSONResponse({"sku": sku, "quantity": quantity})

    return [
        Route("/admin/sandbox/variants", list_variants, methods=["GET"]),
        Route("/admin/sandbox/variants/{sku}/quantity", set_quantity, methods=["POST"]),
    ]
