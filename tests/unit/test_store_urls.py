"""Which store URLs a channel takes: Shopify's own https host, WooCommerce on https, anything only
when the operator allows it for a store of their own."""

import pytest

from shared.domain.channel import ChannelType, store_host, store_url_problem

pytestmark = pytest.mark.unit
SHOPIFY, WOO = ChannelType.SHOPIFY, ChannelType.WOOCOMMERCE


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        (SHOPIFY, "https://main-shop.myshopify.com"),
        (SHOPIFY, "https://main-shop.myshopify.com:443/"),
        (WOO, "https://shop.example.com"),
        (WOO, "https://example.com/wordpress"),
    ],
)
def test_a_stores_own_https_address_is_taken(kind, url):
    assert store_url_problem(kind, url, allow_insecure_url=False) is None


@pytest.mark.parametrize(
    ("kind", "url", "hint"),
    [
        (SHOPIFY, "http://main-shop.myshopify.com", "https"),
        (SHOPIFY, "https://shop.example.com", "myshopify.com"),
        (SHOPIFY, "https://main-shop.myshopify.com.evil.example", "myshopify.com"),
        (SHOPIFY, "https://main-shop.myshopify.com:8443", "myshopify.com"),
        (SHOPIFY, "https://127.0.0.1:8000", "myshopify.com"),
        (WOO, "http://shop.example.com", "https"),
        (WOO, "https://shop.example.com:99999", "65535"),
    ],
)
def test_any_other_is_refused_with_the_fix(kind, url, hint):
    problem = store_url_problem(kind, url, allow_insecure_url=False)
    assert problem is not None
    assert hint in problem


def test_a_store_of_ones_own_may_be_on_http_anywhere():
    for kind in (SHOPIFY, WOO):
        assert store_url_problem(kind, "http://127.0.0.1:8123", allow_insecure_url=True) is None
    assert "65535" in (store_url_problem(WOO, "http://h:70000", allow_insecure_url=True) or "")


def test_the_host_is_scheme_host_and_port():
    assert store_host("https://A.myshopify.com/") == store_host("https://a.myshopify.com:443/admin")
    assert store_host("http://127.0.0.1:8000") != store_host("http://127.0.0.1:8001")
    assert store_host("http://shop.example") != store_host("https://shop.example")
