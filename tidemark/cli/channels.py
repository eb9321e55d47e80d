"""Connected stores."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, connect, print_json, run
from tidemark.render import console

app = typer.Typer(help="Connected stores.")

AMAZON_NA = "https://sellingpartnerapi-na.amazon.com"  # SP-API's North America endpoint
EBAY_API = "https://api.ebay.com"


@app.command("add")
def channels_add(
    channel_type: Annotated[str, typer.Argument(metavar="TYPE", help="shopify, woocommerce, amazon or ebay")],
    name: str,
    store_url: Annotated[
        str | None,
        typer.Option(
            help="the store's base URL (Amazon: the SP-API endpoint, https://sellingpartnerapi-na.amazon.com "
            "by default; eBay: its API, https://api.ebay.com by default)"
        ),
    ] = None,
    token: Annotated[str | None, typer.Option(help="Shopify Admin API access token")] = None,
    key: Annotated[str | None, typer.Option(help="WooCommerce consumer key")] = None,
    secret: Annotated[str | None, typer.Option(help="WooCommerce consumer secret")] = None,
    client_id: Annotated[
        str | None, typer.Option(help="Amazon: the app's LWA client id; eBay: the app's client id (App ID)")
    ] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="Amazon: the app's LWA client secret; eBay: the app's client secret")
    ] = None,
    refresh_token: Annotated[
        str | None, typer.Option(help="Amazon, eBay: the seller's refresh token")
    ] = None,
    dev_id: Annotated[
        str | None, typer.Option(help="eBay: the app's Dev ID, to verify its Platform Notifications")
    ] = None,
    marketplace: Annotated[
        str | None,
        typer.Option(help="Amazon: the marketplace id (ATVPDKIKX0DER); eBay: the offers' (EBAY_US)"),
    ] = None,
    seller_id: Annotated[str | None, typer.Option(help="Amazon: the seller's merchant token")] = None,
    lwa_url: Annotated[
        str | None, typer.Option(help="Amazon: the LWA token endpoint (for a sandbox)")
    ] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="secret the store signs webhooks with (eBay: the verification token)")
    ] = None,
    priority: Annotated[list[str] | None, typer.Option(help="listing_field=channel_field, in order")] = None,
    link_after_build: Annotated[bool, typer.Option("--link-after-build/--no-link-after-build")] = True,
    allow_insecure_url: Annotated[
        bool,
        typer.Option(help="any http(s) URL, for a store of your own (Shopify: https://<shop>.myshopify.com)"),
    ] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Connect a store (a test call checks the credentials first)."""
    if store_url is None and channel_type == "ebay":
        store_url = EBAY_API
    if store_url is None and channel_type == "amazon":
        store_url = AMAZON_NA
    if store_url is None:
        console.print("[red]error[/] --store-url: give the store's base URL")
        raise typer.Exit(1)
    body: dict[str, Any] = {
        "name": name,
        "type": channel_type,
        "store_url": store_url,
        "link_after_build": link_after_build,
        "allow_insecure_url": allow_insecure_url,
    }
    body.update(
        {
            k: v
            for k, v in {
                "token": token,
                "key": key,
                "secret": secret,
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": refresh_token,
                "dev_id": dev_id,
                "marketplace_id": marketplace,
                "webhook_secret": webhook_secret,
                "seller_id": seller_id,
                "lwa_url": lwa_url,
            }.items()
            if v
        }
    )
    if priority:
        body["priorities"] = _priorities(priority)
    channel = run(lambda: connect(api).add_channel(body), as_json)
    if as_json:
        print_json(channel)
        return
    console.print(f"connected [bold]{channel['name']}[/] ({channel['store_name']})")


def _priorities(given: list[str]) -> list[dict[str, str]]:
    pairs = [p.split("=", 1) for p in given]
    if any(len(p) != 2 for p in pairs):
        console.print("[red]error[/] --priority takes listing_field=channel_field: sku=sku, upc=barcode")
        raise typer.Exit(1)
    return [{"listing_field": a.strip(), "channel_field": b.strip()} for a, b in pairs]


@app.command("edit")
def channels_edit(
    name: str,
    store_url: Annotated[str | None, typer.Option(help="the store's base URL")] = None,
    token: Annotated[str | None, typer.Option(help="Shopify Admin API access token")] = None,
    key: Annotated[str | None, typer.Option(help="WooCommerce consumer key")] = None,
    secret: Annotated[str | None, typer.Option(help="WooCommerce consumer secret")] = None,
    client_id: Annotated[str | None, typer.Option(help="Amazon, eBay: the app's client id")] = None,
    client_secret: Annotated[str | None, typer.Option(help="Amazon, eBay: the app's client secret")] = None,
    refresh_token: Annotated[
        str | None, typer.Option(help="Amazon, eBay: the seller's new refresh token")
    ] = None,
    dev_id: Annotated[
        str | None, typer.Option(help="eBay: the app's Dev ID, to verify its Platform Notifications")
    ] = None,
    webhook_secret: Annotated[str | None, typer.Option(help="secret the store signs webhooks with")] = None,
    priority: Annotated[
        list[str] | None, typer.Option(help="listing_field=channel_field, in order; replaces the list")
    ] = None,
    link_after_build: Annotated[
        bool | None, typer.Option("--link-after-build/--no-link-after-build", show_default=False)
    ] = None,
    allow_insecure_url: Annotated[
        bool,
        typer.Option(help="any http(s) URL, for a store of your own (Shopify: https://<shop>.myshopify.com)"),
    ] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Change a channel; only what is given changes (new credentials are checked first)."""
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "store_url": store_url,
            "token": token,
            "key": key,
            "secret": secret,
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
            "dev_id": dev_id,
            "webhook_secret": webhook_secret,
            "link_after_build": link_after_build,
        }.items()
        if v is not None
    }
    if priority:
        body["priorities"] = _priorities(priority)
    if body and allow_insecure_url:
        body["allow_insecure_url"] = True
    if not body:
        console.print("[red]error[/] nothing to change: give at least one option (see --help)")
        raise typer.Exit(1)
    channel = run(lambda: connect(api).edit_channel(name, body), as_json)
    if as_json:
        print_json(channel)
        return
    console.print(f"edited [bold]{channel['name']}[/] ({channel['store_name']})")


@app.command("list")
def channels_list(api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Every channel."""
    found = run(lambda: connect(api).channels(), as_json)
    if as_json:
        print_json(found)
        return
    table = Table(title="channels")
    for column in ("name", "type", "store", "priorities", "link after build"):
        table.add_column(column)
    for c in found:
        priorities = ", ".join(f"{p['listing_field']}->{p['channel_field']}" for p in c["priorities"])
        table.add_row(
            c["name"], c["type"], c["store_url"], priorities, "on" if c["link_after_build"] else "off"
        )
    console.print(table)


@app.command("show")
def channels_show(name: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """One channel."""
    channel = run(lambda: connect(api).channel(name), as_json)
    print_json(channel) if as_json else console.print_json(data=channel)


@app.command("schedule")
def channels_schedule(
    name: str,
    rate: Annotated[
        str | None, typer.Option(help="how often: 30m, 1h, 2d, '90 minutes', '1 hour' (1 minute to 365 days)")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="the sync it starts: full, partial or smart")] = None,
    enabled: Annotated[
        bool | None, typer.Option("--on/--off", help="start or stop the schedule", show_default=False)
    ] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Set the channel's sync schedule; what is not given stays as it is (no option: show it)."""
    body = {k: v for k, v in {"rate": rate, "mode": mode, "enabled": enabled}.items() if v is not None}
    client = connect(api)
    channel = run(lambda: client.set_schedule(name, body) if body else client.channel(name), as_json)
    if as_json:
        print_json(channel)
        return
    schedule = channel.get("schedule")
    if schedule is None:
        console.print(f"[bold]{name}[/] has no schedule: set one with --rate, --mode or --on")
        return
    state = "[green]on[/]" if schedule["enabled"] else "[yellow]off[/]"
    console.print(f"[bold]{name}[/] schedule {state}: {schedule['mode']} sync every {schedule['rate']}")


@app.command("remove")
def channels_remove(
    name: str,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask first")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print what was removed as JSON")] = False,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Remove a channel: its schedule stops, its jobs are cancelled, its links and secret deleted
    (master's listings stay)."""
    if not yes and not typer.confirm(f"remove channel {name}, its links, jobs and credentials?"):
        raise typer.Exit(1)
    removed = run(lambda: connect(api).remove_channel(name))
    if as_json:
        console.print_json(data=removed)
        return
    console.print(
        f"removed [bold]{removed['name']}[/]: {len(removed['jobs_cancelled'])} jobs cancelled, "
        f"{removed['links_deleted']} links deleted, schedule "
        f"{'deleted' if removed['schedule_deleted'] else 'none'}, secret "
        f"{'deleted' if removed['secret_deleted'] else 'none'}"
    )
