"""Two concurrent `channels add` of one name (issue 18, part 8a): the loser must change nothing of
the winner's (its secret, its schedule) and answer 409. On moto, the whole local stack."""

from __future__ import annotations

import pytest

from shared.services import channels as channel_service
from shared.services.channels import ChannelAlreadyExists, ChannelRequest
from shared.storage import secrets

pytestmark = pytest.mark.integration

NAME = "race-shop"


def request(stack, webhook_secret: str) -> dict[str, object]:
    shop = stack.sandboxes["shopify"]
    return {
        "name": NAME,
        "type": "shopify",
        "store_url": shop.url,
        "token": shop.credentials["token"],
        "webhook_secret": webhook_secret,
        "allow_insecure_url": True,  # the sandbox serves plain HTTP
    }


def test_the_loser_of_a_race_to_add_a_channel_changes_nothing_and_is_a_conflict(
    stack, api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.add_channel(request(stack, "the-winners-secret"))
    # the loser checked before the winner's channel was saved: it saw no channel of that name
    monkeypatch.setattr(channel_service.channels, "get", lambda name: None)

    with pytest.raises(ChannelAlreadyExists):
        channel_service.add_channel(ChannelRequest.model_validate(request(stack, "the-losers-secret")))

    monkeypatch.undo()
    assert secrets.read_webhook(NAME, fresh=True)["webhook_secret"] == "the-winners-secret"
    assert api.channel(NAME)["name"] == NAME
