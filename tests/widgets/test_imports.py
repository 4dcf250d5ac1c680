"""widgets/ reads the engine only through its public API, and only in source.py."""
import ast
from pathlib import Path

import tierjit.widgets

WIDGETS = Path(tierjit.widgets.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


def test_only_source_py_touches_the_engine_and_only_its_public_face():
    for path in WIDGETS.glob("*.py"):
        engine_imports = {m for m in imported_modules(path) if m.startswith("tierjit")}
        if path.name == "source.py":
            assert engine_imports == {"tierjit.tiers"}
        else:
            assert engine_imports == set(), path.name


def test_modules_stay_small():
    for path in WIDGETS.glob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path.name
