"""The book's hosting guide is in the contents and shows every shipped file as it ships.

The built-page test reads the real book when IMATTER_BOOK_HTML names its HTML folder (CI sets
it after `imatter book build`); otherwise it builds the tiny fixture book with the guide in it.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import pytest
from imatter.deploy import deployment_files

from .conftest import ROOT, SHIPPED

GUIDE = ROOT / "book" / "how-to-use" / "hosting.md"
DOCNAME = "book/how-to-use/hosting"


def test_guide_includes_every_shipped_file_from_the_package():
    text = GUIDE.read_text(encoding="utf-8")
    included = re.findall(r"^```\{literalinclude\} (\S+)$", text, re.M)
    assert len(included) == len(set(included))
    assert {(GUIDE.parent / path).resolve() for path in included} == {
        (SHIPPED / item.name).resolve() for item in deployment_files()
    }


def test_guide_is_in_the_books_contents():
    from imatter.book.project import find_project
    from imatter.book.toc import build_toc, toc_docnames

    project = find_project(ROOT)
    assert DOCNAME in toc_docnames(build_toc(project, project.programme()))


@pytest.fixture(scope="module")
def hosting_page(tmp_path_factory) -> Path:
    given = os.environ.get("IMATTER_BOOK_HTML")
    if given:
        return Path(given) / f"{DOCNAME}.html"
    from imatter.book.build import build_book
    from imatter.book.project import find_project

    from ..book.conftest import make_book_project

    root = make_book_project(tmp_path_factory.mktemp("guide") / "project")
    shutil.copytree(SHIPPED, root / "toolkit" / "imatter" / "data" / "deploy")
    project = find_project(root)
    build_book(project, echo=lambda _m: None)
    return project.html_dir / f"{DOCNAME}.html"


def _code_blocks(page: str) -> list[str]:
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks]


@pytest.mark.slow
def test_built_guide_shows_every_file_exactly(hosting_page):
    assert hosting_page.is_file(), f"{hosting_page}: build the book first"
    page = hosting_page.read_text(encoding="utf-8")
    assert "Hosting for many learners" in re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    blocks = [block.strip() for block in _code_blocks(page)]
    for item in deployment_files():
        shipped = (SHIPPED / item.name).read_text(encoding="utf-8").strip()
        assert shipped in blocks, f"{item.name} is not shown as it ships"
        assert f'<span class="caption-text">{item.name}</span>' in page, item.name


def test_guide_installs_what_the_hub_tests_ran():
    """tests/hub runs the one-server steps: the guide names the same versions and settings."""
    import json
    import tomllib

    text = GUIDE.read_text(encoding="utf-8")
    package = json.loads((ROOT / "tests" / "hub" / "js" / "package.json").read_text())
    assert f"configurable-http-proxy@{package['dependencies']['configurable-http-proxy']}" in text
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (hub,) = [spec for spec in extra["test"] if spec.startswith("jupyterhub>")]
    assert f'"{hub}"' in text
    for step in (
        "sudo /usr/bin/python3 -m venv /opt/imatter/venv",
        "sudo chmod 1777 /srv/nbgrader/exchange",
        "useradd --create-home -K HOME_MODE=0700 --groups imatter p12",
        "/srv/nbgrader/exchange/foundation-a",
        "/opt/imatter/venv/etc/jupyter/nbgrader_config.py",
        "feedback foundation-a --exchange",
    ):
        assert step in text, step
