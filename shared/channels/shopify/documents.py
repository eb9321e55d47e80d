"""Shopify's GraphQL documents as Tidemark sends them, and what each costs."""

from __future__ import annotations

API_VERSION = "2026-10"
MAX_QUERY_COST = 1000
# Shopify's calculated cost of one catalog node: the variant 1, its inventory item 1, the
# inventoryLevels(first: 1) connection 2 + 1 x (level, location, quantities) = 5, its product 1.
CATALOG_COST_PER_VARIANT = 8
# productVariants(first: 250) with that selection would cost 2 + 250 x 8 = 2002, and Shopify
# refuses any query above 1000: 124 variants a page is the most one query may read.
CATALOG_PAGE_SIZE = (MAX_QUERY_COST - 2) // CATALOG_COST_PER_VARIANT
MUTATION_COST = 10
AVAILABLE_COST_PER_ITEM = 3  # the item, its level, its quantities
READ_COST_PER_VARIANT = 3  # the variant, its inventory item, its product
READ_COST_PER_LEVEL = 2  # the level at one location read, its quantities
# Half the 1000-point cap: a chunk Shopify costs a little higher than this count is still never refused.
READ_VARIANTS_CHUNK = MAX_QUERY_COST // 2 // (READ_COST_PER_VARIANT + READ_COST_PER_LEVEL)

CHECK_ACCESS_QUERY = "query TidemarkCheckAccess { shop { name } }"

CATALOG_QUERY = """
query TidemarkCatalogPage($first: Int!, $cursor: String) {
  productVariants(first: $first, after: $cursor) {
    nodes {
      id
      sku
      barcode
      price
      inventoryQuantity
      inventoryItem {
        id
        inventoryLevels(first: 1) {
          nodes {
            location { id }
            quantities(names: ["available"]) { name quantity }
          }
        }
      }
      product { id status }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

SET_QUANTITIES_MUTATION = """
mutation TidemarkSetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { createdAt referenceDocumentUri }
    userErrors { code field message }
  }
}
"""


def read_variants_query(locations: int) -> str:
    """The variants with these ids, each with its level at every location given (`$l0`, `$l1`, ...),
    in one query: reading more locations costs points, not calls."""
    names = [f"l{index}" for index in range(locations)]
    arguments = "".join(f", ${name}: ID!" for name in names)
    levels = "".join(
        f"""
        {name}: inventoryLevel(locationId: ${name}) {{
          quantities(names: ["available"]) {{ name quantity }}
        }}"""
        for name in names
    )
    return f"""
query TidemarkReadVariants($ids: [ID!]!{arguments}) {{
  nodes(ids: $ids) {{
    ... on ProductVariant {{
      id
      sku
      barcode
      price
      inventoryQuantity
      inventoryItem {{
        id{levels}
      }}
      product {{ id status }}
    }}
  }}
}}
"""


SET_PRICES_MUTATION = """
mutation TidemarkSetPrices($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants, allowPartialUpdates: true) {
    productVariants { id price }
    userErrors { code field message }
  }
}
"""

SET_STATUS_MUTATION = """
mutation TidemarkSetStatus($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id status }
    userErrors { field message }
  }
}
"""

# Shopify allows at most 2,048 variants a product; the first 250 are what one page holds.
PRODUCT_SKUS_QUERY = """
query TidemarkProductSkus($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Product { id variants(first: 250) { nodes { sku } } } }
}
"""
PRODUCT_SKUS_COST = 252  # the product and a page of 250 variants: Shopify's requested cost
PRODUCT_SKUS_CHUNK = MAX_QUERY_COST // 2 // PRODUCT_SKUS_COST

# An order cancelled on Shopify holds its cancel's time. Needs the read_orders scope (the orders
# webhooks need it too); an order older than 60 days reads as null without read_all_orders.
READ_ORDER_QUERY = """
query TidemarkReadOrder($id: ID!) {
  order(id: $id) { id cancelledAt }
}
"""
READ_ORDER_COST = 1  # the order object; its scalars are free

VARIANT_COUNT_QUERY = """
query TidemarkVariantCount($limit: Int) {
  productVariantsCount(limit: $limit) { count precision }
}
"""

# A bulk query takes no page sizes: Shopify reads every connection whole.
BULK_CATALOG_QUERY = """
{
  productVariants {
    edges {
      node {
        id
        sku
        barcode
        price
        inventoryQuantity
        inventoryItem {
          id
          inventoryLevels {
            edges {
              node {
                location { id }
                quantities(names: ["available"]) { name quantity }
              }
            }
          }
        }
        product { id status }
      }
    }
  }
}
"""

RUN_BULK_QUERY_MUTATION = """
mutation TidemarkBulkCatalog($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { code field message }
  }
}
"""

CURRENT_BULK_OPERATION_QUERY = """
query TidemarkCurrentBulkOperation {
  currentBulkOperation(type: QUERY) { id status query }
}
"""

BULK_OPERATION_QUERY = """
query TidemarkBulkOperation($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount url }
  }
}
"""

AVAILABLE_AT_LOCATION_QUERY = """
query TidemarkAvailable($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""

LOCATIONS_PAGE_SIZE = 250
LOCATIONS_QUERY = """
query TidemarkLocations($first: Int!, $cursor: String) {
  locations(first: $first, after: $cursor) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}
"""
