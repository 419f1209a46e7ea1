"""`jupyter coi check TARGET`, run as a user runs it (the `jupyter` command, a subprocess),
against real targets: Jupyter servers with and without jupyter-coi, a page that embeds an image
from a second loopback server with no CORP header, JupyterLite builds with and without the
addon (as folders, and served by a header-less static server as on GitHub Pages), a folder that
is not a build, and an address where nothing listens. Verdicts and exit codes are checked.

The check of synthetic folders, in-process, is tests/unit/test_check_folder.py."""

from __future__ import annotations

import subprocess

import pytest

from support.harness import coi_check, disable_extension, free_port
from support.lite_sites import built_site, plain_server


def test_server_with_jupyter_coi_is_isolated(jupyter_process):
    server = jupyter_process("lab")
    done = coi_check(server.page_url("lab"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[ok]" in done.stdout and "Cross-Origin-Opener-Policy: same-origin" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("ISOLATED: ")
    # The token that the URL carries is not printed (deploy logs are read by many).
    assert server.token not in done.stdout and "token=..." in done.stdout


def test_a_url_without_its_scheme_is_checked_over_http(jupyter_process):
    server = jupyter_process("lab")
    page = server.page_url("lab")
    assert page.startswith("http://")
    done = coi_check(page.removeprefix("http://"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("ISOLATED: ")


def test_server_without_jupyter_coi_is_not(jupyter_process):
    server = jupyter_process("lab", before=disable_extension)
    done = coi_check(server.page_url("lab"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[problem]" in done.stdout
    assert "Cross-Origin-Opener-Policy: missing" in done.stdout
    assert "Cross-Origin-Embedder-Policy: missing" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("NOT ISOLATED: ")


def test_report_only_server_is_not_isolated_yet(jupyter_process):
    server = jupyter_process("server", "--CrossOriginIsolation.report_only=True")
    done = coi_check(server.page_url("api/status"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "report-only: Cross-Origin-Opener-Policy-Report-Only: same-origin" in done.stdout
    assert "enforces nothing" in done.stdout


def test_login_redirect_is_pointed_out_and_fails(jupyter_process):
    """The login page carries the headers too: passing it would pass a CI step that never
    reached the app."""
    server = jupyter_process("lab")
    done = coi_check(f"{server.url}lab")
    assert "this is the login page: add ?token=" in done.stdout, done.stdout
    assert done.returncode == 1, done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("NOT ISOLATED: ")
    assert "is the login page, not the page to check" in done.stdout.strip().splitlines()[-1]


def test_a_page_that_is_not_found_fails(jupyter_process):
    """A mistyped URL: Jupyter's 404 page is sent with the isolation headers."""
    server = jupyter_process("lab")
    done = coi_check(server.page_url("files/no-such-file.html"))
    assert "[problem]" in done.stdout and "HTTP 404" in done.stdout, done.stdout
    assert done.returncode == 1, done.stdout
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("NOT ISOLATED: ") and "answered HTTP 404" in last, last


@pytest.mark.parametrize("embedder, code", [("require-corp", 1), ("credentialless", 0)])
def test_cross_origin_image_without_corp(jupyter_process, other_origin, embedder, code):
    image = f"{other_origin}pixel.png"
    page = f'<!doctype html><html><body><img src="{image}" alt="a pixel"></body></html>'
    server = jupyter_process(
        "lab", f"--CrossOriginIsolation.embedder_policy={embedder}", files={"page.html": page}
    )
    done = coi_check(server.page_url("files/page.html"))
    assert done.returncode == code, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if image in line)
    if embedder == "require-corp":
        assert line.lstrip().startswith("[problem]") and "require-corp blocks it" in line
        assert "1 resource(s) of the page would be blocked" in done.stdout
    else:
        assert line.lstrip().startswith("[ok]"), line


def test_default_server_is_judged_per_browser(jupyter_process, other_origin):
    """Under the default, auto, the server answers each browser on its own: the image loads in
    Chromium and Firefox (credentialless), and would be blocked in Safari (require-corp), which
    the check notes without calling the page broken."""
    image = f"{other_origin}pixel.png"
    page = f'<!doctype html><html><body><img src="{image}" alt="a pixel"></body></html>'
    server = jupyter_process("lab", files={"page.html": page})
    done = coi_check(server.page_url("files/page.html"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "depends on the browser (Vary: User-Agent): credentialless" in done.stdout
    line = next(line for line in done.stdout.splitlines() if image in line)
    assert line.lstrip().startswith("[note]") and "require-corp blocks it" in line, line
    verdict = done.stdout.strip().splitlines()[-1]
    assert verdict.startswith("ISOLATED: ") and "(Safari), 1 resource(s)" in verdict, verdict


def test_a_resource_named_in_unicode_is_loaded_as_browsers_load_it(jupyter_process):
    """`<img src="café.png">`: a browser asks for caf%C3%A9.png; the check said it 'could not
    be loaded: ordinal not in range(128)' and called the page not isolated."""
    page = '<!doctype html><html><body><img src="café.png" alt="a coffee"></body></html>'
    server = jupyter_process("lab", files={"page.html": page, "café.png": "not really a png"})
    done = coi_check(server.page_url("files/page.html"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ordinal" not in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("ISOLATED: ")


@pytest.mark.parametrize(
    "location, says",
    [("/again", "redirect"), ("file:///etc/passwd", "redirect")],
    ids=["a redirect loop", "a redirect to file:"],
)
def test_a_redirect_that_leads_nowhere_is_could_not_check(location, says):
    server = Hostile(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\n\r\n".encode())
    try:
        done = coi_check(server.url)
    finally:
        server.close()
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("jupyter coi check: cannot load") and says in done.stderr
    assert "Traceback" not in done.stderr


def test_lite_build_with_the_addon(tmp_path):
    site = built_site(tmp_path)
    done = coi_check(str(site.out))
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = done.stdout.strip().splitlines()[-1]
    assert "with headers on netlify, vercel, apache, nginx, firebase" in verdict
    assert "through the service worker" in verdict
    # The default build's host files send credentialless; Safari gets require-corp elsewhere.
    assert verdict.endswith(
        "Safari and WebKit ignore the COEP credentialless that the host files send; the service "
        "worker isolates them there with require-corp, after one reload"
    ), verdict


def test_lite_build_without_the_addon(tmp_path):
    site = built_site(tmp_path, {"enabled": False})
    done = coi_check(str(site.out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "not wrapped by jupyter-coi" in done.stdout
    assert "has neither host files nor jupyter-coi's service worker" in done.stdout
    # Not isolated: each missing host file is a problem, and the advice is not to install
    # what runs this check.
    lines = done.stdout.strip().splitlines()
    missing = [line for line in lines if "not written" in line]
    assert len(missing) == 5 and all(line.lstrip().startswith("[problem]") for line in missing)
    assert "[note]" not in done.stdout and "[ok]" not in done.stdout, done.stdout
    assert "with `jupyter lite build` and the addon enabled" in lines[-1]
    assert "pip install jupyter-coi" not in done.stdout


def test_folder_that_is_not_a_lite_build(tmp_path):
    (tmp_path / "notes.txt").write_text("not a site")
    done = coi_check(str(tmp_path))
    assert done.returncode == 2
    assert "is not a JupyterLite build: it has no jupyter-lite.json" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written


@pytest.mark.parametrize("addon, code", [(True, 0), (False, 1)])
def test_static_host_without_headers(tmp_path, addon, code):
    """As on GitHub Pages: no headers; only jupyter-coi's service worker can isolate."""
    site = built_site(tmp_path, None if addon else {"enabled": False})
    for served in plain_server(site):
        # App pages at two depths: the worker is found at the site's root from both.
        for page in (
            "lab/index.html",
            "notebooks/index.html?path=probe.ipynb",
            "lab/tree/index.html",
        ):
            done = coi_check(f"{served.url}{page}")
            assert done.returncode == code, page + done.stdout + done.stderr
            if addon:
                assert (
                    "jupyter-coi's service worker isolates it from the second load on"
                    in done.stdout
                )
                worker = next(
                    line for line in done.stdout.splitlines() if "service-worker.js" in line
                )
                # The default build's worker: credentialless where the browser has it.
                assert worker.lstrip().startswith(f"[ok] {served.url}service-worker.js"), worker
                assert "credentialless for browsers that support it" in worker, worker
                # The page's missing headers do not disagree with the verdict: notes.
                assert "[problem]" not in done.stdout, done.stdout
                notes = [line for line in done.stdout.splitlines() if "[note]" in line]
                assert len(notes) == 2 and all("missing" in n for n in notes), done.stdout
                assert all("the service worker adds it" in n for n in notes)
            else:
                assert "has no jupyter-coi service worker" in done.stdout


def test_service_worker_site_is_judged_per_browser(tmp_path, other_origin):
    """A default build on a host without headers: its worker gives credentialless to the
    browsers that support it, so a cross-origin image without CORP loads there, and only Safari
    (require-corp) would block it, which is a note."""
    site = built_site(tmp_path)
    image = f"{other_origin}pixel.png"
    app = (site.out / "lab" / "index.html").read_text()
    (site.out / "lab" / "embeds.html").write_text(
        app.replace("</body>", f'<img src="{image}" alt="a pixel"></body>')
    )
    for served in plain_server(site):
        done = coi_check(f"{served.url}lab/embeds.html")
        assert done.returncode == 0, done.stdout + done.stderr
        line = next(line for line in done.stdout.splitlines() if image in line)
        assert line.lstrip().startswith("[note]") and "require-corp blocks it" in line, line
        verdict = done.stdout.strip().splitlines()[-1]
        assert "isolates it from the second load on" in verdict, verdict
        assert "(Safari), 1 resource(s)" in verdict, verdict


def test_unreachable_target():
    done = coi_check(f"http://127.0.0.1:{free_port()}/lab")
    assert done.returncode == 2
    assert "cannot load" in done.stderr and "refused" in done.stderr.lower()


def test_not_a_web_url(tmp_path):
    done = coi_check("ftp://example.org/site")
    assert done.returncode == 2 and "only http:// and https:// URLs" in done.stderr


class Hostile:
    """A loopback server that answers every connection with ``reply`` (bytes, or a list of
    chunks sent a second apart: a server that drips), for at most ``seconds``."""

    def __init__(self, reply, seconds: float = 30):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(seconds)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.reply, self.seconds = reply, seconds
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import time

        end = time.monotonic() + self.seconds
        while time.monotonic() < end:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                chunks = self.reply if isinstance(self.reply, list) else [self.reply]
                for i, chunk in enumerate(chunks):
                    if i:
                        time.sleep(1)
                    try:
                        conn.sendall(chunk)
                    except OSError:
                        break

    def close(self):
        self.sock.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 OK-ish\r\n\r\n",  # a bad status line
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"y" * 70_000 + b"\r\n\r\n",
    ],
    ids=["bad status line", "150 headers", "a 70 KB header line"],
)
def test_a_malformed_reply_is_could_not_check(reply):
    server = Hostile(reply)
    try:
        done = coi_check(server.url)
    finally:
        server.close()
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("jupyter coi check: cannot load"), done.stderr


def check_with_timeout_3(reply) -> tuple[subprocess.CompletedProcess, float]:
    """`jupyter coi check --timeout 3` against a server that answers ``reply``; its result and
    how long it took, in seconds."""
    import time

    server = Hostile(reply)
    try:
        started = time.monotonic()
        done = coi_check("--timeout", "3", server.url)
        return done, time.monotonic() - started
    finally:
        server.close()


def test_timeout_bounds_a_server_that_drips_its_headers():
    """One header line a second, for 30 s: every read is in time, the request never is."""
    drip = [b"HTTP/1.1 200 OK\r\n"] + [b"X-Drip: %d\r\n" % i for i in range(30)]
    done, took = check_with_timeout_3(drip)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "within 3 s" in done.stderr, done.stderr
    # The command's own start-up aside, the request took its 3 s, not the server's 30.
    assert took < 20, took


def test_a_page_built_to_be_slow_to_parse_is_bounded_by_the_timeout():
    """`<!--` repeated: Python's HTML parser takes minutes on a few hundred kB of it."""
    page = b"<!doctype html>" + b"<!--" * 200_000
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nCross-Origin-Opener-Policy: same-origin"
        b"\r\nCross-Origin-Embedder-Policy: require-corp\r\nContent-Length: %d\r\n\r\n" % len(page)
    )
    done, took = check_with_timeout_3(head + page)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "its HTML could not be read within 3 s" in done.stderr, done.stderr
    assert took < 30, took


def test_the_deadline_bounds_the_whole_check():
    """A page whose twenty images each take a second, every one within --timeout: the check
    stops at --deadline, all its requests together, and says it could not finish."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    images = "".join(f'<img src="/{n}.png">' for n in range(20))

    class SlowImages(BaseHTTPRequestHandler):
        def do_GET(self):
            page = self.path == "/"
            if not page:
                time.sleep(1)
            body = f"<!doctype html>{images}".encode() if page else b"png"
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if page else "image/png")
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowImages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        started = time.monotonic()
        done = coi_check("--timeout", "5", "--deadline", "4", url)
        took = time.monotonic() - started
    finally:
        server.shutdown()
    assert done.returncode == 2, done.stdout + done.stderr
    assert "could not finish within 4 s (--deadline)" in done.stderr, done.stderr
    assert "while loading the page's resources" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    # The command's own start-up aside, it stopped at its 4 s, not after the images' 20.
    assert took < 15, took


@pytest.mark.parametrize("option", ["--timeout", "--deadline"])
@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf", "soon"])
def test_seconds_that_are_not_seconds_are_refused(option, value):
    done = coi_check(option, value, "http://127.0.0.1:9/")
    assert done.returncode == 2 and "is not a number of seconds above 0" in done.stderr
    assert "Traceback" not in done.stderr
