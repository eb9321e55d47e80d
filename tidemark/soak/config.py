"""The campaign's settings: its workload's weights, its faults, and a run's configuration."""

from __future__ import annotations

from dataclasses import dataclass

from tidemark.local import faults as runtime_faults
from tidemark.local.linked import CHANNELS, MARKETPLACES

SOAK_CHANNELS = {**CHANNELS, **MARKETPLACES}  # channel name -> the sandbox it is
REASONS = ("sales_order", "purchase_order", "work_order", "manual", "file_upload", "feed")
SYNC_MODES = ("full", "partial", "smart", "selected")
ACTIVE_JOBS = ("queued", "running")
WEBHOOK_SECRETS = {
    "shop": "soak-shop-webhook-secret",
    "woo": "soak-woo-webhook-secret",
    "bay": "soak-ebay-verification-token-0123456789abcdef",  # eBay's: 32 to 80 characters
}

SANDBOX_FAULTS: dict[str, float] = {
    "server_error": 0.03,
    "timeout": 0.01,
    "throttle_burst": 0.01,
    "lost_answer": 0.03,
    "webhook_drop": 0.05,
    "webhook_duplicate": 0.05,
    "webhook_reorder": 0.05,
    "timeout_seconds": 1.0,
    "burst_length": 3,
    "retry_after_seconds": 1,
}
# Amazon's notifications go to an SQS queue, which keeps what it accepted, and the sandbox has no
# redelivery: a dropped ORDER_CHANGE would be a sale master never hears of (see the package's
# docstring). It duplicates them, as Amazon does (at least once).
FAULTS_NOT_SENT = {"amazon": ("webhook_drop",)}
WEBHOOK_RETRY_SECONDS = 3.0
# What a merchant cannot do by hand on a marketplace: a suppressed Amazon listing is Amazon's to lift
# (no seller's push shows it again), and an eBay inventory item's SKU never changes.
HAND_EDITS_REFUSED = {"amazon": ("status",), "ebay": ("sku",)}
# Orders not cancelled there: the eBay sandbox sends no notification of a cancel, so master would
# never hear of one.
CANCELS_UNHEARD = ("ebay",)
RUNTIME_FAULTS = runtime_faults.RuntimeFaultRates(batch_crash=0.03, handler_timeout=0.03)

# action -> weight
WORKLOAD: dict[str, int] = {
    "order": 30,
    "cancel": 8,
    "adjust_delta": 12,
    "adjust_location": 5,
    "adjust_file": 3,
    "adjust_committed": 4,
    "adjust_on_hand": 3,
    "hand_quantity": 8,
    "hand_price": 3,
    "hand_status": 2,
    "sku_change": 1,
    "delete": 1,
    "sync": 5,
    "reconcile": 1,
    "cancel_job": 2,
    "rerun_job": 2,
}


# The second master location, and the Shopify store's three locations over both: each location
# number -> the master locations that feed it, in the order an order takes from them.
EAST = "east"
SHOPIFY_MAP: dict[int, list[str]] = {
    60_000_001: ["default"],
    60_000_002: [EAST, "default"],
    60_000_003: ["default", EAST],
}


def shopify_gid(number: int) -> str:
    return f"gid://shopify/Location/{number}"


EAST_STOCK = (2, 8)  # a third of the listings start with this much at east, the least to the most
BUNDLES = 3  # bundles of two components each, 1 or 2 units of each


@dataclass(frozen=True)
class SoakConfig:
    seed: int
    seconds: float = 60.0
    skus: int = 40
    on_hand: int = 200
    rate: float = 3.0  # workload actions a second
    restart_every_s: float = 20.0  # a restart of the workers, on average this often
    visibility_timeout_s: int = 8
    log_level: str = "INFO"

    @property
    def settle_limit_s(self) -> float:
        """Each stage after the workload, at most: the larger of 4 minutes and 3 times the workload's
        length (local mode takes 1.5 to 2 times the workload's length to drain what it queued: every
        function shares one process), so a 300 s run gets longer than the one-minute runs."""
        return max(240.0, 3 * self.seconds)
