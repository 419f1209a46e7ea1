"""What the isolation headers cost Jupyter Server: requests per second with and without jupyter-coi.

Two `jupyter server` processes on loopback, one with the extension and one with it disabled,
are sent the same requests in many short alternating rounds over one keep-alive connection
each, so that a slow moment of the machine falls on both. Prints requests/s per server and
endpoint and the ratio with/without (goal: >= 0.98): the median of the per-round ratios, which a
drift of the machine's speed during the run does not bias. Then the transform's own cost per
response, timed in-process, against the time of one request.

    python benchmarks/server_overhead.py [--rounds 40] [--requests 100]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from harness import JupyterProcess, disable_extension  # noqa: E402

ENDPOINTS = {"static asset": "static/favicon.ico", "api/status": "api/status"}


def timed_requests(conn: http.client.HTTPConnection, path: str, token: str, count: int) -> float:
    headers = {"Authorization": f"token {token}"}
    start = time.perf_counter()
    for _ in range(count):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--requests", type=int, default=100, help="per round and endpoint")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        with_home, without_home = Path(tmp, "with"), Path(tmp, "without")
        disable_extension(without_home)
        servers = {
            "with jupyter-coi": JupyterProcess(app="server", home=with_home),
            "without": JupyterProcess(app="server", home=without_home),
        }
        try:
            for server in servers.values():
                server.start()
            if "cross-origin isolating" not in servers["with jupyter-coi"].log():
                raise RuntimeError("the server with jupyter-coi is not isolating")
            if "jupyter_coi" in servers["without"].log():
                raise RuntimeError("the server without jupyter-coi loaded it")
            rates = run(servers, args.rounds, args.requests)
        finally:
            for server in servers.values():
                server.stop()
    report(rates, args.rounds, args.requests)
    return 0


def run(servers, rounds: int, count: int) -> dict[tuple[str, str], list[float]]:
    conns = {
        name: http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for name, server in servers.items()
    }
    rates: dict[tuple[str, str], list[float]] = {}
    names = list(servers)
    for endpoint, path in ENDPOINTS.items():
        for name, server in servers.items():  # warm-up: caches, lazy imports, the connection
            timed_requests(conns[name], server.base_url + path, server.token, count // 4)
        for i in range(rounds):
            for name in names if i % 2 == 0 else reversed(names):
                server = servers[name]
                seconds = timed_requests(conns[name], server.base_url + path, server.token, count)
                rates.setdefault((endpoint, name), []).append(count / seconds)
    return rates


def report(rates, rounds: int, count: int) -> None:
    print(f"jupyter-coi server overhead: {rounds} alternating rounds of {count} GETs per endpoint")
    print(f"{'endpoint':<14} {'with jupyter-coi':>18} {'without':>12} {'ratio':>7}  (ratio p10-p90)")
    for endpoint in ENDPOINTS:
        with_ = rates[(endpoint, "with jupyter-coi")]
        without = rates[(endpoint, "without")]
        ratios = sorted(w / o for w, o in zip(with_, without))
        low, high = ratios[len(ratios) // 10], ratios[-1 - len(ratios) // 10]
        print(
            f"{endpoint:<14} {statistics.median(with_):>14.0f} r/s "
            f"{statistics.median(without):>8.0f} r/s {statistics.median(ratios):>7.3f}"
            f"  ({low:.3f}-{high:.3f})"
        )
    print("(median requests/s; ratio: median of the per-round with/without ratios, goal >= 0.98)")
    per_response = transform_cost()
    request = 1 / statistics.median(rates[("api/status", "without")])
    print(
        f"transform per response: {per_response * 1e6:.2f} us, "
        f"{100 * per_response / request:.3f}% of one api/status request"
    )


def transform_cost(count: int = 100_000) -> float:
    """Seconds the output transform adds to one response, timed in-process."""
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    from jupyter_coi.policy import Policy
    from jupyter_coi.transform import make_transform

    transform_class = make_transform(Policy(), "/user/alice/", [r"/proxy/8050/"])
    request = HTTPServerRequest(
        start_line=RequestStartLine("GET", "/user/alice/api/status", "HTTP/1.1"),
        headers=HTTPHeaders({"Host": "127.0.0.1"}),
    )
    base = HTTPHeaders({"Content-Type": "application/json", "Server": "TornadoServer"})
    start = time.perf_counter()
    for _ in range(count):
        transform_class(request).transform_first_chunk(200, HTTPHeaders(base), b"", True)
    with_transform = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(count):
        HTTPHeaders(base)
    baseline = time.perf_counter() - start
    return (with_transform - baseline) / count


if __name__ == "__main__":
    sys.exit(main())
