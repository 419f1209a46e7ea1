"""The browser harness itself: the three engines answer a test's calls alike, and the README's
engine table is what the engine tests assert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from engines import ENGINES, EXPECTED, TESTS, engine_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_table_is_the_one_the_tests_assert():
    assert engine_table() in (ROOT / "README.md").read_text(), (
        "README.md's engine table differs from tests/engines.py: run `python tests/engines.py`"
    )


@pytest.mark.parametrize("feature", list(EXPECTED))
def test_every_row_is_asserted_by_tests_that_run_in_every_engine(feature):
    """Each row's file asserts it through ``engine.expects`` in a test that runs in each engine,
    so a row of the table cannot stand without a test that would fail if it were wrong."""
    source = (ROOT / TESTS[feature]).read_text()
    # Named in the call, or as the parameter of a test that passes it to the call.
    assert f'expects("{feature}")' in source or (
        f'"{feature}")' in source and "engine.expects(feature)" in source
    )
    assert "pytest.mark.engines()" in source
    assert set(EXPECTED[feature]) == set(ENGINES)


@pytest.mark.engines
def test_pages_answer_alike_in_each_engine(engine, page, other_origin):
    page.goto(other_origin)  # a directory listing: any page will do
    assert page.evaluate("1 + 1") == 2
    assert page.evaluate("(x) => x * 2", 21) == 42
    assert page.evaluate("async ([a, b]) => a + b", ["join", "ed"]) == "joined"
    assert page.evaluate("() => ({nested: [1, 'two', null, true]})") == {
        "nested": [1, "two", None, True]
    }
    with pytest.raises(Exception, match="thrown in the page"):
        page.evaluate("() => { throw new Error('thrown in the page') }")
    with pytest.raises(Exception, match="Timeout 300ms exceeded"):
        page.wait_for_selector("#never-there", timeout=300)
    page.evaluate(
        "() => { const b = document.createElement('button'); b.id = 'b'; b.textContent = 'Press';"
        " b.onclick = () => { b.dataset.pressed = 'yes'; }; document.body.append(b); }"
    )
    button = page.wait_for_selector("#b")
    assert button.inner_text() == "Press"
    button.click()
    page.wait_for_selector('#b[data-pressed="yes"]', state="attached", timeout=5000)
    assert re.match(r"Mozilla/5\.0", page.evaluate("navigator.userAgent"))
