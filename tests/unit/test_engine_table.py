"""The engine table of docs/reference/browsers.md is what the engine tests assert (the browser harness's other half,
the three engines answering a test's calls alike, is tests/browser/test_engines_answer_alike.py)."""

from __future__ import annotations

import re

import pytest

from support.engines import ENGINES, EXPECTED, FEATURES, TESTS, engine_table
from support.harness import REPO as ROOT

# Named here rather than taken from support.engines, so that the table is read where readers find it.
PAGE = ROOT / "docs" / "reference" / "browsers.md"


def docs_table() -> dict[str, tuple[dict[str, bool], str]]:
    """The table as the page shows it: row text -> (column title -> yes or no, tested in)."""
    text = PAGE.read_text()
    start, end = text.index("<!-- engine table:"), text.index("<!-- end of engine table -->")
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text[start:end].splitlines()
        if line.startswith("|")
    ]
    (_, *columns, tested_in_title), separator, *body = rows
    assert tested_in_title == "tested in" and set(separator) == {"---"}
    answers = {"yes": True, "**no**": False}
    table = {}
    for title, *cells, tested_in in body:
        assert title not in table, f"{title!r} is in the table twice"
        table[title] = (
            {column: answers[cell] for column, cell in zip(columns, cells, strict=True)},
            tested_in.strip("`"),
        )
    return table


def test_docs_table_says_what_the_tests_assert():
    expected = {
        FEATURES[feature]: (
            {engine.title: EXPECTED[feature][name] for name, engine in ENGINES.items()},
            TESTS[feature],
        )
        for feature in FEATURES
    }
    assert docs_table() == expected, (
        "docs/reference/browsers.md's engine table differs from tests/support/engines.py: run `python tests/support/engines.py`"
    )


def test_docs_table_is_the_one_the_script_writes():
    assert engine_table() in PAGE.read_text(), "run `python tests/support/engines.py`"


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
