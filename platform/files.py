"""Uploaded files: what may be uploaded, and where the bytes live.

The database holds the metadata; the bytes live in the instance folder under a random name,
one folder per organisation, written to a temporary name and renamed so a crash never leaves
half a file under the real name. Callers that must keep content secret (sealed bids) encrypt
the bytes before handing them over.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import current_app
from flask_babel import gettext as _

DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
}
MAX_BYTES = 10 * 1024 * 1024


class UploadError(ValueError):
    """The upload cannot be taken; the message says why in plain words."""


@dataclass(frozen=True)
class Upload:
    filename: str  # as uploaded, without any folder, for the download
    suffix: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def check(filename: str, data: bytes, *, max_bytes: int = MAX_BYTES) -> Upload:
    """The upload if its type and size are allowed, else ``UploadError``."""
    name = PurePath((filename or "").replace("\\", "/")).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise UploadError(
            _("Dit soort bestand kan niet. Kies PDF, Word, Excel, OpenDocument, tekst of een foto.")
        )
    if not data:
        raise UploadError(_("Het bestand is leeg."))
    if len(data) > max_bytes:
        raise UploadError(_("Het bestand is groter dan %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
    return Upload(name[:200], suffix, DOCUMENT_TYPES[suffix], data)


def path_of(tenant_id: int, stored_name: str, area: str = "documents") -> Path:
    if not stored_name or "/" in stored_name or stored_name.startswith("."):
        raise ValueError("not a stored name")
    return Path(current_app.instance_path) / area / str(int(tenant_id)) / stored_name


def write(tenant_id: int, name: str, data: bytes, area: str = "documents") -> Path:
    """Writes the bytes under ``name``, whole or not at all (also when a retry overwrites
    them), and returns their path."""
    path = path_of(tenant_id, name, area)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{name}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def store(tenant_id: int, data: bytes, suffix: str, area: str = "documents") -> str:
    """Writes the bytes and returns their stored name (random, with the suffix)."""
    stored_name = f"{uuid.uuid4().hex}{suffix}"
    write(tenant_id, stored_name, data, area)
    return stored_name


def read(tenant_id: int, stored_name: str, area: str = "documents") -> bytes:
    return path_of(tenant_id, stored_name, area).read_bytes()
