"""Online Boutique's frontend (microservices-demo v0.3.7, src/frontend): its pages, from its gRPC backends.

Facts followed: src/frontend/main.go (routes `/` `/product/{id}` `/cart` for GET and HEAD, the POST
forms, `/_healthz` -> "ok", `/robots.txt`, gorilla/mux's `404 page not found` and 405; the backends'
addresses from env *_SERVICE_ADDR); handlers.go and rpc.go (the order of the backend calls per page, the
error page with 500 and `could not retrieve currencies: rpc error: code = ... desc = ...`, ads whose
failure is only logged, at most four recommendations, cookies `shop_currency` (default USD) and
`shop_session-id`); templates/{header,home,product,cart,error,footer}.html (title `Online Boutique`
inside whitespace, `Hot Products`, prices as `$19.99` with the currency's logo, `Uh, oh!`, `HTTP Status:
500 Internal Server Error`, `session-id: X — request-id: Y`, `Pod: NAME`). The markup is ours.
"""

from __future__ import annotations

import random
import re
import urllib.parse
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.images import HttpResponse
from liqo_tutor.sim.images_boutique import REPO, Caller, RpcError

if TYPE_CHECKING:
    from liqo_tutor.sim.store import Obj

__all__ = ["FRONTEND_ENV", "render_money", "serve_frontend"]

_LOGOS = {"USD": "$", "CAD": "$", "JPY": "¥", "EUR": "€", "TRY": "₺", "GBP": "£"}
_STATUS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
_PC, _CUR, _CART = "PRODUCT_CATALOG_SERVICE_ADDR", "CURRENCY_SERVICE_ADDR", "CART_SERVICE_ADDR"
_REC, _SHIP, _AD = "RECOMMENDATION_SERVICE_ADDR", "SHIPPING_SERVICE_ADDR", "AD_SERVICE_ADDR"
FRONTEND_ENV = (_PC, _CUR, _CART, _REC, "CHECKOUT_SERVICE_ADDR", _SHIP, _AD)


def render_money(m: dict[str, Any]) -> str:
    return f"{_LOGOS.get(m['currencyCode'], '$')}{m['units']}.{m['nanos'] // 10000000:02d}"


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


class _Request:
    """One request to the frontend: its caller (the frontend pod), currency and ids."""

    def __init__(self, fe: Caller, headers: dict[str, str]) -> None:
        import uuid

        self.fe = fe
        cookie = next((v for k, v in headers.items() if k.lower() == "cookie"), "")
        cookies = {k.strip(): v for k, _, v in (c.partition("=") for c in cookie.split(";"))}
        self.currency = cookies.get("shop_currency", "USD")
        self.session = cookies.get("shop_session-id") or str(uuid.uuid4())
        self.request_id = str(uuid.uuid4())

    def call(self, context: str, env_key: str, service: str, method: str, req: dict[str, Any]) -> Any:
        try:
            return self.fe.call(env_key, f"hipstershop.{service}", method, req)
        except RpcError as exc:
            raise _PageError(f"{context}: {exc}") from None

    def currencies(self) -> list[str]:
        got = self.call(
            "could not retrieve currencies", _CUR, "CurrencyService", "GetSupportedCurrencies", {}
        )
        return [c for c in got.get("currencyCodes") or [] if c in _LOGOS]

    def price(self, context: str, money: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self.call(context, _CUR, "CurrencyService", "Convert", {"from": money, "toCode": self.currency})
        )

    def cart(self) -> list[dict[str, Any]]:
        got = self.call("could not retrieve cart", _CART, "CartService", "GetCart", {"userId": self.session})
        return list(got.get("items") or [])

    def recommendations(self, ids: list[str]) -> list[dict[str, Any]]:
        req = {"userId": self.session, "productIds": ids}
        got = self.call(
            "failed to get product recommendations", _REC, "RecommendationService", "ListRecommendations", req
        )
        return [
            self.call(
                f"failed to get product recommendations: failed to get recommended product info (#{i})",
                _PC,
                "ProductCatalogService",
                "GetProduct",
                {"id": i},
            )
            for i in got.get("productIds") or []
        ][:4]

    def ad(self, keys: list[str]) -> dict[str, Any] | None:
        try:
            ads = self.fe.call(_AD, "hipstershop.AdService", "GetAds", {"contextKeys": keys})["ads"]
        except RpcError:
            return None  # logged as "failed to retrieve ads", the page goes on
        return dict(random.choice(ads)) if ads else None


class _PageError(Exception):
    pass


def _page(rq: _Request, body: str, currencies: list[str], cart_size: int) -> str:
    options = "".join(
        f'<option value="{c}"{" selected" if c == rq.currency else ""}>{c}</option>' for c in currencies
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n'
        "<title>\n    Online Boutique\n</title>\n</head>\n<body>\n<header>\n"
        f'<a href="/" class="navbar-brand">Online Boutique</a>\n'
        f'<form method="POST" action="/setCurrency"><select name="currency_code">{options}</select></form>\n'
        f'<a href="/cart">Cart ({cart_size})</a>\n</header>\n<main role="main">\n{body}</main>\n'
        f"<footer>\n<small>session-id: {rq.session} — request-id: {rq.request_id}</small><br/>\n"
        f"<small><b>Pod: </b>{_esc(rq.fe.pod['metadata'].get('name', ''))}</small>\n</footer>\n"
        "</body>\n</html>\n"
    )


def _card(p: dict[str, Any], price: str = "") -> str:
    tail = f'<div class="price">{price}</div>' if price else ""
    return f'<div class="product"><a href="/product/{p["id"]}">{_esc(p["name"])}</a>{tail}</div>\n'


def _home(rq: _Request) -> str:
    currencies = rq.currencies()
    products = rq.call("could not retrieve products", _PC, "ProductCatalogService", "ListProducts", {})[
        "products"
    ]
    cart = rq.cart()
    prices = [
        rq.price(f"failed to do currency conversion for product {p['id']}", p["priceUsd"]) for p in products
    ]
    ad = rq.ad([])
    cards = "".join(_card(p, render_money(m)) for p, m in zip(products, prices, strict=True))
    ad_html = (
        f'<div class="ad">Ad: <a href="{ad["redirectUrl"]}">{_esc(ad["text"])}</a></div>\n' if ad else ""
    )
    body = f"<h3>Hot Products</h3>\n{cards}{ad_html}"
    return _page(rq, body, currencies, sum(int(i.get("quantity", 0)) for i in cart))


def _product(rq: _Request, pid: str) -> str:
    p = rq.call("could not retrieve product", _PC, "ProductCatalogService", "GetProduct", {"id": pid})
    currencies = rq.currencies()
    cart = rq.cart()
    price = rq.price("failed to convert currency", p["priceUsd"])
    recs = rq.recommendations([pid])
    ad = rq.ad(list(p.get("categories") or []))
    body = (
        f'<h2>{_esc(p["name"])}</h2>\n<p class="price">{render_money(price)}</p>\n'
        f"<p>Categories: {', '.join(p.get('categories') or [])}</p>\n"
        '<form method="POST" action="/cart"><input type="hidden" name="product_id" value="'
        f'{p["id"]}"><button type="submit">Add To Cart</button></form>\n'
        f"<h3>You May Also Like</h3>\n{''.join(_card(r) for r in recs)}"
        + (f'<div class="ad">Ad: {_esc(ad["text"])}</div>\n' if ad else "")
    )
    return _page(rq, body, currencies, sum(int(i.get("quantity", 0)) for i in cart))


def _cart_page(rq: _Request) -> str:
    currencies = rq.currencies()
    cart = rq.cart()
    recs = rq.recommendations([str(i.get("productId", "")) for i in cart])
    quote = rq.call("failed to get shipping quote", _SHIP, "ShippingService", "GetQuote", {"items": cart})
    shipping = rq.price(
        "failed to get shipping quote: failed to convert currency for shipping cost", quote["costUsd"]
    )
    body = (
        f"<h3>Cart ({len(cart)} items)</h3>\n<p>Shipping: {render_money(shipping)}</p>\n"
        f"<p>Total: {render_money(shipping)}</p>\n<h3>You May Also Like</h3>\n"
        + "".join(_card(r) for r in recs)
    )
    return _page(rq, body, currencies, 0)


def _error_page(rq: _Request, code: int, message: str) -> str:
    body = (
        f"<h1>Uh, oh!</h1>\n<p><strong>HTTP Status:</strong> {code} {_STATUS[code]}</p>\n"
        f'<pre class="border border-danger p-3">{_esc(message)}</pre>\n'
    )
    return _page(rq, body, [], 0)


def _frontend_route(route: str, method: str) -> tuple[str, int] | None:
    """(handler, 0) for a served route and method, ("", 405) for a known route and another method."""
    gets = {"/": "home", "/cart": "cart", "/_healthz": "healthz", "/robots.txt": "robots"}
    posts = {"/cart": "add", "/cart/empty": "empty", "/setCurrency": "currency", "/cart/checkout": "order"}
    name = "product" if re.fullmatch(r"/product/[^/]+", route) else gets.get(route)
    if method in ("GET", "HEAD") and name is not None:
        return name, 0
    if method == "GET" and route == "/logout":
        return "logout", 0
    if method == "POST" and route in posts:
        return posts[route], 0
    if name is not None or route in posts or route == "/logout":
        return "", 405
    return None


def serve_frontend(port: int, method: str, path: str, headers: dict[str, str], pod: Obj) -> HttpResponse:
    route = urllib.parse.urlsplit(path).path
    if headers.get(":protocol"):
        return HttpResponse(505, "unsupported protocol version")  # net/http: an HTTP/2 preface, no h2c
    found = _frontend_route(route, method)
    if found is None:
        return HttpResponse(404, "404 page not found\n", "text/plain; charset=utf-8")
    name, status = found
    if status:
        return HttpResponse(status, "")
    if name == "healthz":
        return HttpResponse(200, "ok", "text/plain; charset=utf-8")
    if name == "robots":
        return HttpResponse(200, "User-agent: *\nDisallow: /", "text/plain; charset=utf-8")
    fe = Caller.of(pod, REPO + "frontend")
    if fe is None:
        return HttpResponse(502, "")
    rq = _Request(fe, headers)
    try:
        if name == "home":
            return HttpResponse(200, _home(rq), "text/html; charset=utf-8")
        if name == "product":
            return HttpResponse(200, _product(rq, route.rsplit("/", 1)[1]), "text/html; charset=utf-8")
        if name == "cart":
            return HttpResponse(200, _cart_page(rq), "text/html; charset=utf-8")
        return HttpResponse(302, "")  # the POST forms and /logout redirect (to / or /cart)
    except _PageError as exc:
        return HttpResponse(500, _error_page(rq, 500, str(exc)), "text/html; charset=utf-8")
