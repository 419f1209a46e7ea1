"""What the isolation headers cost Jupyter Server: requests per second with and without jupyter-coi.

Three `jupyter server` processes on loopback, one with the extension and two with it disabled,
are sent the same requests, taking turns request by request over one keep-alive connection
each, so that a slow moment of the machine falls on both. Prints requests/s per server and
endpoint (from the median time per request) and the ratio with/without (goal: >= 0.98), then the
transform's own cost per response, timed in-process, against the time of one request.

    python benchmarks/server_overhead.py [--rounds 40] [--requests 100]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.harness import JupyterProcess, disable_extension

ENDPOINTS = {"static asset": "static/favicon.ico", "api/status": "api/status"}
# A second server without jupyter-coi measures the method's own noise: two identical servers
# do not come out at exactly 1.000, and the with/without ratio means only as much as that.
CONTROL = "without, again (control)"
SERVERS = ("with jupyter-coi", "without", CONTROL)


def timed_request(conn: http.client.HTTPConnection, path: str, token: str) -> float:
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"token {token}"})
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--requests", type=int, default=100, help="per round and endpoint")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        homes = {name: Path(tmp, f"home-{i}") for i, name in enumerate(SERVERS)}
        disable_extension(homes["without"])
        disable_extension(homes[CONTROL])
        servers = {name: JupyterProcess(app="server", home=home) for name, home in homes.items()}
        try:
            for server in servers.values():
                server.start()
            pinned = pin(servers)
            if "cross-origin isolating" not in servers["with jupyter-coi"].log():
                raise RuntimeError("the server with jupyter-coi is not isolating")
            for name in ("without", CONTROL):
                if "jupyter_coi" in servers[name].log():
                    raise RuntimeError(f"the server {name!r} loaded jupyter-coi")
            latencies = run(servers, args.rounds, args.requests)
        finally:
            for server in servers.values():
                server.stop()
    report(latencies, args.rounds, args.requests)
    print(pinned)
    return 0


def pin(servers) -> str:
    """The servers on one CPU, this client on another: left to the scheduler, one server can
    end up sharing the client's CPU for the whole run, a bias much larger than the headers'."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "(not pinned: one CPU)"
    client, servers_cpu = cpus[0], cpus[1]
    os.sched_setaffinity(0, {client})
    for server in servers.values():
        for task in Path(f"/proc/{server.proc.pid}/task").iterdir():
            os.sched_setaffinity(int(task.name), {servers_cpu})
    return f"(client pinned to CPU {client}, the servers to CPU {servers_cpu})"


def run(servers, rounds: int, count: int) -> dict[tuple[str, str], list[float]]:
    """Seconds per request, by (endpoint, server). The servers take turns request by request,
    so that whatever else the machine does in a moment falls on all alike."""
    conns = {
        name: http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for name, server in servers.items()
    }
    latencies: dict[tuple[str, str], list[float]] = {}
    names = list(servers)
    for endpoint, path in ENDPOINTS.items():
        for name, server in servers.items():  # warm-up: caches, lazy imports, the connection
            for _ in range(count):
                timed_request(conns[name], server.base_url + path, server.token)
        for i in range(rounds * count):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                server = servers[name]
                seconds = timed_request(conns[name], server.base_url + path, server.token)
                latencies.setdefault((endpoint, name), []).append(seconds)
    return latencies


def report(latencies, rounds: int, count: int) -> None:
    print(
        f"jupyter-coi server overhead: {rounds * count} GETs per endpoint and server, alternating"
    )
    print(
        f"{'endpoint':<14} {'with jupyter-coi':>18} {'without':>12} {'ratio':>7}"
        f"  {'control':>12} {'control ratio':>14}"
    )
    for endpoint in ENDPOINTS:
        rate = {name: 1 / statistics.median(latencies[(endpoint, name)]) for name in SERVERS}
        print(
            f"{endpoint:<14} {rate[SERVERS[0]]:>14.0f} r/s {rate['without']:>8.0f} r/s "
            f"{rate[SERVERS[0]] / rate['without']:>7.3f}  {rate[CONTROL]:>8.0f} r/s "
            f"{rate[CONTROL] / rate['without']:>14.3f}"
        )
    print(
        "(requests/s from the median time per request; ratio = with / without, goal >= 0.98;\n"
        " control ratio = a second server without jupyter-coi / without: the method's noise)"
    )
    per_response = transform_cost()
    request = statistics.median(latencies[("api/status", "without")])
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
