"""The audit log: every state change of a governed object, append-only and hash-chained.

Each event's hash covers its own content and the previous event's hash, so changing,
inserting or removing a row anywhere breaks every link after it; ``verify_chain`` finds
the first broken link. The table also refuses UPDATE and DELETE (database triggers made
by the migration), so tampering needs deliberate access to the database itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from koepel.platform.models import AuditEvent, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

GENESIS = "0" * 64

# Set by the request cycle while someone acts for an organisation at its request
# (assisted work), so every event of that request carries both names.
_on_behalf: ContextVar[str | None] = ContextVar("koepel_audit_on_behalf", default=None)


@contextmanager
def acting_on_behalf(label: str | None) -> Iterator[None]:
    token = _on_behalf.set(label)
    try:
        yield
    finally:
        _on_behalf.reset(token)


_CHAIN_LOCK = 7_300_501  # PostgreSQL advisory-lock key for appending to the chain


def _plain(value: Any) -> Any:
    """JSON-safe, so that what is hashed is exactly what is stored and read back."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


_HASHED_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor_user_id,
    AuditEvent.actor_label,
    AuditEvent.tenant_id,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.summary,
    AuditEvent.prev_hash,
)


def compute_hash(event: Any) -> str:
    """SHA-256 over the canonical JSON of an event (an entity or a row with its fields)."""
    payload = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_user_id": event.actor_user_id,
        "actor_label": event.actor_label,
        "tenant_id": event.tenant_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def actor_label(user: User | None, on_behalf_of: str | None = None) -> str:
    label = f"{user.display_name} <{user.email}>" if user else "systeem"
    return f"{label} namens {on_behalf_of}" if on_behalf_of else label


def record(
    session: Session,
    *,
    actor: User | None,
    tenant_id: int | None,
    action: str,
    obj_type: str,
    obj_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with it)."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders so two transactions cannot both extend the same head.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    with cross_tenant("appending to the global audit chain"):
        head = session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
    summary: dict[str, Any] = {}
    if before is not None:
        summary["before"] = _plain(before)
    if after is not None:
        summary["after"] = _plain(after)
    event = AuditEvent(
        seq=(head.seq + 1) if head else 1,
        occurred_at=utcnow(),
        actor_user_id=actor.id if actor else None,
        actor_label=actor_label(actor, on_behalf_of or _on_behalf.get()),
        tenant_id=tenant_id,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        summary=summary,
        prev_hash=head.hash if head else GENESIS,
    )
    event.hash = compute_hash(event)
    with cross_tenant("appending to the global audit chain"):
        session.add(event)
        session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None
    head: str | None = None  # "seq:hash" of the last event, to note outside the database


def verify_chain(session: Session, batch: int = 1000, noted_head: str | None = None) -> ChainReport:
    """Walk the chain in order and report the first broken link.

    The chain alone cannot show that its newest events were removed, or that someone
    rewrote events and recomputed every hash after them. ``noted_head`` ("seq:hash", from
    an earlier report kept outside the database, e.g. a backup's manifest) closes that gap:
    that event must still be there, unchanged.
    """
    noted_seq, noted_hash = _parse_head(noted_head) if noted_head else (None, None)
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    last_seq, head = 0, None
    with cross_tenant("verifying the whole audit chain"):
        while True:
            # Plain rows, not entities: nothing lands in (or is served from) the identity map.
            rows = session.execute(
                select(*_HASHED_COLUMNS, AuditEvent.hash)
                .where(AuditEvent.seq > last_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            ).all()
            if not rows:
                if noted_seq is not None and last_seq < noted_seq:
                    return ChainReport(False, checked, noted_seq, "eerder genoteerd, nu weg")
                return ChainReport(True, checked, head=head)
            for event in rows:
                if event.seq != expected_seq:
                    return ChainReport(False, checked, event.seq, "volgnummer ontbreekt")
                if event.prev_hash != expected_prev:
                    return ChainReport(False, checked, event.seq, "schakel naar vorige klopt niet")
                if compute_hash(event) != event.hash:
                    return ChainReport(False, checked, event.seq, "inhoud is gewijzigd")
                if event.seq == noted_seq and event.hash != noted_hash:
                    return ChainReport(False, checked, event.seq, "anders dan eerder genoteerd")
                expected_prev, expected_seq = event.hash, event.seq + 1
                checked += 1
                last_seq, head = event.seq, f"{event.seq}:{event.hash}"


def _parse_head(noted: str) -> tuple[int, str]:
    seq, _, digest = noted.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError("a noted head looks like 1234:<64 hex characters>")
    return int(seq), digest.lower()
