"""Signing a contract. Signatures follow the consortium: every client (buyer or funder)
signs with every main contractor (the lead party is one of them) individually, and every
subcontractor signs with each main contractor (Alphen). Each side of such a bilateral
agreement signs its own row; the contract becomes *signed* when every required row exists.
Members of an umbrella's contract take part without signing.

The rule itself is pure (``required_pairs``, ``required_signatures``); ``sign`` stores a
signature for the owner or a party alike (the rows live in the owner's tenant).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.core import (
    Contract,
    ContractParty,
    ContractSignature,
    ContractStatus,
    PartyRole,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

CLIENTS = frozenset({PartyRole.BUYER, PartyRole.FUNDER})
FIRST_TIER = frozenset({PartyRole.LEAD, PartyRole.MAIN})
CONTRACTORS = frozenset({PartyRole.LEAD, PartyRole.MAIN, PartyRole.SUB, PartyRole.MEMBER})


# -- the signature rule (pure) ----------------------------------------------------------------
def required_pairs(parties: Iterable[tuple[int, PartyRole]]) -> list[tuple[int, int]]:
    """The bilateral agreements a contract consists of, as (party id, party id): every
    client with every main contractor, every subcontractor with every main contractor.
    Members of an umbrella's contract take part without signing."""
    parties = list(parties)
    clients = [p for p, role in parties if role in CLIENTS]
    mains = [p for p, role in parties if role in FIRST_TIER]
    subs = [p for p, role in parties if role == PartyRole.SUB]
    return [(c, m) for c in clients for m in mains] + [(m, s) for m in mains for s in subs]


def required_signatures(parties: Iterable[tuple[int, PartyRole]]) -> set[tuple[int, int]]:
    """(signer, counterparty) for both sides of every pair."""
    return {(a, b) for pair in required_pairs(parties) for a, b in (pair, pair[::-1])}


def check_signable(parties: Sequence[tuple[int, PartyRole]]) -> None:
    """A contract needs a client and a main contractor before anyone can sign."""
    roles = {role for _p, role in parties}
    if not roles & CLIENTS:
        raise ContractRuleError(
            _("Dit contract heeft nog geen opdrachtgever of financier. Voeg die eerst toe."),
            "organisation",
        )
    if not roles & FIRST_TIER:
        raise ContractRuleError(
            _("Dit contract heeft nog geen (hoofd)aannemer. Voeg die eerst toe."), "organisation"
        )


@dataclass(frozen=True)
class PairState:
    a: ContractParty
    b: ContractParty
    a_signed: datetime | None
    b_signed: datetime | None

    @property
    def complete(self) -> bool:
        return self.a_signed is not None and self.b_signed is not None


def signature_state(
    parties: Sequence[ContractParty], signatures: Sequence[ContractSignature]
) -> list[PairState]:
    by_id = {p.id: p for p in parties}
    signed = {(s.party_id, s.counterparty_id): s.signed_at for s in signatures}
    return [
        PairState(by_id[a], by_id[b], signed.get((a, b)), signed.get((b, a)))
        for a, b in required_pairs((p.id, p.role) for p in parties)
    ]


# -- signing ---------------------------------------------------------------------------------
def parties_and_signatures(
    contract_id: int,
) -> tuple[list[ContractParty], list[ContractSignature]]:
    parties = db.session.scalars(
        select(ContractParty)
        .where(ContractParty.contract_id == contract_id)
        .options(selectinload(ContractParty.organisation))
        .order_by(ContractParty.id)
    ).all()
    signatures = db.session.scalars(
        select(ContractSignature).where(ContractSignature.contract_id == contract_id)
    ).all()
    return list(parties), list(signatures)


def sign(
    *,
    actor: User,
    org: Organisation,
    contract_id: int,
    counterparty_id: int | None,
    now: datetime | None = None,
) -> bool:
    """``org`` signs its side of the agreement with ``counterparty_id`` (a party id).
    Works for the owner and for a party alike (rows live in the owner's tenant). Returns
    whether the contract is now signed by everyone."""
    now = now or utcnow()
    with cross_tenant("a party signs its side of a contract it is party to"):
        contract = db.session.scalar(
            select(Contract).where(Contract.id == contract_id).with_for_update()
        )
        parties, signatures = parties_and_signatures(contract_id) if contract else ([], [])
        own = next((p for p in parties if p.organisation_id == org.id), None)
        if contract is None or own is None:
            raise ContractRuleError(_("U bent geen partij bij dit contract."))
        if contract.status != ContractStatus.DRAFT:
            raise ContractRuleError(_("Dit contract is al ondertekend of gesloten."))
        check_signable([(p.id, p.role) for p in parties])
        required = required_signatures((p.id, p.role) for p in parties)
        if (own.id, counterparty_id) not in required:
            raise ContractRuleError(
                _("Kies een partij waarmee uw organisatie dit contract tekent."), "counterparty"
            )
        if any(s.party_id == own.id and s.counterparty_id == counterparty_id for s in signatures):
            raise ContractRuleError(_("Uw organisatie heeft hier al getekend."), "counterparty")
        signature = ContractSignature(
            tenant_id=contract.tenant_id,
            contract_id=contract.id,
            party_id=own.id,
            counterparty_id=counterparty_id,
            signed_by_id=actor.id,
            signed_at=now,
        )
        db.session.add(signature)
        db.session.flush()
        other = next(p for p in parties if p.id == counterparty_id)
        for tenant_id in dict.fromkeys([contract.tenant_id, org.id]):
            audit.record(
                db.session,
                actor=actor,
                tenant_id=tenant_id,
                action="contract.signature",
                obj_type="contract",
                obj_id=contract.id,
                after={"party": org.slug, "with": other.organisation.slug},
            )
        done = {(s.party_id, s.counterparty_id) for s in signatures} | {(own.id, counterparty_id)}
        complete = required <= done
        if complete:
            contract.status, contract.signed_at = ContractStatus.SIGNED, now
            db.session.flush()
            audit.record(
                db.session,
                actor=actor,
                tenant_id=contract.tenant_id,
                action="contract.signed",
                obj_type="contract",
                obj_id=contract.id,
                after={"signatures": len(done)},
            )
    return complete
