"""Examples of the convergence state machine (test_sync_convergence.py) replayed step by step: each
one an interleaving whose outcome once hung on the machine's speed, made to happen every time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.job import JobKind, JobStatus, SyncMode
from shared.domain.link import SyncState
from shared.services.jobs import cancel
from shared.storage import links, listings
from tests.integration.test_sync_convergence import CHANNEL, SyncConvergence, deployed, front_door

pytestmark = pytest.mark.integration

__all__ = ["deployed", "front_door"]  # the convergence module's fixtures, used here by name


def test_a_cancelled_reconcile_reads_nothing_and_a_push_leaves_the_hand_edited_price(deployed, front_door):
    """CI once failed on ('SKU-00010', 3.08, 99.99) right after a push: the machine took the shard
    steps of a reconcile cancelled before them as reads of the channel, so it expected a price edited
    there by hand to be master's after a push, which sends only prices that differ from what
    Tidemark last saw there. It showed only when a smart sync planned that SKU (when the example's
    set-up ran within the smart overlap, on a fast machine); a selected sync plans it every time."""
    machine = SyncConvergence(*front_door)
    machine.set_up(
        hidden=set(),
        seed=284,
        cents=[448, 5018, 2254, 493, 6239, 817, 1637, 4235, 9824, 9999, 357, 502, 203, 1365, 5741, 627],
        stock=[30, 23, 2, 11, 43, 39, 47, 1, 43, 27, 7, 44, 38, 7, 31, 23],
        synced=True,
    )
    machine.edit_on_channel(sku="SKU-00010", edit={"price": Decimal("3.08")})
    machine.start_reconcile()
    (reconcile,) = (e for e in machine.executions.values() if e.kind is JobKind.RECONCILE)
    machine._step(reconcile, max)  # it begins
    assert cancel(reconcile.job_id).job.status is JobStatus.CANCELLED
    machine.open_jobs.remove(reconcile.job_id)
    while not reconcile.done:
        machine._step(reconcile, max)  # its shards, which read nothing now, then its end
    link = links.get_many(CHANNEL, ["SKU-00010"])["SKU-00010"]
    assert (link.sync_state, link.last_observed_price) == (SyncState.IN_SYNC, Decimal("99.99")), link
    assert "SKU-00010" in machine.price_unseen

    machine.start_sync(mode=SyncMode.SELECTED, dry_run=False, skus=["SKU-00010"])
    machine._settle()  # checks every push as it goes
    (variant,) = (v for v in machine.store.variants() if v.sku == "SKU-00010")
    master = listings.get_many(["SKU-00010"])["SKU-00010"]
    assert (variant.quantity, variant.price) == (master.syncable_balance, Decimal("3.08"))
    machine.teardown()  # the final reconcile reads the edit, and the partial sync puts master's back
    (variant,) = (v for v in machine.store.variants() if v.sku == "SKU-00010")
    assert variant.price == master.price == Decimal("99.99")
