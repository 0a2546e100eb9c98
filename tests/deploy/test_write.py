"""`deployment_files` lists what ships; `write_deployment` fills in the course id and never
overwrites by accident."""

from __future__ import annotations

import stat

import pytest
from imatter.deploy import DeployError, deployment_files, write_deployment
from imatter.errors import InvalidValue

from .conftest import COURSE, SHIPPED


def test_every_shipped_file_is_listed_once_with_a_purpose():
    listed = [f.name for f in deployment_files()]
    on_disk = sorted(
        p.relative_to(SHIPPED).as_posix()
        for p in SHIPPED.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)
    for item in deployment_files():
        assert item.purpose and "\n" not in item.purpose and len(item.purpose) <= 100


def test_writes_every_file_with_the_course_id_filled_in(written):
    names = [f.name for f in deployment_files()]
    found = sorted(p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file())
    assert found == sorted(names)
    for name in names:
        text = (written / name).read_text(encoding="utf-8")
        shipped = (SHIPPED / name).read_text(encoding="utf-8")
        assert "{{" not in text, name
        assert text == shipped.replace("{{course_id}}", COURSE), name
    for name in ("jupyterhub_config.py", "nbgrader_config.py", "z2jh-values.yaml"):
        assert COURSE in (written / name).read_text(encoding="utf-8"), name


def test_secrets_file_is_private_and_the_script_runs(written):
    assert stat.S_IMODE((written / "hub.env.example").stat().st_mode) == 0o600
    assert (written / "setup-extensions.sh").stat().st_mode & stat.S_IXUSR
    assert stat.S_IMODE((written / "Dockerfile").stat().st_mode) == 0o644


def test_returns_the_paths_in_listed_order(tmp_path):
    paths = write_deployment(tmp_path / "out", course_id="lead-y2")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in paths] == [
        f.name for f in deployment_files()
    ]


def test_refuses_to_overwrite_and_writes_nothing(tmp_path):
    out = tmp_path / "hosting"
    out.mkdir()
    (out / "Dockerfile").write_text("FROM my-own-image\n")
    with pytest.raises(DeployError) as err:
        write_deployment(out, course_id=COURSE)
    assert err.value.message == f"{out / 'Dockerfile'} already exists; pass --force to replace it"
    assert err.value.exit_code == 1
    assert [p.name for p in out.iterdir()] == ["Dockerfile"]
    assert (out / "Dockerfile").read_text() == "FROM my-own-image\n"


def test_overwrite_replaces_what_is_there(written):
    (written / "Dockerfile").write_text("FROM my-own-image\n")
    write_deployment(written, course_id="intermediate-b", overwrite=True)
    assert (written / "Dockerfile").read_text() == (SHIPPED / "Dockerfile").read_text()
    assert 'course_id = "intermediate-b"' in (written / "nbgrader_config.py").read_text()


def test_a_file_where_the_folder_should_be(tmp_path):
    target = tmp_path / "hosting"
    target.write_text("not a folder")
    with pytest.raises(DeployError, match="is a file, not a folder"):
        write_deployment(target)


@pytest.mark.parametrize(
    "course_id", ["", "Foundation", "foundation_a", "1st-course", "-a", "a" * 26, "a b"]
)
def test_course_ids_that_cannot_name_accounts_are_refused(tmp_path, course_id):
    with pytest.raises(InvalidValue, match="cannot be a hosted course id") as err:
        write_deployment(tmp_path / "out", course_id=course_id)
    assert err.value.exit_code == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("course_id", ["a", "foundation-a", "lead-y1-t1", "a" * 25])
def test_course_ids_that_fit(tmp_path, course_id):
    write_deployment(tmp_path / "out", course_id=course_id)
    text = (tmp_path / "out" / "jupyterhub_config.py").read_text()
    assert f'COURSE_ID = "{course_id}"' in text
