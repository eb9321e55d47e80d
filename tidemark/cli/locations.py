"""Master locations (`tidemark locations`), a channel's location map (`tidemark channels locations`),
a listing's stock per location and bundles (`tidemark listings stock|bundle`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, connect, print_json, run
from tidemark.render import console

app = typer.Typer(help="Master locations (warehouses): stock is held per location.")


@app.command("list")
def locations_list(api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Every master location (`default` always)."""
    found = run(lambda: connect(api).locations(), as_json)
    if as_json:
        print_json(found)
        return
    table = Table(title="locations")
    table.add_column("name")
    table.add_column("added")
    for location in found:
        table.add_row(location["name"], location["created_at"] or "always there")
    console.print(table)


@app.command("add")
def locations_add(name: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Add a master location."""
    added = run(lambda: connect(api).add_location(name), as_json)
    print_json(added) if as_json else console.print(f"location {added['name']} added")


@app.command("remove")
def locations_remove(name: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Remove a master location (refused while a listing holds stock there)."""
    removed = run(lambda: connect(api).remove_location(name), as_json)
    print_json(removed) if as_json else console.print(f"location {removed['removed']} removed")


def channel_locations(
    name: Annotated[str, typer.Argument(help="the channel")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="CHANNEL_LOCATION=LOC[,LOC...] (repeat): a Shopify location's id or name, WooCommerce's "
            "`default`; the master locations feeding it, in the order an order takes from them",
        ),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="remove the map: every location feeds the channel")
    ] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Show a channel's location map and the store's locations; with --map (or --clear), set it."""
    body: dict[str, list[str]] | None = {} if clear else _map(mapping) if mapping else None
    shown = run(lambda: connect(api).location_map(name, body), as_json)
    if as_json:
        print_json(shown)
        return
    table = Table(
        title=f"{name}: locations" + ("" if shown["mapped"] else " (no map: every location feeds it)")
    )
    for column in ("channel location", "id", "fed by"):
        table.add_column(column)
    for location_id, store_name in shown["store_locations"].items():
        fed = shown["locations"].get(location_id)
        left = "nothing: left alone" if shown["mapped"] else "every location"
        table.add_row(store_name, location_id, ", ".join(fed) if fed else left)
    console.print(table)


def _map(given: list[str]) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for entry in given:
        where, sep, feeding = entry.partition("=")
        if not sep or not where.strip() or not feeding.strip():
            console.print(
                f"[red]error[/] --map {entry!r}: write CHANNEL_LOCATION=LOC[,LOC...], e.g. default=east,west"
            )
            raise typer.Exit(2)
        mapping[where.strip()] = [name.strip() for name in feeding.split(",") if name.strip()]
    return mapping


def listing_stock(sku: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """A listing's stock per master location; for a bundle, its components and which limits it."""
    shown = run(lambda: connect(api).stock(sku), as_json)
    if as_json:
        print_json(shown)
        return
    table = Table(title=f"{sku}: stock per location")
    for column in ("location", "on hand", "committed"):
        table.add_column(column)
    for row in shown["locations"]:
        table.add_row(row["location"], str(row["on_hand"]), str(row["committed"]))
    console.print(table)
    _print_bundle(shown["bundle"])


def listing_bundle(
    sku: str,
    component: Annotated[
        list[str] | None, typer.Option("--component", help="SKU:UNITS (repeat): what one bundle holds")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="make it a listing of its own stock again")] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Make the listing a bundle of components, or (--clear) no bundle; no option: show it."""
    client = connect(api)
    if clear or component:
        components = {} if clear else _components(component or [])
        shown: dict[str, Any] = run(lambda: client.set_bundle(sku, components), as_json)
    else:
        shown = run(lambda: client.stock(sku), as_json)["bundle"]
    if as_json:
        print_json(shown)
        return
    _print_bundle(shown)


def _components(given: list[str]) -> dict[str, int]:
    components: dict[str, int] = {}
    for entry in given:
        sku, sep, units = entry.rpartition(":")
        if not sep or not sku or not units.isdigit():
            console.print(f"[red]error[/] --component {entry!r}: write SKU:UNITS, e.g. MUG-1:2")
            raise typer.Exit(2)
        components[sku] = int(units)
    return components


def _print_bundle(bundle: dict[str, Any]) -> None:
    if not bundle["is_bundle"]:
        console.print(f"{bundle['sku']} is no bundle")
        return
    table = Table(title=f"{bundle['sku']}: bundle of {len(bundle['components'])}, makes {bundle['balance']}")
    for column in ("component", "units", "sellable", "makes", ""):
        table.add_column(column)
    for row in bundle["components"]:
        limits = "limits it" if row["sku"] == bundle["limited_by"] else ""
        table.add_row(row["sku"], str(row["units"]), str(row["sellable"]), str(row["makes"]), limits)
    console.print(table)
