"""The errors of the index client: pages that cannot be read, indexes that did not answer as
asked."""

from __future__ import annotations

from ..errors import DownloadError, Micropip2Error


class IndexPageError(Micropip2Error):
    """A project page (PEP 503 HTML, PEP 691 JSON, PyPI JSON API) could not be understood.

    The message names the page's URL and the content type it came with."""

    def __init__(self, url: str, content_type: str, reason: str) -> None:
        shown = content_type or "no content type"
        super().__init__(f"could not read the project page {url} ({shown}): {reason}")
        self.url = url
        self.content_type = content_type
        self.reason = reason


class IndexRequestError(DownloadError):
    """An index answered with a status that is neither the page nor "not here" (404), or did not
    answer at all. The message names the index, the URL asked for and what came back."""

    def __init__(
        self, index_url: str, url: str, problem: str, hint: str = "", *, timed_out: bool = False
    ) -> None:
        text = f"the index {index_url} could not be used: {url} {problem}"
        super().__init__(f"{text}; {hint}" if hint else text, timed_out=timed_out)
        self.index_url = index_url
        self.url = url
        self.problem = problem


class IndexURLError(Micropip2Error, ValueError):
    """An index URL is not one of the accepted forms (a simple-index base, a ``{package_name}``
    template, a PyPI JSON API template, or ``"PYPI"``)."""
