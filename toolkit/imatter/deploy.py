"""Configuration files for hosting the course for many learners: JupyterHub on one server, or
Zero to JupyterHub on Kubernetes, with nbgrader's exchange and the records on PostgreSQL.

The files ship in ``imatter/data/deploy/``. The book's guide "Hosting for many learners"
includes them as they are, so the guide and the files cannot drift apart. `write_deployment`
copies them into a folder, filling in the course id wherever a file says ``{{course_id}}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ImatterError, InvalidValue

PLACEHOLDER = "{{course_id}}"
DEFAULT_COURSE_ID = "i-matter"
# The course id names nbgrader's course, the staff group (formgrade-ID) and the marking
# account (grader-ID), which is a system account name on one server: at most 32 characters.
_COURSE_ID = re.compile(r"^[a-z][a-z0-9-]{0,24}$")


class DeployError(ImatterError):
    """The deployment files could not be written (one already exists, or the folder is not
    a folder)."""


@dataclass(frozen=True)
class DeploymentFile:
    """One shipped file: its path in the output folder, and what it is for."""

    name: str
    purpose: str
    mode: int = 0o644


FILES: tuple[DeploymentFile, ...] = (
    DeploymentFile(
        "jupyterhub_config.py",
        "JupyterHub on one server: sign-in, staff group, shared marking server, idle culler.",
    ),
    DeploymentFile(
        "nbgrader_config.py",
        "nbgrader for everyone (/etc/jupyter): course id, exchange root, optional gradebook.",
    ),
    DeploymentFile(
        "hub.env.example",
        "The hub's settings and secrets on one server (copy to /etc/imatter/hub.env).",
        0o600,
    ),
    DeploymentFile(
        "jupyterhub.service",
        "systemd unit that runs the hub on one server with those settings.",
    ),
    DeploymentFile(
        "setup-extensions.sh",
        "Hides nbgrader's marking tools from learners (run once per install or image).",
        0o755,
    ),
    DeploymentFile(
        "grader-jupyter/nbgrader_config.py",
        "nbgrader for the marking account only: where its course directory is.",
    ),
    DeploymentFile(
        "grader-jupyter/labconfig/page_config.json",
        "Turns the formgrader and assignment tools back on for the marking account.",
    ),
    DeploymentFile(
        "grader-jupyter/jupyter_server_config.d/imatter-grader.json",
        "Turns the formgrader's server side back on for the marking account.",
    ),
    DeploymentFile(
        "z2jh-values.yaml",
        "Zero to JupyterHub (Kubernetes) Helm values: image, exchange volume, secrets, culling.",
    ),
    DeploymentFile(
        "kubernetes.yaml",
        "Kubernetes volumes for the exchange and staff workspace; staff-only database route.",
    ),
    DeploymentFile(
        "Dockerfile",
        "The single-user image for Kubernetes: JupyterLab, nbgrader and the toolkit.",
    ),
)


def deployment_files() -> list[DeploymentFile]:
    """The shipped deployment files, in the order the guide introduces them."""
    return list(FILES)


def _source(name: str) -> str:
    from importlib.resources import files

    return files("imatter").joinpath("data", "deploy", *name.split("/")).read_text("utf-8")


def check_course_id(course_id: str) -> str:
    """The course id, if it can name a hosted course; InvalidValue says what it may be."""
    if not _COURSE_ID.match(course_id or ""):
        raise InvalidValue(
            f"'{course_id}' cannot be a hosted course id: use a lower-case letter, then up to "
            "24 lower-case letters, digits or '-' (it names the marking account grader-ID)"
        )
    return course_id


def write_deployment(
    out_dir: str | Path, *, course_id: str = DEFAULT_COURSE_ID, overwrite: bool = False
) -> list[Path]:
    """Write every deployment file into `out_dir` with the course id filled in.

    Nothing is written if any file is already there, unless `overwrite` is true.

    :returns: the paths written, in `deployment_files()` order.
    :raises InvalidValue: the course id cannot name a hosted course.
    :raises DeployError: a file already exists, or `out_dir` is not a folder.
    """
    check_course_id(course_id)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DeployError(f"{out} is a file, not a folder; give a folder for --out")
    targets = [(item, out.joinpath(*item.name.split("/"))) for item in FILES]
    if not overwrite:
        existing = [path for _item, path in targets if path.exists()]
        if len(existing) == 1:
            raise DeployError(f"{existing[0]} already exists; pass --force to replace it")
        if existing:
            raise DeployError(
                f"{existing[0]} and {len(existing) - 1} other file(s) already exist; "
                "pass --force to replace them"
            )
    written = []
    for item, path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_source(item.name).replace(PLACEHOLDER, course_id), encoding="utf-8")
        path.chmod(item.mode)
        written.append(path)
    return written
