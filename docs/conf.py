"""Sphinx configuration of micropip2's documentation site (built by scripts/docs.sh).

The pages are the Markdown files of docs/, read by MyST; docs/api.md documents the public names
from their docstrings with autodoc.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))  # autodoc imports micropip2 from this checkout

from micropip2 import __version__  # noqa: E402  (needs the path above)

project = "micropip2"
author = "micropip2 developers"
copyright = "micropip2 developers (MIT License)"
release = __version__
version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# `[text](page.md#a-heading)` links: anchors for headings down to ###
myst_heading_anchors = 3

# micropip2 imports Pyodide's modules only inside micropip2/runtime/pyodide.py, lazily
autodoc_mock_imports = ["js", "pyodide", "pyodide_js"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "alabaster"
html_title = f"micropip2 {release}"
html_static_path: list[str] = []
# wide enough for the tables of micropip.md and indexes.md
html_theme_options = {"page_width": "1240px", "sidebar_width": "260px"}
