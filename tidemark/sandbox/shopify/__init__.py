"""An in-memory Shopify store speaking the Admin GraphQL API 2026-10 over HTTP.

Every request is parsed, validated and executed by graphql-core against a subset of the real
Admin schema (schema.py: real type, field and enum names), and answered with Shopify's limits and
semantics (see CHANNELS.md): calculated query cost (cost.py), a leaky bucket per store (records.py),
the 250-item input limit, the required `@idempotent` directive and compare-and-set on
`inventorySetQuantities`, prices with `productVariantsBulkUpdate`, statuses with `productUpdate`
(mutations.py), and bulk operations (bulk.py) whose JSONL output is served at a signed URL that
honours Range requests (app.py).

The store (store.py, resolvers.py) also plays the merchant and the shoppers (merchant.py: the
sandbox admin API of admin.py), sends the webhooks Shopify sends for every change, in Shopify's REST
webhook shape, and injects faults.
"""

from tidemark.sandbox.shopify.app import create_app
from tidemark.sandbox.shopify.records import (
    API_VERSION,
    BUCKET_SECONDS,
    GRAPHQL_PATH,
    MUTATION_COST,
    PLAN_RESTORE_RATES,
    SandboxVariant,
    gid,
    parse_gid,
)
from tidemark.sandbox.shopify.resolvers import ShopifyStore

__all__ = [
    "API_VERSION",
    "BUCKET_SECONDS",
    "GRAPHQL_PATH",
    "MUTATION_COST",
    "PLAN_RESTORE_RATES",
    "SandboxVariant",
    "ShopifyStore",
    "create_app",
    "gid",
    "parse_gid",
]
