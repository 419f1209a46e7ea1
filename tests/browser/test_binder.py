"""This repository on Binder, without Docker: an environment built from exactly the files in
``binder/`` (tests/support/binder_env.py), JupyterLab started from it under a Binder-like base URL,
and the example notebooks run in it.

- the page is isolated and the indicator says so;
- the notebooks for the regular kernel run top to bottom with nbclient, from that environment
  and beside that server (the first one asks the server for its own headers; the worker pool's
  runs its pool of processes there);
- in headless Chromium, the Pyodide notebook (an in-browser kernel through
  jupyterlab-hybrid-kernels) runs: the interrupt button stops its loop and its sleep, input() is
  answered, it reads a file of the file browser and writes one that lands on the server's disk,
  and a worker pool counts primes on two Pyodide workers;
- the shared-memory notebook computes over one SharedArrayBuffer with Web Workers and prints
  the speed-up.

The environment takes a few minutes to build (pip, then postBuild compiles the labextension):
it is built once for this module.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator

import pytest

from support.binder_env import BinderEnv, BinderLab, binder_pyodide, build
from support.harness import FRONTENDS, REPO
from support.pyodide_ui import ANSWERS_WHOLE, LiteNotebook, notebook

EXAMPLES = REPO / "examples"
KERNEL_NOTEBOOKS = [
    "01-cross-origin-isolation.ipynb",
    "03-shared-memory-workers.ipynb",
    "04-worker-pool.ipynb",
    "05-parallel-python.ipynb",
]
STATUSBAR_INDICATOR = FRONTENDS[0].indicator


@pytest.fixture(scope="module")
def binder(tmp_path_factory) -> BinderEnv:
    root = tmp_path_factory.mktemp("binder")
    return build(root / "env", root / "build-home")


@pytest.fixture(scope="module")
def lab(binder, tmp_path_factory) -> Iterator[BinderLab]:
    home = tmp_path_factory.mktemp("binder-lab")
    server = BinderLab(
        app="lab",
        home=home,
        base_url=f"/user/binder-{secrets.token_hex(4)}/",
        binder=binder,
        pyodide=binder_pyodide(binder),
    )
    server.prepare([EXAMPLES])
    server.start(timeout=120)
    yield server
    server.stop()


def open_example(page, lab, name: str) -> LiteNotebook:
    # `reset`: without it the page also reopens the notebooks of earlier tests (the server
    # keeps the workspace), and one of them can be on screen while the test clicks.
    nb = LiteNotebook(page, url=lab.page_url(f"lab/tree/examples/{name}?reset"))
    page.wait_for_function(
        "name => document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current "
        ".lm-TabBar-tabLabel')?.textContent === name",
        arg=name,
        timeout=30_000,
    )
    nb.wait_cells(len(json.loads((EXAMPLES / name).read_text())["cells"]))
    return nb


def test_environment_has_what_binder_would_install(binder):
    listed = binder.run(
        str(binder.python), "-m", "pip", "list", "--format=json", cwd=REPO, home=binder.prefix
    ).stdout
    versions = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listed)}
    for name in (
        "jupyter-coi",
        "jupyterlab",
        "notebook",
        "jupyterlab-hybrid-kernels",
        "jupyterlite-pyodide-kernel",
    ):
        assert name in versions, f"{name} missing from the Binder environment"
    extensions = binder.run(
        str(binder.bin / "jupyter"), "labextension", "list", cwd=REPO, home=binder.prefix
    )
    assert re.search(r"jupyter-coi v\S+ .*enabled", extensions.stdout + extensions.stderr)


def test_lab_under_binder_base_url_is_isolated(lab, page):
    response = page.goto(lab.page_url("lab/tree/examples/01-cross-origin-isolation.ipynb"))
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    # The default COEP, auto: Chromium gets credentialless.
    assert response.headers["cross-origin-embedder-policy"] == "credentialless"
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    assert page.evaluate("self.crossOriginIsolated") is True
    indicator = page.locator(STATUSBAR_INDICATOR)
    indicator.wait_for()
    page.wait_for_function(
        "s => document.querySelector(s)?.textContent.includes('Isolated')", arg=STATUSBAR_INDICATOR
    )
    assert "jupyter_coi | cross-origin isolating every response" in lab.log()


@pytest.mark.parametrize("name", KERNEL_NOTEBOOKS)
def test_kernel_notebook_runs_top_to_bottom(lab, binder, name):
    """nbclient, from the Binder environment, in the server's folder and beside it."""
    # A copy beside the original (same folder, same relative paths) keeps the browser tests'
    # notebooks as they are in the repository.
    copy = lab.root_dir / "examples" / f"executed-{name}"
    copy.write_text((EXAMPLES / name).read_text())
    try:
        done = binder.run(
            str(binder.bin / "jupyter"),
            "execute",
            "--inplace",
            copy.name,
            cwd=copy.parent,
            home=lab.home,
            timeout=300,
        )
        executed = json.loads(copy.read_text())
    finally:
        copy.unlink()
    errors = [
        o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert not errors, done.stderr
    text = "\n".join(
        "".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", [])
    )
    if name.startswith("04"):
        # On the server the pool's workers are processes.
        assert "in a server" in text, text
        assert re.search(
            r"serial: [\d.]+ s, pool of \d+ workers: [\d.]+ s, speed-up [\d.]+x, same results: True",
            text,
        ), text
        assert "joblib: same results: True" in text, text
    if name.startswith("05"):
        # multiprocessing and joblib, unchanged: processes, on the server.
        assert "in a server" in text, text
        assert len(re.findall(r"multiprocessing.Pool, \w+ pool: .* same results: True", text)) == 2
        assert "joblib: " in text and text.count("same results: True") == 3, text
    if name.startswith("01"):
        # Asked through the server's own URL: the headers the page gets.
        assert "Cross-Origin-Opener-Policy: same-origin" in text
        assert "Cross-Origin-Embedder-Policy: require-corp" in text
        assert re.search(
            r"1 thread: [\d.]+ s, 4 threads: [\d.]+ s, speed-up [\d.]+x .* same digest: True", text
        )


def page_script_output(page, lab, name: str, final: str, timeout: float = 30) -> str:
    """Run the first code cell of an example whose output JavaScript in the page writes, and
    return that output once it matches the regex `final`."""
    nb = open_example(page, lab, name)
    nb.wait_kernel_idle()
    cell = nb.code_cells()[0]
    nb.run_to_end(cell)
    return nb.wait_output(cell, final, timeout)


def test_javascript_output_sees_isolation(lab, page):
    out = page_script_output(page, lab, "01-cross-origin-isolation.ipynb", "crossOriginIsolated")
    assert "crossOriginIsolated: true, SharedArrayBuffer: available" in out


def test_shared_memory_notebook_speeds_up_in_the_page(lab, page):
    out = page_script_output(
        page,
        lab,
        "03-shared-memory-workers.ipynb",
        "sums agree|Failed|not cross-origin",
        timeout=120,
    )
    match = re.search(
        r"1 worker: (\d+) ms; (\d+) workers: (\d+) ms; speed-up ([\d.]+)x; sums agree: true", out
    )
    assert match, out
    print(f"shared-memory example: {match.group(0)}")


FIRST_CELL = """\
from jupyter_coi.pool import WorkerPoolExecutor
with WorkerPoolExecutor(max_workers=2) as pool:
    print('pool says', sum(pool.map(abs, [-1, -2, -3])))
"""


def test_pyodide_first_cell_at_once_in_hybrid_lab(lab, page):
    """JupyterLab's in-browser kernel, where no JupyterLite addon runs: Run All the moment the
    notebook shows, and its first cell uses a pool; three times, each a fresh page and kernel."""
    path = lab.root_dir / "examples" / "first-cell.ipynb"
    path.write_text(notebook(FIRST_CELL, "print('second cell', 1 + 1)"))
    try:
        for _ in range(3):
            nb = LiteNotebook(page, url=lab.page_url("lab/tree/examples/first-cell.ipynb?reset"))
            nb.wait_cells(2)
            nb.run_all_from_menu()
            out = nb.wait_output(0, r"pool says|Error|Traceback", timeout=180)
            assert "pool says 6" in out, out
            out = nb.wait_output(1, r"second cell|Error|Traceback", timeout=60)
            assert "second cell 2" in out, out
    finally:
        path.unlink()


def test_pyodide_notebook_in_hybrid_lab(lab, page):
    """The in-browser kernel, cell by cell, as a user runs it: every output checked, no error."""
    written = lab.root_dir / "examples" / "data" / "written-by-pyodide.txt"
    assert not written.exists()
    nb = open_example(page, lab, "02-pyodide-kernel.ipynb")
    code = nb.code_cells()

    nb.run_to_end(code[0])
    assert "crossOriginIsolated: True" in nb.output(code[0])

    nb.run(code[1])
    page.wait_for_timeout(500)
    nb.interrupt()
    nb.wait_done(code[1], timeout=5)
    out = nb.output(code[1])
    assert re.search(r"Interrupted after \d+\.\d+ s; x is still 42\.", out), out + "\n".join(
        line for line in nb.console if "jupyter-coi" in line
    )

    nb.run(code[2])
    page.wait_for_timeout(500)
    nb.interrupt()
    nb.wait_done(code[2], timeout=5)
    assert "Woken up by the interrupt." in nb.output(code[2])
    assert "Slept 10 seconds" not in nb.output(code[2])

    nb.run(code[3])
    box = page.locator(".jp-Stdin-input")
    box.wait_for(timeout=30_000)
    box.fill("Ada")
    box.press("Enter")
    nb.wait_done(code[3], timeout=30)
    assert "Hello, Ada!" in nb.output(code[3])

    nb.run_to_end(code[4])
    assert re.search(r"12 readings from Lisbon to Riga, mean -?\d+\.\d °C", nb.output(code[4]))

    nb.run_to_end(code[5])
    assert "Written by Ada from Pyodide: 12 readings" in nb.output(code[5])
    # The kernel's write went through the page to the server, and is on its disk.
    page.wait_for_timeout(1000)
    assert written.read_text().startswith("Written by Ada from Pyodide: 12 readings")
    # The kernel read and wrote those files through the page, with answers that went out whole.
    assert ANSWERS_WHOLE in nb.console

    nb.run_to_end(code[6])
    assert "No threads in Pyodide yet:" in nb.output(code[6])

    # The worker pool in an in-browser kernel inside JupyterLab (Pyodide 0.29 here).
    nb.run(code[7], wait_running=False)
    nb.wait_done(code[7], timeout=180)
    assert "counted on 2 workers: [1229, 2262, 3245, 4203]" in nb.output(code[7]), nb.output(
        code[7]
    )

    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert not [p for p in nb.prompts() if "*" in p]
