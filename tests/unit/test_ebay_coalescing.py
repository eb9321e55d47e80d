"""eBay's auto-sync pushes coalesced per listing over a window shorter than the push-back queue's
delay (shared/services/autosync.py): a burst of changes is one revision, and none is left out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.domain.channel import Channel, ChannelType
from shared.domain.messages import AutoPushMessage, PushOrigin
from shared.services import autosync

pytestmark = pytest.mark.unit

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_the_window_is_shorter_than_the_push_back_queues_delay() -> None:
    template = yaml.load(TEMPLATE.read_text(), Loader=_Loader)
    delay = template["Resources"]["PushBackQueue"]["Properties"]["DelaySeconds"]
    assert delay == autosync.PUSH_BACK_DELAY_SECONDS
    assert delay > autosync.COALESCE_SECONDS  # the first message of a window is read after it ends


def message(channel: str, skus: list[str]) -> AutoPushMessage:
    return AutoPushMessage(
        id=f"{channel}-{'-'.join(skus)}", channel=channel, origin=PushOrigin.AUTO_SYNC, skus=skus
    )


@pytest.fixture
def two_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    def list_all() -> list[Channel]:
        return [
            Channel.model_construct(name="bay", type=ChannelType.EBAY),
            Channel.model_construct(name="shop", type=ChannelType.SHOPIFY),
        ]

    monkeypatch.setattr(autosync.channels, "list_all", list_all)
    monkeypatch.setattr(autosync, "_types", {})


def test_ebay_pushes_go_one_sku_a_message_with_their_windows_id(
    two_channels: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autosync.time, "time", lambda: 1_000_000.0)
    now, later = autosync._coalesced([(0, message("shop", ["A", "B"])), (0, message("bay", ["A", "B"]))])
    assert [m.channel for _, m in now] == ["shop"]
    assert [(m.channel, m.skus) for _, m in later] == [("bay", ["A"]), ("bay", ["B"])]
    monkeypatch.setattr(autosync.time, "time", lambda: 1_000_003.9)  # the same window
    _, again = autosync._coalesced([(0, message("bay", ["A"]))])
    assert again[0][1].id == later[0][1].id  # the queue drops it as a duplicate
    monkeypatch.setattr(autosync.time, "time", lambda: 1_000_004.0)  # the next window
    _, next_window = autosync._coalesced([(0, message("bay", ["A"]))])
    assert next_window[0][1].id != later[0][1].id
