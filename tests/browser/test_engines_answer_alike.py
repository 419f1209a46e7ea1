"""The browser harness itself: the three engines answer a test's calls alike (Playwright's
page in Chromium and Firefox, the WebDriver window in WebKit)."""

from __future__ import annotations

import re

import pytest


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
