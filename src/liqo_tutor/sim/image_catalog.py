"""The images the playground knows, registered into sim/images.py: servers, tools, system images.

Facts from the images themselves: nginx's default page (title "Welcome to nginx!", in
/usr/share/nginx/html), nginxdemos/hello's page (server address, server name, date, URI, request id;
the `plain-text` tag answers the same fields as text), curlimages/curl (alpine, user curl_user,
/entrypoint.sh that runs curl), busybox/alpine (ash, busybox applets), dwdraju/alpine-curl-jq.
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse

from liqo_tutor.sim.images import Behaviour, HttpResponse, ImageFs, register_image
from liqo_tutor.sim.store import Obj

__all__ = ["load"]

_loaded = False

_ALPINE_ROOT = ("bin", "dev", "etc", "home", "lib", "media", "mnt", "opt", "proc", "root", "run", "sbin",
                "srv", "sys", "tmp", "usr", "var")  # fmt: skip
_DEBIAN_ROOT = ("bin", "boot", "dev", "docker-entrypoint.d", "docker-entrypoint.sh", "etc", "home", "lib",
                "lib64", "media", "mnt", "opt", "proc", "root", "run", "sbin", "srv", "sys", "tmp", "usr",
                "var")  # fmt: skip
_BASE_DIRS = ("/bin", "/dev", "/etc", "/home", "/lib", "/media", "/mnt", "/opt", "/proc", "/root", "/run",
              "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var")  # fmt: skip
_CORE = frozenset({"sh", "cat", "ls", "env", "printenv", "sleep", "date", "hostname", "whoami", "uname"})
_BUSYBOX = _CORE | {"ash", "wget"}
_DEBIAN = _CORE | {"dash", "bash"}

_NGINX_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and working.</p>
</body>
</html>
"""

_NOT_FOUND = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 "
    "Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def _dirs(root: tuple[str, ...], extra: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    dirs: dict[str, tuple[str, ...]] = {"/": root}
    for d in _BASE_DIRS:
        dirs[d] = ()
    dirs.update(extra)
    return dirs


def _serve_nginx(port: int, method: str, path: str, headers: dict[str, str], pod: Obj) -> HttpResponse:
    if urllib.parse.urlsplit(path).path in ("/", "/index.html"):
        return HttpResponse(200, _NGINX_PAGE, "text/html")
    return HttpResponse(404, _NOT_FOUND, "text/html")


def _hello_fields(port: int, path: str, pod: Obj) -> list[tuple[str, str]]:
    status = pod.get("status") or {}
    name = pod.get("metadata", {}).get("name", "")
    now = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    request_id = hashlib.md5(f"{name}{time.time()}{path}".encode()).hexdigest()
    return [
        ("Server address", f"{status.get('podIP', '')}:{port}"),
        ("Server name", name),
        ("Date", now),
        ("URI", path),
        ("Request ID", request_id),
    ]


def _serve_hello(port: int, method: str, path: str, headers: dict[str, str], pod: Obj) -> HttpResponse:
    fields = _hello_fields(port, path, pod)
    rows = "\n".join(f"<p><span>{k}:</span> <span>{v}</span></p>" for k, v in fields)
    head = "<!DOCTYPE html>\n<html>\n<head>\n<title>Hello World</title>\n</head>\n"
    page = f"{head}<body>\n{rows}\n</body>\n</html>\n"
    return HttpResponse(200, page, "text/html")


def _serve_hello_text(port: int, method: str, path: str, headers: dict[str, str], pod: Obj) -> HttpResponse:
    return HttpResponse(200, "".join(f"{k}: {v}\n" for k, v in _hello_fields(port, path, pod)), "text/plain")


def load() -> None:
    """Register the known images (idempotent)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    _register_tools()
    _register_servers()
    from liqo_tutor.sim import images_mariadb  # bitnami/mariadb-galera and the mariadb client

    images_mariadb.register()
    from liqo_tutor.sim import images_boutique  # Online Boutique v0.3.7 and redis (Liqo's quick-start)

    images_boutique.register()


def _register_tools() -> None:
    """Images whose process runs and exits: shells, curl, jq."""
    alpine = ImageFs("ash", programs=_BUSYBOX, dirs=_dirs(_ALPINE_ROOT, {}), cmd=("/bin/sh",))
    register_image("busybox", Behaviour("oneshot", fs=alpine, start_delay="pod_start"))
    register_image("alpine", Behaviour("oneshot", fs=alpine))
    register_image(
        "dwdraju/alpine-curl-jq",
        Behaviour(
            "oneshot",
            fs=ImageFs("ash", programs=_BUSYBOX | {"curl", "jq"}, dirs=alpine.dirs, cmd=("/bin/sh",)),
        ),
    )
    curl_dirs = _dirs(_ALPINE_ROOT, {"/home": ("curl_user",), "/home/curl_user": ()})
    register_image(
        "curlimages/curl",
        Behaviour(
            "oneshot",
            fs=ImageFs(
                "ash",
                user="curl_user",
                home="/home/curl_user",
                workdir="/home/curl_user",
                programs=_BUSYBOX | {"curl"},
                dirs=curl_dirs,
                entrypoint=("/entrypoint.sh",),
                cmd=("curl",),
            ),
        ),
    )


def _register_servers() -> None:
    """Long-running servers and the system images of kind and Liqo."""
    from liqo_tutor.sim.images import serve_flights

    html = {"/usr/share/nginx/html/index.html": _NGINX_PAGE}
    nginx_dirs = {
        "/usr/share/nginx/html": ("50x.html", "index.html"),
        "/etc/nginx": (
            "conf.d",
            "fastcgi_params",
            "mime.types",
            "modules",
            "nginx.conf",
            "scgi_params",
            "uwsgi_params",
        ),  # fmt: skip
    }
    nginx_fs = ImageFs(
        "dash", programs=_DEBIAN | {"curl", "nginx"}, dirs=_dirs(_DEBIAN_ROOT, nginx_dirs), files=html
    )
    register_image("nginx", Behaviour("server", (80,), serve=_serve_nginx, fs=nginx_fs))
    hello_fs = ImageFs("ash", programs=_BUSYBOX | {"curl", "nginx"}, dirs=_dirs(_ALPINE_ROOT, nginx_dirs))
    register_image("nginxdemos/hello", Behaviour("server", (80,), serve=_serve_hello, fs=hello_fs))
    register_image(
        "nginxdemos/hello:plain-text", Behaviour("server", (80,), serve=_serve_hello_text, fs=hello_fs)
    )
    register_image(
        "liqo/flights-service",
        Behaviour(
            "server",
            (7999,),
            "pod_start",
            "Listening on http://0.0.0.0:7999/\n",
            serve_flights,
            ImageFs("dash", programs=_DEBIAN, dirs=_dirs(_DEBIAN_ROOT[:3] + _DEBIAN_ROOT[5:], {})),
        ),
    )
    register_image("ghcr.io/liqotech/", Behaviour("server", (), "liqo_pod_start"), prefix=True)
    for system in ("kindest/", "registry.k8s.io/", "k8s.gcr.io/"):
        register_image(system, Behaviour("server", (), "pod_start"), prefix=True)
