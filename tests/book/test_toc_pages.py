"""The table of contents and the catalogue pages generated from programme.yml."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from imatter.book.build import generate_sources
from imatter.book.pages import write_pages
from imatter.book.programme_map import layout, render_svg
from imatter.book.project import course_materials
from imatter.book.toc import build_toc, toc_docnames


def test_toc_follows_the_catalogue(project):
    toc = build_toc(project, project.programme())
    assert toc["root"] == "book/welcome"
    captions = [part["caption"] for part in toc["parts"]]
    assert captions == ["Start here", "Foundation"]
    start = [c["file"] for c in toc["parts"][0]["chapters"]]
    assert start == [
        "book/how-to-use/learners",
        "book/how-to-use/lead-professionals",
        "book/how-to-use/lead-term",
        "book/how-to-use/authors",
        "book/take-stock",
        "book/how-to-use/keeping-records-safe",
        "book/how-to-use/hosting",
        "book/catalogue/programme-map",
        "book/catalogue/roles",
    ]
    foundation = toc["parts"][1]["chapters"]
    assert [c["file"] for c in foundation] == [
        "book/catalogue/courses/foundation-a",
        "book/catalogue/courses/foundation-b",
        "book/catalogue/courses/parents",
    ]
    assert [s["file"] for s in foundation[0]["sections"]] == [
        "modules/foundation-a/01-small-moments",
        "modules/foundation-a/02-calm-adults",
    ]


def test_generated_pages_join_the_toc_under_more(project):
    (project.generated_dir).mkdir(parents=True)
    (project.generated_dir / "directory.md").write_text("# Directory\n")
    (project.generated_dir / "directory.html").write_text("<p>standalone</p>")
    toc = build_toc(project, project.programme())
    assert toc["parts"][-1] == {
        "caption": "More",
        "chapters": [{"file": "book/generated/directory"}],
    }


def test_courses_without_a_folder_or_book_false_are_left_out(project):
    import shutil

    shutil.rmtree(project.modules_dir / "parents")
    docs = toc_docnames(build_toc(project, project.programme()))
    assert "book/catalogue/courses/parents" not in docs
    assert "book/catalogue/courses/foundation-b" in docs


def test_course_page_says_it_once_and_links_by_reference(project):
    programme = project.programme()
    write_pages(project, programme)
    page = (project.catalogue_dir / "courses" / "foundation-b.md").read_text()
    assert page.startswith("% GENERATED")
    assert "# Foundation B: calm, boundaries and working together" in page
    # Links show the target's own title: no title is copied into the link text.
    assert "{doc}`foundation-a`" in page
    assert "{doc}`/modules/foundation-b/01-warm-boundaries` (about 30 minutes)" in page
    assert "By the end of this course you will be able to explain why boundaries matters." in page
    assert "Parents, carers and professionals, learning together." in page
    a_page = (project.catalogue_dir / "courses" / "foundation-a.md").read_text()
    assert "It opens the way to {doc}`foundation-b`." in a_page
    assert "It counts towards the {ref}`role-link-professional` role." in a_page


def test_roles_page_words_every_requirement(project):
    write_pages(project, project.programme())
    page = (project.catalogue_dir / "roles.md").read_text()
    assert "(role-link-professional)=\n## Link Professional" in page
    assert "- Complete {doc}`courses/foundation-a`." in page
    assert "- Belong to a member setting" in page
    assert "## A licensed I Matter school" in page


def test_roles_page_of_the_real_catalogue_covers_every_kind(programme, tmp_path):
    from imatter.book.pages import _Links, roles_page

    page = roles_page(programme, _Links(programme, set(programme.courses), "courses/"))
    for words in (
        "Have held {ref}`role-trainee-lead` without a break for at least 2 years.",
        "Have an approved application for the {ref}`role-trainee-lead` role.",
        "Document your support of at least 3 vulnerable children",
        "Work as a headteacher in one of your settings.",
        "Belong to a licensed I Matter setting whose annual membership is current.",
        "Hold the {ref}`role-link-professional` role now",
        "This is a licence. It lasts 2 years.",
        "Recommended first: {doc}`courses/intermediate-a`, {doc}`courses/intermediate-b`.",
    ):
        assert words in page


def test_pages_are_rewritten_only_when_they_change(project):
    programme = project.programme()
    first = write_pages(project, programme)
    assert len(first) >= 5
    assert write_pages(project, programme) == []
    stale = project.catalogue_dir / "courses" / "gone.md"
    stale.write_text("old")
    write_pages(project, programme)
    assert not stale.exists()


def test_generate_sources_writes_toc_with_a_generated_header(project):
    toc, written = generate_sources(project)
    text = project.toc_path.read_text()
    assert text.startswith("# GENERATED by `imatter book build`")
    assert project.toc_path in written
    assert generate_sources(project)[1] == []
    assert toc["root"] == "book/welcome"


def test_programme_map_is_an_svg_with_a_box_per_course_and_an_arrow_per_prerequisite(programme):
    svg = render_svg(
        programme.courses,
        lambda c: f"courses/{c.id}.html" if c.book else None,
        {
            lvl: lvl.title()
            for lvl in ("introduction", "foundation", "intermediate", "link", "lead")
        },
    )
    assert "\n\n" not in svg  # safe inside a raw HTML block
    tree = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    links = tree.findall(f".//{ns}a")
    groups = [g for g in tree.findall(f".//{ns}g") if g.get("class") == "imatter-map-course"]
    assert len(links) + len(groups) == len(programme.courses)
    assert len(groups) == sum(1 for c in programme.courses.values() if not c.book)
    edges = sum(len(c.prerequisites) for c in programme.courses.values())
    arrows = [p for p in tree.findall(f"{ns}path")]
    assert len(arrows) == edges
    assert tree.find(f"{ns}title").text.endswith("map")


def test_programme_map_places_each_course_below_its_prerequisites(programme):
    placed, width, height = layout(programme.courses)
    y = {p.course.id: p.y for p in placed}
    for course in programme.courses.values():
        for pre in course.prerequisites:
            assert y[pre] < y[course.id]
    xs = {(p.x, p.y) for p in placed}
    assert len(xs) == len(placed)  # no two boxes on top of each other
    assert all(p.x >= 0 and p.y >= 0 for p in placed)
    assert width > 0 and height > 0


def test_take_stock_characteristics_come_from_takestock(project):
    from imatter.delivery.takestock import CHARACTERISTICS

    write_pages(project, project.programme())
    text = (project.catalogue_dir / "take-stock-characteristics.md").read_text()
    for item in CHARACTERISTICS:
        assert f"{item.number}. **{item.title}.** {item.description}" in text


def test_course_materials_read_course_yml(project):
    materials = course_materials(project, project.programme())
    assert [m.course.id for m in materials] == ["foundation-a", "foundation-b", "parents"]
    assert materials[0].outcomes and materials[0].description
    assert [p.name for p in materials[0].sessions] == [
        "01-small-moments.ipynb",
        "02-calm-adults.ipynb",
    ]
