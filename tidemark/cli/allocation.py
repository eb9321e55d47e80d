"""Allocation: a channel's quantity and price rules, a listing's override of them, and explain.

`tidemark channels rules NAME [options]` and `tidemark listings rules SKU --channel NAME [options]
[--without RULE ...]` (no option: show the rules); `tidemark listings explain SKU [--channel NAME]`;
the guard: `tidemark channels guard NAME [--on | --off] [--max-zeroed 50%] [--max-changed 80%]` and
`tidemark jobs confirm ID`. Registered in tidemark/cli/__init__.py on the channels, listings and jobs
groups."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table

from tidemark.api_client import DEFAULT_API
from tidemark.cli.common import ApiOption, JsonOption, connect, print_json, run
from tidemark.render import console

MOVES_SHOWN = 50
_MARKUP = re.compile(r"^\s*([+-]?[0-9]+(?:\.[0-9]{1,2})?)\s*(%?)\s*$")

Reserve = Annotated[int | None, typer.Option(help="keep N units back from the channel")]
Percent = Annotated[
    float | None, typer.Option(help="send P percent of what is left (0 to 100), rounded down")
]
Max = Annotated[int | None, typer.Option("--max", help="send at most N")]
ZeroAt = Annotated[int | None, typer.Option(help="at or below N, send 0")]
Fixed = Annotated[int | None, typer.Option(help="send N instead of the rules above")]
NoFixed = Annotated[bool, typer.Option("--no-fixed", help="clear the fixed quantity")]
Markup = Annotated[
    str | None,
    typer.Option(help="10% or 2.50 added to the price; -10% or -2.50 a markdown; 'none' clears it"),
]
Round = Annotated[str | None, typer.Option("--round", help="0.99, 0.95 or whole; 'none' clears it")]
MinPrice = Annotated[str | None, typer.Option(help="never below this price; 'none' clears it")]
MaxPrice = Annotated[str | None, typer.Option(help="never above this price; 'none' clears it")]
Clear = Annotated[bool, typer.Option("--clear", help="start from no rules (with the options given)")]
Without = Annotated[
    list[str] | None,
    typer.Option(
        "--without",
        metavar="RULE",
        help="do without the channel's RULE for this listing (reserve, percent, max, zero-at, fixed, "
        "markup, round, min-price, max-price); repeat it for more: these replace the ones saved; "
        "'none' keeps none",
    ),
]
# --without takes a rule by its option's name too (max for max_quantity, as `--max` sets it)
_RULE_OF_OPTION = {"max": "max_quantity", "markup": "markup_percent", "round": "rounding"}
_MARKUPS = {"markup_percent", "markup_amount"}
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="show what each linked listing would get; save nothing")
]


def channel_rules(
    name: str,
    reserve: Reserve = None,
    percent: Percent = None,
    max_quantity: Max = None,
    zero_at: ZeroAt = None,
    fixed: Fixed = None,
    no_fixed: NoFixed = False,
    markup: Markup = None,
    rounding: Round = None,
    min_price: MinPrice = None,
    max_price: MaxPrice = None,
    clear: Clear = False,
    dry_run: DryRun = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """A channel's allocation rules: show them (no option), or set them (--dry-run: their effect first)."""
    edit = _edit(locals())
    _rules(api, name, None, edit, dry_run, as_json)


def listing_rules(
    sku: str,
    channel: Annotated[str, typer.Option(help="the channel whose rules this listing overrides")],
    reserve: Reserve = None,
    percent: Percent = None,
    max_quantity: Max = None,
    zero_at: ZeroAt = None,
    fixed: Fixed = None,
    no_fixed: NoFixed = False,
    markup: Markup = None,
    rounding: Round = None,
    min_price: MinPrice = None,
    max_price: MaxPrice = None,
    without: Without = None,
    clear: Clear = False,
    dry_run: DryRun = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """One listing's override of a channel's rules: show it (no option), or set it (--clear drops it;
    --without: the channel's rules it does without)."""
    edit = _edit(locals())
    if without:
        edit["without"] = _without(without)
    _rules(api, channel, sku, edit, dry_run, as_json)


def explain(
    sku: str,
    channel: Annotated[str | None, typer.Option(help="one channel (default: every channel)")] = None,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Why this number: every step from on hand to the quantity pushed, and from price to the price pushed."""
    answer = run(lambda: connect(api).explain(sku, channel), as_json)
    if as_json:
        print_json(answer)
        return
    for found in answer["channels"]:
        table = Table(
            title=f"{sku} on {found['channel']}{'' if found['linked'] else ' (not linked)'}",
            title_justify="left",
        )
        for column in ("value", "step", "by", "from", "to", "how"):
            table.add_column(column)
        for step in found["steps"]:
            table.add_row(
                step["field"], step["rule"], step["source"], step["before"], step["after"], step["note"]
            )
        console.print(table)
        price = found["price"] if found["price"] is not None else "none (master has no price)"
        console.print(f"pushed: quantity [bold]{found['quantity']}[/], price [bold]{price}[/]")


def _edit(given: dict[str, Any]) -> dict[str, Any]:
    """The API's edit from the options given (only those: the others keep their rule)."""
    edit: dict[str, Any] = {}
    for name in ("reserve", "percent", "max_quantity", "zero_at", "fixed"):
        if given[name] is not None:
            edit[name] = given[name]
    if given["no_fixed"]:
        edit["fixed"] = None
    if given["markup"] is not None:
        edit.update(_markup(given["markup"]))
    for option, name in (("rounding", "rounding"), ("min_price", "min_price"), ("max_price", "max_price")):
        if given[option] is not None:
            edit[name] = None if given[option].lower() == "none" else given[option]
    for name in ("min_price", "max_price"):
        if edit.get(name) is not None:
            edit[name] = _money(f"--{name.replace('_', '-')}", edit[name])
    if given["clear"]:
        edit["clear"] = True
    return edit


def _without(names: list[str]) -> list[str]:
    """The API's rule names for --without's (an option's name, or the rule's own; 'none': none)."""
    if [name.strip().lower() for name in names] == ["none"]:
        return []
    rules = [name.strip().lower().replace("-", "_") for name in names]
    return [_RULE_OF_OPTION.get(rule, rule) for rule in rules]


def _markup(text: str) -> dict[str, Any]:
    if text.lower() == "none":
        return {"markup_percent": None, "markup_amount": None}
    match = _MARKUP.match(text)
    if match is None:
        _refuse("--markup takes a percent (10%, -5%) or an amount (2.50, -1), or none")
    value = match.group(1)
    return (
        {"markup_percent": value, "markup_amount": None}
        if match.group(2)
        else {"markup_amount": value, "markup_percent": None}
    )


def _money(option: str, text: str) -> str:
    try:
        Decimal(text)
    except InvalidOperation:
        _refuse(f"{option} takes a number like 4.99" + (", or none" if "price" in option else ""))
    return text


def _refuse(message: str) -> NoReturn:
    console.print(f"[red]error[/] {message}")
    raise typer.Exit(1)


def _rules(
    api: str, channel: str, sku: str | None, edit: dict[str, Any], dry_run: bool, as_json: bool
) -> None:
    client = connect(api)
    if not edit:
        shown = run(lambda: client.rules(channel, sku=sku), as_json)
        if as_json:
            print_json(shown)
            return
        console.print(_rules_table(shown["rules"], f"{sku} on {channel}" if sku else channel))
        return
    answer = run(lambda: client.rules(channel, edit, sku=sku, dry_run=dry_run), as_json)
    if "job" in answer:  # a channel's change: its job finds what it moves
        answer = run(lambda: client.rule_change_done(answer, moves=MOVES_SHOWN), as_json)
    if as_json:
        print_json(answer)
        return
    _print_change(answer, channel, sku)


def _rules_table(rules: dict[str, Any], whose: str) -> Table:
    table = Table(title=f"allocation rules: {whose}", title_justify="left")
    table.add_column("rule")
    table.add_column("value")
    without = set(rules.get("without") or ())
    if without & _MARKUPS:  # a markup done without is either markup
        without |= _MARKUPS
    for name, value in rules.items():
        if name in without:
            table.add_row(name, "without the channel's")
        elif name != "without":
            table.add_row(name, "-" if value is None else str(value))
    return table


def _print_change(answer: dict[str, Any], channel: str, sku: str | None) -> None:
    console.print(_rules_table(answer["rules"], f"{sku} on {channel}" if sku else channel))
    verb = "would move" if answer["dry_run"] else "moved"
    console.print(f"{verb} {answer['moved_listings']} of {answer['checked']} linked listings")
    if answer["moves"]:
        table = Table(title_justify="left")
        for column in ("sku", "value", "from", "to"):
            table.add_column(column)
        for move in answer["moves"][:MOVES_SHOWN]:
            table.add_row(move["sku"], move["field"], str(move["from_value"]), str(move["to_value"]))
        console.print(table)
        if answer["moved_listings"] > MOVES_SHOWN:
            more = f"`tidemark jobs plan {answer['job']['id']}`" if "job" in answer else "--json"
            console.print(f"more: {more} for every one")
    if answer["dry_run"]:
        console.print("dry run: nothing saved, nothing pushed")
    else:
        console.print(
            f"{answer['auto_pushed']} pushed now (auto sync on); the next smart sync pushes the others"
        )


def channel_guard(
    name: str,
    on: Annotated[bool | None, typer.Option("--on/--off", help="turn the guard on or off")] = None,
    max_zeroed: Annotated[
        str | None,
        typer.Option(help="stop a sync that would send 0 to more than this share of linked listings"),
    ] = None,
    max_changed: Annotated[
        str | None, typer.Option(help="stop a sync that would change more than this share of linked listings")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="resume auto sync the breaker paused: its held pushes are sent")
    ] = False,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """A channel's guard: show it (no option), or set it. Shares are percents: 50% or 50."""
    edit: dict[str, Any] = {} if on is None else {"on": on}
    for field, given in (("max_zeroed", max_zeroed), ("max_changed", max_changed)):
        if given is not None:
            edit[field] = _money(f"--{field.replace('_', '-')}", given.strip().removesuffix("%"))
    client = connect(api)
    if resume:
        resumed = run(lambda: client.resume(name), as_json)
        if as_json:
            print_json(resumed)
            return
        console.print(f"auto sync of {name} resumed: its held pushes are on their way")
        return
    answer = run(lambda: client.guard(name, edit or None), as_json)
    if as_json:
        print_json(answer)
        return
    state = "on" if answer["on"] else "off"
    console.print(
        f"guard of {name}: {state}; a sync stops if it would send 0 to more than {answer['max_zeroed']} % "
        f"or change more than {answer['max_changed']} % of its linked listings"
    )


def jobs_confirm(job_id: str, api: ApiOption = DEFAULT_API, as_json: JsonOption = False) -> None:
    """Run a sync the guard stopped (awaiting_confirmation): it pushes, from master as it is then."""
    job = run(lambda: connect(api).job_action(job_id, "confirm"), as_json)
    if as_json:
        print_json(job)
        return
    console.print(f"job {job_id} confirmed: {job['status']}")
