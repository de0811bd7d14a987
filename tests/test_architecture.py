"""The layer rules of ARCHITECTURE.md, enforced on the source itself.

Every import counts, at module level or inside a function, so a lazy import
cannot slip a layer past the rules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "enews"

BASE = {
    "errors", "dates", "limits", "urls", "profiles", "safefiles", "config", "colours",
    "languages", "roles",
}  # fmt: skip
# Each part of enews and the parts it may import (besides itself).
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    "safefiles": set(),
    "colours": set(),
    "languages": set(),
    "dates": {"errors"},
    "limits": {"errors"},
    "urls": {"errors"},
    "profiles": {"errors"},
    "config": {"errors", "limits", "urls", "profiles", "languages"},
    "roles": {"errors"},
    "store": BASE,
    "render": BASE,
    "compose": BASE | {"store", "render"},
    "collect": BASE | {"store", "render", "compose"},
    "workspace": BASE | {"store"},
    "publish": BASE | {"store", "render", "compose", "workspace"},
    "web": BASE | {"store", "render", "compose", "collect", "publish", "workspace"},
    "cli": BASE
    | {"store", "render", "compose", "collect", "publish", "workspace", "web"},
}
FACES = {"cli", "web"}
FACE_LIBRARIES = {"click", "flask", "flask_wtf"}


def part_of(module: str) -> str:
    """``enews.render.view`` -> ``render``; ``enews.dates`` -> ``dates``."""
    return module.split(".")[1]


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        dotted = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found.append((dotted.removesuffix(".__init__"), path))
    return found


def imports(path: Path) -> set[str]:
    """Every module name ``path`` imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            if node.module == "enews":  # from enews import db
                names.update(f"enews.{alias.name}" for alias in node.names)
    return names


LIBRARY_MODULES = [(m, p) for m, p in modules() if m.count(".") >= 1]


def test_every_part_of_enews_has_a_rule():
    parts = {part_of(m) for m, _ in LIBRARY_MODULES} - {"__main__"}
    assert parts <= set(MAY_IMPORT), parts - set(MAY_IMPORT)


@pytest.mark.parametrize(("module", "path"), LIBRARY_MODULES, ids=lambda v: str(v))
def test_imports_follow_the_layers(module, path):
    part = part_of(module)
    if part == "__main__":
        return
    allowed = MAY_IMPORT[part] | {part}
    wrong = sorted(
        name
        for name in imports(path)
        if name.startswith("enews.") and part_of(name) not in allowed
    )
    assert not wrong, f"{module} ({part}) may not import {wrong}"


@pytest.mark.parametrize(("module", "path"), LIBRARY_MODULES, ids=lambda v: str(v))
def test_only_the_faces_import_click_or_flask(module, path):
    if part_of(module) in FACES or part_of(module) == "__main__":
        return
    used = {name.split(".")[0] for name in imports(path)} & FACE_LIBRARIES
    assert not used, f"{module} is library code but imports {sorted(used)}"


@pytest.mark.parametrize(("module", "path"), LIBRARY_MODULES, ids=lambda v: str(v))
def test_render_never_touches_the_database(module, path):
    if part_of(module) != "render":
        return
    used = {name.split(".")[0] for name in imports(path)}
    assert "sqlalchemy" not in used, f"{module} imports SQLAlchemy"


def test_errors_import_nothing_of_enews():
    path = PACKAGE / "errors.py"
    assert not {n for n in imports(path) if n == "enews" or n.startswith("enews.")}


def test_importing_every_render_stage_loads_no_sqlalchemy():
    """The rule above, checked at run time too: the frozen view type and all
    the pure stages load without the database layer."""
    stages = sorted(m for m, _ in LIBRARY_MODULES if part_of(m) == "render")
    code = (
        "import importlib, sys\n"
        f"for name in {stages!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'enews') and not m.startswith('enews.render')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = eval(done.stdout)  # a list of names printed by the child
    assert "enews.render.view" in stages
    assert not [m for m in loaded if m.startswith("sqlalchemy")], loaded
    ours = [m for m in loaded if m.startswith("enews.")]
    assert not [m for m in ours if part_of(m) in {"store", "compose"}], ours


def test_no_face_module_is_named_like_a_core_module():
    core = {part_of(m) for m, _ in LIBRARY_MODULES} - FACES
    core |= {m.rsplit(".", 1)[1] for m, _ in LIBRARY_MODULES if part_of(m) not in FACES}
    for module, _ in LIBRARY_MODULES:
        if part_of(module) in FACES and module.count(".") == 2:
            name = module.rsplit(".", 1)[1]
            assert name not in core, f"{module} is named like a core module"


def test_cli_command_modules_import_only_the_cli_helpers():
    """No import cycle: command modules never import the cli package or
    main.py, which imports them to register their commands."""
    for path in (PACKAGE / "cli").glob("*_cmds.py"):
        names = imports(path)
        assert "enews.cli" not in names, path.name
        assert "enews.cli.main" not in names, path.name
