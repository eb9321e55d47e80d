"""The console's screens that read across the catalog: Listings (GET /v1/listings) and Overview
(GET /v1/overview). A Powertools router, included by the console API's handler (as the sign-in's
routes are, shared/console_roles.py: the function's code is functions/api/ alone on Lambda)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import ValidationError

from shared import console_api
from shared.domain.link_state import LinkState
from shared.domain.listing import CreatedBy, ListingStatus
from shared.domain.listing_query import MAX_LIMIT, BadListingCursor, ListingQuery
from shared.services import listing_search, overview
from shared.services.listing_search import ListingPage, UnknownChannelFilter
from shared.services.overview import Overview

router = Router()  # type: ignore[no-untyped-call]


@router.exception_handler([BadListingCursor, UnknownChannelFilter])  # type: ignore[untyped-decorator]
def _bad_filter(error: BadListingCursor | UnknownChannelFilter) -> Response[Any]:
    return console_api.field_error(400, error)


@router.get(
    "/v1/listings",
    summary="The catalog a page at a time, in SKU order, filtered; each channel's link state per listing",
    description=listing_search.__doc__,
)
def list_listings(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    sku_prefix: Annotated[str, Query(max_length=255)] = "",
    title: Annotated[str, Query(max_length=255, description="contained, in any case")] = "",
    status: Annotated[ListingStatus | None, Query()] = None,
    created_by: Annotated[CreatedBy | None, Query()] = None,
    quantity_min: Annotated[int | None, Query(ge=0, description="syncable balance at least")] = None,
    quantity_max: Annotated[int | None, Query(ge=0, description="syncable balance at most")] = None,
    auto_sync: Annotated[bool | None, Query()] = None,
    channel: Annotated[str | None, Query(min_length=1, description="with link_state")] = None,
    link_state: Annotated[LinkState | None, Query(description="the state on `channel`")] = None,
) -> ListingPage:
    filters = {
        "sku_prefix": sku_prefix,
        "title": title,
        "status": status,
        "created_by": created_by,
        "quantity_min": quantity_min,
        "quantity_max": quantity_max,
        "auto_sync": auto_sync,
        "channel": channel,
        "link_state": link_state,
    }
    try:
        query = ListingQuery(**filters)
    except ValidationError as invalid:  # a rule across filters: it names the one to fix
        raise RequestValidationError(invalid.errors()) from None
    return listing_search.search(query, limit, cursor)


@router.get(
    "/v1/overview",
    summary="Needs attention: per channel its listings by link state, jobs and schedule; dead letters; "
    "every problem by cause, with its fix and the action that applies it; the alarms",
)
def show_overview() -> Overview:
    return overview.overview()
