"""One sandbox store alone."""

from __future__ import annotations

from typing import Annotated

import typer

from tidemark.cli.common import wait_forever
from tidemark.render import console

app = typer.Typer(help="One sandbox store alone.")


@app.command("shopify")
def sandbox_shopify(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8100,
    variants: Annotated[int, typer.Option(help="variants in the catalog")] = 200,
    plan: Annotated[str, typer.Option(help="standard, advanced, plus or enterprise")] = "standard",
    token: Annotated[str, typer.Option(help="the Admin API access token it accepts")] = "shpat_sandbox",  # noqa: S107
    seed: Annotated[int, typer.Option(help="makes the catalog and the injected faults repeatable")] = 7,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="where to post orders/*, inventory_levels/update and products/* webhooks"),
    ] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="the app's client secret, which signs the webhooks")
    ] = None,
) -> None:
    """A Shopify store (Admin GraphQL 2026-10) on loopback until Ctrl-C."""
    from tidemark.sandbox.faults import Faults
    from tidemark.sandbox.server import serve_in_thread
    from tidemark.sandbox.shopify import GRAPHQL_PATH, ShopifyStore, create_app

    if bool(webhook_url) != bool(webhook_secret):
        console.print(
            "[red]error[/] give --webhook-url and --webhook-secret together: every webhook is signed"
        )
        raise typer.Exit(1)
    try:
        store = ShopifyStore.generate(
            variants,
            seed=seed,
            duplicate_skus=max(1, variants // 100),
            blank_barcodes=max(1, variants // 50),
            plan=plan,
            faults=Faults(seed=seed),
            webhook_url=webhook_url,
            webhook_secret=webhook_secret or "",
        )
    except ValueError as error:
        console.print(f"[red]error[/] {error}")
        raise typer.Exit(1) from error
    server = serve_in_thread(create_app(store, token), port=port)
    console.print(
        f"[bold]shopify sandbox[/] {server.url}  token={token}  plan={plan}  variants={len(store.variants())}"
    )
    console.print(f"Admin GraphQL {server.url}{GRAPHQL_PATH} (header X-Shopify-Access-Token: {token})")
    console.print(f"sandbox admin API {server.url}/admin/sandbox (variants, orders, faults)")
    if webhook_url:
        console.print(f"webhooks to {webhook_url}, signed with the given secret, from {store.domain}")
    try:
        wait_forever()
    finally:
        server.stop()
        store.close()


@app.command("woocommerce")
def sandbox_woocommerce(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8200,
    products: Annotated[int, typer.Option(help="sellable items in the catalog")] = 200,
    rate: Annotated[float | None, typer.Option(help="requests per second before it answers 429")] = None,
    key: Annotated[str, typer.Option(help="the consumer key it accepts")] = "ck_sandbox",
    secret: Annotated[str, typer.Option(help="the consumer secret it accepts")] = "cs_sandbox",  # noqa: S107
    seed: Annotated[int, typer.Option(help="makes the catalog and the injected faults repeatable")] = 7,
    webhook_url: Annotated[
        str | None, typer.Option(help="where to post order.created/updated and product.updated/deleted")
    ] = None,
    webhook_secret: Annotated[str | None, typer.Option(help="the secret webhooks are signed with")] = None,
) -> None:
    """A WooCommerce store (REST API wc/v3) on loopback until Ctrl-C."""
    from tidemark.sandbox.faults import Faults
    from tidemark.sandbox.server import serve_in_thread
    from tidemark.sandbox.woocommerce import WooStore, create_app

    if bool(webhook_url) != bool(webhook_secret):
        console.print(
            "[red]error[/] give --webhook-url and --webhook-secret together: every webhook is signed"
        )
        raise typer.Exit(1)
    store = WooStore.generate(products, seed=seed, faults=Faults(seed=seed))
    server = serve_in_thread(create_app(store, key, secret, rate), port=port)
    store.url = server.url
    limit = f"  rate={rate:g}/s" if rate else ""
    console.print(
        f"[bold]woocommerce sandbox[/] {server.url}  key={key}  secret={secret}  products={products}{limit}"
    )
    console.print(f"sandbox admin API {server.url}/admin/sandbox (variants, orders, faults)")
    if webhook_url and webhook_secret:
        store.configure_webhook(webhook_url, webhook_secret)
        console.print(f"webhooks to {webhook_url}  webhook id={store.webhook_id}")
    try:
        wait_forever()
    finally:
        server.stop()
        store.close()


@app.command("amazon")
def sandbox_amazon(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8400,
    listings: Annotated[int, typer.Option(help="listings (SKUs) of the seller")] = 200,
    seller_id: Annotated[
        str, typer.Option(help="the seller (merchant token) the grant is for")
    ] = "A1SANDBOXSELLER",
    marketplace: Annotated[str, typer.Option(help="the marketplace id it sells in")] = "ATVPDKIKX0DER",
    client_id: Annotated[
        str, typer.Option(help="the LWA client id it accepts")
    ] = "amzn1.application-oa2-client.sandbox",
    client_secret: Annotated[str, typer.Option(help="the LWA client secret it accepts")] = "sandbox-secret",  # noqa: S107
    refresh_token: Annotated[
        str, typer.Option(help="the seller's refresh token it accepts")
    ] = "Atzr|sandbox",  # noqa: S107
    seed: Annotated[int, typer.Option(help="makes the catalog and the injected faults repeatable")] = 7,
) -> None:
    """An Amazon seller account (SP-API: LWA, Listings Items, Feeds) on loopback until Ctrl-C."""
    from tidemark.sandbox.amazon import AmazonStore, create_app
    from tidemark.sandbox.amazon.records import MARKETPLACES
    from tidemark.sandbox.faults import Faults
    from tidemark.sandbox.server import serve_in_thread

    if marketplace not in MARKETPLACES:
        console.print(f"[red]error[/] --marketplace: one of {', '.join(MARKETPLACES)}")
        raise typer.Exit(1)
    store = AmazonStore.generate(
        listings,
        seed=seed,
        shared_upcs=max(1, listings // 100),
        blank_identifiers=max(1, listings // 50),
        seller_id=seller_id,
        marketplace_id=marketplace,
        faults=Faults(seed=seed),
    )
    server = serve_in_thread(create_app(store, client_id, client_secret, refresh_token), port=port)
    console.print(f"[bold]amazon sandbox[/] {server.url}  seller={seller_id}  marketplace={marketplace}")
    console.print(f"LWA {server.url}/auth/o2/token  client_id={client_id}  client_secret={client_secret}")
    console.print(f"refresh_token={refresh_token}  listings={len(store.items)}")
    console.print(f"sandbox admin API {server.url}/admin/sandbox (variants, orders, faults)")
    try:
        wait_forever()
    finally:
        server.stop()
        store.close()


@app.command("ebay")
def sandbox_ebay(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8300,
    items: Annotated[int, typer.Option(help="inventory items, one offer each")] = 200,
    client_id: Annotated[
        str, typer.Option(help="the app's client id (App ID) it accepts")
    ] = "Tidemark-sandbox",
    client_secret: Annotated[str, typer.Option(help="the app's client secret (Cert ID)")] = "SBX-secret",  # noqa: S107
    refresh_token: Annotated[
        str, typer.Option(help="the seller's refresh token it accepts")
    ] = "v^1.1#sandbox",  # noqa: S107
    marketplace: Annotated[str, typer.Option(help="the marketplace of its offers")] = "EBAY_US",
    daily_quota: Annotated[int, typer.Option(help="Inventory API calls a day before 429")] = 5000,
    seed: Annotated[int, typer.Option(help="makes the catalog and the injected faults repeatable")] = 7,
) -> None:
    """An eBay seller account (Sell Inventory API v1, OAuth, daily quota) on loopback until Ctrl-C."""
    from tidemark.sandbox.ebay import DailyQuota, EbayStore, OAuth, create_app
    from tidemark.sandbox.server import serve_in_thread

    store = EbayStore.generate(items, seed=seed, marketplace_id=marketplace)
    oauth = OAuth(client_id, client_secret, refresh_token)
    server = serve_in_thread(create_app(store, oauth, DailyQuota(limit=daily_quota)), port=port)
    console.print(
        f"[bold]ebay sandbox[/] {server.url}  client id={client_id}  client secret={client_secret}  "
        f"refresh token={refresh_token}  marketplace={marketplace}  items={items}  quota={daily_quota}/day"
    )
    console.print(f"sandbox admin API {server.url}/admin/sandbox (variants, orders, faults)")
    try:
        wait_forever()
    finally:
        server.stop()
