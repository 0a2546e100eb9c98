"""All of a setting's credentials as one zip, with a manifest.

Credentials are the JSON files the credentials feature writes under the workspace and lists in
its `credentials` table (migration 2). A credential belongs to a setting when its award was made
in that setting. A file missing from the workspace is taken from the copy the database keeps
(when it keeps one), else named in the result and the manifest as missing; a database
without the table (or with no rows) falls back to zipping the files that exist, and says so.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import NotFound
from ..store import schema as t
from ..trust.access import require

MANIFEST = "manifest.json"
CREDENTIALS_FOLDER = "credentials"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same credentials give the same zip


@dataclass(frozen=True)
class ZipResult:
    """The zip written, what went in, what was missing, and any caveat worth telling."""

    path: Path
    files: tuple[str, ...]
    missing: tuple[str, ...] = ()
    altered: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def _has_table(conn: sa.Connection, name: str) -> bool:
    return sa.inspect(conn).has_table(name)


def zip_setting_credentials(
    ws: Any, setting_id: str, target: str | Path, *, progress: bool | None = None
) -> ZipResult:
    """Write every credential of a setting's awards into `target` (a .zip) with a manifest."""
    from ..progress import progress_bar

    workspace = Path(ws.path)
    store = ws.store
    notes: list[str] = []
    entries: list[dict[str, Any]] = []  # file, arcname, expected sha256, metadata
    with store.read() as conn:
        setting = conn.execute(sa.select(t.settings).where(t.settings.c.id == setting_id)).first()
        if setting is None:
            raise NotFound(f"no setting '{setting_id}'; see `imatter setting list`")
        require(conn, "reports.read", setting=setting_id)
        a = t.awards
        award_rows = {
            row.id: row
            for row in conn.execute(
                sa.select(a.c.id, a.c.person_id, a.c.role_id, a.c.valid_from).where(
                    a.c.setting_id == setting_id
                )
            )
        }
        has_table = _has_table(conn, "credentials")
        if has_table:
            c = t.credentials
            kept = c.c.document if "document" in c.c else sa.null()
            rows = conn.execute(
                sa.select(
                    c.c.id,
                    c.c.award_id,
                    c.c.file,
                    c.c.sha256,
                    c.c.valid_from,
                    kept.label("document"),
                )
                .where(c.c.award_id.in_(list(award_rows)))
                .order_by(c.c.issued_at, c.c.id)
            ).all()
            for row in rows:
                award = award_rows[row.award_id]
                entries.append(
                    {
                        "path": workspace / row.file,
                        "sha256": row.sha256,
                        "document": row.document,
                        "credential_id": row.id,
                        "award_id": row.award_id,
                        "role": award.role_id,
                        "person_id": award.person_id,
                        "valid_from": row.valid_from.isoformat(),
                    }
                )
    if not has_table:
        folder = workspace / CREDENTIALS_FOLDER
        found = sorted(folder.glob("*.json")) if folder.is_dir() else []
        notes.append(
            "this database has no credentials table (the credentials feature is not set up), "
            f"so every file under {CREDENTIALS_FOLDER}/ was zipped ({len(found)}); they cannot "
            "be told apart by setting"
        )
        entries = [{"path": p, "sha256": None, "document": None} for p in found]
    elif not entries:
        notes.append(f"no credentials have been issued for awards made in {setting_id}")
    target = Path(target)
    if not target.parent.exists():
        raise NotFound(f"{target}: the folder {target.parent} does not exist")
    files: list[str] = []
    missing: list[str] = []
    altered: list[str] = []
    restored: list[str] = []
    listed: list[dict[str, Any]] = []
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in progress_bar(entries, desc="credentials", unit="file", enabled=progress):
            path: Path = entry["path"]
            rel = _relative(path, workspace)
            if path.is_file():
                data = path.read_bytes()
            elif entry["document"]:
                data = entry["document"].encode("utf-8")  # the copy kept when it was issued
                restored.append(rel)
            else:
                missing.append(rel)
                continue
            digest = hashlib.sha256(data).hexdigest()
            if entry["sha256"] is not None and digest != entry["sha256"]:
                altered.append(rel)
            name = f"credentials/{path.name}"
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            files.append(name)
            listed.append(
                {
                    key: value
                    for key, value in entry.items()
                    if key not in ("path", "sha256", "document")
                }
                | {"file": name, "sha256": digest}
            )
        if restored:
            notes.append(
                f"{len(restored)} credential file(s) missing from the workspace were taken from "
                "the copy kept in the database: " + ", ".join(restored)
            )
        if missing:
            notes.append(
                f"{len(missing)} listed credential file(s) are missing: " + ", ".join(missing)
            )
        if altered:
            notes.append(
                f"{len(altered)} file(s) differ from the checksum recorded when issued: "
                + ", ".join(altered)
            )
        manifest = {
            "format": "imatter-credentials-zip",
            "schema_version": 1,
            "setting": {"id": setting.id, "name": setting.name},
            "credentials": listed,
            "missing": missing,
            "notes": notes,
        }
        info = zipfile.ZipInfo(MANIFEST, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(target)
    return ZipResult(target, tuple(files), tuple(missing), tuple(altered), tuple(notes))


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
