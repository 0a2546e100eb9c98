"""Building the tiny fixture book: offline, cached, and only as much work as a change needs."""

from __future__ import annotations

import json
import re

import pytest
from imatter.book.build import BuildError, build_book
from imatter.book.offline import audit_offline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from imatter.book.project import find_project

    from .conftest import make_book_project

    project = find_project(make_book_project(tmp_path_factory.mktemp("book") / "project"))
    result = build_book(project, jobs=2, echo=lambda _m: None)
    return project, result


def test_cold_build_runs_every_notebook_and_makes_every_page(built):
    project, result = built
    assert not result.skipped
    assert len(result.executed) == 6
    html = project.html_dir
    for page in (
        "index.html",
        "book/welcome.html",
        "book/take-stock.html",
        "book/catalogue/programme-map.html",
        "book/catalogue/roles.html",
        "book/catalogue/courses/foundation-a.html",
        "modules/foundation-a/01-small-moments.html",
        "search.html",
    ):
        assert (html / page).is_file(), page


def test_widgets_are_saved_with_their_state_and_load_local_scripts(built):
    project, _result = built
    page = (project.html_dir / "modules/foundation-a/01-small-moments.html").read_text()
    state = re.search(
        r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', page, re.S
    )
    assert state and json.loads(state.group(1))["state"]
    assert 'type="application/vnd.jupyter.widget-view+json"' in page
    assert 'src="../../_static/widgets/require.js' in page
    assert 'src="../../_static/widgets/embed-amd.js' in page
    for name in (
        "require.js",
        "embed-amd.js",
        "LICENSE-ipywidgets.txt",
        "LICENSE-requirejs.txt",
        "LICENSE-fontawesome.txt",
        "THIRD-PARTY-NOTICES.txt",
    ):
        assert (project.html_dir / "_static" / "widgets" / name).is_file(), name


def test_nothing_is_fetched_from_other_hosts(built):
    project, _result = built
    assert audit_offline(project.html_dir) == []
    page = (project.html_dir / "modules/foundation-a/01-small-moments.html").read_text()
    assert "unpkg.com" not in page and "cdn.jsdelivr" not in page and "cdnjs" not in page


def test_the_programme_map_links_course_pages(built):
    project, _result = built
    page = (project.html_dir / "book/catalogue/programme-map.html").read_text()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'href="courses/foundation-b.html"' in page


def test_no_change_means_no_rebuild(built):
    project, _result = built
    again = build_book(project, echo=lambda _m: None)
    assert again.skipped


def test_markdown_edit_rebuilds_without_running_notebooks(built):
    project, _result = built
    path = project.modules_dir / "foundation-b" / "01-warm-boundaries.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][1]["source"] += "\nA new sentence about warm boundaries.\n"
    path.write_text(json.dumps(nb, indent=1))
    result = build_book(project, echo=lambda _m: None)
    assert not result.skipped and result.executed == ()
    page = (project.html_dir / "modules/foundation-b/01-warm-boundaries.html").read_text()
    assert "A new sentence about warm boundaries." in page


def test_code_edit_runs_only_that_notebook(built):
    project, _result = built
    path = project.modules_dir / "parents" / "02-calm-and-firm.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][4]["source"] = nb["cells"][4]["source"].replace("settle", "settle down")
    path.write_text(json.dumps(nb, indent=1))
    result = build_book(project, echo=lambda _m: None)
    assert [p.name for p in result.executed] == ["02-calm-and-firm.ipynb"]


def test_extra_pages_and_public_files(built, tmp_path):
    project, _result = built
    project.generated_dir.mkdir(parents=True, exist_ok=True)
    (project.generated_dir / "status.md").write_text("# Course status\n\nAll on track.\n")
    public = tmp_path / "public"
    public.mkdir()
    (public / "status.csv").write_text("course,status\nfoundation-a,running\n")
    build_book(project, public=public, echo=lambda _m: None)
    assert (project.html_dir / "book/generated/status.html").is_file()
    assert (project.html_dir / "public/status.csv").read_text().startswith("course,status")


def test_a_failing_notebook_stops_the_build_and_names_it(built):
    project, _result = built
    path = project.modules_dir / "foundation-a" / "02-calm-adults.ipynb"
    nb = json.loads(path.read_text())
    first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    original = nb["cells"][first]["source"]
    nb["cells"][first]["source"] = "raise ValueError('broken on purpose')"
    path.write_text(json.dumps(nb, indent=1))
    try:
        with pytest.raises(BuildError, match="1 notebook\\(s\\) failed to run") as err:
            build_book(project, echo=lambda _m: None)
        assert any(
            "modules/foundation-a/02-calm-adults.ipynb: CellExecutionError" in d
            and "broken on purpose" in d
            for d in err.value.details
        )
    finally:
        nb["cells"][first]["source"] = original
        path.write_text(json.dumps(nb, indent=1))


def test_todo_left_in_a_session_stops_the_build(built):
    project, _result = built
    path = project.modules_dir / "parents" / "02-calm-and-firm.ipynb"
    original = path.read_text()
    nb = json.loads(original)
    nb["cells"][0]["source"] = "# Session 2: TODO a short title\n"
    path.write_text(json.dumps(nb, indent=1))
    try:
        with pytest.raises(BuildError, match=r"^1 placeholder\(s\) \(TODO\) left in") as err:
            build_book(project, echo=lambda _m: None)
        assert err.value.details[0] == (
            "modules/parents/02-calm-and-firm.ipynb, cell 1: # Session 2: TODO a short title"
        )
    finally:
        path.write_text(original)


def test_strict_always_runs_its_checks(built):
    project, _result = built
    page = project.root / "book" / "welcome.md"
    original = page.read_text()
    page.write_text(original + "\nSee {doc}`no-such-page`.\n")  # a Sphinx warning
    try:
        build_book(project, echo=lambda _m: None)  # not strict: built, with a warning
        assert build_book(project, echo=lambda _m: None).skipped
        with pytest.raises(BuildError, match="Sphinx could not build the book"):
            build_book(project, strict=True, echo=lambda _m: None)  # never "nothing changed"
    finally:
        page.write_text(original)


@pytest.mark.browser
def test_serve_reloads_the_open_page_when_a_source_changes(built):
    """`imatter book serve` rebuilds after a saved change and the open page shows it."""
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    playwright = pytest.importorskip("playwright.sync_api")
    project, _result = built
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", "from imatter.cli import run; run()", "book", "serve"]
        + ["--root", str(project.root), "--port", str(port), "--no-build"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    page_file = project.root / "book" / "welcome.md"
    original = page_file.read_text()
    try:
        assert server.stdout.readline().startswith("Serving ")
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page()
            for _ in range(50):
                try:
                    page.goto(f"http://127.0.0.1:{port}/book/welcome.html")
                    break
                except playwright.Error:
                    time.sleep(0.2)
            assert "A sentence added while serving" not in page.content()
            page_file.write_text(original + "\nA sentence added while serving.\n")
            page.get_by_text("A sentence added while serving.").wait_for(timeout=120_000)
            browser.close()
    finally:
        page_file.write_text(original)
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
    assert Path(project.html_dir / "book" / "welcome.html").is_file()
