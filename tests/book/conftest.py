"""Fixtures for the book tests: a tiny book project (the real _config.yml and front matter,
with the small catalogue and notebooks in tests/fixtures/book/modules)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
LINT_CASES = FIXTURES / "lint"


def make_book_project(dest: Path) -> Path:
    """Copy the real book config and front matter with the fixture modules into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "_config.yml", dest / "_config.yml")
    shutil.copytree(
        ROOT / "book",
        dest / "book",
        ignore=shutil.ignore_patterns("catalogue", "generated", ".ipynb_checkpoints"),
    )
    shutil.copytree(FIXTURES / "book" / "modules", dest / "modules")
    return dest


@pytest.fixture
def book_root(tmp_path: Path) -> Path:
    return make_book_project(tmp_path / "project")


@pytest.fixture
def project(book_root: Path):
    from imatter.book.project import find_project

    return find_project(book_root)
