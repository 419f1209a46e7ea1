"""The loopback "CDN": the hosts that the packages load scripts, styles and map tiles from
(cdn.bokeh.org, cdn.jsdelivr.net, tile.openstreetmap.org, ...), served from 127.0.0.1 over
HTTPS, a second origin to the Jupyter server's.

Chromium reaches it by its real host names through ``--host-resolver-rules`` (``MAP * 127.0.0.1:PORT``),
so each page asks for the very URLs the package wrote, and the browser applies COEP and CORP to
real cross-origin responses.

What it serves comes from the packages' npm tarballs (``npm pack``), at the version the URL asks
for, cached under ``~/.cache/jupyter-coi-tests``; the few files that are on no registry get a
minimal stand-in (``STAND_INS``), and every map tile is one generated PNG. Which URLs to serve is
read from what the installed packages write (``package_urls``), so a new release that loads
something else fails here, naming the URL, rather than measuring an empty page.

Run as a script it is the server: ``compat_cdn.py MANIFEST PORT CERTFILE KEYFILE LOG [--corp]``.
Every response carries ``Access-Control-Allow-Origin: *`` (as public CDNs and tile servers send);
with ``--corp`` also ``Cross-Origin-Resource-Policy: cross-origin``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import struct
import subprocess
import sys
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

TILE_HOST = "tile.openstreetmap.org"
TILE_PATH = re.compile(r"^/\d+/\d+/\d+\.png$")
# What the tests ask for to know that the server is up; not logged.
READY_PATH = "/.loopback-cdn-ready"

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".json": "application/json",
}

# Files that no package registry has: a stand-in that is valid for its type and changes nothing
# on the page. Each is named in docs/reference/compatibility.md.
STAND_INS = {
    # folium's CSS for rotated markers, from its GitHub repository (jsDelivr's /gh/)
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (
        "/* stand-in: folium's leaflet.awesome.rotate.min.css, used by rotated markers only */\n"
    ),
    # Bootstrap 3.0.0's separate glyphicons sheet, which Bootstrap's npm releases do not have
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "/* stand-in: Bootstrap 3.0.0's bootstrap-glyphicons.css, icons only */\n"
    ),
}


# cdnjs libraries whose npm package has another name, and where their files are in it.
CDNJS_ON_NPM = {
    # the upstream release of Leaflet.awesome-markers, republished as it is
    "Leaflet.awesome-markers": ("drmonty-leaflet-awesome-markers", {".js": "js/", ".css": "css/"}),
}


@dataclass(frozen=True)
class NpmFile:
    """A URL's file in an npm package: ``path`` in the tarball, or the file jsDelivr serves
    for the package's bare URL (its package.json ``jsdelivr`` field) when ``path`` is empty.
    ``minified_by_cdn``: the CDN serves ``x.min.js`` from a package that has only ``x.js``
    (cdnjs minifies what it republishes)."""

    spec: str
    path: str = ""
    minified_by_cdn: bool = False


def npm_file(url: str) -> NpmFile | None:
    """Where the real file behind a CDN URL is on npm, by each host's URL scheme."""
    parts = urlsplit(url)
    host, path = parts.hostname, parts.path
    if host == "cdn.jsdelivr.net" and path.startswith("/npm/"):
        # /npm/<name>[@<range>][/<file>], the name possibly scoped (@scope/name)
        m = re.fullmatch(r"/npm/((?:@[^/@]+/)?[^/@]+)(?:@([^/]+))?(/.*)?", path)
        if m:
            name, version, file = m.groups()
            return NpmFile(f"{name}@{version or 'latest'}", (file or "").lstrip("/"))
    if host == "cdn.bokeh.org":
        m = re.fullmatch(r"/bokeh/release/(bokeh(?:-\w+)?)-(\d[^/]*?)\.min\.js", path)
        if m:
            return NpmFile(f"@bokeh/bokehjs@{m.group(2)}", f"build/js/{m.group(1)}.min.js")
    if host == "code.jquery.com":
        m = re.fullmatch(r"/jquery-(\d[\d.]*)\.min\.js", path)
        if m:
            return NpmFile(f"jquery@{m.group(1)}", "dist/jquery.min.js")
    if host == "cdnjs.cloudflare.com":
        m = re.fullmatch(r"/ajax/libs/([^/]+)/([^/]+)/(.+)", path)
        if m:
            library, release, file = m.groups()
            name, folders = CDNJS_ON_NPM.get(library, (library, {}))
            file = folders.get(Path(file).suffix, "") + file
            return NpmFile(f"{name}@{release}", file, minified_by_cdn=True)
    return None


def _find(text: str, pattern: str) -> list[str]:
    return sorted(set(re.findall(pattern, text)))


def package_urls() -> dict[str, list[str]]:
    """The script and style URLs each package's output loads, read from what the installed
    package writes (not from a list kept here). Map tiles are served by pattern, not listed."""
    import altair
    import bokeh.resources
    import folium
    import pandas

    chart = altair.Chart(pandas.DataFrame({"x": [1]})).mark_bar().encode(x="x")
    altair_html = altair.renderers.get()(chart.to_dict())["text/html"]
    # the paths it loads with <script> tags (requirejs' vega-lib alias is for pages with AMD)
    altair_paths = json.loads(
        re.search(r"const paths = (\{.*?\});", altair_html, re.S).group(1).replace(",\n    }", "}")
    )
    altair_paths.pop("vega-lib", None)
    folium_html = html.unescape(folium.Map()._repr_html_())
    return {
        "bokeh": list(bokeh.resources.CDN.js_files) + list(bokeh.resources.CDN.css_files),
        "altair": sorted(altair_paths.values()),
        "folium": _find(folium_html, r'(?:src|href)="(https://[^"]+)"'),
        "voila": voila_urls(),
    }


def voila_urls() -> list[str]:
    """What Voila's page loads from CDNs: the style sheets of its default template ("lab"),
    and MathJax, which its page configuration names."""
    import logging

    from jupyter_core.paths import jupyter_path
    from voila.configuration import VoilaConfiguration
    from voila.utils import get_page_config

    configuration = VoilaConfiguration()
    templates = [
        Path(folder) / "index.html.j2"
        for folder in jupyter_path("voila", "templates", configuration.template)
    ]
    template = next(t for t in templates if t.is_file())
    config = get_page_config("/", {}, logging.getLogger("compat"), configuration)
    return [*_find(template.read_text(), r'href="(https://[^"]+)"'), config["fullMathjaxUrl"]]


def tile_png(size: int = 256) -> bytes:
    """One map tile: an opaque light-grey square PNG, what a real tile server would send."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes([0xDD, 0xDD, 0xDD]) * size
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * size, 9))
        + chunk(b"IEND", b"")
    )


def npm_pack(spec: str, into: Path) -> Path:
    """The npm tarball of ``spec`` (a range picks its newest match, as the CDNs do), unpacked
    into a folder of ``into``."""
    done = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=into,
    )
    if done.returncode != 0:
        raise RuntimeError(f"npm pack {spec} failed:\n{done.stderr}")
    tarball = into / done.stdout.strip().splitlines()[-1]
    folder = into / re.sub(r"[^\w.-]", "_", spec)
    with tarfile.open(tarball) as tar:
        tar.extractall(folder, filter="data")
    tarball.unlink()
    return folder / "package"


def build_site(urls: list[str], into: Path, work: Path) -> None:
    """Write each URL's file into ``into`` (as ``<host>/<sha of the URL>``) and a manifest
    (``manifest.json``: URL path per host, to file and content type)."""
    packages: dict[str, Path] = {}
    manifest: dict[str, dict[str, list[str]]] = {}
    for url in urls:
        parts = urlsplit(url)
        name = hashlib.sha256(url.encode()).hexdigest()[:16]
        target = into / parts.hostname / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if url in STAND_INS:
            target.write_text(STAND_INS[url])
            suffix = Path(parts.path).suffix
        else:
            where = npm_file(url)
            if where is None:
                raise RuntimeError(f"no npm package or stand-in is known for {url}")
            if where.spec not in packages:
                packages[where.spec] = npm_pack(where.spec, work)
            package = packages[where.spec]
            path = where.path or json.loads((package / "package.json").read_text())["jsdelivr"]
            source = package / path
            if where.minified_by_cdn and not source.is_file():
                source = package / path.replace(".min.", ".")
            if not source.is_file():
                raise RuntimeError(f"{url}: {where.spec} has no {path}")
            target.write_bytes(source.read_bytes())
            suffix = Path(path).suffix
        manifest.setdefault(parts.hostname, {})[parts.path] = [
            str(target.relative_to(into)),
            CONTENT_TYPES.get(suffix, "application/octet-stream"),
        ]
    (into / "tile.png").write_bytes(tile_png())
    (into / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


# --- the server ---------------------------------------------------------------------------------


def serve(
    manifest_path: str, port: str, certfile: str, keyfile: str, log_path: str, corp: bool
) -> None:
    import http.server
    import ssl
    import threading

    from jupyter_coi import policy

    root = Path(manifest_path).parent
    manifest = json.loads(Path(manifest_path).read_text())
    tile = (root / "tile.png").read_bytes()
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 (open for the server's life)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").split(":")[0]
            path = unquote(urlsplit(self.path).path)
            if path == READY_PATH:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = manifest.get(host, {}).get(path)
            if found:
                body, kind = (root / found[0]).read_bytes(), found[1]
            elif host == TILE_HOST and TILE_PATH.match(path):
                body, kind = tile, "image/png"
            else:
                body, kind = b"not on the loopback CDN\n", "text/plain"
            status = 200 if kind != "text/plain" else 404
            with lock:
                log.write(
                    f"{status} {'corp' if corp else 'no-corp'} https://{host}{self.path} {self.headers.get('Sec-Fetch-Mode', '')}\n"
                )
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            if corp:
                self.send_header(policy.RESOURCE, policy.CROSS_ORIGIN)
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(*sys.argv[1:6], corp="--corp" in sys.argv[6:])
