"""Fixtures for the deployment files: the shipped folder, and a copy written for one course."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "toolkit" / "imatter" / "data" / "deploy"
COURSE = "foundation-a"


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The deployment files written for the course `foundation-a`."""
    from imatter.deploy import write_deployment

    out = tmp_path / "hosting"
    write_deployment(out, course_id=COURSE)
    return out


def load_py_config(path: Path):  # type: ignore[no-untyped-def]
    """A Python config file loaded the way JupyterHub and nbgrader load theirs."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
