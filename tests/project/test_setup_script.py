"""`scripts/setup` is idempotent: on a set-up checkout it skips pip (so `scripts/demo` starts
at once), and reinstalls only when what pip reads has changed."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def checkout(tmp_path: Path) -> Path:
    """The files `scripts/setup` reads, and a real venv without pip: any attempt to install
    fails, so a run that succeeds did not reinstall."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    (root / "toolkit" / "imatter").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup", root / "scripts" / "setup")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(ROOT / "toolkit" / "imatter" / "__init__.py", root / "toolkit" / "imatter")
    python = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    return root


def stamp(root: Path, extras: str) -> str:
    text = (root / "pyproject.toml").read_bytes() + (
        root / "toolkit" / "imatter" / "__init__.py"
    ).read_bytes()
    return f"{extras} {hashlib.sha256(text).hexdigest()[:16]}\n"


def setup(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "scripts/setup"], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_a_set_up_checkout_skips_pip_and_a_changed_project_reinstalls(tmp_path):
    root = checkout(tmp_path)
    for extras in ("none", "test"):  # a test install covers a plain one
        (root / ".venv" / ".imatter-install").write_text(stamp(root, extras))
        done = setup(root)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        assert (root / ".venv" / ".imatter-install").read_text() == stamp(root, extras)
    with (root / "pyproject.toml").open("a") as project:
        project.write("\n# changed\n")
    done = setup(root)
    assert done.returncode != 0 and "No module named pip" in done.stderr
    assert (root / ".venv" / ".imatter-install").read_text() != stamp(root, "none")
