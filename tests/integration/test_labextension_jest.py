"""The labextension's TypeScript unit tests (jest), run as part of the one test command: every
file under labextension/test that holds tests ran, and every test in it passed; none skipped."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from support.harness import REPO

LABEXTENSION = REPO / "labextension"
# A test of jest's, however it is written: it(...), test(...), it.each(...)(...), it.skip(...).
DEFINES_TESTS = re.compile(r"^\s*(it|test)(\.\w+)*\(", re.MULTILINE)


def test_every_jest_test_ran_and_passed(tmp_path):
    npm = shutil.which("npm")
    assert npm, "npm is needed for the labextension's unit tests (Node.js >= 20)"
    assert (LABEXTENSION / "node_modules").is_dir(), (
        "labextension/node_modules is missing: `pip install -e .` runs `npm install` there"
    )
    report_path = tmp_path / "jest.json"
    done = subprocess.run(
        [npm, "test", "--silent", "--", "--ci", "--json", f"--outputFile={report_path}"],
        cwd=LABEXTENSION,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    report = json.loads(report_path.read_text())
    # Read from the sources, not from jest's config: a file of tests that jest does not match
    # (a misnamed spec) is a file of tests that never runs.
    with_tests = {
        path.resolve()
        for path in (LABEXTENSION / "test").rglob("*.ts")
        if DEFINES_TESTS.search(path.read_text())
    }
    ran = {}
    for suite in report["testResults"]:
        ran[REPO.joinpath(suite["name"]).resolve()] = [
            test["status"] for test in suite["assertionResults"]
        ]
    never_ran = sorted(str(path.relative_to(LABEXTENSION)) for path in with_tests - set(ran))
    assert not never_ran, f"files of tests that jest did not run: {never_ran}"
    assert set(ran) <= with_tests, out
    not_passed = {
        str(path.relative_to(LABEXTENSION)): statuses
        for path, statuses in ran.items()
        if not statuses or set(statuses) != {"passed"}
    }
    assert not not_passed, f"files with a test that did not pass, or with none: {not_passed}"
    assert report["numRuntimeErrorTestSuites"] == 0, out
