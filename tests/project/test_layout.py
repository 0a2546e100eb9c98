"""The package tree shows the design, and its packages do not import each other in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "toolkit" / "imatter"
# Folders that group packages (each child is a package of its own for the cycle check).
GROUPS = {"delivery", "trust", "services"}


def _unit(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts:
        return "imatter"
    if parts[0] in GROUPS and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def _module_level_imports() -> dict[str, set[str]]:
    """unit -> units it imports when it is loaded (imports inside functions are lazy)."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_init = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_init else parts)
        package = module if is_init else module.rsplit(".", 1)[0]
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if node.module is None:
                    targets = [f"{target}.{a.name}" for a in node.names]
                else:
                    targets = [target]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target.startswith("imatter.") and _unit(target) != _unit(module):
                    edges.setdefault(_unit(module), set()).add(_unit(target))
    return edges


def test_no_import_cycles_between_packages():
    edges = _module_level_imports()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if reaches(b, a)})
    assert cycles == []


def test_the_tree_reads_as_the_data_flow():
    """programme -> records -> eligibility -> credentials, with authoring, assessment,
    delivery, evidence and trust around them."""
    for name in (
        "programme.py",
        "records",
        "eligibility",
        "credentials",
        "book",
        "assess",
        "delivery",
        "impact",
        "reports",
        "trust",
        "notebook",
        "services",
        "cli",
    ):
        assert (PACKAGE / name).exists(), name
    for moved in (
        "licences.py",
        "takestock.py",
        "directory.py",
        "clusters.py",
        "audit.py",
        "access",
        "privacy",
        "groups",
    ):
        assert not (PACKAGE / moved).exists(), f"{moved} belongs under delivery/ or trust/"


def test_old_import_paths_are_the_same_modules():
    code = (
        "import imatter.licences as a, imatter.delivery.licences as b\n"
        "from imatter.groups import core as c\n"
        "import imatter.delivery.groups.core as d\n"
        "from imatter.access import identity\n"
        "from imatter.activities import choice_check\n"
        "from imatter import records\n"
        "assert a is b and c is d and b.__spec__.name == 'imatter.delivery.licences'\n"
        "assert records.award_role.__module__ == 'imatter.services.awards'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "ok\n", done.stderr


# Test folders that are not a part of the package, and why.
NOT_A_PART = {
    "project": "checks on the project as a whole (layout, hygiene, templates)",
    "fixtures": "files the tests read",
    "hub": "the hosted deployment end to end (a real JupyterHub)",
}


def test_the_tests_mirror_the_package():
    tests = PACKAGE.parents[1] / "tests"
    folders = sorted(p.name for p in tests.iterdir() if p.is_dir() and p.name != "__pycache__")
    strays = [
        name
        for name in folders
        if name not in NOT_A_PART
        and not (PACKAGE / name).is_dir()
        and not (PACKAGE / f"{name}.py").is_file()
    ]
    assert strays == [], "each tests/ folder is named after the part of imatter it tests"
    assert not list(tests.glob("test_*.py")), "tests live in the folder of the part they test"
