"""Master listings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, Switch, connect, follow, print_json, run
from tidemark.render import console

app = typer.Typer(help="Master listings.")


@app.command("import")
def listings_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    created_by: Annotated[
        str,
        typer.Option(
            help="how new listings came (their auto-sync rule): manual, file_import, order_import, feed"
        ),
    ] = "file_import",
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Create or update listings from a CSV file (columns: sku, upc, mpn, title, on_hand, ...)."""
    result = run(lambda: connect(api).import_listings(file.read_text(), created_by), as_json)
    if as_json:
        print_json(result)
        return
    console.print(f"created {result['created']}, updated {result['updated']}")
    for job_id in result["link_jobs"]:
        console.print(f"link after build: re-link job {job_id} queued")


@app.command("adjust")
def listings_adjust(
    reason: Annotated[
        str, typer.Option(help="sales_order, purchase_order, work_order, manual, file_upload or feed")
    ],
    sku: Annotated[str | None, typer.Argument(help="the listing to change (or --file)")] = None,
    on_hand: Annotated[int | None, typer.Option(help="set on hand to this (0 or more)")] = None,
    delta: Annotated[int | None, typer.Option(help="add this to on hand; negative takes away")] = None,
    committed: Annotated[int | None, typer.Option(help="set committed to this (0 or more)")] = None,
    location: Annotated[
        str | None, typer.Option(help="the master location the change is at (tidemark locations list)")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="a CSV of changes: sku and on_hand, delta or committed"
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="the same key sent again is applied once (a feed's batch id)")
    ] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Change quantities: one listing's, or a file upload's or an inventory feed's (checked whole first)."""
    given = {"sku": sku, "on_hand": on_hand, "delta": delta, "committed": committed, "location": location}
    body: dict[str, Any] = {"reason": reason, **{k: v for k, v in given.items() if v is not None}}
    if file:
        body["csv"] = file.read_text()
    result = run(lambda: connect(api).adjust(body, idempotency_key), as_json)
    if as_json:
        print_json(result)
        return
    listing = result["listing"]
    if listing is None:
        console.print(f"changed {result['changed']}, unchanged {result['unchanged']}")
        return
    console.print(
        f"{listing['sku']} {'changed' if result['changed'] else 'unchanged'}: on hand {listing['on_hand']},"
        f" committed {listing['committed']}, syncable balance {listing['syncable_balance']}"
    )


@app.command("auto-sync")
def listings_auto_sync(
    state: Annotated[Switch, typer.Argument(help="on or off")],
    sku: Annotated[list[str] | None, typer.Option(help="a SKU (repeat)")] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="status=active, sku-prefix=ABC, title=shirt, created-by=feed or quantity=0..10 (on hand);"
            " repeat: a listing matches every one",
        ),
    ] = None,
    wait: Annotated[bool, typer.Option(help="a large selection runs as a job: follow it to its end")] = True,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Turn auto sync on or off for SKUs or every listing matching filters (it pushes nothing itself)."""
    client = connect(api)
    body = {"auto_sync": state is Switch.ON, "skus": sku or [], "filters": filters or []}
    result = run(lambda: client.set_auto_sync(body), as_json)
    job = result["job"]
    if as_json:
        if job is not None and wait:
            follow(client, job, as_json)
        else:
            print_json(result)
        return
    if job is None:
        console.print(f"auto sync {state}: {result['matched']} matched, {result['flags_changed']} changed")
        return
    console.print(f"a large selection: job {job['id']} {job['status']} (tidemark jobs show {job['id']})")
    if wait:
        follow(client, job)


@app.command("sync-now")
def listings_sync_now(
    sku: Annotated[list[str], typer.Option(help="a SKU (repeat)")],
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Push these listings to every channel they are linked on now, and turn their auto sync on."""
    result = run(lambda: connect(api).sync_now(sku), as_json)
    if as_json:
        print_json(result)
        return
    console.print(
        f"{result['pushes_queued']} pushes queued; auto sync turned on for {result['flags_changed']} listings"
    )


@app.command("show")
def listings_show(sku: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """One listing, its syncable balance and its links."""
    listing = run(lambda: connect(api).listing(sku), as_json)
    print_json(listing) if as_json else console.print_json(data=listing)


_STATE_STYLE = {
    "linked": "green",
    "out_of_sync": "yellow",
    "error": "red",
    "duplicate": "red",
    "unlinked": "dim",
}


@app.command("list")
def listings_list(
    sku_prefix: Annotated[str | None, typer.Option(help="SKUs that start with it")] = None,
    title: Annotated[str | None, typer.Option(help="titles that contain it, in any case")] = None,
    status: Annotated[str | None, typer.Option(help="active or inactive")] = None,
    created_by: Annotated[str | None, typer.Option(help="manual, file_import, order_import or feed")] = None,
    quantity_min: Annotated[int | None, typer.Option(help="syncable balance at least")] = None,
    quantity_max: Annotated[int | None, typer.Option(help="syncable balance at most")] = None,
    auto_sync: Annotated[
        bool | None,
        typer.Option("--auto-sync/--no-auto-sync", help="auto sync on or off", show_default=False),
    ] = None,
    channel: Annotated[str | None, typer.Option(help="the channel --link-state is on")] = None,
    link_state: Annotated[
        str | None, typer.Option(help="on --channel: linked, unlinked, duplicate, out_of_sync or error")
    ] = None,
    limit: Annotated[int, typer.Option(help="listings a page (1 to 200)")] = 50,
    cursor: Annotated[str | None, typer.Option(help="the page after this one (`more:` of the last)")] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """The catalog a page at a time, in SKU order, filtered; each channel's link state per listing."""
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
    page = run(lambda: connect(api).listings(limit=limit, cursor=cursor, **filters), as_json)
    if as_json:
        print_json(page)
        return
    table = Table(title="listings")
    for column in ("sku", "title", "status", "on hand", "balance", "auto sync", *page["channels"]):
        table.add_column(column, justify="right" if column in ("on hand", "balance") else "left")
    for row in page["listings"]:
        cells = []
        for name in page["channels"]:
            cell = row["channels"][name]
            pushed = "" if cell["last_pushed_quantity"] is None else f" ({cell['last_pushed_quantity']})"
            cells.append(f"[{_STATE_STYLE[cell['state']]}]{cell['state']}[/]{pushed}")
        on = "on" if row["auto_sync"] else "off"
        table.add_row(
            row["sku"],
            row["title"],
            row["status"],
            str(row["on_hand"]),
            str(row["syncable_balance"]),
            on,
            *cells,
        )
    console.print(table)
    if page["next_cursor"]:
        console.print(f"more: --cursor {page['next_cursor']}")
