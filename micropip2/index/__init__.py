"""Package indexes: project pages (PEP 503 HTML, PEP 691 JSON, PyPI JSON API) and metadata files (PEP 658/714)."""

from .client import IndexClient, Strategy
from .errors import IndexPageError, IndexRequestError, IndexURLError
from .models import ProjectFile, ProjectPage
from .pages import parse_project_page
from .urls import IndexURL, parse_index_url

__all__ = [
    "IndexClient",
    "IndexPageError",
    "IndexRequestError",
    "IndexURL",
    "IndexURLError",
    "ProjectFile",
    "ProjectPage",
    "Strategy",
    "parse_index_url",
    "parse_project_page",
]
