"""tidemark: the demo, the local stack, sandbox stores, and the operator's verbs over the console API."""

from __future__ import annotations

import signal
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API, ApiError, ConsoleApi
from tidemark.render import console, job_table, jobs_table, plan_table, wait_with_progress

app = typer.Typer(help="Tidemark: one master inventory, pushed to every sales channel.", no_args_is_help=True)
local_app = typer.Typer(help="The whole stack on this machine (moto, handlers, console API, sandboxes).")
sandbox_app = typer.Typer(help="One sandbox store alone.")
listings_app = typer.Typer(help="Master listings.")
channels_app = typer.Typer(help="Connected stores.")
jobs_app = typer.Typer(help="The job queue.")
settings_app = typer.Typer(help="Settings of the whole catalog.")
dlq_app = typer.Typer(help="Dead-letter queues: what failed and why, and moving it back.")
app.add_typer(local_app, name="local")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(listings_app, name="listings")
app.add_typer(channels_app, name="channels")
app.add_typer(jobs_app, name="jobs")
app.add_typer(settings_app, name="settings")
app.add_typer(dlq_app, name="dlq")

PLAN_SHOWN = 50

ApiOption = Annotated[str, typer.Option("--api", envvar="TIDEMARK_API", help="console API base URL")]


class Switch(StrEnum):
    ON = "on"
    OFF = "off"


class DeadLetterQueue(StrEnum):
    PUSH = "push"
    WEBHOOKS = "webhooks"
    AUTO_PUSH = "auto-push"
    STREAM = "stream"


def _api(url: str) -> ConsoleApi:
    return ConsoleApi(url)


def _run(call: Any) -> Any:
    """Run an API call; a refusal is printed with its fix and exits 1."""
    try:
        return call()
    except ApiError as error:
        console.print(f"[red]error[/] {error.message}")
        for detail in error.errors[:20]:
            where = f"line {detail['line']}, " if "line" in detail else ""
            console.print(f"  {where}{detail.get('field', '')}: {detail['message']}")
        raise typer.Exit(1) from error


def _wait_forever() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


@app.command()
def demo(variants: Annotated[int, typer.Option(help="variants in the sandbox store")] = 200) -> None:
    """Run the whole product locally and show what it did."""
    from tidemark.demo import run_demo

    raise typer.Exit(run_demo(variants))


@local_app.command("up")
def local_up(
    port: Annotated[int, typer.Option(help="console API port on 127.0.0.1")] = 8000,
    sandboxes: Annotated[
        bool, typer.Option("--sandboxes/--no-sandboxes", help="start sandbox stores")
    ] = True,
    variants: Annotated[int, typer.Option(help="variants in the Shopify sandbox")] = 200,
    log_level: Annotated[str, typer.Option(help="handlers' log level")] = "INFO",
) -> None:
    """Run the stack until Ctrl-C."""
    from tidemark.local.runtime import LocalRuntime

    runtime = LocalRuntime(port=port, sandboxes=sandboxes, shopify_variants=variants, log_level=log_level)
    with console.status("deploying template.yaml into moto"):
        runtime.start()
    try:
        console.print(f"[bold]console API[/] {runtime.api_url}  (OpenAPI: {runtime.api_url}/v1/openapi.json)")
        for name, store in runtime.sandboxes.items():
            credentials = "  ".join(f"{k}={v}" for k, v in store.credentials.items())
            console.print(f"[bold]{name} sandbox[/] {store.url}  {credentials}")
        console.print("Ctrl-C stops everything.")
        _wait_forever()
    finally:
        with console.status("stopping"):
            runtime.stop()


@sandbox_app.command("shopify")
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
        _wait_forever()
    finally:
        server.stop()
        store.close()


@sandbox_app.command("woocommerce")
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
        _wait_forever()
    finally:
        server.stop()
        store.close()


@listings_app.command("import")
def listings_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    created_by: Annotated[
        str,
        typer.Option(
            help="how new listings came (their auto-sync rule): manual, file_import, order_import, feed"
        ),
    ] = "file_import",
    api: ApiOption = DEFAULT_API,
) -> None:
    """Create or update listings from a CSV file (columns: sku, upc, mpn, title, on_hand, ...)."""
    result = _run(lambda: _api(api).import_listings(file.read_text(), created_by))
    console.print(f"created {result['created']}, updated {result['updated']}")
    for job_id in result["link_jobs"]:
        console.print(f"link after build: re-link job {job_id} queued")


@listings_app.command("adjust")
def listings_adjust(
    reason: Annotated[
        str, typer.Option(help="sales_order, purchase_order, work_order, manual, file_upload or feed")
    ],
    sku: Annotated[str | None, typer.Argument(help="the listing to change (or --file)")] = None,
    on_hand: Annotated[int | None, typer.Option(help="set on hand to this (0 or more)")] = None,
    delta: Annotated[int | None, typer.Option(help="add this to on hand; negative takes away")] = None,
    committed: Annotated[int | None, typer.Option(help="set committed to this (0 or more)")] = None,
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
) -> None:
    """Change quantities: one listing's, or a file upload's or an inventory feed's (checked whole first)."""
    given = {"sku": sku, "on_hand": on_hand, "delta": delta, "committed": committed}
    body: dict[str, Any] = {"reason": reason, **{k: v for k, v in given.items() if v is not None}}
    if file:
        body["csv"] = file.read_text()
    result = _run(lambda: _api(api).adjust(body, idempotency_key))
    listing = result["listing"]
    if listing is None:
        console.print(f"changed {result['changed']}, unchanged {result['unchanged']}")
        return
    console.print(
        f"{listing['sku']} {'changed' if result['changed'] else 'unchanged'}: on hand {listing['on_hand']},"
        f" committed {listing['committed']}, syncable balance {listing['syncable_balance']}"
    )


@listings_app.command("auto-sync")
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
) -> None:
    """Turn auto sync on or off for SKUs or every listing matching filters (it pushes nothing itself)."""
    client = _api(api)
    body = {"auto_sync": state is Switch.ON, "skus": sku or [], "filters": filters or []}
    result = _run(lambda: client.set_auto_sync(body))
    job = result["job"]
    if job is None:
        console.print(f"auto sync {state}: {result['matched']} matched, {result['flags_changed']} changed")
        return
    console.print(f"a large selection: job {job['id']} {job['status']} (tidemark jobs show {job['id']})")
    if wait:
        _follow(client, job)


@listings_app.command("sync-now")
def listings_sync_now(
    sku: Annotated[list[str], typer.Option(help="a SKU (repeat)")], api: ApiOption = DEFAULT_API
) -> None:
    """Push these listings to every channel they are linked on now, and turn their auto sync on."""
    result = _run(lambda: _api(api).sync_now(sku))
    console.print(
        f"{result['pushes_queued']} pushes queued; auto sync turned on for {result['flags_changed']} listings"
    )


@listings_app.command("show")
def listings_show(sku: str, api: ApiOption = DEFAULT_API) -> None:
    """One listing, its syncable balance and its links."""
    listing = _run(lambda: _api(api).listing(sku))
    console.print_json(data=listing)


@channels_app.command("add")
def channels_add(
    channel_type: Annotated[str, typer.Argument(metavar="TYPE", help="shopify or woocommerce")],
    name: str,
    store_url: Annotated[str, typer.Option(help="the store's base URL")],
    token: Annotated[str | None, typer.Option(help="Shopify Admin API access token")] = None,
    key: Annotated[str | None, typer.Option(help="WooCommerce consumer key")] = None,
    secret: Annotated[str | None, typer.Option(help="WooCommerce consumer secret")] = None,
    webhook_secret: Annotated[str | None, typer.Option(help="secret the store signs webhooks with")] = None,
    priority: Annotated[list[str] | None, typer.Option(help="listing_field=channel_field, in order")] = None,
    link_after_build: Annotated[bool, typer.Option("--link-after-build/--no-link-after-build")] = True,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Connect a store (a test call checks the credentials first)."""
    body: dict[str, Any] = {
        "name": name,
        "type": channel_type,
        "store_url": store_url,
        "link_after_build": link_after_build,
    }
    body.update(
        {
            k: v
            for k, v in {
                "token": token,
                "key": key,
                "secret": secret,
                "webhook_secret": webhook_secret,
            }.items()
            if v
        }
    )
    if priority:
        body["priorities"] = _priorities(priority)
    channel = _run(lambda: _api(api).add_channel(body))
    console.print(f"connected [bold]{channel['name']}[/] ({channel['store_name']})")


def _priorities(given: list[str]) -> list[dict[str, str]]:
    pairs = [p.split("=", 1) for p in given]
    if any(len(p) != 2 for p in pairs):
        console.print("[red]error[/] --priority takes listing_field=channel_field: sku=sku, upc=barcode")
        raise typer.Exit(1)
    return [{"listing_field": a.strip(), "channel_field": b.strip()} for a, b in pairs]


@channels_app.command("edit")
def channels_edit(
    name: str,
    store_url: Annotated[str | None, typer.Option(help="the store's base URL")] = None,
    token: Annotated[str | None, typer.Option(help="Shopify Admin API access token")] = None,
    key: Annotated[str | None, typer.Option(help="WooCommerce consumer key")] = None,
    secret: Annotated[str | None, typer.Option(help="WooCommerce consumer secret")] = None,
    webhook_secret: Annotated[str | None, typer.Option(help="secret the store signs webhooks with")] = None,
    priority: Annotated[
        list[str] | None, typer.Option(help="listing_field=channel_field, in order; replaces the list")
    ] = None,
    link_after_build: Annotated[
        bool | None, typer.Option("--link-after-build/--no-link-after-build", show_default=False)
    ] = None,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Change a channel; only what is given changes (new credentials are checked first)."""
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "store_url": store_url,
            "token": token,
            "key": key,
            "secret": secret,
            "webhook_secret": webhook_secret,
            "link_after_build": link_after_build,
        }.items()
        if v is not None
    }
    if priority:
        body["priorities"] = _priorities(priority)
    if not body:
        console.print("[red]error[/] nothing to change: give at least one option (see --help)")
        raise typer.Exit(1)
    channel = _run(lambda: _api(api).edit_channel(name, body))
    console.print(f"edited [bold]{channel['name']}[/] ({channel['store_name']})")


@channels_app.command("list")
def channels_list(api: ApiOption = DEFAULT_API) -> None:
    """Every channel."""
    table = Table(title="channels")
    for column in ("name", "type", "store", "priorities", "link after build"):
        table.add_column(column)
    for c in _run(lambda: _api(api).channels()):
        priorities = ", ".join(f"{p['listing_field']}->{p['channel_field']}" for p in c["priorities"])
        table.add_row(
            c["name"], c["type"], c["store_url"], priorities, "on" if c["link_after_build"] else "off"
        )
    console.print(table)


@channels_app.command("show")
def channels_show(name: str, api: ApiOption = DEFAULT_API) -> None:
    """One channel."""
    console.print_json(data=_run(lambda: _api(api).channel(name)))


@channels_app.command("schedule")
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
) -> None:
    """Set the channel's sync schedule; what is not given stays as it is (no option: show it)."""
    body = {k: v for k, v in {"rate": rate, "mode": mode, "enabled": enabled}.items() if v is not None}
    client = _api(api)
    channel = _run(lambda: client.set_schedule(name, body) if body else client.channel(name))
    schedule = channel.get("schedule")
    if schedule is None:
        console.print(f"[bold]{name}[/] has no schedule: set one with --rate, --mode or --on")
        return
    state = "[green]on[/]" if schedule["enabled"] else "[yellow]off[/]"
    console.print(f"[bold]{name}[/] schedule {state}: {schedule['mode']} sync every {schedule['rate']}")


def _start(api: str, body: dict[str, Any], wait: bool) -> None:
    client = _api(api)
    job = _run(lambda: client.start_job(body))
    console.print(f"job {job['id']} {job['status']}")
    if wait:
        _follow(client, job)


def _follow(client: ConsoleApi, job: dict[str, Any]) -> None:
    finished = _run(lambda: wait_with_progress(client, job))
    console.print(job_table(finished))
    if finished.get("dry_run"):
        plan = _run(lambda: client.plan(finished["id"], limit=PLAN_SHOWN))
        console.print(plan_table(plan))
        if plan["next"]:
            console.print(f"more: tidemark jobs plan {finished['id']}")
    if finished["status"] == "failed":
        raise typer.Exit(1)


@app.command()
def link(
    channel: str,
    relink: Annotated[bool, typer.Option(help="only the listings not linked yet")] = False,
    wait: Annotated[bool, typer.Option(help="follow the job to its end")] = False,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Link listings to the channel's variants by its priorities."""
    _start(api, {"channel": channel, "kind": "relink" if relink else "link"}, wait)


@app.command()
def reconcile(
    channel: str,
    wait: Annotated[bool, typer.Option(help="follow the job to its end")] = False,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Read the channel's values of every linked variant; mark what differs from master out of sync."""
    _start(api, {"channel": channel, "kind": "reconcile"}, wait)


@app.command()
def sync(
    channel: str,
    mode: Annotated[str, typer.Option(help="full, partial, smart or selected")] = "full",
    sku: Annotated[list[str] | None, typer.Option(help="selected syncs: a SKU (repeat)")] = None,
    sku_file: Annotated[Path | None, typer.Option(help="selected syncs: a file of SKUs, one a line")] = None,
    dry_run: Annotated[bool, typer.Option(help="plan what would change, push nothing")] = False,
    relink: Annotated[
        bool, typer.Option(help="re-link the unlinked listings first, in the same job")
    ] = False,
    priority: Annotated[int, typer.Option(help="higher runs first in the channel's queue")] = 0,
    wait: Annotated[bool, typer.Option(help="follow the job to its end")] = False,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Push master quantities, prices and statuses to the channel."""
    skus = list(sku or [])
    if sku_file:
        skus += [line.strip() for line in sku_file.read_text().splitlines() if line.strip()]
    body = {
        "channel": channel,
        "kind": "sync",
        "mode": mode,
        "skus": skus,
        "dry_run": dry_run,
        "relink": relink,
        "priority": priority,
    }
    _start(api, body, wait)


@jobs_app.command("list")
def jobs_list(
    channel: Annotated[str | None, typer.Option(help="only this channel")] = None,
    status: Annotated[str | None, typer.Option(help="queued, running, completed, ...")] = None,
    kind: Annotated[str | None, typer.Option(help="link, relink, reconcile or sync")] = None,
    limit: Annotated[int, typer.Option(help="jobs to show")] = 50,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Jobs, newest first."""
    console.print(jobs_table(_run(lambda: _api(api).jobs(channel, status, kind, limit))))


@jobs_app.command("show")
def jobs_show(job_id: str, api: ApiOption = DEFAULT_API) -> None:
    """One job: status, timestamps, counts, failures with their fixes."""
    console.print(job_table(_run(lambda: _api(api).job(job_id))))


@jobs_app.command("plan")
def jobs_plan(
    job_id: str,
    limit: Annotated[int, typer.Option(help="changes a page")] = PLAN_SHOWN,
    cursor: Annotated[str | None, typer.Option(help="the page after this one")] = None,
    api: ApiOption = DEFAULT_API,
) -> None:
    """What a dry run would change, from what to what."""
    plan = _run(lambda: _api(api).plan(job_id, limit, cursor))
    console.print(plan_table(plan))
    if plan["next"]:
        console.print(f"more: --cursor {plan['next']}")


@jobs_app.command("prioritize")
def jobs_prioritize(job_id: str, api: ApiOption = DEFAULT_API) -> None:
    """Move a queued job to the top of its channel's queue."""
    job = _run(lambda: _api(api).job_action(job_id, "prioritize"))
    console.print(f"job {job_id} is {job['status']}, priority {job['priority']}")


@jobs_app.command("cancel")
def jobs_cancel(job_id: str, api: ApiOption = DEFAULT_API) -> None:
    """Cancel a queued or running job: no push leaves once this answers."""
    job = _run(lambda: _api(api).job_action(job_id, "cancel"))
    console.print(f"job {job_id} cancelled")
    if job["pushes_in_flight"]:
        console.print(f"{job['pushes_in_flight']} push batches sent before the cancel are still finishing")


@jobs_app.command("rerun")
def jobs_rerun(
    job_id: str,
    wait: Annotated[bool, typer.Option(help="follow the new job to its end")] = False,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Run a failed or partly failed job again, on current data."""
    client = _api(api)
    job = _run(lambda: client.job_action(job_id, "rerun"))
    console.print(f"job {job['id']} {job['status']} (re-run of {job_id})")
    if wait:
        _follow(client, job)


@settings_app.command("auto-sync-rules")
def settings_auto_sync_rules(
    manual: Annotated[Switch | None, typer.Option(help="listings created by hand")] = None,
    file_import: Annotated[Switch | None, typer.Option(help="listings created by a file import")] = None,
    order_import: Annotated[Switch | None, typer.Option(help="listings created by an order import")] = None,
    feed: Annotated[Switch | None, typer.Option(help="listings created by an inventory feed")] = None,
    api: ApiOption = DEFAULT_API,
) -> None:
    """The auto-sync flag new listings start with, by how they were created (no option: show them)."""
    given = {"manual": manual, "file_import": file_import, "order_import": order_import, "feed": feed}
    changes = {name: state is Switch.ON for name, state in given.items() if state is not None}
    rules = _run(lambda: _api(api).auto_sync_rules(changes))
    table = Table(title="auto sync of new listings")
    for column in ("created by", "auto sync"):
        table.add_column(column)
    for name, on in rules.items():
        table.add_row(name, "[green]on[/]" if on else "off")
    console.print(table)


@app.command()
def history(
    sku: str,
    channel: Annotated[str | None, typer.Option(help="only this channel")] = None,
    limit: Annotated[int, typer.Option(help="entries a page")] = 50,
    cursor: Annotated[str | None, typer.Option(help="the page after this one")] = None,
    api: ApiOption = DEFAULT_API,
) -> None:
    """A listing's sync history, newest first."""
    page = _run(lambda: _api(api).history(sku, channel, limit, cursor))
    table = Table(title=f"history of {sku}")
    for column in ("when", "channel", "job", "field", "from", "to", "result"):
        table.add_column(column)
    for e in page["entries"]:
        result = e["outcome"] + (f": {e['message']}" if e["message"] else "")
        table.add_row(
            e["at"], e["channel"], e["job_id"], e["field"], e["from_value"] or "-", e["to_value"], result
        )
    console.print(table)
    if page["next"]:
        console.print(f"more: --cursor {page['next']}")


@dlq_app.command("list")
def dlq_list(
    queue: Annotated[DeadLetterQueue | None, typer.Option(help="only this queue")] = None,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Every dead-letter queue's messages: what each was, how often it was received, why it failed."""
    answer = _run(lambda: _api(api).dead_letters(queue))
    for q in answer["queues"]:
        hidden = q["messages"] - q["shown"]
        more = (
            f" ({hidden} more behind them, not shown: see again once these are redriven)"
            if hidden > 0
            else ""
        )
        count = f"{q['messages']} message" + ("" if q["messages"] == 1 else "s")
        console.print(f"[bold]{q['queue']}[/]: {count}{more}")
    if not answer["messages"]:
        console.print("no dead letters")
        return
    table = Table(title="dead letters")
    for column in ("queue", "id", "what", "received", "sent", "failed", "why"):
        table.add_column(column, overflow="fold", no_wrap=column == "id")
    for m in answer["messages"]:
        received = "-" if m["receive_count"] is None else str(m["receive_count"])
        table.add_row(
            m["queue"], m["id"], m["what"], received, _when(m["sent_at"]), _when(m["failed_at"]), m["why"]
        )
    console.print(table)


def _when(at: str | None) -> str:
    """An API time, to the second: 2026-11-23 20:33:32."""
    return at[:19].replace("T", " ") if at else "-"


@dlq_app.command("redrive")
def dlq_redrive(
    queue: Annotated[DeadLetterQueue | None, typer.Option(help="only this queue")] = None,
    message_id: Annotated[
        list[str] | None, typer.Option("--id", help="a message id from `dlq list` (repeat); none: every one")
    ] = None,
    api: ApiOption = DEFAULT_API,
) -> None:
    """Move dead letters back to their queues (stream failures: their listings pushed again)."""
    answer = _run(lambda: _api(api).redrive(queue, message_id))
    if answer["redriven"] or answer["left"]:
        table = Table(title="redrive")
        for column in ("queue", "id", "what", "result"):
            table.add_column(column, overflow="fold", no_wrap=column == "id")
        for m in answer["redriven"]:
            table.add_row(m["queue"], m["id"], m["what"], m["result"])
        for m in answer["left"]:
            table.add_row(m["queue"], m["id"], m["what"], f"[yellow]{m['result']}[/]")
        console.print(table)
    console.print(f"{len(answer['redriven'])} redriven, {len(answer['left'])} left")
    for missing in answer["not_found"]:
        console.print(
            f"[yellow]not found[/] {missing}: not in the queue (redriven already?); see `tidemark dlq list`"
        )
