"""The subset of Shopify's Admin GraphQL schema the sandbox serves, and the user errors it answers."""

from __future__ import annotations

import functools
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    build_schema,
    parse,
    validate,
)

SCHEMA_SDL = """
directive @idempotent(key: String!) on FIELD

schema {
  query: QueryRoot
  mutation: Mutation
}

scalar DateTime
scalar Money
scalar URL
scalar UnsignedInt64

interface Node {
  id: ID!
}

type QueryRoot {
  shop: Shop!
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  productVariant(id: ID!): ProductVariant
  inventoryItem(id: ID!): InventoryItem
  order(id: ID!): Order
  productVariants(
    first: Int, after: String, last: Int, before: String, query: String
  ): ProductVariantConnection!
  productVariantsCount(query: String, limit: Int = 10000): Count
  locations(
    first: Int, after: String, last: Int, before: String, includeInactive: Boolean = false
  ): LocationConnection!
  bulkOperation(id: ID!): BulkOperation
  currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
}

type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  productVariantsBulkUpdate(
    productId: ID!, variants: [ProductVariantsBulkInput!]!, allowPartialUpdates: Boolean = false
  ): ProductVariantsBulkUpdatePayload
  productUpdate(product: ProductUpdateInput): ProductUpdatePayload
  bulkOperationRunQuery(query: String!, groupObjects: Boolean! = false): BulkOperationRunQueryPayload
}

type Count {
  count: Int!
  precision: CountPrecision!
}

enum CountPrecision {
  AT_LEAST
  EXACT
}

type Shop implements Node {
  id: ID!
  name: String!
  myshopifyDomain: String!
}

enum ProductStatus {
  ACTIVE
  ARCHIVED
  DRAFT
  UNLISTED
}

type Product implements Node {
  id: ID!
  title: String!
  status: ProductStatus!
  updatedAt: DateTime!
  variants(first: Int, after: String, last: Int, before: String): ProductVariantConnection!
}

type ProductVariant implements Node {
  id: ID!
  title: String!
  displayName: String!
  sku: String
  barcode: String
  price: Money!
  inventoryQuantity: Int
  inventoryItem: InventoryItem!
  product: Product!
}

enum OrderCancelReason {
  CUSTOMER
  DECLINED
  FRAUD
  INVENTORY
  OTHER
  STAFF
}

type Order implements Node {
  id: ID!
  name: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  cancelledAt: DateTime
  cancelReason: OrderCancelReason
}

type InventoryItem implements Node {
  id: ID!
  sku: String
  tracked: Boolean!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(first: Int, after: String, last: Int, before: String): InventoryLevelConnection!
}

type InventoryLevel implements Node {
  id: ID!
  item: InventoryItem!
  location: Location!
  quantities(names: [String!]!): [InventoryQuantity!]!
}

type InventoryQuantity implements Node {
  id: ID!
  name: String!
  quantity: Int!
  updatedAt: DateTime
}

type Location implements Node {
  id: ID!
  name: String!
  isActive: Boolean!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type ProductVariantConnection {
  nodes: [ProductVariant!]!
  edges: [ProductVariantEdge!]!
  pageInfo: PageInfo!
}

type ProductVariantEdge {
  cursor: String!
  node: ProductVariant!
}

type LocationConnection {
  nodes: [Location!]!
  edges: [LocationEdge!]!
  pageInfo: PageInfo!
}

type LocationEdge {
  cursor: String!
  node: Location!
}

type InventoryLevelConnection {
  nodes: [InventoryLevel!]!
  edges: [InventoryLevelEdge!]!
  pageInfo: PageInfo!
}

type InventoryLevelEdge {
  cursor: String!
  node: InventoryLevel!
}

input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  quantities: [InventoryQuantityInput!]!
}

input InventoryQuantityInput {
  inventoryItemId: ID!
  locationId: ID!
  quantity: Int!
  changeFromQuantity: Int
}

type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}

type InventoryAdjustmentGroup implements Node {
  id: ID!
  createdAt: DateTime!
  reason: String!
  referenceDocumentUri: String
  changes: [InventoryChange!]!
}

type InventoryChange {
  name: String!
  delta: Int!
  quantityAfterChange: Int
  item: InventoryItem
  location: Location
}

type InventorySetQuantitiesUserError {
  code: InventorySetQuantitiesUserErrorCode
  field: [String!]
  message: String!
}

enum InventorySetQuantitiesUserErrorCode {
  CHANGE_FROM_QUANTITY_STALE
  COMPARE_QUANTITY_REQUIRED
  COMPARE_QUANTITY_STALE
  IDEMPOTENCY_CONCURRENT_REQUEST
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH
  IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
  INVALID_INVENTORY_ITEM
  INVALID_LOCATION
  INVALID_NAME
  INVALID_QUANTITY_NEGATIVE
  INVALID_QUANTITY_TOO_HIGH
  INVALID_QUANTITY_TOO_LOW
  INVALID_REASON
  INVALID_REFERENCE_DOCUMENT
  ITEM_NOT_STOCKED_AT_LOCATION
  NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
  NON_MUTABLE_INVENTORY_ITEM
}

input ProductVariantsBulkInput {
  id: ID
  price: Money
  compareAtPrice: Money
}

type ProductVariantsBulkUpdatePayload {
  product: Product
  productVariants: [ProductVariant!]
  userErrors: [ProductVariantsBulkUpdateUserError!]!
}

type ProductVariantsBulkUpdateUserError {
  code: ProductVariantsBulkUpdateUserErrorCode
  field: [String!]
  message: String!
}

enum ProductVariantsBulkUpdateUserErrorCode {
  GREATER_THAN_OR_EQUAL_TO
  INVALID_INPUT
  MUST_BE_FOR_THIS_PRODUCT
  NEGATIVE_PRICE_VALUE
  PRODUCT_DOES_NOT_EXIST
  PRODUCT_VARIANT_DOES_NOT_EXIST
  PRODUCT_VARIANT_ID_MISSING
}

input ProductUpdateInput {
  id: ID
  title: String
  status: ProductStatus
}

type ProductUpdatePayload {
  product: Product
  userErrors: [UserError!]!
}

type UserError {
  field: [String!]
  message: String!
}

type BulkOperation implements Node {
  id: ID!
  status: BulkOperationStatus!
  errorCode: BulkOperationErrorCode
  objectCount: UnsignedInt64!
  rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64
  url: URL
  partialDataUrl: URL
  query: String!
  type: BulkOperationType!
  createdAt: DateTime!
  completedAt: DateTime
}

enum BulkOperationStatus {
  CANCELED
  CANCELING
  COMPLETED
  CREATED
  EXPIRED
  FAILED
  RUNNING
}

enum BulkOperationErrorCode {
  ACCESS_DENIED
  INTERNAL_SERVER_ERROR
  TIMEOUT
}

enum BulkOperationType {
  MUTATION
  QUERY
}

type BulkOperationRunQueryPayload {
  bulkOperation: BulkOperation
  userErrors: [BulkOperationUserError!]!
}

type BulkOperationUserError {
  code: BulkOperationUserErrorCode
  field: [String!]
  message: String!
}

enum BulkOperationUserErrorCode {
  INVALID
  LIMIT_REACHED
  OPERATION_IN_PROGRESS
}
"""

SCHEMA = build_schema(SCHEMA_SDL)

USER_ERROR_MESSAGES = {
    "CHANGE_FROM_QUANTITY_STALE": "The changeFromQuantity value does not match persisted value.",
    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": (
        "The same idempotency key cannot be used with different operation parameters."
    ),
    "INVALID_INVENTORY_ITEM": "The specified inventory item could not be found.",
    "INVALID_LOCATION": "The specified location could not be found.",
    "INVALID_NAME": "The quantity name must be either 'available' or 'on_hand'.",
    "INVALID_QUANTITY_NEGATIVE": "The quantity can't be negative.",
    "INVALID_QUANTITY_TOO_HIGH": "The total quantity can't be higher than 1,000,000,000.",
    "INVALID_REASON": "The specified reason is invalid.",
    "INVALID_REFERENCE_DOCUMENT": "The specified reference document is invalid.",
    "ITEM_NOT_STOCKED_AT_LOCATION": "The specified inventory item is not stocked at the location.",
    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": (
        "The combination of inventoryItemId and locationId must be unique."
    ),
}
VARIANTS_ERROR_MESSAGES = {
    "INVALID_INPUT": "Input is invalid.",
    "MUST_BE_FOR_THIS_PRODUCT": "Input must be for this product.",
    "NEGATIVE_PRICE_VALUE": "Price cannot take a negative value.",
    "PRODUCT_DOES_NOT_EXIST": "Product does not exist",
    "PRODUCT_VARIANT_DOES_NOT_EXIST": "Product variant does not exist",
    "PRODUCT_VARIANT_ID_MISSING": "Product variant is missing ID attribute.",
}


def user_error(code: str, field: list[str] | None) -> dict[str, Any]:
    return {"code": code, "field": field, "message": USER_ERROR_MESSAGES[code]}


@functools.lru_cache(maxsize=256)
def checked_query(query: str) -> DocumentNode | list[Any]:
    """The parsed query, or the errors that make it invalid. Cached: clients send the same few
    queries over and over, and parsing and validating one costs more than running it."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.formatted]
    errors = validate(SCHEMA, document)
    return [error.formatted for error in errors] if errors else document


def variants_error(code: str, field: list[str]) -> dict[str, Any]:
    return {"code": code, "field": field, "message": VARIANTS_ERROR_MESSAGES[code]}
