"""The engine table of docs/reference/browsers.md is what the engine tests assert (the browser harness's other half,
the three engines answering a test's calls alike, is tests/browser/test_engines_answer_alike.py)."""

from __future__ import annotations

import re

import pytest

from support.engines import BROWSERS_PAGE, ENGINES, EXPECTED, TESTS, engine_table
from support.harness import REPO as ROOT


def test_docs_table_is_the_one_the_tests_assert():
    assert BROWSERS_PAGE == ROOT / "docs" / "reference" / "browsers.md"
    assert engine_table() in BROWSERS_PAGE.read_text(), (
        "docs/reference/browsers.md's engine table differs from tests/support/engines.py: run `python tests/support/engines.py`"
    )


def test_readme_links_to_the_table_instead_of_copying_it():
    readme = (ROOT / "README.md").read_text()
    assert "docs/reference/browsers.md" in readme
    assert engine_table() not in readme


@pytest.mark.parametrize("feature", list(EXPECTED))
def test_every_row_is_asserted_by_tests_that_run_in_every_engine(feature):
    """Each row's file asserts it through ``engine.expects`` in a test that runs in each engine,
    so a row of the table cannot stand without a test that would fail if it were wrong."""
    source = (ROOT / TESTS[feature]).read_text()
    # Named in the call, or as the parameter of a test that passes it to the call.
    assert f'expects("{feature}")' in source or (
        f'"{feature}")' in source and "engine.expects(feature)" in source
    )
    # The marker without engine names (so: all of them), as the module's pytestmark or, as ruff
    # writes it since the lint commit, a decorator without parentheses.
    assert re.search(r"pytest\.mark\.engines(\(\))?$", source, re.MULTILINE)
    assert set(EXPECTED[feature]) == set(ENGINES)
