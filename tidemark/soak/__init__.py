"""The soak campaign (issue 8): a seeded random workload on the four sandbox stores (Shopify,
WooCommerce, Amazon, eBay) and the console API, in local mode, under faults of the sandboxes and of
the runtime; then, faults off and everything drained, a reconcile and a partial sync per channel,
and the checks that nothing was lost and every channel ends equal to master.

The catalog (issue 20): a second master location, `east`, holding a little of a third of the
listings; the Shopify store's three locations mapped over both (config.SHOPIFY_MAP: one fed by
`default` alone, two by both in either order), the other channels unmapped (their one stock is fed
by every location); and a few bundles of two ordered listings each.

`bench/soak.py` runs it over many seeds (`make soak`); tests/e2e/test_soak.py runs a short one in
`make test`.

The workload, drawn from the seed, one action at a time at `rate` a second:
- orders of 1-2 lines, of bundles too, and cancels of them, on every channel (the sandbox admin
  API: the store takes or gives back its stock and notifies as the real one does: Shopify's and
  WooCommerce's signed webhooks, Amazon's ORDER_CHANGE on the notifications queue, eBay's signed
  Notification API posts); on Shopify at one of its locations. eBay's orders are not cancelled
  (its sandbox sends nothing for a cancel: config.CANCELS_UNHEARD);
- master adjustments of every reason: deltas (one listing's, or a file's), stock received at
  `east` (only added there: only orders take a location below zero), committed stock set, and
  on hand set (on listings of their own, which take no orders: an absolute value set while orders
  are in flight leaves no independent count to check on hand against);
- quantities, prices and statuses changed by hand on the channels, and SKUs changed or variants
  deleted there (on listings of their own, which then stay unlinked on that channel), each where
  the channel lets a merchant make it (config.HAND_EDITS_REFUSED);
- sync jobs of every mode, reconciles, cancels and re-runs of them;
- restarts of the runtime's workers with messages in flight.

Faults meanwhile: each sandbox answers a share of API requests 5xx, slowly (a timeout), with a 429
burst and Retry-After, or applies a request and then answers 502 (a lost answer); it drops,
duplicates and reorders a share of its webhooks (Amazon's sandbox duplicates its notifications
but drops none: config.FAULTS_NOT_SENT). The runtime (tidemark/local/faults.py) crashes a
share of event-source invocations after part of their batch and fails another share after all
of it (past the timeout). The queues' visibility timeout is cut from the template's 180 s to
`visibility_timeout_s`, so that a message failed by a fault comes back within the run.

A dropped webhook is the channel's loss to recover, not Tidemark's: Shopify and WooCommerce retry a
delivery that failed, and so does the sandbox here (`webhook_retry_seconds`). Without that, an
order whose webhook never came would be a sale master never heard of, which no reconcile of
quantities can tell from a hand edit, so the order count below could not hold.

The checks, once settled:
- every linked variant on each channel holds what master computes for it (Shopify's at each of
  its locations from the master locations mapped there; a bundle's from its components, as the
  campaign made it), and master's price and status;
- master's on hand of each listing is its start - orders + cancels + adjustments, counted from the
  sandboxes' own order logs (a bundle's off its components) and the campaign's own adjustments:
  no order lost or taken twice;
- no location below zero while another holds stock;
- every dead letter is reported with what it was and why, and a redrive drives it through;
- no job stays queued or running.

The package: config.py (the settings), records.py (sandboxes, ledger, report), logs.py, workload.py,
checks.py (settling), end_state.py (the checks of the end) and campaign.py (run).
"""

from tidemark.soak.campaign import run, soak_runtime
from tidemark.soak.checks import table_items
from tidemark.soak.config import SANDBOX_FAULTS, WEBHOOK_SECRETS, WORKLOAD, SoakConfig
from tidemark.soak.logs import LogCapture, captured_logs
from tidemark.soak.records import SoakReport

__all__ = [
    "SANDBOX_FAULTS",
    "WEBHOOK_SECRETS",
    "WORKLOAD",
    "LogCapture",
    "SoakConfig",
    "SoakReport",
    "captured_logs",
    "run",
    "soak_runtime",
    "table_items",
]
