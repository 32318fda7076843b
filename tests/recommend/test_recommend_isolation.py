"""Only the offline evaluation may read the demo generator (and its oracle)."""

from __future__ import annotations

import ast
from pathlib import Path

import c360.recommend

PACKAGE = Path(c360.recommend.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_recommender_never_imports_the_demo_generator() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.name == "evaluate.py":
            continue
        demo = {name for name in _imports(path) if name.startswith("c360.demo")}
        assert not demo, f"{path.name} imports {demo}"
        web = {name for name in _imports(path) if name.split(".")[0] in {"strawberry", "starlette"}}
        assert not web, f"{path.name} imports {web}"
