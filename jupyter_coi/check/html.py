"""What a page's HTML makes the browser load as its subresources, and whether it loads
jupyter-coi's reload script (the sign of a site isolated by the service worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..static.serviceworker import SCRIPT_ID

# Elements whose URL the browser loads as a subresource of the page, and the attribute.
EMBEDS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "track": "src",
    "embed": "src",
    "object": "data",
}
LINK_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut icon", "manifest"}
# URLs that load nothing from the network.
NOT_LOADED = ("data:", "blob:", "javascript:", "#")


@dataclass(frozen=True)
class Embed:
    element: str
    url: str  # as written in the page: relative URLs are not resolved here
    cors: bool  # the element has a crossorigin attribute


@dataclass
class PageHtml:
    embeds: list[Embed] = field(default_factory=list)
    # The src of jupyter-coi's reload script, which sits at the site root; "" when absent.
    reload_script: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageHtml()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if a.get("id") == SCRIPT_ID:
            self.page.reload_script = a.get("src", "") or "./"
        url = ""
        if tag == "link" and a.get("rel", "").lower() in LINK_RELS:
            url = a.get("href", "")
        elif tag in EMBEDS:
            url = a.get(EMBEDS[tag], "")
        if url and not url.startswith(NOT_LOADED):
            self.page.embeds.append(Embed(tag, url, "crossorigin" in a))


def parse(html: str) -> PageHtml:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page
