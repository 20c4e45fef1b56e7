"""micropip2's modules import only what lies below them (host only): the order is README's
Layout."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "micropip2"

# Lowest first; a module may import its own unit and anything earlier in this list.
LAYERS = [
    "errors",
    "limits",
    "arguments",
    "store",
    "runtime",
    "target",
    "locations",
    "headers",
    "record",
    "page_cache",
    "fetch",
    "progress",
    "progress_display",
    "cache",
    "wheel_fit",
    "wheel_file",
    "installed",
    "protected",
    "plan",
    "downloads",
    "direct_reference",
    "index",
    "lockfiles",
    "resolve",
    "request",
    "requirements_files",
    "resolutions",
    "install",
    "mocks",
    "listing",
    "env_lock",
    "operations",
    "manager",
    "micropip_api",
    "micropip_package_index",
    "micropip_by_name",
    "__init__",
    "aot",
    "cli",
    "__main__",
]


def _unit(module: str) -> str:
    """``micropip2.resolve.driver`` -> ``resolve``; ``micropip2.plan`` -> ``plan``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[str]:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    here = list(relative.parts)
    package = here if path.name == "__init__.py" else here[:-1]
    if path.name == "__init__.py":
        package = here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            found += names
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("micropip2"):
            found.append(node.module or "")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("micropip2")]
    return found


def test_every_unit_is_in_the_layer_list():
    units = {p.stem if p.parent == PACKAGE else p.parent.name for p in PACKAGE.rglob("*.py")}
    units = {u for u in units if u != "__pycache__"}
    assert units - set(LAYERS) == set()


def test_no_module_imports_a_unit_above_its_own():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        own = _unit(module.removesuffix(".__init__") if path.name == "__init__.py" else module)
        for target in _imports(path):
            unit = _unit(target)
            if unit in LAYERS and LAYERS.index(unit) > LAYERS.index(own):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_the_resolver_does_not_import_the_installer():
    resolve = PACKAGE / "resolve"
    assert [
        f"{path.name}: {target}"
        for path in resolve.glob("*.py")
        for target in _imports(path)
        if _unit(target) == "install"
    ] == []
