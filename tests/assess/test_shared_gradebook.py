"""Several markers, one gradebook: `imatter assess` honours NBGRADER_DB_URL (PostgreSQL here)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from . import helpers as h
from .conftest import COURSE_ID

pytestmark = pytest.mark.slow
A = h.ASSESSMENT


@pytest.fixture
def gradebook_url(pg_url, tmp_path, monkeypatch):
    """A fresh PostgreSQL database set as the shared gradebook ($NBGRADER_DB_URL)."""
    name = f"gb{tmp_path.name.replace('-', '_').lower()[-40:]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = pg_url.replace("/postgres?", f"/{name}?")
    monkeypatch.setenv("NBGRADER_DB_URL", url)
    return url


def test_two_markers_share_one_gradebook(gradebook_url, tmp_path, ws, people):
    from imatter.assess.autograde import autograde
    from imatter.assess.collect import collect_files
    from imatter.assess.course_dir import (
        add_learners,
        create_course_dir,
        gradebook,
        nbgrader_config,
        roster,
    )
    from imatter.assess.release import generate, release_files

    sam = create_course_dir(tmp_path / "sam", COURSE_ID, timeout=10)
    alex = create_course_dir(tmp_path / "alex", COURSE_ID, timeout=10)
    assert not (sam.root / "gradebook.db").exists()
    assert sam.db_url == gradebook_url
    assert nbgrader_config(sam).CourseDirectory.db_url == gradebook_url
    # The password in the URL never goes into the course directory's file.
    assert gradebook_url not in (sam.root / "nbgrader_config.py").read_text()

    generate(sam, h.SOURCES, A)
    add_learners(sam, ws.store, people)
    assert roster(alex) == {"p1", "p2", "p3", "p4"}  # the other marker sees sam's roster

    out = tmp_path / "outbox"
    release_files(sam, A, out)
    returned = tmp_path / "returned"
    h.dump(h.answered(h.load(out / f"p1_{A}.ipynb")), returned / f"p1_{A}.ipynb")
    assert collect_files(sam, A, returned).collected == ("p1",)
    assert not autograde(sam, A, workers=1).failed

    # The Lead dashboard's queue counts the reflections waiting in the shared gradebook, for
    # this course only (another course's waiting work in the same database is not counted).
    from imatter.dashboards import marking_queues

    (queue,) = marking_queues([alex.root])
    assert (queue.course_id, queue.waiting, queue.other) == (COURSE_ID, {1: 1}, 0)
    other = create_course_dir(tmp_path / "other", "another-course", timeout=10)
    assert marking_queues([other.root])[0].total == 0

    with gradebook(alex) as gb:
        submission = gb.find_submission(A, "p1")
        assert submission.student_id == "p1"
        assert submission.code_score > 0
    engine = sa.create_engine(gradebook_url)
    with engine.connect() as conn:
        students = set(conn.execute(sa.text("SELECT id FROM student")).scalars())
    engine.dispose()
    assert students == {"p1", "p2", "p3", "p4"}


def test_unreachable_shared_gradebook_is_one_line(ws, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_DB_URL", "postgresql+psycopg://marker:pw@127.0.0.1:9/gradebook")
    code, out, err = run_cli("assess", "-C", str(tmp_path / "course"), "init", "--course-id", "c1")
    assert (code, out) == (1, "")
    assert err == (
        "Error: NBGRADER_DB_URL: cannot open the shared gradebook (OperationalError); check the "
        "address, the password and that the database server is running\n"
    )
    assert "pw" not in err
    from imatter.assess.course_dir import create_course_dir
    from imatter.dashboards import marking_queues
    from imatter.errors import AssessmentError

    monkeypatch.delenv("NBGRADER_DB_URL")
    folder = create_course_dir(tmp_path / "c2", "c2").root
    monkeypatch.setenv("NBGRADER_DB_URL", "postgresql+psycopg://marker:pw@127.0.0.1:9/gradebook")
    with pytest.raises(AssessmentError, match="^NBGRADER_DB_URL: cannot open the shared gradebook"):
        marking_queues([folder])
