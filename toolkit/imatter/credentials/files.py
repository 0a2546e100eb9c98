"""Files written inside a database transaction, put back as they were if it rolls back.

A credential file is written (atomically: temporary file, then rename) before its row is
inserted, so that a failure to write stops the transaction. If the transaction then rolls back,
each file written through `write_in_transaction` is restored to its earlier content, or removed
if it is new, so no signed credential outlives the records it claims.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from .keys import write_bytes_atomic, write_json_atomic

_pending: weakref.WeakKeyDictionary[sa.Connection, list[tuple[Path, bytes | None]]] = (
    weakref.WeakKeyDictionary()
)
_listening: weakref.WeakSet[sa.Connection] = weakref.WeakSet()


def write_in_transaction(conn: sa.Connection, path: Path, data: Mapping[str, Any] | bytes) -> bytes:
    """Write `data` (JSON, or raw bytes) to `path`; undo it if `conn`'s transaction rolls back."""
    before = path.read_bytes() if path.exists() else None
    if conn not in _listening:
        _listening.add(conn)
        event.listen(conn, "rollback", _undo)
        event.listen(conn, "commit", _forget)
    _pending.setdefault(conn, []).append((path, before))
    if isinstance(data, bytes):
        write_bytes_atomic(path, data)
        return data
    return write_json_atomic(path, data)


def _undo(conn: sa.Connection) -> None:
    for path, before in reversed(_pending.pop(conn, [])):
        try:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                write_bytes_atomic(path, before)
        except OSError:  # pragma: no cover - best effort while already failing
            pass


def _forget(conn: sa.Connection) -> None:
    _pending.pop(conn, None)
