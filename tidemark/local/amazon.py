"""The Amazon sandbox in local mode: a seller account on loopback, its notifications delivered to
the queue the template defines for them (ORDER_CHANGE) and put on the partner event bus whose rule
forwards them to that queue (the listings notifications), as Amazon delivers them to an SQS
destination and an EventBridge partner source."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from tidemark.local.template import ACCOUNT_ID, REGION

log = logging.getLogger(__name__)

SELLER_ID = "A1LOCALSELLER"
MARKETPLACE_ID = "ATVPDKIKX0DER"
# The template's queue for Amazon's notifications (its policy lets Amazon's principal send).
NOTIFICATIONS_QUEUE = "AmazonNotificationsQueue"
# The partner event source SP-API's EventBridge destination makes for the account, and the bus
# associated with it (a partner bus takes its source's name).
PARTNER_EVENT_BUS = f"aws.partner/sellingpartnerapi.amazon.com/{ACCOUNT_ID}/amzn1.sp.solution.sandbox"


def associate_partner_bus() -> dict[str, str]:
    """The partner event source and its bus made in moto, as Amazon and the operator make them before
    the stack is deployed (README); the template's parameters that name the bus."""
    import boto3

    events = boto3.client("events", region_name=REGION)
    events.create_partner_event_source(Name=PARTNER_EVENT_BUS, Account=ACCOUNT_ID)
    events.create_event_bus(Name=PARTNER_EVENT_BUS, EventSourceName=PARTNER_EVENT_BUS)
    return {"AmazonPartnerEventBusName": PARTNER_EVENT_BUS}


def start_amazon(listings: int, seed: int, queue_url: str) -> tuple[str, dict[str, str], Any, Any]:
    """The sandbox's URL, the channel's credentials, the store and its server; its ORDER_CHANGE
    notifications go to `queue_url`."""
    from tidemark.sandbox.amazon import AmazonStore, create_app
    from tidemark.sandbox.server import serve_in_thread

    client_id = f"amzn1.application-oa2-client.{secrets.token_hex(16)}"
    client_secret = f"amzn1.oa2-cs.v1.{secrets.token_hex(24)}"
    refresh_token = f"Atzr|{secrets.token_urlsafe(32)}"
    store = AmazonStore.generate(
        listings, seed=seed, seller_id=SELLER_ID, marketplace_id=MARKETPLACE_ID, deliver=Delivery(queue_url)
    )
    server = serve_in_thread(create_app(store, client_id, client_secret, refresh_token))
    credentials = {
        "seller_id": SELLER_ID,
        "marketplace_id": MARKETPLACE_ID,
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "lwa_url": f"{server.url}/auth/o2/token",
    }
    return server.url, credentials, store, server


class Delivery:
    """Where the sandbox's notifications go in local mode: ORDER_CHANGE to the notifications queue,
    the listings notifications onto the partner event bus, as SP-API's EventBridge destination
    sends them (source the partner event source, detail-type the notification type, detail Amazon's
    envelope); the template's rule on that bus forwards them to the same queue."""

    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url

    def __call__(self, destination: str, message: dict[str, Any]) -> None:
        import boto3

        body = json.dumps(message)
        try:
            if destination == "sqs":
                sqs = boto3.client("sqs", region_name=REGION)
                sqs.send_message(QueueUrl=self._queue_url, MessageBody=body)
            else:
                # not put_partner_events: moto sends those to the default bus, not the associated one
                events = boto3.client("events", region_name=REGION)
                answer = events.put_events(
                    Entries=[
                        {
                            "Source": PARTNER_EVENT_BUS,
                            "DetailType": message["NotificationType"],
                            "Detail": body,
                            "EventBusName": PARTNER_EVENT_BUS,
                        }
                    ]
                )
                if answer.get("FailedEntryCount"):
                    raise RuntimeError(f"EventBridge refused the event: {answer['Entries']}")
        except Exception:  # a lost notification, as Amazon's are sometimes: reconcile finds what it held
            log.exception("the Amazon sandbox could not deliver a %s notification", destination)
