"""Contract documents, versioned: the owner uploads them; uploading under the title of a
current document adds a new version of it (the older one stays, marked replaced). Parties
read and download them through ``documents_of`` and ``document_of``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select

from koepel.contracts.contracting import Seen
from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.core import Contract, ContractDocument
from koepel.platform import audit, files
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant

AREA = "contract_documents"  # where the bytes live, one folder per owner


def check(title: str, filename: str, data: bytes) -> files.Upload:
    """The upload if its title, type and size are fine; else a message for the field."""
    if not (title or "").strip():
        raise ContractRuleError(_("Geef het document een titel."), "title")
    try:
        return files.check(filename, data)
    except files.UploadError as exc:
        raise ContractRuleError(str(exc), "file") from None


def add(
    *, actor: User, owner: Organisation, contract: Contract, title: str, upload: files.Upload
) -> ContractDocument:
    title = title.strip()[:300]
    rows = db.session.scalars(
        select(ContractDocument).where(ContractDocument.contract_id == contract.id)
    ).all()
    replaced = {r.replaces_id for r in rows}
    current = next(
        (r for r in rows if r.id not in replaced and r.title.casefold() == title.casefold()),
        None,
    )
    stored_name = files.store(owner.id, upload.data, upload.suffix, area=AREA)
    document = ContractDocument(
        tenant_id=owner.id,
        contract_id=contract.id,
        title=title,
        version=current.version + 1 if current else 1,
        filename=upload.filename,
        stored_name=stored_name,
        content_type=upload.content_type,
        size=upload.size,
        digest=hashlib.sha256(upload.data).hexdigest(),
        replaces_id=current.id if current else None,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=owner.id,
        action="contract.document_added",
        obj_type="contract",
        obj_id=contract.id,
        after={"title": title, "version": document.version, "sha256": document.digest},
    )
    return document


@dataclass(frozen=True)
class Listed:
    document: ContractDocument
    current: bool  # not replaced by a later version


def documents_of(seen: Seen) -> list[Listed]:
    """Every version, newest first per title; read across tenants for a party."""
    stmt = (
        select(ContractDocument)
        .where(ContractDocument.contract_id == seen.contract.id)
        .order_by(ContractDocument.title, ContractDocument.version.desc())
    )
    if seen.is_owner:
        rows = db.session.scalars(stmt).all()
    else:
        with cross_tenant("a party reads the documents of a contract it is party to"):
            rows = db.session.scalars(stmt).all()
    replaced = {r.replaces_id for r in rows}
    return [Listed(r, r.id not in replaced) for r in rows]


def document_of(seen: Seen, document_id: int) -> tuple[ContractDocument, bytes] | None:
    listed = next((d for d in documents_of(seen) if d.document.id == document_id), None)
    if listed is None:
        return None
    document = listed.document
    try:
        return document, files.read(seen.contract.tenant_id, document.stored_name, area=AREA)
    except FileNotFoundError:
        return None
