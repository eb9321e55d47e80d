"""The console API's routes for master locations, a channel's location map, a listing's stock per
location and bundles. A Powertools router, included by the console API's handler."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import ConfigDict, Field

from shared import console_api
from shared.console_api import ChannelPath, SkuPath
from shared.domain.fields import FieldError
from shared.domain.locations import NAME_PATTERN, BadLocationName
from shared.domain.model import Model
from shared.services import locations
from shared.services.locations import (
    BundleRequest,
    BundleView,
    LocationConflict,
    LocationMapRequest,
    LocationMapView,
    LocationNotFound,
    LocationRefused,
    LocationView,
    StockView,
)
from shared.storage import listings

router = Router()  # type: ignore[no-untyped-call]

LocationPath = Annotated[str, Path(pattern=NAME_PATTERN, description="a master location's name")]

_STATUS: dict[type[Exception], int] = {
    LocationRefused: 400,
    BadLocationName: 400,
    LocationConflict: 409,
    LocationNotFound: 404,
}


@router.exception_handler(list(_STATUS))  # type: ignore[untyped-decorator]
def _refused(error: FieldError) -> Response[Any]:
    return console_api.field_error(_STATUS[type(error)], error)


class LocationRequest(Model):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=255, description="1 to 63 lower-case letters, digits, '-' or '_'"
    )


class ListingStock(Model):
    sku: str
    locations: list[StockView] = Field(description="on hand and committed at each master location")
    bundle: BundleView


@router.get("/v1/locations", summary="Every master location (`default` always)")
def list_locations() -> list[LocationView]:
    return locations.list_locations()


@router.post("/v1/locations", summary="Add a master location")
def add_location(request: LocationRequest) -> Response[Any]:
    added = locations.add_location(request.name)
    return Response(201, content_types.APPLICATION_JSON, added.model_dump(mode="json"))


@router.delete("/v1/locations/<name>", summary="Remove a master location that holds no stock")
def remove_location(name: LocationPath) -> dict[str, Any]:
    locations.remove_location(name)
    return {"removed": name}


@router.get(
    "/v1/channels/<name>/locations",
    summary="A channel's location map, and the store's own locations (Shopify: read from the store)",
)
def show_location_map(name: ChannelPath) -> LocationMapView:
    return locations.show_map(name)


@router.put(
    "/v1/channels/<name>/locations",
    summary="Map each channel location to the master locations that feed it ({} clears the map)",
)
def put_location_map(name: ChannelPath, request: LocationMapRequest) -> LocationMapView:
    return locations.set_map(name, request)


@router.get(
    "/v1/listings/<sku>/stock", summary="A listing's stock per location; for a bundle, its components"
)
def show_stock(sku: SkuPath) -> ListingStock:
    listing = listings.get(sku)
    if listing is None:
        raise LocationNotFound("sku", f"no listing with SKU '{sku}': import it first")
    return ListingStock(sku=sku, locations=locations.stock_of(listing), bundle=locations.show_bundle(sku))


@router.put(
    "/v1/listings/<sku>/bundle",
    summary="Make the listing a bundle of components (SKU -> units), or no bundle ({})",
)
def put_bundle(sku: SkuPath, request: BundleRequest) -> BundleView:
    return locations.set_bundle(sku, request)
