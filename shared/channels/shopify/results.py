"""The push results Shopify's answers come to, and the fix each refusal names."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from shared.channels.base import PricePush, PushOutcome, PushResult, QuantityPush, StatusPush, VariantStatus
from shared.channels.shopify.answers import UserError

SCOPES_FIX = "the app needs the read_products, read_inventory and write_inventory access scopes"


def sort_refusals(
    pushes: Sequence[QuantityPush],
    pending: list[int],
    errors: list[UserError],
    reread: dict[int, int | None],
    results: dict[int, PushResult],
) -> tuple[list[int], list[int]]:
    """Settle the refused entries of a round in `results`; return the entries to re-read
    (stale for the first time) and those to send again as they are."""
    stale: list[int] = []
    again: list[int] = []
    for position, index in enumerate(pending):
        entry_errors = [error for error in errors if error.quantity_index == position]
        refusals = [error for error in entry_errors if error.code != "CHANGE_FROM_QUANTITY_STALE"]
        if refusals:
            results[index] = failed(pushes[index], refusals[0])
        elif not entry_errors:
            again.append(index)  # not written only because another entry was refused
        elif index in reread:
            results[index] = conflict(pushes[index], reread[index])  # stale even after a re-read
        else:
            stale.append(index)
    return stale, again


def pushed_value(push: PricePush | StatusPush) -> PushResult:
    return PushResult(sku=push.sku, outcome=PushOutcome.PUSHED)


def price_failed(push: PricePush, error: UserError) -> PushResult:
    variant, product, price = push.variant_id, push.product_id, format(push.price, "f")
    fixes = {
        "PRODUCT_DOES_NOT_EXIST": (
            f"product {product} no longer exists on Shopify: link the listing again, or unlink it"
        ),
        "PRODUCT_VARIANT_DOES_NOT_EXIST": (
            f"variant {variant} no longer exists on Shopify: link the listing again to pick up the variant "
            "that replaced it, or unlink it"
        ),
        "MUST_BE_FOR_THIS_PRODUCT": (
            f"variant {variant} is no longer on product {product} on Shopify: link the listing again"
        ),
        "NEGATIVE_PRICE_VALUE": f"price {price} is negative: correct the master price",
        "GREATER_THAN_OR_EQUAL_TO": f"price {price} is below 0: correct the master price",
    }
    fix = fixes.get(
        error.code,
        f"Shopify refused price {price} for variant {variant} ({error.code or 'no code'}: {error.message}); "
        "check the variant on Shopify",
    )
    return PushResult(sku=push.sku, outcome=PushOutcome.FAILED, message=f"{push.sku}: {fix}")


def status_failed(push: StatusPush, status: str, error: UserError) -> PushResult:
    if error.field == ["id"]:
        fix = f"product {push.product_id} no longer exists on Shopify: link the listing again, or unlink it"
    else:
        fix = (
            f"Shopify refused status {status} for product {push.product_id} ({error.message}); "
            "check the product on Shopify"
        )
    return PushResult(sku=push.sku, outcome=PushOutcome.FAILED, message=f"{push.sku}: {fix}")


def status_result(
    push: StatusPush, status: str, errors: list[UserError], shown: list[StatusPush]
) -> PushResult:
    """One push's result once its product's status was set to `status` (or refused)."""
    if errors:
        return status_failed(push, status, errors[0])
    if shown and push.status is VariantStatus.HIDDEN:
        return kept_active(push, shown[0])
    return pushed_value(push)


def kept_active(push: StatusPush, shown: StatusPush) -> PushResult:
    return PushResult(
        sku=push.sku,
        outcome=PushOutcome.FAILED,
        message=(
            f"{push.sku}: product {push.product_id} stays active on Shopify, which shows or hides whole "
            f"products, because {shown.sku} on it is active: hide {shown.sku} too, or move {push.sku} to a "
            "product of its own on Shopify"
        ),
    )


def pushed(push: QuantityPush) -> PushResult:
    return PushResult(sku=push.sku, outcome=PushOutcome.PUSHED, observed=push.quantity)


def conflict(push: QuantityPush, held: int | None) -> PushResult:
    now = f"holds {held}" if held is not None else "changed"
    return PushResult(
        sku=push.sku,
        outcome=PushOutcome.CONFLICT,
        observed=held,
        message=(
            f"{push.sku}: Shopify {now} while Tidemark pushed {push.quantity} (expected {push.expected}): "
            "the quantity was changed on Shopify meanwhile; re-read it and push again"
        ),
    )


def failed(push: QuantityPush, error: UserError) -> PushResult:
    item, location = push.inventory_item_id, push.location_id
    fixes = {
        "ITEM_NOT_STOCKED_AT_LOCATION": (
            f"inventory item {item} is not stocked at location {location}: stock it there on Shopify, "
            "or unlink the listing"
        ),
        "INVALID_INVENTORY_ITEM": (
            f"inventory item {item} does not exist on Shopify any more: link the listing to the variant "
            "that replaced it, or unlink it"
        ),
        "INVALID_LOCATION": (
            f"location {location} does not exist on Shopify any more: link the listing again to pick up "
            "the variant's current location"
        ),
        "INVALID_QUANTITY_NEGATIVE": f"quantity {push.quantity} is negative: correct the master quantity",
        "INVALID_QUANTITY_TOO_HIGH": (
            f"quantity {push.quantity} is above Shopify's limit of 1,000,000,000: correct the master quantity"
        ),
        "NON_MUTABLE_INVENTORY_ITEM": (
            f"inventory item {item} can't be set through the API (a bundle?): manage its stock on Shopify, "
            "or unlink the listing"
        ),
        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": (
            f"inventory item {item} at location {location} is linked to more than one listing: "
            "unlink the duplicate"
        ),
    }
    fix = fixes.get(
        error.code, f"Shopify refused the quantity ({error.code}: {error.message}); check the variant"
    )
    return PushResult(sku=push.sku, outcome=PushOutcome.FAILED, message=f"{push.sku}: {fix}")


def auth_message(store_url: str, response: httpx.Response) -> str:
    if response.status_code == 401:
        return (
            f"Shopify refused the access token for {store_url}: HTTP 401 (invalid or revoked token), "
            "fix: reinstall the Tidemark app on the store or paste a new Admin API access token; "
            f"{SCOPES_FIX}"
        )
    return (
        f"Shopify denied access to {store_url}: HTTP 403 (the token lacks a permission), "
        f"fix: grant the missing scopes to the Tidemark app and reinstall it; {SCOPES_FIX}"
    )
