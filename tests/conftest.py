"""The tests' root conftest: the fixture plugins, the markers, and the hooks that must live here.

The fixtures are in tests/support/fixtures.py; the harness they use is the rest of
tests/support/. unit/ runs in-process only, integration/ runs real processes and builds, and
browser/ drives Chromium, Firefox and WebKit.
"""

from __future__ import annotations

import os

import pytest

from support.engines import ENGINES

pytest_plugins = ["pytest_jupyter.jupyter_server", "support.fixtures"]

# compat/ measures third-party packages that only its own runner installs
# (tests/compat/requirements-packages.txt).
collect_ignore = [] if os.environ.get("JUPYTER_COI_COMPAT") == "packages" else ["compat"]
# Voici 0.10 needs jupyterlite-core 0.7: its tests run in the `voici` compatibility row, which
# installs it (tests/compat/run.py).
if not os.environ.get("JUPYTER_COI_VOICI"):
    collect_ignore += ["integration/test_voici_build.py", "browser/test_voici.py"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "chromium_args(*args): more command-line switches for the test's Chromium"
    )
    config.addinivalue_line(
        "markers",
        "engines(*names): run the test in each of these browser engines (all when none "
        "is named): " + ", ".join(ENGINES),
    )


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("engines")
    if marker is not None and "engine" in metafunc.fixturenames:
        names = list(marker.args or ENGINES)
        metafunc.parametrize("engine", names, indirect=True, ids=names)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # `rep_call` on the test item: the `page` fixture keeps a screenshot when the call failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
