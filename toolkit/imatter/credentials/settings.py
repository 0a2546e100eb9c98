"""Where a workspace keeps its credentials, and the public URLs they point to.

The folder `<workspace>/public/` is published with the book: the book build copies it to the
site root, so `<workspace>/public/credentials/X` is served at `<credentials URL>/X`. The
credentials URL is `<issuer url>/credentials` (issuer url from the programme file) unless
`workspace.yml` sets `credentials_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ImatterError

if TYPE_CHECKING:  # keys brings cryptography and pyld: imported only when keys are used
    from .keys import KeyStore

#: The issuer's published key document, under the credentials URL (its id is that URL).
KEY_DOCUMENT = "issuer.json"

PUBLIC_FOLDER = "public"
PUBLIC_SUBFOLDER = "credentials"


@dataclass(frozen=True)
class CredentialSettings:
    """Folders and URLs for one workspace's credentials."""

    workspace: Path
    base_url: str
    issuer_name: str
    issuer_url: str

    @property
    def public_folder(self) -> Path:
        """Published with the book at `base_url` (issuer.json, status lists)."""
        return self.workspace / PUBLIC_FOLDER / PUBLIC_SUBFOLDER

    @property
    def credentials_folder(self) -> Path:
        """The issued credentials (private: they name a person's role and hashed email)."""
        return self.workspace / "credentials"

    @property
    def certificates_folder(self) -> Path:
        return self.workspace / "certificates"

    @property
    def keys_folder(self) -> Path:
        return self.workspace / "keys"

    @property
    def issuer_id(self) -> str:
        """The issuer's stable id: the URL of its published key document."""
        return f"{self.base_url}/{KEY_DOCUMENT}"

    def status_list_url(self, list_id: str) -> str:
        return f"{self.base_url}/status/{list_id}.json"

    def local_path(self, url: str) -> Path | None:
        """The file under `public/credentials/` that is published at `url`, if any."""
        prefix = self.base_url + "/"
        if not url.startswith(prefix):
            return None
        relative = url[len(prefix) :].split("#", 1)[0]
        if not relative or ".." in relative.split("/"):
            return None
        return self.public_folder / relative

    def key_store(self) -> KeyStore:
        from .keys import KeyStore

        return KeyStore(self.keys_folder, self.public_folder, self.issuer_id)


def settings_for(ws: Any) -> CredentialSettings:
    """The credential settings of a workspace (imatter.workspace.Workspace)."""
    programme = ws.programme
    config_path = Path(ws.path) / "workspace.yml"
    configured = None
    if config_path.exists():
        from ..textcache import cached

        text = config_path.read_text(encoding="utf-8")
        data = cached(config_path.parent / "cache", "workspace", text)  # as workspace.py keeps it
        if data is None:
            import yaml

            from ..yamlfile import safe_load

            try:
                data = safe_load(text) or {}
            except yaml.YAMLError:
                raise ImatterError(
                    f"{config_path}: not valid YAML; fix or delete the file"
                ) from None
        if isinstance(data, dict):
            configured = data.get("credentials_url")
    base = str(configured or f"{programme.issuer_url.rstrip('/')}/credentials").rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ImatterError(f"{config_path}: credentials_url '{base}' must be an http(s) URL")
    return CredentialSettings(
        workspace=Path(ws.path),
        base_url=base,
        issuer_name=programme.issuer_name,
        issuer_url=programme.issuer_url,
    )
