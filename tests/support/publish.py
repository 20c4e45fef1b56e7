"""Publishing synthetic projects to the loopback index, for resolver tests."""

from __future__ import annotations

from .index_server import IndexServer
from .wheels import WheelSpec, build_wheel


def publish(
    server: IndexServer,
    name: str,
    version: str,
    requires: list[str] | None = None,
    *,
    requires_python: str | None = None,
    tag: str = "py3-none-any",
    yanked: str | bool = False,
    metadata: bool = True,
    listed_requires_python: bool = True,
) -> str:
    """Add ``name==version`` (a real wheel with one module) to ``server``; returns its URL."""
    module = name.replace("-", "_").replace(".", "_")
    spec = WheelSpec(
        name=name,
        version=version,
        tag=tag,
        files={f"{module}/__init__.py": f"VERSION = {version!r}\n"},
        requires_dist=list(requires or []),
        requires_python=requires_python,
    )
    listed = None if listed_requires_python else ""  # "": the index page does not repeat it
    return server.add_wheel(
        build_wheel(spec), spec.filename, yanked=yanked, metadata=metadata, requires_python=listed
    )
