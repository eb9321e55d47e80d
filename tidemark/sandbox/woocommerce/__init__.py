"""An in-memory WooCommerce store speaking the REST API v3 (wc/v3) over HTTP.

What it emulates, read off the WooCommerce source (plugins/woocommerce/includes) and the REST API
docs, see CHANNELS.md:

- Products and their variations as WordPress posts: one id sequence, simple and variable products,
  the fields the docs list (sku, global_unique_id, regular_price as a string, manage_stock,
  stock_quantity, stock_status, status, date_modified/_gmt...).
- Collections: `per_page` 1..100 (else 400 `rest_invalid_param`), `page`, `orderby` / `order`
  (default date, desc), `include` (ids, comma separated), `status`, `type`, `sku` (comma
  separated, exact; it finds variations too), the X-WP-Total / X-WP-TotalPages headers and a Link
  header with rel prev / next, as WC_REST_CRUD_Controller::get_items builds it.
- Batches (WC_REST_Controller::batch_items): create / update / delete, at most 100 objects in all
  (else 413 `woocommerce_rest_request_entity_too_large`), HTTP 200 with one entry per item: the
  resource, or `{"id", "error": {"code", "message", "data"}}`.
- Authentication (WC_REST_Authentication): OAuth 1.0a one-legged, parameters in the query,
  HMAC-SHA1 or HMAC-SHA256 verified with oauthlib, the timestamp within 15 minutes, a nonce used
  once; HTTP Basic with the consumer key and secret; the key's read / write permission; and the
  answers WooCommerce gives without valid credentials (`woocommerce_rest_authentication_error`,
  `woocommerce_rest_cannot_view`...). Deviation: real WooCommerce reads Basic credentials only on
  an HTTPS request; the sandbox serves plain HTTP and accepts them anyway.
- An optional host rate limit (token bucket, `rate` requests a second): 429 with Retry-After, as
  hosts and WAFs answer; WooCommerce itself documents no limit.
- The sandbox admin API (admin.py): a merchant's edits and deletions in wp-admin, a shopper's orders
  (stock taken and given back as wc_reduce_stock_levels / wc_increase_stock_levels do for items
  that manage stock), and the faults of faults.py on the REST API.
- Webhooks as WC_Webhook::deliver sends them, signed with the webhook's secret: order.created,
  order.updated, product.updated (variations too) and product.deleted, with the resource as
  `GET /wc/v3/{orders,products}/{id}` answers it (`{"id"}` for a deletion), and the activation ping
  (a form body `webhook_id=N`, unsigned) when the webhook is configured. Deviation: one webhook
  delivers the four topics, where WooCommerce has one webhook (and id) per topic.

The package: records.py, params.py, access.py, store.py, views.py, writing.py, merchant.py,
rest.py (WooStore) and app.py (create_app).
"""

from tidemark.sandbox.woocommerce.app import create_app
from tidemark.sandbox.woocommerce.records import API_ROOT, BATCH_LIMIT, WooError, WooVariant
from tidemark.sandbox.woocommerce.rest import WooStore

__all__ = ["API_ROOT", "BATCH_LIMIT", "WooError", "WooStore", "WooVariant", "create_app"]
