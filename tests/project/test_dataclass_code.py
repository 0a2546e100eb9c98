"""The dataclass methods' code table (`imatter.dataclass_code`): a read command's second start
compiles nothing, and the classes it makes behave exactly as dataclasses made without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPORT = """
import dataclasses, json
import imatter.programme as p, imatter.eligibility
from imatter import dataclass_code

@dataclasses.dataclass(frozen=True)
class NotOurs:
    x: int

course = p.Completed(course="foundation-a")
try:
    course.course = "other"
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
print(json.dumps({
    "added": dataclass_code.compiled(),
    "table": str(dataclass_code.table_folder() / "imatter.programme.marshal"),
    "repr": repr(course),
    "equal": course == p.Completed(course="foundation-a"),
    "unequal": course == p.Completed(course="foundation-b"),
    "hash": hash(course) == hash(p.Completed(course="foundation-a")),
    "frozen": frozen,
    "doc": p.Completed.__doc__,
    "not_ours": repr(NotOurs(1)),
}))
"""


def _run(pycache: Path, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environ.update(PYTHONPYCACHEPREFIX=str(pycache), **env)
    done = subprocess.run(
        [sys.executable, "-c", REPORT], capture_output=True, text=True, env=environ, check=True
    )
    return json.loads(done.stdout)


BEHAVIOUR = ("repr", "equal", "unequal", "hash", "frozen", "doc", "not_ours")


def test_the_second_start_compiles_no_dataclass_method(tmp_path: Path) -> None:
    first = _run(tmp_path)
    second = _run(tmp_path)
    assert first["added"] > 50  # programme and eligibility: hundreds of small methods
    assert Path(first["table"]).is_file()
    assert str(tmp_path) in first["table"]  # kept where Python keeps this run's bytecode
    assert second["added"] == 0
    assert {k: second[k] for k in BEHAVIOUR} == {k: first[k] for k in BEHAVIOUR}
    assert first["repr"] == "Completed(course='foundation-a')"
    assert first["equal"] and not first["unequal"] and first["hash"] and first["frozen"]
    assert first["not_ours"] == "NotOurs(x=1)"


@pytest.mark.parametrize("damage", [b"", b"not marshal at all", b"\xe3\x00\x00"])
def test_a_damaged_table_is_ignored_and_replaced(tmp_path: Path, damage: bytes) -> None:
    table = Path(_run(tmp_path)["table"])
    table.write_bytes(damage)
    again = _run(tmp_path)
    assert again["added"] > 50 and again["frozen"] and again["equal"]
    assert _run(tmp_path)["added"] == 0  # the damaged table was written afresh


def test_a_table_from_another_python_is_not_used(tmp_path: Path) -> None:
    import marshal

    table = Path(_run(tmp_path)["table"])
    _, codes = marshal.loads(table.read_bytes())
    table.write_bytes(marshal.dumps((b"\x00\x00\r\n", codes)))  # another magic number
    assert _run(tmp_path)["added"] > 50


def test_nothing_is_written_when_bytecode_is_not(tmp_path: Path) -> None:
    report = _run(tmp_path, PYTHONDONTWRITEBYTECODE="1")
    assert report["added"] > 50 and report["frozen"]
    assert not Path(report["table"]).exists()


def test_every_dataclass_has_a_docstring() -> None:
    """House style, and start-up: `dataclasses` computes `inspect.signature` for a class without
    one, on every import."""
    import ast

    package = Path(__file__).resolve().parents[2] / "toolkit" / "imatter"
    missing = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            decorators = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
            names = {getattr(d, "id", getattr(d, "attr", "")) for d in decorators}
            if "dataclass" in names and ast.get_docstring(node) is None:
                missing.append(f"{path.relative_to(package)}: {node.name}")
    assert missing == []


def test_warming_keeps_every_module_table_so_the_first_command_compiles_nothing(
    tmp_path: Path,
) -> None:
    """The installer runs `python -m imatter.dataclass_code` once (where others cannot write,
    a shared hub's venv, nobody else could keep the tables); the first command after it
    compiles nothing."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environ.update(PYTHONPYCACHEPREFIX=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "imatter.dataclass_code"],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
    )
    assert "dataclass methods kept for" in done.stdout
    assert len(list(tmp_path.rglob("dataclass-methods.*/*.marshal"))) > 20
    assert _run(tmp_path)["added"] == 0


def test_warming_says_so_when_bytecode_writing_is_off(tmp_path: Path) -> None:
    environ = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "imatter.dataclass_code"],
        capture_output=True,
        text=True,
        env=environ,
    )
    assert done.returncode == 1
    assert "bytecode writing is off" in done.stderr
    assert not list(tmp_path.rglob("*.marshal"))
