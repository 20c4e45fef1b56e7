"""Package indexes: project pages (PEP 503 HTML, PEP 691 JSON, PyPI JSON API) and metadata files
(PEP 658/714).

Import from the modules (``client``, ``pages``, ``urls``, ``models``, ``errors``): this package
imports nothing itself, so code that only needs ``models`` does not load the HTML parser.
"""
