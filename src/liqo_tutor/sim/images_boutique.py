"""Online Boutique (GoogleCloudPlatform/microservices-demo v0.3.7) and redis: Liqo's quick-start demo.

Facts followed (microservices-demo at v0.3.7; the frontend is sim/images_boutique_frontend.py):
- src/productcatalogservice/products.json (ids, names, prices, categories) and server.go (PORT, default
  3550; NotFound `no product with ID X`); src/currencyservice/data/currency_conversion.json (EUR-based
  rates) and server.js (conversion through EUR); src/shippingservice/quote.go (always 8.99 USD);
  src/adservice/src/main/java/hipstershop/AdService.java (ads per category); src/cartservice/src
  (Startup.cs: no REDIS_ADDR means a local store; RedisCartStore.cs: unreachable redis gives
  FailedPrecondition `Can't access cart storage. ...`; Dockerfile: ASPNETCORE_URLS http://*:7070);
  src/recommendationservice/recommendation_server.py (up to five other products from the catalog);
  each service's PORT env and default, its log lines, and its Dockerfile (alpine, Debian or node-alpine
  base, ENTRYPOINT, /bin/grpc_health_probe v0.4.11 in every image but the frontend and loadgenerator).
- Every backend speaks gRPC (HTTP/2 only): a plain HTTP/1 client connects and reads the server's
  preface, which is not HTTP/1 (curl: exit 1, `Received HTTP/0.9 when not allowed`); redis answers
  RESP likewise. grpc-health-probe v0.4.11: `status: SERVING`; nothing listening: `timeout: failed to
  connect service ":N" within 1s`, exit 2.
- redis (redis:7.0-alpine, redis:alpine): redis-server on 6379; `redis-cli [-h H] [-p P] ping` -> PONG,
  `Could not connect to Redis at H:P: Connection refused` (exit 1).
- src/loadgenerator: `locust --headless` 1.6.0 against http://$FRONTEND_ADDR, listening on no port.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.images import Behaviour, HttpResponse, ImageFs, register_image

if TYPE_CHECKING:
    from liqo_tutor.sim.shell import Result, Shell
    from liqo_tutor.sim.store import Cluster, Obj, World

__all__ = ["CURRENCY_RATES", "PRODUCTS", "REPO", "register"]

REPO = "gcr.io/google-samples/microservices-demo/"
TAG = "v0.3.7"
# HTTP/2 server preface (an empty SETTINGS frame): what an HTTP/1 client reads from a gRPC server.
_H2_PREFACE = "\x00\x00\x00\x04\x00\x00\x00\x00\x00"
_GRPC = {":protocol": "grpc"}  # marks an internal gRPC call (no HTTP/1 header can start with ':')


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    units: int
    nanos: int
    categories: tuple[str, ...]

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "priceUsd": _money("USD", self.units, self.nanos),
            "categories": list(self.categories),
        }


PRODUCTS = (
    Product("OLJCESPC7Z", "Sunglasses", 19, 990000000, ("accessories",)),
    Product("66VCHSJNUP", "Tank Top", 18, 990000000, ("clothing", "tops")),
    Product("1YMWWN1N4O", "Watch", 109, 990000000, ("accessories",)),
    Product("L9ECAV7KIM", "Loafers", 89, 990000000, ("footwear",)),
    Product("2ZYFJ3GM2N", "Hairdryer", 24, 990000000, ("hair", "beauty")),
    Product("0PUK6V6EV0", "Candle Holder", 18, 990000000, ("decor", "home")),
    Product("LS4PSXUNUM", "Salt & Pepper Shakers", 18, 490000000, ("kitchen",)),
    Product("9SIQT8TOJO", "Bamboo Glass Jar", 5, 490000000, ("kitchen",)),
    Product("6E92ZMYYFZ", "Mug", 8, 990000000, ("kitchen",)),
)
# The frontend's whitelist, with currencyservice's EUR-based rates for them.
CURRENCY_RATES = {"EUR": 1.0, "USD": 1.1305, "JPY": 126.40, "GBP": 0.85970, "TRY": 6.1247, "CAD": 1.5128}
_ADS = {
    "hair": [("/product/2ZYFJ3GM2N", "Hairdryer for sale. 50% off.")],
    "clothing": [("/product/66VCHSJNUP", "Tank top for sale. 20% off.")],
    "accessories": [("/product/1YMWWN1N4O", "Watch for sale. Buy one, get second kit for free")],
    "footwear": [("/product/L9ECAV7KIM", "Loafers for sale. Buy one, get second one for free")],
    "decor": [("/product/0PUK6V6EV0", "Candle holder for sale. 30% off.")],
    "kitchen": [
        ("/product/9SIQT8TOJO", "Bamboo glass jar for sale. 10% off."),
        ("/product/6E92ZMYYFZ", "Mug for sale. Buy two, get third one for free"),
    ],
}
_CODES = (
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
)
UNAVAILABLE, NOT_FOUND, FAILED_PRECONDITION, UNIMPLEMENTED = 14, 5, 9, 12


def _money(code: str, units: int, nanos: int) -> dict[str, Any]:
    return {"currencyCode": code, "units": units, "nanos": nanos}


class RpcError(Exception):
    def __init__(self, code: int, desc: str) -> None:
        super().__init__(f"rpc error: code = {_CODES[code]} desc = {desc}")
        self.code = code


# --- where a serving pod lives, and calls from it to other pods -------------------------------------


@dataclass
class Caller:
    """The pod a server runs in, as seen from its cluster (for DNS and the Services it calls)."""

    world: World
    cluster: Cluster
    pod: Obj
    env: dict[str, str]

    @classmethod
    def of(cls, pod: Obj, repo: str) -> Caller | None:
        from liqo_tutor.sim.images import image_repo, serving

        where = serving()
        if where is None or where[1] not in where[0].clusters:
            return None
        env: dict[str, str] = {}
        for c in (pod.get("spec") or {}).get("containers") or []:
            if image_repo(c.get("image", "")) == repo:
                env = {e["name"]: str(e["value"]) for e in c.get("env") or [] if "value" in e}
                break
        return cls(where[0], where[0].clusters[where[1]], pod, env)

    def call(self, env_key: str, service: str, method: str, request: dict[str, Any]) -> Any:
        """One unary gRPC call to the address in env `env_key`; raises RpcError like grpc-go's client."""
        from liqo_tutor.sim import images

        addr = self.env.get(env_key, "")
        host, _, port_text = addr.rpartition(":")
        ns = self.pod["metadata"].get("namespace", "default")
        ip = images.resolve_host(self.cluster, ns, host) if port_text.isdigit() else None
        if ip is None:
            dns = self.cluster.objects.get("services", {}).get(("kube-system", "kube-dns"), {})
            server = (dns.get("spec") or {}).get("clusterIP", "10.96.0.10")
            raise RpcError(
                UNAVAILABLE,
                f'connection error: desc = "transport: Error while dialing dial tcp: '
                f'lookup {host} on {server}:53: no such host"',
            )
        headers = {**_GRPC, "grpc-request": json.dumps(request)}
        conn = images.http_get(self.world, self.cluster, ip, int(port_text), f"/{service}/{method}", headers)
        if not conn.ok or conn.response is None:
            raise RpcError(
                UNAVAILABLE,
                f'connection error: desc = "transport: Error while dialing dial tcp '
                f'{ip}:{port_text}: connect: connection refused"',
            )
        if conn.response.content_type != "application/grpc":  # an HTTP/1 server's reply read as a frame
            raise RpcError(
                UNAVAILABLE, 'connection error: desc = "error reading server preface: http2: frame too large"'
            )
        answer = json.loads(conn.response.body)
        if answer["code"]:
            raise RpcError(int(answer["code"]), str(answer["message"]))
        return answer["data"]


def _grpc_answer(code: int = 0, message: str = "", data: Any = None) -> HttpResponse:
    return HttpResponse(200, json.dumps({"code": code, "message": message, "data": data}), "application/grpc")


# --- the gRPC services ----------------------------------------------------------------------------

Handler = Callable[[str, dict[str, Any], "Obj"], Any]


def _catalog(method: str, req: dict[str, Any], pod: Obj) -> Any:
    if method == "ListProducts":
        return {"products": [p.view() for p in PRODUCTS]}
    if method == "GetProduct":
        found = next((p for p in PRODUCTS if p.id == req.get("id")), None)
        if found is None:
            raise RpcError(NOT_FOUND, f"no product with ID {req.get('id', '')}")
        return found.view()
    if method == "SearchProducts":
        q = str(req.get("query", "")).lower()
        return {"results": [p.view() for p in PRODUCTS if q in p.name.lower()]}
    raise RpcError(UNIMPLEMENTED, f"unknown method {method} for service hipstershop.ProductCatalogService")


def convert(amount: dict[str, Any], to_code: str) -> dict[str, Any]:
    """currencyservice's Convert: to euros (nanos rounded), then to `to_code` (floored)."""
    rate_from, rate_to = CURRENCY_RATES[amount["currencyCode"]], CURRENCY_RATES[to_code]

    def carry(units: float, nanos: float) -> tuple[float, float]:
        nanos += (units % 1) * 1e9
        return float(int(units) + nanos // 1e9), nanos % 1e9

    units, nanos = carry(amount["units"] / rate_from, amount["nanos"] / rate_from)
    units, nanos = carry(units * rate_to, round(nanos) * rate_to)
    return _money(to_code, int(units), int(nanos))


def _currency(method: str, req: dict[str, Any], pod: Obj) -> Any:
    if method == "GetSupportedCurrencies":
        return {"currencyCodes": sorted(CURRENCY_RATES)}
    if method == "Convert":
        src, to = req.get("from") or {}, str(req.get("toCode", ""))
        if src.get("currencyCode") not in CURRENCY_RATES or to not in CURRENCY_RATES:
            raise RpcError(2, "Cannot read properties of undefined")
        return convert(src, to)
    raise RpcError(UNIMPLEMENTED, f"The server does not implement the method {method}")


def _cart(method: str, req: dict[str, Any], pod: Obj) -> Any:
    """Carts live in redis (REDIS_ADDR): without it every call fails as the real cartservice's do."""
    caller = Caller.of(pod, REPO + "cartservice")
    addr = caller.env.get("REDIS_ADDR", "") if caller is not None else ""
    # no REDIS_ADDR: a local, in-memory store (src/cartservice/src/Startup.cs)
    if addr and (caller is None or redis_ping(caller.world, caller.cluster, caller.pod, addr) != "PONG"):
        raise RpcError(
            FAILED_PRECONDITION,
            "Can't access cart storage. StackExchange.Redis."
            f"RedisConnectionException: It was not possible to connect to the redis server(s). {addr}",
        )
    if method in ("GetCart", "AddItem", "EmptyCart"):
        return {"userId": req.get("userId", ""), "items": []} if method == "GetCart" else {}
    raise RpcError(UNIMPLEMENTED, f"Service is unimplemented: {method}")


def _recommendation(method: str, req: dict[str, Any], pod: Obj) -> Any:
    if method != "ListRecommendations":
        raise RpcError(UNIMPLEMENTED, "Method not implemented!")
    caller = Caller.of(pod, REPO + "recommendationservice")
    if caller is None:
        raise RpcError(UNAVAILABLE, "no route to productcatalogservice")
    listed = caller.call(
        "PRODUCT_CATALOG_SERVICE_ADDR", "hipstershop.ProductCatalogService", "ListProducts", {}
    )
    ids = [p["id"] for p in listed["products"] if p["id"] not in (req.get("productIds") or [])]
    return {"productIds": random.sample(ids, min(5, len(ids)))}


def _shipping(method: str, req: dict[str, Any], pod: Obj) -> Any:
    if method == "GetQuote":
        return {"costUsd": _money("USD", 8, 990000000)}
    raise RpcError(UNIMPLEMENTED, f"unknown method {method} for service hipstershop.ShippingService")


def _ads(method: str, req: dict[str, Any], pod: Obj) -> Any:
    if method != "GetAds":
        raise RpcError(UNIMPLEMENTED, f"Method not found: hipstershop.AdService/{method}")
    keys = [k for k in req.get("contextKeys") or [] if k in _ADS]
    chosen = [ad for k in keys for ad in _ADS[k]] or random.sample([a for v in _ADS.values() for a in v], 2)
    return {"ads": [{"redirectUrl": url, "text": text} for url, text in chosen]}


def _nothing_for_a_get(service: str) -> Handler:
    def handler(method: str, req: dict[str, Any], pod: Obj) -> Any:
        raise RpcError(UNIMPLEMENTED, f"unknown method {method} for service {service}")

    return handler


def _grpc_serve(
    service: str, handler: Handler
) -> Callable[[int, str, str, dict[str, str], Obj], HttpResponse]:
    """A gRPC server: the health service, `service`'s methods, and no HTTP/1 for anybody else."""

    def serve(port: int, method: str, path: str, headers: dict[str, str], pod: Obj) -> HttpResponse:
        if headers.get(":protocol") != "grpc":
            return HttpResponse(0, _H2_PREFACE, "application/octet-stream")
        svc, _, rpc = path.strip("/").partition("/")
        if svc == "grpc.health.v1.Health" and rpc == "Check":
            return _grpc_answer(data={"status": "SERVING"})
        if svc != service:
            return _grpc_answer(UNIMPLEMENTED, f"unknown service {svc}")
        try:
            return _grpc_answer(data=handler(rpc, json.loads(headers.get("grpc-request") or "{}"), pod))
        except RpcError as exc:
            return _grpc_answer(exc.code, str(exc).split(" desc = ", 1)[1])

    return serve


def redis_ping(world: World, cluster: Cluster, pod: Obj, addr: str) -> str:
    """PING from `pod` to redis at host:port: `PONG`, or why the connection failed."""
    from liqo_tutor.sim import images

    host, _, port = addr.rpartition(":")
    if host in ("127.0.0.1", "localhost", ""):
        meta = pod["metadata"]
        found = _local(world, cluster, meta.get("namespace", ""), meta.get("name", ""), int(port or 0))
        return "PONG" if found is not None and found.serve is _serve_redis else "Connection refused"
    ip = images.resolve_host(cluster, pod["metadata"].get("namespace", "default"), host)
    if ip is None or not port.isdigit():
        return "Name does not resolve"
    conn = images.http_get(world, cluster, ip, int(port), "/", {":protocol": "redis"})
    if not conn.ok or conn.response is None:
        return "Connection refused"
    return "PONG" if conn.response.content_type == "application/x-redis" else "Connection reset by peer"


def _serve_redis(port: int, method: str, path: str, headers: dict[str, str], pod: Obj) -> HttpResponse:
    if headers.get(":protocol") == "redis":
        return HttpResponse(200, "+PONG\r\n", "application/x-redis")
    # an HTTP request: `GET / HTTP/1.1` is an inline GET with a wrong arity, then `Host:` closes it
    return HttpResponse(0, "-ERR wrong number of arguments for 'get' command\r\n", "application/x-redis")


def _local(world: World, cluster: Cluster, ns: str, name: str, port: int) -> Behaviour | None:
    """The server listening on localhost:port inside a running pod (no readiness needed from inside)."""
    from liqo_tutor.sim.images import behaviour_for

    pod = cluster.objects.get("pods", {}).get((ns, name))
    if pod is None or (pod.get("status") or {}).get("phase") != "Running":
        return None
    for c in (pod.get("spec") or {}).get("containers") or []:
        beh = behaviour_for(c.get("image", ""))
        ports = beh.listen(c) if beh.listen is not None else beh.ports
        if beh.kind == "server" and port in ports:
            return beh
    return None


# --- programs in the images: grpc_health_probe, redis-cli -------------------------------------------


def _pod_of(sh: Shell) -> Obj | None:
    pod: Obj | None = sh.ctx.cluster.objects.get("pods", {}).get((sh.ctx.namespace, sh.ctx.hostname))
    return pod


def grpc_health_probe(sh: Shell, argv: list[str], stdin: str) -> Result:
    """grpc-health-probe v0.4.11: `-addr=[host]:port` (or `-addr host:port`), the health Check."""
    from liqo_tutor.sim.shell import Result

    addr = ""
    for i, a in enumerate(argv[1:], 1):
        if a.startswith(("-addr=", "--addr=")):
            addr = a.split("=", 1)[1]
        elif a in ("-addr", "--addr") and i + 1 < len(argv):
            addr = argv[i + 1]
    if not addr:
        return Result(err="error: -addr not specified\n", code=1)
    host, _, port = addr.rpartition(":")
    pod = _pod_of(sh)
    beh = None
    if pod is not None and port.isdigit() and host in ("", "localhost", "127.0.0.1"):
        beh = _local(sh.ctx.world, sh.ctx.cluster, sh.ctx.namespace, sh.ctx.hostname, int(port))
    if beh is None or beh.serve is None:
        return Result(err=f'timeout: failed to connect service "{addr}" within 1s\n', code=2)
    resp = beh.serve(int(port), "POST", "/grpc.health.v1.Health/Check", dict(_GRPC), pod or {})
    if resp.content_type != "application/grpc":
        return Result(
            err="error: health rpc failed: rpc error: code = Unavailable desc = connection closed "
            "before server preface received\n",
            code=3,
        )
    return Result(err="status: SERVING\n")


def redis_cli(sh: Shell, argv: list[str], stdin: str) -> Result:
    """redis-cli [-h host] [-p port] [ping [msg]]: the answer, or why it could not connect (exit 1)."""
    from liqo_tutor.sim.shell import Result

    host, port, words = "127.0.0.1", "6379", []
    args = argv[1:]
    while args:
        a = args.pop(0)
        if a in ("-h", "-p") and args:
            host, port = (args.pop(0), port) if a == "-h" else (host, args.pop(0))
        else:
            words.append(a)
    pod = _pod_of(sh)
    answer = redis_ping(sh.ctx.world, sh.ctx.cluster, pod, f"{host}:{port}") if pod is not None else "refused"
    if answer != "PONG":
        return Result(err=f"Could not connect to Redis at {host}:{port}: {answer}\n", code=1)
    if not words:
        return Result(err="redis-cli: an interactive session needs a terminal\n", code=1)
    cmd = words[0].lower()
    if cmd == "ping":
        return Result(out=(words[1] if len(words) > 1 else "PONG") + "\n")
    rest = " ".join(f"'{w}'" for w in words[1:])
    return Result(
        out=f"ERR unknown command '{words[0]}', with args beginning with: {rest}\n".replace(":  ", ": ")
    )


# --- the images --------------------------------------------------------------------------------------


def _port_from_env(default: int, key: str = "PORT") -> Callable[[Obj], tuple[int, ...]]:
    def listen(container: Obj) -> tuple[int, ...]:
        for e in container.get("env") or []:
            if e.get("name") == key and "value" in e:
                m = re.search(r"(\d+)\D*$", str(e["value"]))
                return (int(m.group(1)),) if m else ()
        return (default,)

    return listen


def _log(*messages: str) -> str:
    """logrus' JSON lines (keys sorted, compact; RFC3339Nano time drops the fraction's trailing zeros)."""
    now = time.time()
    fraction = f"{now % 1:.9f}"[2:].rstrip("0")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + (f".{fraction}" if fraction else "") + "Z"
    return "".join(
        json.dumps({"message": m, "severity": "info", "timestamp": stamp}, separators=(",", ":")) + "\n"
        for m in messages
    )


_ALPINE = (
    "ash",
    frozenset({"sh", "ash", "cat", "ls", "env", "printenv", "sleep", "date", "hostname", "wget"}),
)
_DEBIAN = (
    "dash",
    frozenset({"sh", "dash", "bash", "cat", "ls", "env", "printenv", "sleep", "date", "hostname"}),
)
# name: (port, gRPC service, handler, shell of the base image, entrypoint, startup log)
_SERVICES: dict[str, tuple[int, str, Handler, tuple[str, frozenset[str]], tuple[str, ...], str]] = {
    "productcatalogservice": (
        3550,
        "hipstershop.ProductCatalogService",
        _catalog,
        _ALPINE,
        ("/src/server",),
        _log("Tracing disabled.", "Profiling disabled.", "starting grpc server at :3550"),
    ),
    "checkoutservice": (
        5050,
        "hipstershop.CheckoutService",
        _nothing_for_a_get("hipstershop.CheckoutService"),
        _ALPINE,
        ("/src/checkoutservice",),
        _log("Tracing disabled.", "Profiling disabled.", 'starting to listen on tcp: "[::]:5050"'),
    ),
    "shippingservice": (
        50051,
        "hipstershop.ShippingService",
        _shipping,
        _ALPINE,
        ("/src/shippingservice",),
        _log("Tracing disabled.", "Profiling disabled.", "Shipping Service listening on port :50051"),
    ),
    "currencyservice": (
        7000,
        "hipstershop.CurrencyService",
        _currency,
        _ALPINE,
        ("node", "server.js"),
        '{"severity":"info","name":"currencyservice-server",'
        '"message":"Starting gRPC server on port 7000..."}\n',
    ),
    "paymentservice": (
        50051,
        "hipstershop.PaymentService",
        _nothing_for_a_get("hipstershop.PaymentService"),
        _ALPINE,
        ("node", "index.js"),
        '{"severity":"info","name":"paymentservice-server",'
        '"message":"PaymentService gRPC server started on port 50051"}\n',
    ),
    "emailservice": (
        8080,
        "hipstershop.EmailService",
        _nothing_for_a_get("hipstershop.EmailService"),
        _DEBIAN,
        ("python", "email_server.py"),
        '{"message": "starting the email service in dummy mode.", "severity": "INFO"}\n'
        '{"message": "listening on port: 8080", "severity": "INFO"}\n',
    ),
    "recommendationservice": (
        8080,
        "hipstershop.RecommendationService",
        _recommendation,
        _DEBIAN,
        ("python", "/recommendationservice/recommendation_server.py"),
        '{"message": "initializing recommendationservice", "severity": "INFO"}\n'
        '{"message": "listening on port: 8080", "severity": "INFO"}\n',
    ),
    "adservice": (
        9555,
        "hipstershop.AdService",
        _ads,
        _DEBIAN,
        ("/app/build/install/hipstershop/bin/AdService",),
        '{"instant":{"epochSecond":0},"thread":"main","level":"INFO","loggerName":"hipstershop.AdService",'
        '"message":"Ad Service started, listening on 9555"}\n',
    ),
    "cartservice": (
        7070,
        "hipstershop.CartService",
        _cart,
        _ALPINE,
        ("/app/cartservice",),
        "Connecting to Redis: redis-cart:6379,ssl=false,allowAdmin=true,abortConnect=false\n"
        "Successfully connected to Redis\nInitialization completed\n",
    ),
}


def _fs(shell: tuple[str, frozenset[str]], entrypoint: tuple[str, ...], extra: frozenset[str]) -> ImageFs:
    return ImageFs(shell[0], programs=shell[1] | extra, entrypoint=entrypoint)


def register() -> None:
    """Register the 11 images, redis, and the programs they carry (sim/images.py, sim/shellcmds.py)."""
    from liqo_tutor.sim import shellcmds
    from liqo_tutor.sim.images_boutique_frontend import serve_frontend

    probe = frozenset({"grpc_health_probe"})
    for name, (port, service, handler, shell, entry, log) in _SERVICES.items():
        listen = _port_from_env(port, "ASPNETCORE_URLS" if name == "cartservice" else "PORT")
        beh = Behaviour(
            "server",
            (port,),
            "pod_start",
            log,
            _grpc_serve(service, handler),
            _fs(shell, entry, probe),
            listen=listen,
        )
        register_image(f"{REPO}{name}:{TAG}", beh)
    frontend_log = _log("Tracing disabled.", "Profiling disabled.", "starting server on :8080")
    register_image(
        f"{REPO}frontend:{TAG}",
        Behaviour(
            "server",
            (8080,),
            "pod_start",
            frontend_log,
            serve_frontend,
            _fs(_ALPINE, ("/src/server",), frozenset()),
            listen=_port_from_env(8080),
        ),
    )
    stamp = time.strftime("%Y-%m-%d %H:%M:%S,000", time.gmtime())
    locust = (
        f"[{stamp}] loadgenerator/INFO/locust.main: No run time limit set, use CTRL+C to interrupt.\n"
        f"[{stamp}] loadgenerator/INFO/locust.main: Starting Locust 1.6.0\n"
        f"[{stamp}] loadgenerator/INFO/locust.runners: Spawning 10 users at the rate 1 users/s "
        "(0 users already running)...\n"
    )
    register_image(
        f"{REPO}loadgenerator:{TAG}",
        Behaviour(
            "server", (), "pod_start", locust, None, _fs(_DEBIAN, ("/bin/sh", "-c"), frozenset({"locust"}))
        ),
    )
    redis_fs = _fs(_ALPINE, ("docker-entrypoint.sh",), frozenset({"redis-cli", "redis-server"}))
    redis_log = "1:M 01 Jan 2022 00:00:00.000 * Ready to accept connections\n"
    for ref in ("redis:7.0-alpine", "redis:alpine"):
        register_image(ref, Behaviour("server", (6379,), "pod_start", redis_log, _serve_redis, redis_fs))
    shellcmds.PROGRAMS["grpc_health_probe"] = grpc_health_probe
    shellcmds.PROGRAMS["redis-cli"] = redis_cli
