"""The Shopify channel client (client.py), with its GraphQL documents and costs (documents.py), its
cost bucket (pacing.py), its bulk catalog reads (bulk.py), and how it reads Shopify's answers
(answers.py) into push results and their fixes (results.py)."""

from shared.channels.shopify.client import ShopifyClient
from shared.channels.shopify.documents import API_VERSION, MUTATION_COST

__all__ = ["API_VERSION", "MUTATION_COST", "ShopifyClient"]
