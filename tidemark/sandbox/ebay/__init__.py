"""An in-memory eBay seller account speaking the Sell Inventory API v1 over HTTP.

What it emulates (developer.ebay.com, see ../shared/CHANNELS.md):

- OAuth (access.py): `POST /identity/v1/oauth2/token` with Basic client_id:client_secret and the
  refresh-token grant (user token, sell.inventory scope) or client credentials (application token,
  base scope); tokens last 7,200 s (shortened by tests); OAuth's refusals (`invalid_client` 401,
  `invalid_grant`, `invalid_scope`, `unsupported_grant_type` 400). A call without a valid bearer
  token: 401 errorId 1001; without the scope: 403 errorId 1100.
- Inventory items: `GET /sell/inventory/v1/inventory_item?limit=1..200&offset=` (`inventoryItems`,
  `total`, `size`, `limit`, `href`, `next`, `prev`) and `GET .../inventory_item/{sku}`.
- Offers: `GET .../offer?sku=&marketplace_id=` (a SKU with no offer: 404 errorId 25713), `GET
  .../offer/{offerId}`, `POST .../offer/{offerId}/withdraw` (ends the listing) and `/publish`.
- `POST .../bulk_update_price_quantity`: at most 25 requests, each a SKU's ship-to-home quantity
  and its offers' `availableQuantity` and `price`; HTTP 200 when all succeeded, else 207, with one
  `responses` entry per offer (or per SKU updated without offers): `statusCode`, `sku`, `offerId`,
  `errors [{errorId, domain, category, message, parameters}]`. An unpublished offer, an offer of
  another SKU and a listing past its 250 revisions of the day are refused per entry (errorId 25002).
- The app's daily call quota (`DailyQuota`, 5,000 by default, a window tests shorten): every
  Inventory API call counts, past it 429 errorId 2001 until the reset;
  `GET /developer/analytics/v1_beta/rate_limit/` (getRateLimits) shows count, remaining and reset.
- Error bodies as eBay's REST APIs give them: `{"errors": [{errorId, domain, subdomain, category,
  message, longMessage, parameters}]}`. Where the docs name no errorId for a case the sandbox uses
  25002 ("A user error has occurred") with a message saying what.
- The sandbox admin API (../admin.py) and the shared faults (../faults.py).

Deviations: one store serves one seller and one marketplace's offers; the quota's window starts at
midnight UTC when it is a day long (eBay resets at midnight Pacific).
"""

from tidemark.sandbox.ebay.access import DailyQuota, OAuth
from tidemark.sandbox.ebay.app import create_app
from tidemark.sandbox.ebay.records import BULK_LIMIT, INVENTORY_SCOPE, EbayError
from tidemark.sandbox.ebay.store import EbayStore

__all__ = ["BULK_LIMIT", "INVENTORY_SCOPE", "DailyQuota", "EbayError", "EbayStore", "OAuth", "create_app"]
