"""eBay's Platform Notifications (Trading API) at our door: SOAP posts about a seller's sales.

- A post is a SOAP 1.1 envelope, `Content-Type: text/xml`, `SOAPAction:
  "https://developer.ebay.com/notification/<event>"`. The header's
  `RequesterCredentials/NotificationSignature` is base64(MD5(Timestamp + DevID + AppID + CertID)),
  the Timestamp being the body's response element's `Timestamp` as sent (GMT): only the time and the
  app's keys are signed, never the rest of the body. Hence a signature is accepted only within
  WINDOW of its Timestamp, and what the body says of an order is not believed: the worker reads the
  order with getOrder.
- FixedPriceTransaction and AuctionCheckoutComplete carry GetItemTransactions' response: `Item`
  (ItemID) and `TransactionArray/Transaction` (TransactionID, ContainingOrder/OrderID). ItemSold
  (a listing ended after a sale) names no transaction: it is not acted on.
- Parsed with the standard library's expat, any DTD refused: no entity can be declared, so none can
  expand (defusedxml is not a dependency).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.parsers import expat

ORDER_EVENTS = frozenset({"FixedPriceTransaction", "AuctionCheckoutComplete"})
# eBay's delivery is within seconds; a Timestamp further from now than this (either way) is a
# replay of a signature seen before, or a clock to fix.
WINDOW = timedelta(minutes=10)
# A GetItemTransactions notification of one sale is a few kilobytes (eBay's examples: 3 to 10 KB).
MAX_BODY_BYTES = 256 * 1024


class Unreadable(ValueError):
    """The body is not a SOAP envelope of eBay's, or it declares a DTD."""


@dataclass(frozen=True)
class Sale:
    line_item_id: str  # ItemID-TransactionID: eBay's id of the order line, unique over its listings
    order_id: str  # Transaction/ContainingOrder/OrderID ("" when the notification names none)


@dataclass(frozen=True)
class PlatformNotification:
    event: str  # NotificationEventName
    signature: str
    timestamp: str  # as sent: the signature is over this text
    sales: tuple[Sale, ...]


def signature(timestamp: str, dev_id: str, app_id: str, cert_id: str) -> str:
    digest = hashlib.md5((timestamp + dev_id + app_id + cert_id).encode(), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode()


def is_signed(notification: PlatformNotification, dev_id: str, app_id: str, cert_id: str) -> bool:
    """Whether the app's keys signed the notification's Timestamp (compared in constant time)."""
    if not (notification.signature and notification.timestamp and dev_id and app_id and cert_id):
        return False
    expected = signature(notification.timestamp, dev_id, app_id, cert_id).encode()
    return hmac.compare_digest(expected, notification.signature.strip().encode())


def is_recent(timestamp: str, now: datetime) -> bool:
    """Whether the Timestamp (ISO 8601, GMT) is within WINDOW of now."""
    try:
        at = datetime.fromisoformat(timestamp.strip())
    except ValueError:
        return False
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return abs(now - at) <= WINDOW


@dataclass
class _Element:
    name: str  # the local name (namespaces dropped: eBay's documents use one)
    children: list[_Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def child(self, name: str) -> _Element | None:
        return next((c for c in self.children if c.name == name), None)

    def all(self, name: str) -> list[_Element]:
        return [c for c in self.children if c.name == name]

    def find(self, *path: str) -> _Element | None:
        found: _Element | None = self
        for name in path:
            found = found.child(name) if found is not None else None
        return found

    def value(self, *path: str) -> str:
        found = self.find(*path)
        return "".join(found.text).strip() if found is not None else ""


def parse(body: bytes) -> PlatformNotification:
    """The notification's signature, Timestamp, event and sales; Unreadable for anything else."""
    root = _tree(body)
    if root.name != "Envelope":
        raise Unreadable("the body is not a SOAP envelope")
    payload = next(iter((root.child("Body") or _Element("")).children), None)
    if payload is None:
        raise Unreadable("the SOAP body is empty")
    item_id = payload.value("Item", "ItemID")
    transactions = (payload.child("TransactionArray") or _Element("")).all("Transaction")
    sales = tuple(
        Sale(
            t.value("OrderLineItemID") or f"{item_id}-{t.value('TransactionID')}",
            t.value("ContainingOrder", "OrderID"),
        )
        for t in transactions
    )
    return PlatformNotification(
        event=payload.value("NotificationEventName"),
        signature=root.value("Header", "RequesterCredentials", "NotificationSignature"),
        timestamp=payload.value("Timestamp"),
        sales=sales,
    )


def _tree(body: bytes) -> _Element:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    top = _Element("")
    stack = [top]

    def refuse(*_: object) -> None:
        raise Unreadable("the body declares a DTD or an entity: eBay's notifications do not")

    def start(name: str, _attributes: dict[str, str]) -> None:
        element = _Element(name.rpartition(" ")[2])
        stack[-1].children.append(element)
        stack.append(element)

    def end(_name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        stack[-1].text.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(body, True)
    except expat.ExpatError as error:
        raise Unreadable(f"the body is not well-formed XML: {error}") from None
    if not top.children:
        raise Unreadable("the body holds no element")
    return top.children[0]
