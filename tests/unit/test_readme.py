"""README.md is a short front page: at most 1,500 words, the install and test commands that
tests/fresh_install.py and .ci/run rely on, and relative links that lead to files."""

from __future__ import annotations

import re

from support.harness import REPO

README = REPO / "README.md"
MOST_WORDS = 1500
COMMANDS = ('pip install ".[lab]" && jupyter lab', "bash tests/run.sh")
# [text](target) and [text]: target, without the images' and the badges' external addresses.
LINK = re.compile(r"\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)


def relative_links(text: str) -> list[str]:
    links = [a or b for a, b in LINK.findall(text)]
    return [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:|#", link)]


def test_readme_is_short():
    words = len(README.read_text().split())
    assert words <= MOST_WORDS, f"README.md has {words} words; at most {MOST_WORDS}"


def test_readme_has_the_install_and_test_commands():
    text = README.read_text()
    for command in COMMANDS:
        assert command in text


def test_readme_links_lead_to_files():
    links = relative_links(README.read_text())
    assert "docs/reference/browsers.md" in links
    missing = [link for link in links if not (REPO / link.split("#")[0]).exists()]
    assert missing == [], f"README.md links to files that do not exist: {missing}"
