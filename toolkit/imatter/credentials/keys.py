"""The issuer's Ed25519 keys: made, rotated, published, and never printed.

Layout inside a workspace:

    keys/issuer.key          the active private key (PKCS#8 PEM, mode 0600, folder 0700)
    keys/keyring.json        every public key ever used, with when it was made and retired
    public/credentials/issuer.json
                             the issuer's key document (a controller document listing all
                             those public keys as Multikey verification methods), published
                             with the book at <credentials URL>/issuer.json

Rotating makes a new active key and retires the old one (its private half is deleted); the
old public key stays in the key document, so credentials it signed still verify.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import Duplicate, ImatterError, InvalidCredential, NotFound
from .jsonld import DID_V1, MULTIKEY_V1
from .proof import parse_xsd_datetime, xsd_datetime
from .settings import KEY_DOCUMENT

ED25519_PUB_PREFIX = b"\xed\x01"
KEY_FILE = "issuer.key"
KEYRING_FILE = "keyring.json"


def multibase_public_key(public_key: Ed25519PublicKey) -> str:
    """The Multikey `publicKeyMultibase` of an Ed25519 key: z + base58btc(0xed01 + key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + raw).decode("ascii")


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """The Ed25519 key in a `publicKeyMultibase` (or did:key) value, or InvalidCredential."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise InvalidCredential(f"unknown key: '{value}' is not a base58btc Multikey")
    try:
        raw = base58.b58decode(value[1:].encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidCredential(f"unknown key: '{value}' is not valid base58btc") from None
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise InvalidCredential(f"unknown key: '{value}' is not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


@dataclass(frozen=True)
class PublicKeyEntry:
    """One issuer key as published: its verification method URL and lifetime."""

    id: str
    public_key_multibase: str
    created: dt.datetime
    retired: dt.datetime | None = None

    @property
    def public_key(self) -> Ed25519PublicKey:
        return public_key_from_multibase(self.public_key_multibase)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "publicKeyMultibase": self.public_key_multibase,
            "created": xsd_datetime(self.created),
            "retired": xsd_datetime(self.retired) if self.retired else None,
        }


@dataclass(frozen=True)
class KeyDocument:
    """The issuer's published keys: who the issuer is and which keys may sign for it."""

    issuer_id: str
    keys: tuple[PublicKeyEntry, ...]

    def find(self, verification_method: str) -> PublicKeyEntry | None:
        for entry in self.keys:
            if entry.id == verification_method:
                return entry
        return None

    @property
    def active(self) -> PublicKeyEntry | None:
        current = [k for k in self.keys if k.retired is None]
        return current[-1] if current else None

    def to_json(self) -> dict[str, Any]:
        """A controller document (DID v1 + Multikey contexts) listing every key, old and new."""
        return {
            "@context": [DID_V1, MULTIKEY_V1],
            "id": self.issuer_id,
            "verificationMethod": [
                {
                    "id": k.id,
                    "type": "Multikey",
                    "controller": self.issuer_id,
                    "publicKeyMultibase": k.public_key_multibase,
                }
                for k in self.keys
            ],
            "assertionMethod": [k.id for k in self.keys],
            "imatter": {
                "schema": 1,
                "keys": [
                    {
                        "id": k.id,
                        "created": xsd_datetime(k.created),
                        "retired": xsd_datetime(k.retired) if k.retired else None,
                    }
                    for k in self.keys
                ],
            },
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "key document") -> KeyDocument:
        """Read a published key document (as written by `to_json`)."""
        try:
            issuer_id = data["id"]
            lifetimes = {k["id"]: k for k in data.get("imatter", {}).get("keys", [])}
            allowed = set(data.get("assertionMethod", []))
            entries = []
            for vm in data["verificationMethod"]:
                if vm.get("type") != "Multikey" or vm.get("controller") != issuer_id:
                    continue
                if vm["id"] not in allowed:
                    continue
                life = lifetimes.get(vm["id"], {})
                created = life.get("created")
                retired = life.get("retired")
                entries.append(
                    PublicKeyEntry(
                        id=vm["id"],
                        public_key_multibase=vm["publicKeyMultibase"],
                        created=parse_xsd_datetime(created, "created") if created else _EPOCH,
                        retired=parse_xsd_datetime(retired, "retired") if retired else None,
                    )
                )
        except (KeyError, TypeError, AttributeError) as err:
            raise InvalidCredential(f"{source} is not an issuer key document ({err})") from None
        return cls(issuer_id, tuple(entries))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# ------------------------------------------------------------------------------ key store
@dataclass(frozen=True)
class KeyStore:
    """The key files of one workspace; `issuer_id` is the issuer's stable URL."""

    folder: Path
    public_folder: Path
    issuer_id: str

    @property
    def key_path(self) -> Path:
        return self.folder / KEY_FILE

    @property
    def keyring_path(self) -> Path:
        return self.folder / KEYRING_FILE

    @property
    def document_path(self) -> Path:
        return self.public_folder / KEY_DOCUMENT

    def exists(self) -> bool:
        return self.key_path.exists()

    # ------------------------------------------------------------------ reading
    def keyring(self) -> KeyDocument:
        """Every public key this issuer has used (empty before `keys init`)."""
        if not self.keyring_path.exists():
            return KeyDocument(self.issuer_id, ())
        try:
            data = json.loads(self.keyring_path.read_text(encoding="utf-8"))
            entries = tuple(
                PublicKeyEntry(
                    id=k["id"],
                    public_key_multibase=k["publicKeyMultibase"],
                    created=parse_xsd_datetime(k["created"], "created"),
                    retired=parse_xsd_datetime(k["retired"], "retired") if k["retired"] else None,
                )
                for k in data["keys"]
            )
        except (KeyError, TypeError, ValueError, InvalidCredential) as err:
            raise ImatterError(
                f"{self.keyring_path}: not a valid keyring ({err}); restore it from a backup"
            ) from None
        return KeyDocument(self.issuer_id, entries)

    def signing_key(self) -> tuple[Ed25519PrivateKey, str]:
        """The active private key and its verification method URL."""
        if not self.key_path.exists():
            raise NotFound(f"no issuer key in {self.folder}; run `imatter keys init` to make one")
        _check_private_mode(self.key_path)
        try:
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        except (ValueError, TypeError):
            raise ImatterError(
                f"{self.key_path}: not a readable Ed25519 private key; restore it from a backup"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ImatterError(f"{self.key_path}: not an Ed25519 key")
        entry = self.keyring().active
        vm = self.verification_method(key.public_key())
        if entry is None or entry.id != vm:
            raise ImatterError(
                f"{self.key_path} does not match the active key in {self.keyring_path}; "
                "restore both from the same backup"
            )
        return key, vm

    def verification_method(self, public_key: Ed25519PublicKey) -> str:
        return f"{self.issuer_id}#{multibase_public_key(public_key)}"

    # ------------------------------------------------------------------ changing
    def init(self, *, now: dt.datetime) -> PublicKeyEntry:
        """Make the issuer's first key; Duplicate if one exists."""
        if self.key_path.exists() or self.keyring().keys:
            raise Duplicate(
                f"an issuer key already exists in {self.folder}; use `imatter keys rotate` "
                "to replace it"
            )
        return self._new_key(now=now, previous=())

    def rotate(self, *, now: dt.datetime) -> PublicKeyEntry:
        """Make a new active key; the old one is retired (its public half stays published)."""
        if not self.key_path.exists():
            raise NotFound(f"no issuer key in {self.folder}; run `imatter keys init` first")
        self.signing_key()  # refuse to rotate a broken or mismatched key store
        retired = tuple(
            PublicKeyEntry(k.id, k.public_key_multibase, k.created, k.retired or _aware(now))
            for k in self.keyring().keys
        )
        return self._new_key(now=now, previous=retired)

    def _new_key(self, *, now: dt.datetime, previous: tuple[PublicKeyEntry, ...]) -> PublicKeyEntry:
        key = Ed25519PrivateKey.generate()
        entry = PublicKeyEntry(
            id=self.verification_method(key.public_key()),
            public_key_multibase=multibase_public_key(key.public_key()),
            created=_aware(now),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = self.key_path.with_name(KEY_FILE + ".new")
        _write_private(tmp, pem)
        keyring = KeyDocument(self.issuer_id, (*previous, entry))
        write_json_atomic(
            self.keyring_path, {"schema": 1, "keys": [k.to_json() for k in keyring.keys]}
        )
        os.replace(tmp, self.key_path)
        self.publish()
        return entry

    def publish(self) -> Path:
        """Write the public key document where the book build picks it up."""
        write_json_atomic(self.document_path, self.keyring().to_json())
        return self.document_path


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_private_mode(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ImatterError(
            f"{path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`"
        )


def write_json_atomic(path: Path, data: Mapping[str, Any] | list[Any]) -> bytes:
    """Write JSON (UTF-8, no \\u escapes) through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_bytes_atomic(path, payload)
    return payload


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# ------------------------------------------------------------------------------ key events
def key_fingerprint(entry: PublicKeyEntry) -> str:
    """SHA-256 of the raw Ed25519 public key, in hex: the key's name in the audit log."""
    import hashlib

    raw = entry.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _key_event(ws: Any, event: str, work: Any) -> Any:
    """Run `work(key_store, conn)` as an organisation admin, and write the key event (with the
    fingerprint of the active key) into the audit chain in the same transaction."""
    from ..store.audit import append_event
    from ..trust.access import require
    from .settings import settings_for

    store = settings_for(ws).key_store()
    with ws.store.write() as conn:
        require(conn, "keys.manage")
        result = work(store, conn)
        active = store.keyring().active
        fingerprint = key_fingerprint(active) if active else "none"
        details = json.dumps(
            {"event": event, "key": active.id if active else None, "fingerprint": fingerprint},
            sort_keys=True,
        )
        append_event(conn, "issuer_keys", f"{event}:{fingerprint}", details)
    return result


def init_issuer_key(ws: Any, *, now: dt.datetime) -> PublicKeyEntry:
    """Make the workspace's first issuer key (admins only; recorded in the audit log)."""
    return _key_event(ws, "init", lambda store, _conn: store.init(now=now))


def rotate_issuer_key(ws: Any, *, now: dt.datetime) -> PublicKeyEntry:
    """Replace the active issuer key (admins only; recorded in the audit log)."""
    return _key_event(ws, "rotate", lambda store, _conn: store.rotate(now=now))


def publish_issuer(ws: Any, *, now: dt.datetime) -> tuple[Path, list[dict[str, Any]]]:
    """Re-sign and write the key document and every status list (admins only; recorded)."""
    from .settings import settings_for
    from .status_list import publish_all

    settings = settings_for(ws)

    def work(store: KeyStore, conn: Any) -> tuple[Path, list[dict[str, Any]]]:
        return store.publish(), publish_all(conn, settings, now=now)

    return _key_event(ws, "publish", work)
