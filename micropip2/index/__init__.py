"""Package indexes: project pages (PEP 503 HTML, PEP 691 JSON, PyPI JSON API) and metadata files (PEP 658/714)."""
