"""Amazon's marketplaces a channel may sell in: the id SP-API names it by, and its currency (what a
price is pushed in). From developer-docs.amazon.com/sp-api/docs/marketplace-ids."""

from __future__ import annotations

AMAZON_MARKETPLACES: dict[str, tuple[str, str]] = {
    "ATVPDKIKX0DER": ("US", "USD"),
    "A2EUQ1WTGCTBG2": ("CA", "CAD"),
    "A1AM78C64UM0Y8": ("MX", "MXN"),
    "A2Q3Y263D00KWC": ("BR", "BRL"),
    "A1F83G8C2ARO7P": ("UK", "GBP"),
    "A1PA6795UKMFR9": ("DE", "EUR"),
    "A13V1IB3VIYZZH": ("FR", "EUR"),
    "APJ6JRA9NG5V4": ("IT", "EUR"),
    "A1RKKUPIHCS9HS": ("ES", "EUR"),
    "A1805IZSGTT6HS": ("NL", "EUR"),
    "A2NODRKZP88ZB9": ("SE", "SEK"),
    "A1C3SOZRARQ6R3": ("PL", "PLN"),
    "A33AVAJ2PDY3EV": ("TR", "TRY"),
    "A21TJRUUN4KGV": ("IN", "INR"),
    "A1VC38T7YXB528": ("JP", "JPY"),
    "A39IBJ37TRP1C6": ("AU", "AUD"),
    "A19VAU5U5O7RUS": ("SG", "SGD"),
    "A2VIGQ35RCS4UG": ("AE", "AED"),
}


def marketplace_problem(marketplace_id: str) -> str | None:
    """What is wrong with a marketplace id (with the fix), or None."""
    if marketplace_id in AMAZON_MARKETPLACES:
        return None
    known = ", ".join(f"{mid} ({country})" for mid, (country, _) in list(AMAZON_MARKETPLACES.items())[:6])
    return f"'{marketplace_id}' is not an Amazon marketplace id: give one such as {known}"
