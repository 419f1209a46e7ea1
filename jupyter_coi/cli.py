"""The ``jupyter coi`` command (installed as ``jupyter-coi``, which ``jupyter`` finds)."""

from __future__ import annotations

import argparse
import math
import sys

from . import __version__
from .check import CheckError, check


def seconds(text: str) -> float:
    """A number of seconds for an option: more than 0, and finite."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jupyter coi", description="Cross-origin isolation for Jupyter: checks and tools."
    )
    parser.add_argument("--version", action="version", version=f"jupyter-coi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    audit = commands.add_parser(
        "check",
        help="check whether a deployment is (or can be) cross-origin isolated",
        description="Check a running server or static site (a URL), or a JupyterLite build or "
        "the HTML output of a Sphinx site built with jupyter_coi.sphinx (a folder), for "
        "cross-origin isolation: the page's COOP and COEP headers, what the page "
        "embeds that they would block, jupyter-coi's service worker, and a build's host files. "
        "Exit code: 0 isolated, 1 not, 2 could not check. It needs no project or "
        "configuration; `jupyter lite check`, run in a JupyterLite project, checks that "
        "project's build against its own configuration (the addon's host files and service "
        "worker against CrossOriginIsolationAddon's settings).",
    )
    audit.add_argument(
        "target",
        metavar="TARGET",
        help="a page's URL (add ?token=... for a Jupyter server that needs one; without a "
        "scheme, as in 127.0.0.1:8888/lab, http:// is meant), the output folder of "
        "`jupyter lite build`, or a Sphinx HTML output",
    )
    audit.add_argument(
        "--timeout",
        type=seconds,
        default=15,
        help="seconds that each request may take, from its start to its last byte (15)",
    )
    audit.add_argument(
        "--deadline",
        type=seconds,
        default=120,
        help="seconds that the whole check of a URL may take, all its requests together; "
        "past it, the check stops and exits 2 (120)",
    )
    audit.add_argument(
        "--max-resources",
        type=int,
        default=50,
        help="how many of the page's embedded resources to load at most (50)",
    )
    args = parser.parse_args(argv)
    try:
        report = check(
            args.target,
            timeout=args.timeout,
            max_resources=args.max_resources,
            deadline=args.deadline,
        )
    except CheckError as e:
        print(f"jupyter coi check: {e}", file=sys.stderr)
        return 2
    print(report.render())
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
