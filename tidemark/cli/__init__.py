"""tidemark: the demo, the local stack, sandbox stores, and the operator's verbs over the console API.

One module per verb group; every command is registered here, so this list is the CLI's whole surface."""

from __future__ import annotations

import typer

from tidemark import login
from tidemark.cli import (
    allocation,
    channels,
    dlq,
    history,
    jobs,
    listings,
    local,
    locations,
    overview,
    sandbox,
    settings,
)

app = typer.Typer(help="Tidemark: one master inventory, pushed to every sales channel.", no_args_is_help=True)

app.command()(local.demo)
app.command()(jobs.link)
app.command()(jobs.reconcile)
app.command()(jobs.sync)
app.command()(history.history)
app.command()(overview.overview)

channels.app.command("rules")(allocation.channel_rules)
listings.app.command("rules")(allocation.listing_rules)
listings.app.command("explain")(allocation.explain)
channels.app.command("guard")(allocation.channel_guard)
jobs.app.command("confirm")(allocation.jobs_confirm)

app.add_typer(local.app, name="local")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(listings.app, name="listings")
app.add_typer(channels.app, name="channels")
app.add_typer(jobs.app, name="jobs")
app.add_typer(settings.app, name="settings")
app.add_typer(dlq.app, name="dlq")
app.add_typer(locations.app, name="locations")
channels.app.command("locations")(locations.channel_locations)
listings.app.command("stock")(locations.listing_stock)
listings.app.command("bundle")(locations.listing_bundle)
login.register(app)
