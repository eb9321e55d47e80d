"""The sandbox's Platform Notifications (Trading API): a FixedPriceTransaction per order line, a SOAP
post signed as eBay signs it.

- `subscribe(url, dev_id, app_id, cert_id)` does what SetNotificationPreferences does with
  `ApplicationDeliveryPreferences.ApplicationURL` and `FixedPriceTransaction` enabled: the app's
  keyset (DevID, AppID = client id, CertID = client secret) signs what goes there.
- A post: `Content-Type: text/xml; charset="utf-8"`, `SOAPAction:
  "https://developer.ebay.com/notification/FixedPriceTransaction"`, a SOAP 1.1 envelope whose header
  holds `ebl:RequesterCredentials/ebl:NotificationSignature` = base64(MD5(Timestamp + DevID + AppID
  + CertID)) and whose body is GetItemTransactions' response: Timestamp, NotificationEventName,
  RecipientUserID, `Item` (ItemID, SKU) and one `TransactionArray/Transaction` (TransactionID,
  OrderLineItemID = ItemID-TransactionID, QuantityPurchased, ContainingOrder/OrderID).
- Deliveries go through the shared sender (../webhooks.py): at least once, drops, duplicates,
  reorders and retries on request; a retry is the same post, its Timestamp and signature included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from shared.channels.ebay.platform import signature
from tidemark.sandbox.ebay.records import Order, OrderLine
from tidemark.sandbox.faults import Faults
from tidemark.sandbox.webhooks import WebhookSender

EVENT = "FixedPriceTransaction"
SELLER = "tidemark-sandbox-seller"

_ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Header>
  <ebl:RequesterCredentials soapenv:mustUnderstand="0" xmlns:ns="urn:ebay:apis:eBLBaseComponents" \
xmlns:ebl="urn:ebay:apis:eBLBaseComponents">
   <ebl:NotificationSignature xmlns:ebl="urn:ebay:apis:eBLBaseComponents">{signature}\
</ebl:NotificationSignature>
  </ebl:RequesterCredentials>
 </soapenv:Header>
 <soapenv:Body>
  <GetItemTransactionsResponse xmlns="urn:ebay:apis:eBLBaseComponents">
   <Timestamp>{timestamp}</Timestamp>
   <Ack>Success</Ack>
   <Version>1423</Version>
   <NotificationEventName>{event}</NotificationEventName>
   <RecipientUserID>{seller}</RecipientUserID>
   <PaginationResult><TotalNumberOfPages>1</TotalNumberOfPages><TotalNumberOfEntries>1</TotalNumberOfEntries>\
</PaginationResult>
   <HasMoreTransactions>false</HasMoreTransactions>
   <ReturnedTransactionCountActual>1</ReturnedTransactionCountActual>
   <Item>
    <ItemID>{item_id}</ItemID>
    <ListingType>FixedPriceItem</ListingType>
    <SKU>{sku}</SKU>
   </Item>
   <TransactionArray>
    <Transaction>
     <CreatedDate>{created}</CreatedDate>
     <QuantityPurchased>{quantity}</QuantityPurchased>
     <TransactionID>{transaction_id}</TransactionID>
     <OrderLineItemID>{item_id}-{transaction_id}</OrderLineItemID>
     <ContainingOrder><OrderID>{order_id}</OrderID></ContainingOrder>
    </Transaction>
   </TransactionArray>
  </GetItemTransactionsResponse>
 </soapenv:Body>
</soapenv:Envelope>
"""


def envelope(order: Order, line: OrderLine, timestamp: str, signature: str, event: str = EVENT) -> bytes:
    """One order line's notification, as eBay posts it."""
    values = {
        "signature": signature,
        "timestamp": timestamp,
        "event": event,
        "seller": SELLER,
        "item_id": line.offer.listing_id,
        "sku": line.sku,
        "created": order.created,
        "quantity": str(line.quantity),
        "transaction_id": line.line_item_id,
        "order_id": order.order_id,
    }
    return _ENVELOPE.format(**{k: escape(v) for k, v in values.items()}).encode()


def now() -> str:
    """eBay's GMT timestamp, to the millisecond."""
    at = datetime.now(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class PlatformNotifier:
    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._keys: tuple[str, str, str] | None = None
        self.sender: WebhookSender | None = None

    def subscribe(self, url: str, dev_id: str, app_id: str, cert_id: str) -> None:
        """SetNotificationPreferences: send the app's notifications to `url`, signed with its keyset."""
        self.close()
        self._keys = (dev_id, app_id, cert_id)
        self.sender = WebhookSender(
            url,
            "",
            lambda topic, _body, _signature: {
                "SOAPAction": f'"https://developer.ebay.com/notification/{topic}"'
            },
            self._faults,
        )

    def send_order(self, order: Order) -> None:
        """One FixedPriceTransaction per line of the order (nothing before a subscription)."""
        if self.sender is None or self._keys is None:
            return
        for line in order.lines:
            timestamp = now()
            body = envelope(order, line, timestamp, signature(timestamp, *self._keys))
            self.sender.send(EVENT, body, content_type='text/xml; charset="utf-8"')

    def close(self) -> None:
        sender, self.sender = self.sender, None
        if sender is not None:
            sender.flush()
            sender.close()
