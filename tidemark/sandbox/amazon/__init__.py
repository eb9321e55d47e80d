"""An in-memory Amazon seller account speaking the Selling Partner API over HTTP.

What it emulates (CHANNELS.md; the amzn/selling-partner-api-models schemas, Listings Items
2021-08-01 and Feeds 2021-06-30):

- Login with Amazon's token endpoint (access.py): the refresh-token grant, its errors, access
  tokens that expire (`token_seconds`, shortened by tests), `x-amz-access-token` checked on every
  call (403 Unauthorized when missing, unknown, expired or another seller's).
- Usage plans per operation and seller (records.USAGE_PLANS): token buckets, 429 QuotaExceeded,
  `x-amzn-RateLimit-Limit` on every answer.
- Listings Items: searchListingsItems (pageSize 1..20, pageToken, identifiers, sorting, at most
  1,000 items paged through by one search), getListingsItem, patchListingsItem (JSON Patch on
  fulfillment_availability and purchasable_offer, VALIDATION_PREVIEW) and deleteListingsItem.
  Deviation: a patch is applied when answered ACCEPTED, where Amazon applies it within minutes.
- Feeds: createFeedDocument, the presigned PUT, createFeed (JSON_LISTINGS_FEED only; the retired
  XML and flat-file feeds refused), getFeed moving IN_QUEUE -> IN_PROGRESS -> DONE or FATAL over
  `feed_seconds`, the processing report (issues per messageId, summary), at most 25,000 messages
  and 10 MiB a feed.
- Errors as `{"errors": [{"code", "message", "details"}]}`; faults of faults.py on request.
- Notifications (no HTTP webhooks, no signature): ORDER_CHANGE to the "sqs" destination and
  LISTINGS_ITEM_MFN_QUANTITY_CHANGE / LISTINGS_ITEM_STATUS_CHANGE to "eventbridge", in Amazon's
  envelope with a NotificationId; at least once (webhook_duplicate sends one twice).
- The sandbox admin API (admin.py): Seller Central edits, a shopper's orders and cancellations.
"""

from tidemark.sandbox.amazon.app import create_app
from tidemark.sandbox.amazon.records import US_MARKETPLACE, SpApiError
from tidemark.sandbox.amazon.store import AmazonStore

__all__ = ["US_MARKETPLACE", "AmazonStore", "SpApiError", "create_app"]
