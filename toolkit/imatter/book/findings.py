"""What the module linter reports: findings (file, cell or line, message, fix) and the JSON
schemas they are checked against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ImatterError

ERROR, WARNING = "error", "warning"


class LintFailed(ImatterError):
    """`imatter module lint` found errors (they have been printed)."""


@dataclass(frozen=True)
class Finding:
    """One problem found in a module, where it is, and how to fix it."""

    severity: str
    code: str
    path: Path
    message: str
    fix: str
    cell: int | None = None  # 1-based cell number in a notebook
    line: int | None = None  # 1-based line in a YAML file, or in the cell

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": str(self.path),
            "cell": self.cell,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
        }


def format_finding(finding: Finding, base: Path | None = None) -> str:
    """`file, cell N: error [code] message` and an indented `fix:` line."""
    path = finding.path
    if base is not None:
        try:
            path = finding.path.resolve().relative_to(base.resolve())
        except ValueError:
            pass
    where = str(path)
    if finding.cell is not None:
        where += f", cell {finding.cell}"
        if finding.line is not None:
            where += f" line {finding.line}"
    elif finding.line is not None:
        where += f":{finding.line}"
    return f"{where}: {finding.severity} [{finding.code}] {finding.message}\n    fix: {finding.fix}"


# ---------------------------------------------------------------- schemas
def load_schema(name: str) -> dict[str, Any]:
    """A JSON schema shipped in imatter/schemas/ (course, session)."""
    from .. import jsonschemas

    return jsonschemas.load(name)


def schema_findings(
    data: Any,
    schema_name: str,
    path: Path,
    code: str,
    *,
    cell: int | None = None,
    lines: dict[str, int] | None = None,
    what: str = "",
) -> list[Finding]:
    from .. import jsonschemas

    validator = jsonschemas.validator(schema_name)
    found = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        field = ".".join(str(p) for p in error.path) or what or "(top level)"
        line = (lines or {}).get(str(error.path[0])) if error.path else None
        if error.validator == "additionalProperties":
            known = set(error.schema.get("properties", {}))
            extra = sorted(str(key) for key in set(error.instance) - known)
            message = f"unknown field(s) {', '.join(extra)} in {what or 'the file'}"
            fix = f"remove them; the fields are: {', '.join(error.schema.get('properties', {}))}"
        elif error.validator == "required":
            message = f"{what or 'the file'}: {error.message}"
            fix = f"add it (see imatter/schemas/{schema_name}.schema.json)"
        else:
            message = f"{field}: {error.message}"
            fix = f"correct it to match imatter/schemas/{schema_name}.schema.json"
        found.append(Finding(ERROR, code, path, message, fix, cell=cell, line=line))
    return found
