"""The sandbox admin API every sandbox store offers tests, demos and the soak: what a merchant or a
shopper does in the store itself (edit a variant by hand, delete it, place and cancel orders),
the store's own order log, and the faults it injects. Each change sends the webhooks the real
channel sends for it.

    GET    /admin/sandbox/variants                 every variant: sku, quantity, price, status, ids
    POST   /admin/sandbox/variants/{sku}           {"quantity"?, "sku"?, "price"?, "status"?,
                                                    "location"? (Shopify: the location number the
                                                    quantity is set at; else the variant's own)}
    DELETE /admin/sandbox/variants/{sku}
    GET    /admin/sandbox/orders                   the order log
    POST   /admin/sandbox/orders                   {"lines": [{"sku", "quantity"}]}
    POST   /admin/sandbox/orders/{id}/cancel
    GET    /admin/sandbox/faults                   the rates and what was injected, by kind
    POST   /admin/sandbox/faults                   {"server_error"?: 0.05, ...} (see faults.FaultRates)
    GET    /admin/sandbox/metrics                  {"webhooks": the sender's backlog, or null with none}
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypedDict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tidemark.sandbox.faults import FaultRates, Faults
from tidemark.sandbox.webhooks import WebhookSender


class VariantEdit(TypedDict, total=False):
    """The fields of a by-hand edit that were sent."""

    quantity: int
    sku: str
    price: Decimal
    status: str  # "active" | "hidden"
    location: int  # Shopify: the location the quantity is set at (default: the variant's own)


class SandboxAdmin(Protocol):
    faults: Faults
    webhooks: WebhookSender | None

    def variant_rows(self) -> list[dict[str, Any]]: ...

    def edit_by_hand(self, sku: str, edit: VariantEdit) -> dict[str, Any]:
        """Apply the edit to the variant with this SKU and return its row; KeyError if none has it."""
        ...

    def delete_by_hand(self, sku: str) -> None: ...

    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        """An order for these (sku, quantity) lines; ValueError naming an unknown SKU."""
        ...

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        """KeyError for an unknown order, ValueError for one already cancelled."""
        ...

    def orders(self) -> list[dict[str, Any]]: ...


def parse_edit(payload: Any) -> VariantEdit:
    values = dict(payload) if isinstance(payload, dict) else payload
    location = values.pop("location", None) if isinstance(values, dict) else None
    edit = _parse_values(values)
    if location is not None:
        if not isinstance(location, int) or isinstance(location, bool) or "quantity" not in edit:
            raise ValueError("location: a location number, with the quantity set there")
        edit["location"] = location
    return edit


def _parse_values(payload: Any) -> VariantEdit:
    if not isinstance(payload, dict) or not payload:
        raise ValueError('send a JSON object with any of "quantity", "sku", "price", "status"')
    edit: VariantEdit = {}
    for name, value in payload.items():
        if name == "quantity":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError("quantity: a whole number >= 0")
            edit["quantity"] = value
        elif name == "sku":
            if not isinstance(value, str):
                raise ValueError("sku: a string (empty clears it)")
            edit["sku"] = value.strip()
        elif name == "price":
            try:
                price = Decimal(str(value))
            except InvalidOperation:
                price = Decimal(-1)
            if isinstance(value, bool) or not price.is_finite() or price < 0:
                raise ValueError('price: a decimal >= 0, e.g. "19.99"')
            edit["price"] = price
        elif name == "status":
            if value not in ("active", "hidden"):
                raise ValueError('status: "active" or "hidden"')
            edit["status"] = value
        else:
            raise ValueError(f'{name}: not editable; send any of "quantity", "sku", "price", "status"')
    return edit


def parse_order_lines(payload: Any) -> list[tuple[str, int]]:
    lines = payload.get("lines") if isinstance(payload, dict) else None
    if not isinstance(lines, list) or not lines:
        raise ValueError('lines: send {"lines": [{"sku": "...", "quantity": 1}]}')
    parsed = []
    for number, line in enumerate(lines):
        sku = line.get("sku") if isinstance(line, dict) else None
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if not isinstance(sku, str) or not sku:
            raise ValueError(f"lines[{number}].sku: the SKU ordered")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise ValueError(f"lines[{number}].quantity: a whole number >= 1")
        parsed.append((sku, quantity))
    return parsed


def admin_routes(store: SandboxAdmin) -> list[Route]:
    def endpoint(
        work: Callable[[Request, Any], Any],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            raw = await request.body()
            try:
                payload = json.loads(raw) if raw else None
                return JSONResponse(work(request, payload))
            except ValueError as error:  # a bad body, or one the store refuses
                return JSONResponse({"error": str(error)}, status_code=400)
            except KeyError as error:
                return JSONResponse({"error": str(error.args[0]) if error.args else "not found"}, 404)

        return handle

    def variant_sku(request: Request) -> str:
        return str(request.path_params["sku"])

    def set_faults(request: Request, payload: Any) -> dict[str, Any]:
        store.faults.configure(FaultRates.parse(payload))
        return faults_view()

    def faults_view(*_: Any) -> dict[str, Any]:
        return {"rates": asdict(store.faults.rates), "injected": store.faults.counts()}

    def metrics(*_: Any) -> dict[str, Any]:
        sender = store.webhooks
        return {"webhooks": sender.backlog() if sender is not None else None}

    def delete(request: Request, payload: Any) -> dict[str, Any]:
        store.delete_by_hand(variant_sku(request))
        return {"deleted": variant_sku(request)}

    return [
        Route("/admin/sandbox/variants", endpoint(lambda r, p: store.variant_rows()), methods=["GET"]),
        Route(
            "/admin/sandbox/variants/{sku}",
            endpoint(lambda r, p: store.edit_by_hand(variant_sku(r), parse_edit(p))),
            methods=["POST"],
        ),
        Route("/admin/sandbox/variants/{sku}", endpoint(delete), methods=["DELETE"]),
        Route("/admin/sandbox/orders", endpoint(lambda r, p: store.orders()), methods=["GET"]),
        Route(
            "/admin/sandbox/orders",
            endpoint(lambda r, p: store.place_order(parse_order_lines(p))),
            methods=["POST"],
        ),
        Route(
            "/admin/sandbox/orders/{order_id:int}/cancel",
            endpoint(lambda r, p: store.cancel_order(int(r.path_params["order_id"]))),
            methods=["POST"],
        ),
        Route("/admin/sandbox/faults", endpoint(faults_view), methods=["GET"]),
        Route("/admin/sandbox/faults", endpoint(set_faults), methods=["POST"]),
        Route("/admin/sandbox/metrics", endpoint(metrics), methods=["GET"]),
    ]
