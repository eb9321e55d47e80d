"""The store's items and orders as the REST API and the webhooks show them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tidemark.sandbox.woocommerce.records import API_ROOT, WC_VERSION, Order, Post, local_time, slug
from tidemark.sandbox.woocommerce.store import StoreState


class StoreViews(StoreState):
    """What GET answers, and webhooks carry."""

    # -- views --------------------------------------------------------------------------------

    def _common_view(self, post: Post) -> dict[str, Any]:
        price = post.sale_price or post.regular_price
        return {
            "id": post.id,
            "date_created": local_time(post.date_created),
            "date_created_gmt": local_time(post.date_created),  # the site's timezone is UTC
            "date_modified": local_time(post.date_modified),
            "date_modified_gmt": local_time(post.date_modified),
            "sku": post.sku,
            "global_unique_id": post.global_unique_id,
            "price": price,
            "regular_price": post.regular_price,
            "sale_price": post.sale_price,
            "on_sale": bool(post.sale_price),
            "status": post.status,
            "purchasable": post.type != "variable" and bool(price),
            "virtual": False,
            "downloadable": False,
            "tax_status": "taxable",
            "tax_class": "",
            "manage_stock": post.manage_stock,
            "stock_quantity": post.stock_quantity,
            "stock_status": post.stock_status,
            "backorders": "no",
            "backorders_allowed": False,
            "backordered": False,
            "menu_order": 0,
            "meta_data": [],
        }

    def _product_view(self, post: Post, root: str) -> dict[str, Any]:
        view = {
            "id": post.id,
            "name": post.name,
            "slug": slug(post.name),
            "permalink": f"{root}/product/{slug(post.name)}/",
            "type": post.type,
            "featured": False,
            "catalog_visibility": "visible",
            "description": "",
            "short_description": "",
            **self._common_view(post),
            "total_sales": 0,
            "parent_id": post.parent_id,
            "attributes": self._attributes(post),
            "default_attributes": [],
            "variations": list(post.variation_ids),
            "grouped_products": [],
        }
        view["_links"] = {
            "self": [{"href": f"{root}{API_ROOT}/products/{post.id}"}],
            "collection": [{"href": f"{root}{API_ROOT}/products"}],
        }
        return view

    def _variation_view(self, post: Post, root: str) -> dict[str, Any]:
        parent = self._posts.get(post.parent_id)
        base = f"{root}{API_ROOT}/products/{post.parent_id}"
        view = {
            "id": post.id,
            "description": "",
            "permalink": f"{root}/product/{slug(parent.name if parent else post.name)}/"
            f"?attribute_size={post.option}",
            **self._common_view(post),
            "attributes": [{"id": 0, "name": "Size", "option": post.option}],
        }
        view["_links"] = {
            "self": [{"href": f"{base}/variations/{post.id}"}],
            "collection": [{"href": f"{base}/variations"}],
            "up": [{"href": base}],
        }
        return view

    def _attributes(self, post: Post) -> list[dict[str, Any]]:
        if post.type == "variation":
            return [{"id": 0, "name": "Size", "option": post.option}]
        if post.type != "variable":
            return []
        options = [self._posts[child].option for child in post.variation_ids if child in self._posts]
        return [
            {"id": 0, "name": "Size", "position": 0, "visible": True, "variation": True, "options": options}
        ]

    def _order_view(self, order: Order) -> dict[str, Any]:
        """An order as GET /wc/v3/orders/{id} answers it: a guest's, paid cash on delivery, no tax."""
        root = self.url.rstrip("/")
        total = sum((line.price * line.quantity for line in order.lines), Decimal(0))
        created, modified = local_time(order.date_created), local_time(order.date_modified)
        address = {
            "first_name": "Sandbox",
            "last_name": "Shopper",
            "company": "",
            "address_1": "1 Harbour Road",
            "address_2": "",
            "city": "Portsmouth",
            "state": "",
            "postcode": "PO1 1AA",
            "country": "GB",
        }
        return {
            "id": order.id,
            "parent_id": 0,
            "number": str(order.id),
            "order_key": order.key,
            "created_via": "checkout",
            "version": WC_VERSION,
            "status": order.status,
            "currency": "USD",
            "date_created": created,
            "date_created_gmt": created,
            "date_modified": modified,
            "date_modified_gmt": modified,
            "discount_total": "0.00",
            "discount_tax": "0.00",
            "shipping_total": "0.00",
            "shipping_tax": "0.00",
            "cart_tax": "0.00",
            "total": f"{total:.2f}",
            "total_tax": "0.00",
            "prices_include_tax": False,
            "customer_id": 0,
            "customer_note": "",
            "billing": {**address, "email": "shopper@example.com", "phone": ""},
            "shipping": address,
            "payment_method": "cod",
            "payment_method_title": "Cash on delivery",
            "transaction_id": "",
            "date_paid": created,
            "date_paid_gmt": created,
            "date_completed": None,
            "date_completed_gmt": None,
            "meta_data": [],
            "line_items": [
                {
                    "id": line.id,
                    "name": line.name,
                    "product_id": line.product_id,
                    "variation_id": line.variation_id,
                    "quantity": line.quantity,
                    "tax_class": "",
                    "subtotal": f"{line.price * line.quantity:.2f}",
                    "subtotal_tax": "0.00",
                    "total": f"{line.price * line.quantity:.2f}",
                    "total_tax": "0.00",
                    "taxes": [],
                    "meta_data": [],
                    "sku": line.sku,
                    "price": float(line.price),
                }
                for line in order.lines
            ],
            "tax_lines": [],
            "shipping_lines": [],
            "fee_lines": [],
            "coupon_lines": [],
            "refunds": [],
            "_links": {
                "self": [{"href": f"{root}{API_ROOT}/orders/{order.id}"}],
                "collection": [{"href": f"{root}{API_ROOT}/orders"}],
            },
        }
