"""The campaign's settings: its workload's weights, its faults, and a run's configuration."""

from __future__ import annotations

from dataclasses import dataclass

from tidemark.local import faults as runtime_faults

REASONS = ("sales_order", "purchase_order", "work_order", "manual", "file_upload", "feed")
SYNC_MODES = ("full", "partial", "smart", "selected")
ACTIVE_JOBS = ("queued", "running")
WEBHOOK_SECRETS = {"shop": "soak-shop-webhook-secret", "woo": "soak-woo-webhook-secret"}

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
WEBHOOK_RETRY_SECONDS = 3.0
RUNTIME_FAULTS = runtime_faults.RuntimeFaultRates(batch_crash=0.03, handler_timeout=0.03)

# action -> weight
WORKLOAD: dict[str, int] = {
    "order": 30,
    "cancel": 8,
    "adjust_delta": 12,
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
