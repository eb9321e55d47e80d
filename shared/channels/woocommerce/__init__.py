"""The WooCommerce channel client (client.py), with its authentication (auth.py), its adaptive pacing
(pacing.py), and how it reads WooCommerce's answers (answers.py)."""

from shared.channels.woocommerce.client import WooCommerceClient

__all__ = ["WooCommerceClient"]
