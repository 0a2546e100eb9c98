"""Project hygiene users and maintainers rely on: one version, documented settings."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_one_version_source_cli_metadata_and_changelog_agree():
    import imatter

    cli = subprocess.run(
        [str(Path(sys.executable).with_name("imatter")), "--version"],
        capture_output=True,
        text=True,
    )
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## (\d+\.\d+\.\d+)", changelog, re.M)
    assert newest is not None
    assert imatter.__version__ == version("imatter") == newest.group(1)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip().endswith(imatter.__version__)


def test_every_imatter_variable_in_the_code_is_documented_in_the_readme():
    used: set[str] = set()
    for path in (ROOT / "toolkit" / "imatter").rglob("*"):
        if path.suffix in {".py", ".yml", ".example", ".ipynb", ".sh"} and path.is_file():
            used |= set(re.findall(r"\bIMATTER_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(IMATTER_[A-Z_]+)` \|", readme, re.M))
    assert used, "the scan found no variables: it is looking in the wrong place"
    assert used - documented == set(), "undocumented: add them to the README's table"


def test_workspace_yml_refuses_an_unknown_key_naming_its_line(tmp_path, monkeypatch):
    from imatter.errors import ImatterError
    from imatter.workspace import open_workspace

    monkeypatch.delenv("IMATTER_DB", raising=False)
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "workspace.yml").write_text("db: sqlite:///x.db\ndatabse: sqlite:///y.db\n")
    with pytest.raises(ImatterError) as raised:
        open_workspace(folder)
    assert raised.value.message == (
        f"{folder / 'workspace.yml'}:2: unknown setting 'databse' "
        "(known: credentials_url, db, programme); fix or remove it"
    )


def test_usage_error_is_raised_only_by_the_cli():
    """Library code cannot know how it was called: a rule or data problem exits 1."""
    package = ROOT / "toolkit" / "imatter"
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in package.rglob("*.py")
        if "cli" not in path.relative_to(package).parts and path.name != "errors.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "UsageError" in line
    ]
    assert offenders == []
