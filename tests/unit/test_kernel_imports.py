"""jupyter_coi.kernel.imports: callbacks run once, after their own module is imported, and
never for another module that shares its loader (one zipimporter loads Pyodide's whole
standard library)."""

from __future__ import annotations

import sys
import zipfile

import pytest

from jupyter_coi.kernel import imports


@pytest.fixture
def zipped_package(tmp_path, monkeypatch):
    """A package ``zpkg`` of three modules in a zip on sys.path, forgotten afterwards."""
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zpkg/__init__.py", "")
        z.writestr("zpkg/first.py", "VALUE = 1\n")
        z.writestr("zpkg/second.py", "from . import first\nVALUE = 2\n")
        z.writestr("zpkg/third.py", "VALUE = 3\n")
    monkeypatch.syspath_prepend(str(archive))
    yield "zpkg"
    for name in [n for n in sys.modules if n == "zpkg" or n.startswith("zpkg.")]:
        del sys.modules[name]
    for finder in [f for f in sys.meta_path if isinstance(f, imports.AfterImport)]:
        sys.meta_path.remove(finder)


def test_each_callback_gets_its_own_module_once(zipped_package):
    seen = []
    imports.after_import("zpkg.second", lambda m: seen.append(("second", m.__name__, m.VALUE)))
    imports.after_import("zpkg.first", lambda m: seen.append(("first", m.__name__, m.VALUE)))
    import zpkg.second  # imports first on its way
    import zpkg.third

    assert seen == [("first", "zpkg.first", 1), ("second", "zpkg.second", 2)]
    assert zpkg.third.VALUE == 3
    # The modules keep the loader that loaded them, which can read their source.
    assert type(zpkg.second.__loader__).__name__ == "zipimporter"
    assert zpkg.second.__spec__.loader is zpkg.second.__loader__
    assert "VALUE = 2" in zpkg.second.__loader__.get_source("zpkg.second")


def test_a_module_already_imported_gets_its_callback_at_once(zipped_package):
    import zpkg.first

    seen = []
    imports.after_import("zpkg.first", lambda m: seen.append(m))
    assert seen == [zpkg.first]


def test_a_failing_callback_is_said_and_the_import_still_works(zipped_package, capsys):
    def broken(module):
        raise RuntimeError("no")

    imports.after_import("zpkg.third", broken)
    import zpkg.third

    assert zpkg.third.VALUE == 3
    assert "adjusting zpkg.third failed: RuntimeError('no')" in capsys.readouterr().err
