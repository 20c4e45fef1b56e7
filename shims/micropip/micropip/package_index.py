"""micropip.package_index, given by micropip2 for JupyterLite's piplite (docs/jupyterlite.md):
``ProjectInfo``, ``CompatibilityLayer`` and ``query_package``, whose replacement by piplite
becomes a project source micropip2 asks before its indexes."""

from micropip2.micropip_package_index import CompatibilityLayer as CompatibilityLayer
from micropip2.micropip_package_index import ProjectInfo as ProjectInfo
from micropip2.micropip_package_index import query_package as query_package
