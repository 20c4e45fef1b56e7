"""The links of a PEP 503 HTML project page, read with the standard library's ``html.parser``
(imported only when an index answers with HTML: PEP 691 JSON pages never need it)."""

from __future__ import annotations

from html.parser import HTMLParser


class LinkCollector(HTMLParser):
    """The anchors of a page, its ``<base href>`` and its PEP 629 repository version."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base_href: str | None = None
        self.api_version: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # html.parser lower-cases names and HTML-unescapes values ("&gt;=3.8" -> ">=3.8").
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "base" and self.base_href is None:
            self.base_href = dict(attrs).get("href")
        elif tag == "meta":
            found = dict(attrs)
            if found.get("name") == "pypi:repository-version":
                self.api_version = found.get("content")
