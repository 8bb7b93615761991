"""Framework agreements in storage: the buyer drafts the catalogue, adds providers with
their volume agreements, activates the agreement, places call-offs, closes 4-week periods
(which makes the adjustment proposals), decides on them, records innovation supplements
and runs the post-calculation; each provider reports the units it delivered.

The arithmetic is the pure rules' (``koepel.contracts.framework`` and
``koepel.contracts.own_contribution``): this module loads the rows, hands them to those
rules and stores the outcome. Functions take the actor and organisation explicitly, write
an audit event and only flush.

Tariff versions: while the agreement is a draft a tariff is simply changed. Once active, a
change is a new version (kept, with its reason); a call-off keeps the tariff in force when
it was placed, and the ceiling (volume × tariff) follows the tariff in force. For the pure
rules, a call-off at an earlier version is priced through a catalogue entry of its own,
``"<group>/<level>#<version>"`` (see ``priced_code``), so every figure uses the agreed
tariff and nothing is re-priced after the fact.

Visibility: the buyer reads its own rows in its own scope, and the providers' reports
through ``_report_lines`` (named cross-tenant read). A provider reads the active agreement,
its catalogue and its own share of the buyer's rows through ``party_state``; never another
provider's volumes, call-offs, reports, proposals or figures.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from koepel.contracts import framework as fr
from koepel.contracts import own_contribution as cak
from koepel.contracts.errors import ContractRuleError, money_text
from koepel.contracts.models.framework import (
    AgreementStatus,
    FrameworkAgreement,
    FrameworkCallOff,
    FrameworkIndicator,
    FrameworkParty,
    FrameworkPostCalculation,
    FrameworkProduct,
    FrameworkProposal,
    FrameworkReport,
    FrameworkReportLine,
    FrameworkSupplement,
    FrameworkTariff,
    FrameworkVolume,
    ProposalKind,
    ProposalStatus,
)
from koepel.contracts.payments import Period, four_week_periods
from koepel.platform import audit, files
from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, enqueue, job
from koepel.platform.models import JobRun, Organisation, OrgKind, User
from koepel.platform.money import to_money
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import local_today as today
from koepel.platform.timeutil import utcnow

BUYER_KINDS = (OrgKind.MUNICIPALITY, OrgKind.REGION)
# Who can be a party: providers, and the citizen initiatives that join a framework later.
PARTY_KINDS = (OrgKind.PROVIDER, OrgKind.COOPERATIVE, OrgKind.UMBRELLA)

GROUP_LABELS = {
    fr.AMBULATORY: _l("Ambulante ondersteuning"),
    fr.GROUP: _l("Groepsbegeleiding"),
    fr.DAY_ACTIVITIES: _l("Dagbesteding"),
    fr.TRANSPORT: _l("Vervoer"),
}
LEVEL_LABELS = {
    "light": _l("licht"),
    "medium": _l("midden"),
    "heavy": _l("zwaar"),
    "wheelchair": _l("rolstoel"),
    "passenger": _l("zittend"),
}
DEFAULT_UNITS = {fr.AMBULATORY: "uur", fr.GROUP: "uur", fr.DAY_ACTIVITIES: "dagdeel"}
TRANSPORT_UNIT = "rit"
# The catalogue's cells in the order pages show them: 3 groups × 3 levels, then transport.
PRODUCT_CODES = tuple(fr.code(g, lv) for g in fr.GROUPS for lv in fr.LEVELS) + tuple(
    fr.code(fr.TRANSPORT, kind) for kind in fr.TRANSPORT_KINDS
)

# A pseudonymised client number: letters, digits and dashes, with at least one digit (so
# a name does not fit); e.g. "GO-0042".
CLIENT_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{2,23}")

EXPORT_JOB = "framework.export"
EXPORT_KINDS = ("periods", "cak")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def product_label(code: str) -> str:
    """ "ambulatory/light" (or a versioned "ambulatory/light#1") as "Ambulante
    ondersteuning, licht"."""
    group, _sep, level = plain_code(code).partition("/")
    return f"{GROUP_LABELS.get(group, group)}, {LEVEL_LABELS.get(level, level)}"


def plain_code(code: str) -> str:
    return code.split("#", 1)[0]


def priced_code(product: FrameworkProduct, version: int) -> str:
    """The catalogue key that prices a call-off: the plain code at the version in force,
    a code of its own at an earlier version."""
    code = fr.code(product.product_group, product.level)
    return code if version == product.version else f"{code}#{version}"


# Quantities are stored as Numeric(12, 2): at most ten digits before the point.
MAX_QUANTITY = Decimal("9999999999.99")


def check_quantity(value: Decimal, field: str) -> Decimal:
    """A number of units that fits the books: not negative, at most two decimals."""
    if value < 0 or value != value.quantize(Decimal("0.01")) or value > MAX_QUANTITY:
        raise ContractRuleError(
            _(
                "Vul een aantal in van 0 tot tien miljard, met hoogstens twee cijfers achter "
                "de komma."
            ),
            field,
        )
    return value


def _record(actor: User | None, agreement: FrameworkAgreement, action: str, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=agreement.tenant_id,
        action=f"framework.{action}",
        obj_type="framework_agreement",
        obj_id=agreement.id,
        after=after,
    )


def _active_only(agreement: FrameworkAgreement) -> None:
    if agreement.status != AgreementStatus.ACTIVE:
        raise ContractRuleError(_("Dit kan pas als de raamovereenkomst loopt (na het starten)."))


def period_label(period: Period) -> str:
    from babel.dates import format_date

    from koepel.platform.i18n import current_language

    locale = current_language()
    return _(
        "periode %(n)s (%(start)s – %(end)s)",
        n=period.index,
        start=format_date(period.start, "d MMM", locale=locale),
        end=format_date(period.end, "d MMM yyyy", locale=locale),
    )


# -- the buyer drafts the agreement ----------------------------------------------------------
def create(
    *,
    actor: User,
    buyer: Organisation,
    title: str,
    year: int,
    description: str = "",
    increase_above: Decimal = Decimal(5),
    decrease_below: Decimal = Decimal(10),
) -> FrameworkAgreement:
    if buyer.kind not in BUYER_KINDS:
        raise ContractRuleError(_("Alleen een gemeente of regio sluit een raamovereenkomst."))
    if not title.strip():
        raise ContractRuleError(_("Geef de raamovereenkomst een naam."), "title")
    if not 2000 <= int(year) <= 2100:
        raise ContractRuleError(_("Kies een jaar tussen 2000 en 2100."), "year")
    rule = fr.AdjustmentRule(Decimal(increase_above), Decimal(decrease_below))
    agreement = FrameworkAgreement(
        tenant_id=buyer.id,
        title=title.strip(),
        description=description.strip(),
        year=int(year),
        increase_above=rule.increase_above,
        decrease_below=rule.decrease_below,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(agreement)
    db.session.flush()
    _record(actor, agreement, "created", title=agreement.title, year=agreement.year)
    return agreement


def change_thresholds(
    *,
    actor: User,
    agreement: FrameworkAgreement,
    increase_above: Decimal,
    decrease_below: Decimal,
) -> None:
    """The adjustment rule's thresholds (percent); they apply to the next closed period."""
    rule = fr.AdjustmentRule(Decimal(increase_above), Decimal(decrease_below))
    before = {
        "increase_above": agreement.increase_above,
        "decrease_below": agreement.decrease_below,
    }
    agreement.increase_above, agreement.decrease_below = rule.increase_above, rule.decrease_below
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=agreement.tenant_id,
        action="framework.thresholds_changed",
        obj_type="framework_agreement",
        obj_id=agreement.id,
        before=before,
        after={"increase_above": rule.increase_above, "decrease_below": rule.decrease_below},
    )


def _split_code(code: str) -> tuple[str, str]:
    group, _sep, level = code.partition("/")
    if code not in PRODUCT_CODES:
        raise ContractRuleError(_("Kies een product uit de catalogus."), "product")
    return group, level


def set_product(
    *,
    actor: User,
    agreement: FrameworkAgreement,
    code: str,
    unit: str,
    tariff: Decimal,
    description: str = "",
    reason: str = "",
) -> FrameworkProduct:
    """Add a product or change it. In a draft anything may change; once the agreement is
    active only the tariff (as a new version, with a reason) and the description."""
    group, level = _split_code(code)
    unit = unit.strip()
    if tariff < 0:
        raise ContractRuleError(
            _("Het tarief van %(product)s kan niet negatief zijn.", product=product_label(code)),
            "tariff",
        )
    fr.Product(group, level, unit, tariff)  # refuses more than cents, or no unit
    tariff = to_money(tariff)
    product = db.session.scalar(
        select(FrameworkProduct).where(
            FrameworkProduct.agreement_id == agreement.id,
            FrameworkProduct.product_group == group,
            FrameworkProduct.level == level,
        )
    )
    before = None if product is None else {"tariff": product.tariff, "version": product.version}
    if agreement.status == AgreementStatus.DRAFT:
        if product is None:
            product = FrameworkProduct(
                tenant_id=agreement.tenant_id,
                agreement_id=agreement.id,
                product_group=group,
                level=level,
            )
            db.session.add(product)
        product.unit, product.tariff, product.description = unit, tariff, description.strip()
    else:
        if product is None:
            raise ContractRuleError(
                _("Een lopende raamovereenkomst krijgt geen nieuwe producten."), "product"
            )
        if unit != product.unit:
            raise ContractRuleError(
                _("De eenheid verandert niet meer nu de raamovereenkomst loopt."), "unit"
            )
        if tariff != product.tariff:
            if not reason.strip():
                raise ContractRuleError(
                    _("Schrijf waarom het tarief verandert; dat komt bij de tariefgeschiedenis."),
                    "reason",
                )
            product.version += 1
            product.tariff = tariff
            db.session.add(
                FrameworkTariff(
                    tenant_id=agreement.tenant_id,
                    product_id=product.id,
                    version=product.version,
                    tariff=tariff,
                    reason=reason.strip(),
                    set_by_id=actor.id if actor else None,
                )
            )
        product.description = description.strip()
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=agreement.tenant_id,
        action="framework.product_set",
        obj_type="framework_agreement",
        obj_id=agreement.id,
        before=before,
        after={"product": code, "tariff": tariff, "version": product.version, "reason": reason},
    )
    return product


def add_indicator(
    *, actor: User, agreement: FrameworkAgreement, name: str, bonus: Decimal, malus: Decimal
) -> FrameworkIndicator:
    name = name.strip()
    if not name:
        raise ContractRuleError(_("Geef de kwaliteitsindicator een naam."), "name")
    indicator = fr.QualityIndicator(name, Decimal(bonus), Decimal(malus))  # 0..100 %
    exists = db.session.scalar(
        select(FrameworkIndicator.id).where(
            FrameworkIndicator.agreement_id == agreement.id, FrameworkIndicator.name == name
        )
    )
    if exists is not None:
        raise ContractRuleError(_("Deze kwaliteitsindicator bestaat al."), "name")
    row = FrameworkIndicator(
        tenant_id=agreement.tenant_id,
        agreement_id=agreement.id,
        name=name,
        bonus=indicator.bonus,
        malus=indicator.malus,
    )
    db.session.add(row)
    db.session.flush()
    _record(actor, agreement, "indicator_added", name=name, bonus=row.bonus, malus=row.malus)
    return row


def add_party(
    *, actor: User, agreement: FrameworkAgreement, organisation: Organisation, clients: int
) -> FrameworkParty:
    """A provider joins (in the draft, or later while the agreement runs)."""
    if organisation.kind not in PARTY_KINDS:
        raise ContractRuleError(
            _("Kies een zorgaanbieder, zorgcoöperatie of koepel als partij."), "organisation"
        )
    if int(clients) < 1:
        raise ContractRuleError(_("Spreek minstens één cliënt af."), "clients")
    exists = db.session.scalar(
        select(FrameworkParty.id).where(
            FrameworkParty.agreement_id == agreement.id,
            FrameworkParty.organisation_id == organisation.id,
        )
    )
    if exists is not None:
        raise ContractRuleError(_("Deze partij doet al mee."), "organisation")
    party = FrameworkParty(
        tenant_id=agreement.tenant_id,
        agreement_id=agreement.id,
        organisation_id=organisation.id,
        clients=int(clients),
    )
    db.session.add(party)
    db.session.flush()
    _record(actor, agreement, "party_added", party=organisation.slug, clients=party.clients)
    return party


def set_volumes(
    *,
    actor: User,
    agreement: FrameworkAgreement,
    party: FrameworkParty,
    clients: int,
    volumes: Mapping[int, tuple[Decimal | None, Decimal | None]],
) -> None:
    """The volume agreement of one party: contracted clients and, per product id, the agreed
    volume and the historical figure it came from. Open until the first call-off."""
    if party.agreement_id != agreement.id:
        raise ValueError("the party is in another agreement")
    placed = db.session.scalar(
        select(FrameworkCallOff.id).where(FrameworkCallOff.party_id == party.id).limit(1)
    )
    if placed is not None:
        raise ContractRuleError(
            _(
                "Er is al afgeroepen bij deze partij: de volumeafspraak ligt vast. Een "
                "aanpassing loopt via het voorstel na een periode."
            )
        )
    if int(clients) < 1:
        raise ContractRuleError(_("Spreek minstens één cliënt af."), "clients")
    products = {
        p.id: p
        for p in db.session.scalars(
            select(FrameworkProduct).where(FrameworkProduct.agreement_id == agreement.id)
        )
    }
    kept: dict[int, tuple[Decimal, Decimal | None]] = {}
    for product_id, (volume, historical) in volumes.items():
        product = products.get(product_id)
        if product is None:
            raise ValueError(f"product {product_id} is not in this agreement")
        for value, name in ((volume, "volume"), (historical, "historical")):
            if value is not None:
                check_quantity(value, f"{name}-{product_id}")
        if volume is not None and volume > 0:
            kept[product_id] = (volume, historical)
        elif historical is not None:
            kept[product_id] = (Decimal(0), historical)
    existing = {
        v.product_id: v
        for v in db.session.scalars(
            select(FrameworkVolume).where(FrameworkVolume.party_id == party.id)
        )
    }
    for product_id, row in existing.items():
        if product_id not in kept:
            db.session.delete(row)
    for product_id, (volume, historical) in kept.items():
        row = existing.get(product_id) or FrameworkVolume(
            tenant_id=agreement.tenant_id, party_id=party.id, product_id=product_id
        )
        row.volume, row.historical = volume, historical
        db.session.add(row)
    before = party.clients
    party.clients = int(clients)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=agreement.tenant_id,
        action="framework.volumes_set",
        obj_type="framework_agreement",
        obj_id=agreement.id,
        before={"party": party.organisation_id, "clients": before},
        after={
            "party": party.organisation_id,
            "clients": party.clients,
            "volumes": {
                fr.code(products[pid].product_group, products[pid].level): v
                for pid, (v, _h) in sorted(kept.items())
            },
        },
    )


def activate(*, actor: User, agreement: FrameworkAgreement) -> None:
    """Start the agreement: a complete catalogue (every level of every group offered, one
    unit per group), at least one party, every party with clients and a volume."""
    if agreement.status != AgreementStatus.DRAFT:
        raise ContractRuleError(_("Deze raamovereenkomst loopt al."))
    state = buyer_state(agreement)
    if not state.products:
        raise ContractRuleError(_("Zet eerst de producten en tarieven in de catalogus."))
    units: dict[str, str] = {}
    tariffs: dict[tuple[str, str], Decimal] = {}
    transport: dict[str, Decimal] = {}
    for p in state.products:
        if units.setdefault(p.product_group, p.unit) != p.unit:
            raise ContractRuleError(
                _(
                    "Geef alle niveaus van %(group)s dezelfde eenheid.",
                    group=GROUP_LABELS.get(p.product_group, p.product_group),
                )
            )
        if p.product_group == fr.TRANSPORT:
            transport[p.level] = p.tariff
        else:
            tariffs[p.product_group, p.level] = p.tariff
    transport_unit = units.pop(fr.TRANSPORT, TRANSPORT_UNIT)
    # The rule below names a missing cell by its code; the officer reads the product's name.
    missing = [fr.code(g, lv) for g in units for lv in fr.LEVELS if (g, lv) not in tariffs]
    if missing:
        raise ContractRuleError(
            _("Het tarief van %(product)s ontbreekt.", product=product_label(missing[0]))
        )
    fr.build_catalogue(tariffs, units, transport, transport_unit=transport_unit)  # complete?
    if not state.parties:
        raise ContractRuleError(_("Voeg minstens één partij toe."))
    for party in state.parties:
        if not any(v.volume > 0 for v in state.volumes_of(party.id)):
            raise ContractRuleError(
                _("Maak eerst de volumeafspraak met %(name)s.", name=state.name(party))
            )
    for p in state.products:
        db.session.add(
            FrameworkTariff(
                tenant_id=agreement.tenant_id,
                product_id=p.id,
                version=p.version,
                tariff=p.tariff,
                reason=_("tarief bij de start"),
                set_by_id=actor.id if actor else None,
            )
        )
    agreement.status, agreement.activated_at = AgreementStatus.ACTIVE, utcnow()
    db.session.flush()
    _record(actor, agreement, "activated", parties=len(state.parties))


# -- call-offs ---------------------------------------------------------------------------------
def client_id(text: str) -> str:
    """A client's pseudonym as stored (upper case), or a refusal when it looks like a name."""
    value = (text or "").strip().upper()
    if not CLIENT_ID.fullmatch(value) or not any(ch.isdigit() for ch in value):
        raise ContractRuleError(
            _(
                "Gebruik het cliëntnummer (een pseudoniem), nooit een naam: letters, cijfers "
                "en streepjes, met minstens één cijfer, bijvoorbeeld GO-0042."
            ),
            "client",
        )
    return value


def place_call_off(
    *,
    actor: User,
    state: State,
    party: FrameworkParty,
    product: FrameworkProduct,
    client: str,
    quantity: Decimal,
    start: date,
    end: date,
    allow_over_ceiling: bool = False,
    note: str = "",
) -> FrameworkCallOff:
    """Order ``quantity`` units of ``product`` for a client at the tariff in force; refused
    above the party's ceiling (saying how much room is left) unless the buyer allows it."""
    agreement = state.agreement
    _active_only(agreement)
    if party.agreement_id != agreement.id or product.agreement_id != agreement.id:
        raise ValueError("party or product of another agreement")
    pseudonym = client_id(client)
    check_quantity(quantity, "quantity")
    schedule = state.schedule
    first, last = schedule[0].start, schedule[-1].end
    if start < first or end > last:
        raise ContractRuleError(
            _(
                "Een afroep valt binnen de perioden van %(year)s: van %(first)s tot en met "
                "%(last)s.",
                year=agreement.year,
                first=first.strftime("%d-%m-%Y"),
                last=last.strftime("%d-%m-%Y"),
            ),
            "start" if start < first else "end",
        )
    if agreement.closed_through and end <= schedule[agreement.closed_through - 1].end:
        raise ContractRuleError(
            _(
                "Perioden tot en met %(p)s zijn afgesloten: een afroep moet daarna nog lopen.",
                p=agreement.closed_through,
            ),
            "end",
        )
    # One call-off at a time per party, so two orders cannot both take the last room.
    db.session.execute(
        select(FrameworkParty.id).where(FrameworkParty.id == party.id).with_for_update()
    )
    placed = db.session.scalars(
        select(FrameworkCallOff).where(FrameworkCallOff.party_id == party.id)
    ).all()
    existing = [state.pure_call_off(c) for c in placed]
    new = fr.CallOff(
        id="nieuw",
        provider=state.key(party.id),
        client=pseudonym,
        product=priced_code(product, product.version),
        quantity=quantity,
        start=start,
        end=end,
    )
    check = fr.place_call_off(
        state.volume_agreement(party.id),
        state.catalogue,
        existing,
        new,
        allow_over_ceiling=allow_over_ceiling,
    )
    row = FrameworkCallOff(
        tenant_id=agreement.tenant_id,
        agreement_id=agreement.id,
        party_id=party.id,
        product_id=product.id,
        client=pseudonym,
        quantity=check.call_off.quantity,
        tariff=product.tariff,
        tariff_version=product.version,
        start_on=start,
        end_on=end,
        over_ceiling=check.call_off.over_ceiling,
        note=note.strip(),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    _record(
        actor,
        agreement,
        "call_off_placed",
        call_off=row.id,
        party=party.organisation_id,
        client=pseudonym,
        product=fr.code(product.product_group, product.level),
        quantity=row.quantity,
        price=check.price,
        over_ceiling=row.over_ceiling,
    )
    return row


# -- closing a period makes the adjustment proposals -------------------------------------------
def close_period(*, actor: User, agreement: FrameworkAgreement) -> list[FrameworkProposal]:
    """Close the next period once it has ended: reports for it are refused from now on, and
    the adjustment rule proposes a change of budget per party (an open proposal of an
    earlier period gives way to the new one)."""
    _active_only(agreement)
    db.session.execute(
        select(FrameworkAgreement.id).where(FrameworkAgreement.id == agreement.id).with_for_update()
    )
    db.session.refresh(agreement)
    schedule = four_week_periods(agreement.year)
    index = agreement.closed_through + 1
    if index > len(schedule):
        raise ContractRuleError(_("Alle perioden van dit jaar zijn al afgesloten."))
    period = schedule[index - 1]
    if period.end >= today():
        raise ContractRuleError(
            _(
                "Periode %(p)s loopt nog tot en met %(end)s; afsluiten kan daarna.",
                p=index,
                end=period.end.strftime("%d-%m-%Y"),
            )
        )
    state = buyer_state(agreement)
    figures = state.figures(index)
    for old in state.proposals:
        if old.status == ProposalStatus.OPEN:
            old.status = ProposalStatus.SUPERSEDED
    made = []
    for party in state.parties:
        proposal = fr.propose_adjustment(
            state.volume_agreement(party.id), state.catalogue, figures[party.id].clients, state.rule
        )
        if proposal.kind is None:
            continue
        row = FrameworkProposal(
            tenant_id=agreement.tenant_id,
            agreement_id=agreement.id,
            party_id=party.id,
            period=index,
            kind=ProposalKind(proposal.kind),
            contracted_clients=proposal.contracted_clients,
            actual_clients=proposal.actual_clients,
            ceiling=proposal.ceiling,
            amount=proposal.amount,
        )
        db.session.add(row)
        made.append(row)
    agreement.closed_through = index
    db.session.flush()
    _record(actor, agreement, "period_closed", period=index, proposals=len(made))
    return made


def decide(
    *,
    actor: User,
    state: State,
    proposal: FrameworkProposal,
    accept: bool,
    reason: str = "",
) -> None:
    """The buyer accepts (the ceiling changes by the amount, the actual client count becomes
    the contracted one) or rejects a proposal. A proposal the figures have overtaken since
    (a new tariff, another accepted change) is refused; the next period proposes again."""
    agreement = state.agreement
    if proposal.agreement_id != agreement.id:
        raise ValueError("a proposal of another agreement")
    if proposal.status != ProposalStatus.OPEN:
        raise ContractRuleError(_("Over dit voorstel is al besloten."))
    current = state.volume_agreement(proposal.party_id)
    before = fr.ceiling(current, state.catalogue).ceiling
    if accept:
        fresh = fr.propose_adjustment(current, state.catalogue, proposal.actual_clients, state.rule)
        if fresh.kind != proposal.kind.value or fresh.amount != proposal.amount:
            raise ContractRuleError(
                _(
                    "Dit voorstel past niet meer bij de afspraak van nu (tarief, plafond of "
                    "drempels zijn veranderd). Wijs het af; na de volgende periode komt er een "
                    "nieuw voorstel."
                )
            )
        after = fr.ceiling(fr.accept_adjustment(current, fresh), state.catalogue).ceiling
        proposal.status = ProposalStatus.ACCEPTED
    else:
        after = before
        proposal.status = ProposalStatus.REJECTED
    proposal.reason, proposal.decided_at = reason.strip(), utcnow()
    proposal.decided_by_id = actor.id if actor else None
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=agreement.tenant_id,
        action=f"framework.proposal_{proposal.status.value}",
        obj_type="framework_proposal",
        obj_id=proposal.id,
        before={"ceiling": before, "clients": current.clients},
        after={
            "agreement": agreement.id,
            "party": state.party_by_id[proposal.party_id].organisation_id,
            "period": proposal.period,
            "kind": proposal.kind.value,
            "amount": proposal.amount,
            "ceiling": after,
            "clients": proposal.actual_clients if accept else current.clients,
            "reason": proposal.reason,
        },
    )


# -- innovation supplement and post-calculation ----------------------------------------------
def record_supplement(
    *,
    actor: User,
    state: State,
    party: FrameworkParty,
    individual: FrameworkProduct,
    group: FrameworkProduct,
    units: Decimal,
    equal_quality: bool,
    note: str = "",
) -> FrameworkSupplement:
    """Individual provision turned into group provision at equal quality: the provider keeps
    the difference of the tariffs for innovation."""
    agreement = state.agreement
    _active_only(agreement)
    check_quantity(units, "units")
    result = fr.innovation_supplement(
        state.catalogue,
        fr.Conversion(
            state.key(party.id),
            priced_code(individual, individual.version),
            priced_code(group, group.version),
            units,
            equal_quality,
        ),
    )
    row = FrameworkSupplement(
        tenant_id=agreement.tenant_id,
        agreement_id=agreement.id,
        party_id=party.id,
        individual_product_id=individual.id,
        group_product_id=group.id,
        units=units,
        amount=result.amount,
        note=note.strip(),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    _record(
        actor,
        agreement,
        "supplement_recorded",
        party=party.organisation_id,
        units=units,
        amount=result.amount,
    )
    return row


def post_calculate(
    *,
    actor: User,
    state: State,
    party: FrameworkParty,
    results: Mapping[int, bool],
    advances: Decimal,
) -> FrameworkPostCalculation:
    """The year-end post-calculation of one party, once every period is closed. The actual
    number of clients is the last period's, counted as the 4-weekly figures count it."""
    agreement = state.agreement
    _active_only(agreement)
    total = len(state.schedule)
    if agreement.closed_through < total:
        raise ContractRuleError(
            _(
                "De nacalculatie kan pas als alle %(total)s perioden zijn afgesloten; nu zijn "
                "het er %(closed)s.",
                total=total,
                closed=agreement.closed_through,
            )
        )
    indicators = state.indicators
    named = {i.id: i.name for i in indicators}
    actual = state.figures(total)[party.id].clients
    result = fr.post_calculate(
        state.volume_agreement(party.id),
        state.catalogue,
        state.pure_call_offs,
        state.pure_reports,
        actual_clients=actual,
        indicators=[fr.QualityIndicator(i.name, i.bonus, i.malus) for i in indicators],
        results={named[k]: bool(v) for k, v in results.items() if k in named},
        advances=advances,
        supplements=[s.amount for s in state.supplements if s.party_id == party.id],
        rule=state.rule,
    )
    row = next((p for p in state.post_calculations if p.party_id == party.id), None)
    before = None if row is None else {"final": row.final, "balance": row.balance}
    if row is None:
        row = FrameworkPostCalculation(
            tenant_id=agreement.tenant_id, agreement_id=agreement.id, party_id=party.id
        )
        db.session.add(row)
    row.actual_clients, row.delivered = actual, result.delivered
    row.adjustment, row.funded_ceiling = result.adjustment.amount, result.funded_ceiling
    row.funded, row.quality_percent, row.quality = (
        result.funded,
        result.quality_percent,
        result.quality,
    )
    row.supplements, row.final = result.supplements, result.final
    row.advances, row.balance = result.advances, result.balance
    row.results = {name: name in result.met for name in named.values()}
    row.computed_by_id, row.computed_at = (actor.id if actor else None), utcnow()
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=agreement.tenant_id,
        action="framework.post_calculated",
        obj_type="framework_agreement",
        obj_id=agreement.id,
        before=before,
        after={
            "party": party.organisation_id,
            "actual_clients": actual,
            "final": row.final,
            "advances": row.advances,
            "balance": row.balance,
            "met": list(result.met),
            "missed": list(result.missed),
        },
    )
    return row


# -- the provider reports ----------------------------------------------------------------------
class ClosedPeriod(ContractRuleError):
    """A report for a period the buyer has closed (the agreement's state, not the input)."""


def line_field(call_off_id: int) -> str:
    return f"line-{call_off_id}"


def submit_report(
    *,
    actor: User,
    provider: Organisation,
    state: State,
    period: int,
    quantities: Mapping[int, Decimal],
    note: str = "",
) -> FrameworkReport:
    """Units delivered per call-off in one period, by the provider itself (its own row).
    Refused for a closed period, a call-off not running then, a second report on a
    call-off for the same period, or more units than were called off."""
    party = state.own_party
    if party is None or party.organisation_id != provider.id:
        raise ValueError("only a party reports, on its own call-offs")
    if not quantities:
        raise ContractRuleError(_("Vul bij minstens één afroep een aantal in."), "lines")
    # The buyer may be closing this period right now: read its state under a lock.
    with cross_tenant("a framework provider checks which periods its buyer closed"):
        status, closed = db.session.execute(
            select(FrameworkAgreement.status, FrameworkAgreement.closed_through)
            .where(FrameworkAgreement.id == state.agreement.id)
            .with_for_update()
        ).one()
    if status != AgreementStatus.ACTIVE:
        raise ContractRuleError(_("Deze raamovereenkomst loopt niet."))
    orders = {c.id: state.pure_call_off(c) for c in state.call_offs}
    by_key = {str(k): v for k, v in orders.items()}
    existing = list(state.pure_reports)
    known = any(p.index == period for p in state.schedule)
    for call_off_id, quantity in quantities.items():
        if call_off_id not in orders:
            raise ValueError(f"call-off {call_off_id} is not this party's")
        check_quantity(quantity, line_field(call_off_id))
        try:
            report = fr.UnitReport(str(call_off_id), period, quantity)
            fr.check_report(report, by_key, existing, state.schedule, closed_through=closed)
        except ContractRuleError as exc:
            if known and period <= closed:
                raise ClosedPeriod(str(exc), "period") from None
            raise ContractRuleError(
                str(exc), "period" if not known else line_field(call_off_id)
            ) from None
        existing.append(report)
    try:
        # In a savepoint: a refusal leaves nothing behind (the page still commits).
        with db.session.begin_nested():
            row = FrameworkReport(
                tenant_id=provider.id,
                agreement_id=state.agreement.id,
                period=period,
                note=note.strip(),
                submitted_by_id=actor.id if actor else None,
            )
            db.session.add(row)
            db.session.flush()
            for call_off_id, quantity in sorted(quantities.items()):
                db.session.add(
                    FrameworkReportLine(
                        tenant_id=provider.id,
                        report_id=row.id,
                        call_off_id=call_off_id,
                        period=period,
                        quantity=quantity,
                    )
                )
            db.session.flush()
    except IntegrityError:  # the same call-off and period, sent twice at once
        raise ContractRuleError(
            _("Voor een van deze afroepen is over deze periode al een aantal gemeld."), "period"
        ) from None
    audit.record(
        db.session,
        actor=actor,
        tenant_id=provider.id,
        action="framework.report_submitted",
        obj_type="framework_report",
        obj_id=row.id,
        after={
            "agreement": state.agreement.id,
            "period": period,
            "lines": {str(k): v for k, v in sorted(quantities.items())},
        },
    )
    return row


# -- reading -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineRow:
    """A reported line, with its report (read as plain values, also across tenants)."""

    id: int
    report_id: int
    call_off_id: int
    period: int
    quantity: Decimal
    tenant_id: int
    submitted_at: Any
    note: str


@dataclass
class State:
    """An agreement with everything the pages, the API and the exports show of it: all of
    it for the buyer, for a provider (``own_party`` set) only its own share."""

    agreement: FrameworkAgreement
    buyer_name: str
    products: list[FrameworkProduct]
    tariffs: list[FrameworkTariff]
    parties: list[FrameworkParty]
    orgs: dict[int, tuple[str, str]]  # organisation id -> (name, slug)
    volumes: list[FrameworkVolume]
    indicators: list[FrameworkIndicator]
    call_offs: list[FrameworkCallOff]
    lines: list[LineRow]
    proposals: list[FrameworkProposal]
    supplements: list[FrameworkSupplement]
    post_calculations: list[FrameworkPostCalculation]
    own_party: FrameworkParty | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    # -- lookups
    @cached_property
    def schedule(self) -> tuple[Period, ...]:
        return four_week_periods(self.agreement.year)

    @cached_property
    def product_by_id(self) -> dict[int, FrameworkProduct]:
        return {p.id: p for p in self.products}

    @cached_property
    def party_by_id(self) -> dict[int, FrameworkParty]:
        return {p.id: p for p in self.parties}

    @cached_property
    def call_off_by_id(self) -> dict[int, FrameworkCallOff]:
        return {c.id: c for c in self.call_offs}

    @property
    def is_draft(self) -> bool:
        return self.agreement.status == AgreementStatus.DRAFT

    @property
    def rule(self) -> fr.AdjustmentRule:
        return fr.AdjustmentRule(self.agreement.increase_above, self.agreement.decrease_below)

    def name(self, party: FrameworkParty) -> str:
        return self.orgs.get(party.organisation_id, ("", ""))[0]

    def slug(self, party: FrameworkParty) -> str:
        return self.orgs.get(party.organisation_id, ("", ""))[1]

    @cached_property
    def _keys(self) -> dict[int, str]:
        """The name a party has in the pure rules' messages (its own; made unique)."""
        names = [self.name(p) for p in self.parties]
        return {
            p.id: (f"{n} ({self.slug(p)})" if names.count(n) > 1 else n)
            for p, n in zip(self.parties, names, strict=True)
        }

    def key(self, party_id: int) -> str:
        return self._keys[party_id]

    def volumes_of(self, party_id: int) -> list[FrameworkVolume]:
        return [v for v in self.volumes if v.party_id == party_id]

    def code(self, product_id: int) -> str:
        p = self.product_by_id[product_id]
        return fr.code(p.product_group, p.level)

    def history(self, product_id: int) -> list[FrameworkTariff]:
        return sorted(
            (t for t in self.tariffs if t.product_id == product_id), key=lambda t: t.version
        )

    # -- the pure rules' view
    @cached_property
    def catalogue(self) -> fr.Catalogue:
        """The tariffs in force, plus an entry per earlier version a call-off is priced at."""
        products = {
            priced_code(p, p.version): fr.Product(
                p.product_group, p.level, p.unit, p.tariff, p.description
            )
            for p in self.products
        }
        for c in self.call_offs:
            p = self.product_by_id[c.product_id]
            key = priced_code(p, c.tariff_version)
            if key not in products:
                level = key.split("/", 1)[1]
                products[key] = fr.Product(p.product_group, level, p.unit, c.tariff)
        return fr.Catalogue(tuple(products.values()))

    def pure_call_off(self, c: FrameworkCallOff) -> fr.CallOff:
        return fr.CallOff(
            id=str(c.id),
            provider=self.key(c.party_id),
            client=c.client,
            product=priced_code(self.product_by_id[c.product_id], c.tariff_version),
            quantity=c.quantity,
            start=c.start_on,
            end=c.end_on,
            over_ceiling=c.over_ceiling,
        )

    @cached_property
    def pure_call_offs(self) -> list[fr.CallOff]:
        return [self.pure_call_off(c) for c in self.call_offs]

    @cached_property
    def pure_reports(self) -> list[fr.UnitReport]:
        return [fr.UnitReport(str(r.call_off_id), r.period, r.quantity) for r in self.lines]

    def accepted(self, party_id: int, before_period: int | None = None) -> list[FrameworkProposal]:
        return sorted(
            (
                p
                for p in self.proposals
                if p.party_id == party_id
                and p.status == ProposalStatus.ACCEPTED
                and (before_period is None or p.period < before_period)
            ),
            key=lambda p: p.period,
        )

    def volume_agreement(
        self, party_id: int, before_period: int | None = None
    ) -> fr.VolumeAgreement:
        """The party's volume agreement, with the adjustments accepted (after periods before
        ``before_period``, if given): each one adds its amount and makes its actual number
        of clients the contracted one, as ``framework.accept_adjustment`` does."""
        party = self.party_by_id[party_id]
        agreement = fr.VolumeAgreement(
            self.key(party_id),
            {self.code(v.product_id): v.volume for v in self.volumes_of(party_id)},
            clients=party.clients,
        )
        for p in self.accepted(party_id, before_period):
            agreement = replace(
                agreement, clients=p.actual_clients, adjustments=(*agreement.adjustments, p.amount)
            )
        return agreement

    def ceiling(self, party_id: int) -> fr.Ceiling:
        return fr.ceiling(self.volume_agreement(party_id), self.catalogue)

    def price(self, c: FrameworkCallOff) -> Decimal:
        return fr.price(self.pure_call_off(c), self.catalogue)

    def figures(self, index: int) -> dict[int, fr.PeriodFigures]:
        """Every party's figures for period ``index`` (ceiling as it stood then), by party."""
        if ("figures", index) not in self._cache:
            period = self.schedule[index - 1]
            by_key = {self.key(p.id): p.id for p in self.parties}
            rows = fr.period_figures(
                [self.volume_agreement(p.id, index) for p in self.parties],
                self.catalogue,
                self.pure_call_offs,
                self.pure_reports,
                period,
            )
            self._cache["figures", index] = {by_key[f.provider]: f for f in rows}
        return self._cache["figures", index]

    @property
    def through(self) -> int:
        """The periods the figures run through: closed, or reported on (at least one)."""
        reported = max((r.period for r in self.lines), default=0)
        return min(max(self.agreement.closed_through, reported, 1), len(self.schedule))

    def series(
        self, party_ids: Iterable[int] | None = None
    ) -> list[tuple[Period, Decimal, Decimal]]:
        """(period, budget used so far, ceiling) for the chart, added over ``party_ids``."""
        ids = list(party_ids) if party_ids is not None else [p.id for p in self.parties]
        points = []
        for period in self.schedule[: self.through]:
            figures = self.figures(period.index)
            used = sum((figures[i].used for i in ids), Decimal("0.00"))
            limit = sum((figures[i].ceiling for i in ids), Decimal("0.00"))
            points.append((period, used, limit))
        return points

    def cak_lines(self) -> list[cak.CakLine]:
        """What the CAK needs per client and period, from the call-offs and reports."""
        return cak.from_call_offs(self.pure_call_offs, self.pure_reports, self.catalogue)

    @cached_property
    def _reported(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for r in self.lines:
            totals[r.call_off_id] += r.quantity
        return totals

    def reported(self, call_off_id: int) -> Decimal:
        """Units reported on a call-off so far, over all periods."""
        return self._reported.get(call_off_id, Decimal(0))


def _load(agreement: FrameworkAgreement, party: FrameworkParty | None) -> State:
    """Every row of ``agreement`` (of one party only, when ``party`` is given), in a fixed
    number of queries whatever the number of parties."""
    aid = agreement.id

    def rows(model, *where):
        return list(db.session.scalars(select(model).where(*where).order_by(model.id)))

    def of_party(model):
        return [model.party_id == party.id] if party is not None else []

    products = rows(FrameworkProduct, FrameworkProduct.agreement_id == aid)
    tariffs = list(
        db.session.scalars(
            select(FrameworkTariff)
            .join(FrameworkProduct, FrameworkProduct.id == FrameworkTariff.product_id)
            .where(FrameworkProduct.agreement_id == aid)
            .order_by(FrameworkTariff.product_id, FrameworkTariff.version)
        )
    )
    parties = (
        [party] if party is not None else rows(FrameworkParty, FrameworkParty.agreement_id == aid)
    )
    volumes = list(
        db.session.scalars(
            select(FrameworkVolume)
            .join(FrameworkParty, FrameworkParty.id == FrameworkVolume.party_id)
            .where(FrameworkParty.agreement_id == aid, *of_party(FrameworkVolume))
            .order_by(FrameworkVolume.id)
        )
    )
    ids = {p.organisation_id for p in parties} | {agreement.tenant_id}
    orgs = {
        i: (n, s)
        for i, n, s in db.session.execute(
            select(Organisation.id, Organisation.name, Organisation.slug).where(
                Organisation.id.in_(ids)
            )
        )
    }
    state = State(
        agreement=agreement,
        buyer_name=orgs.get(agreement.tenant_id, ("", ""))[0],
        products=products,
        tariffs=tariffs,
        parties=parties,
        orgs=orgs,
        volumes=volumes,
        indicators=rows(FrameworkIndicator, FrameworkIndicator.agreement_id == aid),
        call_offs=rows(
            FrameworkCallOff, FrameworkCallOff.agreement_id == aid, *of_party(FrameworkCallOff)
        ),
        lines=[],
        proposals=rows(
            FrameworkProposal, FrameworkProposal.agreement_id == aid, *of_party(FrameworkProposal)
        ),
        supplements=rows(
            FrameworkSupplement,
            FrameworkSupplement.agreement_id == aid,
            *of_party(FrameworkSupplement),
        ),
        post_calculations=rows(
            FrameworkPostCalculation,
            FrameworkPostCalculation.agreement_id == aid,
            *of_party(FrameworkPostCalculation),
        ),
        own_party=party,
    )
    return state


def _line_rows(agreement_id: int) -> list[LineRow]:
    stmt = (
        select(
            FrameworkReportLine.id,
            FrameworkReportLine.report_id,
            FrameworkReportLine.call_off_id,
            FrameworkReportLine.period,
            FrameworkReportLine.quantity,
            FrameworkReportLine.tenant_id,
            FrameworkReport.submitted_at,
            FrameworkReport.note,
        )
        .join(FrameworkReport, FrameworkReport.id == FrameworkReportLine.report_id)
        .where(FrameworkReport.agreement_id == agreement_id)
        .order_by(FrameworkReportLine.period, FrameworkReportLine.id)
    )
    return [LineRow(*row) for row in db.session.execute(stmt)]


def _report_lines(state: State) -> list[LineRow]:
    """The buyer reads what its parties reported on its agreement. A line counts only when
    it comes from the party its call-off is for."""
    with cross_tenant("the buyer of a framework agreement reads its providers' reports"):
        lines = _line_rows(state.agreement.id)
    owner = {c.id: state.party_by_id[c.party_id].organisation_id for c in state.call_offs}
    return [r for r in lines if owner.get(r.call_off_id) == r.tenant_id]


def buyer_state(agreement: FrameworkAgreement) -> State:
    """The buyer's whole agreement (in the buyer's own scope, plus the parties' reports)."""
    state = _load(agreement, None)
    state.lines = _report_lines(state)
    return state


def agreements(buyer: Organisation) -> list[FrameworkAgreement]:
    """The acting buyer's agreements (scoped), newest year first."""
    return list(
        db.session.scalars(
            select(FrameworkAgreement).order_by(
                FrameworkAgreement.year.desc(), FrameworkAgreement.id.desc()
            )
        )
    )


def get_agreement(agreement_id: int) -> FrameworkAgreement | None:
    """One of the acting buyer's agreements; another buyer's is None (scoped)."""
    return db.session.scalar(
        select(FrameworkAgreement).where(FrameworkAgreement.id == agreement_id)
    )


@dataclass(frozen=True)
class Membership:
    agreement_id: int
    title: str
    year: int
    buyer: str
    clients: int


def memberships(provider: Organisation) -> list[Membership]:
    """The running agreements ``provider`` is a party in, with their buyers' names."""
    with cross_tenant("a framework provider lists the agreements it is party to"):
        rows = db.session.execute(
            select(
                FrameworkAgreement.id,
                FrameworkAgreement.title,
                FrameworkAgreement.year,
                Organisation.name,
                FrameworkParty.clients,
            )
            .join(FrameworkParty, FrameworkParty.agreement_id == FrameworkAgreement.id)
            .join(Organisation, Organisation.id == FrameworkAgreement.tenant_id)
            .where(
                FrameworkParty.organisation_id == provider.id,
                FrameworkAgreement.status != AgreementStatus.DRAFT,
            )
            .order_by(FrameworkAgreement.year.desc(), FrameworkAgreement.id.desc())
        ).all()
    return [Membership(*row) for row in rows]


def party_state(provider: Organisation, agreement_id: int) -> State | None:
    """What ``provider`` sees of an agreement it is party to (None otherwise, or while the
    buyer still drafts it): the agreement, the catalogue, the quality indicators, and its
    own volume agreement, call-offs, proposals, supplements, post-calculation and reports.
    The buyer's rows are read detached, so nothing of them can be written back."""
    with cross_tenant("a framework provider reads the agreement it is party to, its own share"):
        agreement = db.session.scalar(
            select(FrameworkAgreement).where(
                FrameworkAgreement.id == agreement_id,
                FrameworkAgreement.status != AgreementStatus.DRAFT,
            )
        )
        party = None
        if agreement is not None:
            party = db.session.scalar(
                select(FrameworkParty).where(
                    FrameworkParty.agreement_id == agreement.id,
                    FrameworkParty.organisation_id == provider.id,
                )
            )
        if party is None:
            return None
        state = _load(agreement, party)
        for obj in (
            agreement,
            *state.products,
            *state.tariffs,
            *state.parties,
            *state.volumes,
            *state.indicators,
            *state.call_offs,
            *state.proposals,
            *state.supplements,
            *state.post_calculations,
        ):
            db.session.expunge(obj)
    own = {c.id for c in state.call_offs}
    state.lines = [r for r in _line_rows(agreement_id) if r.call_off_id in own]  # own scope
    return state


# -- exports (a job) ---------------------------------------------------------------------------
def export_path(tenant_id: int, run_id: str) -> Path:
    """Where a run's file lives: named after the run, so a retry overwrites it."""
    return files.path_of(tenant_id, f"{run_id}.xlsx", area="exports/framework")


def request_export(*, actor: User, agreement: FrameworkAgreement, kind: str) -> JobRun:
    if kind not in EXPORT_KINDS:
        raise ContractRuleError(_("Kies wat u wilt downloaden."), "kind")
    kwargs = {"agreement_id": agreement.id, "kind": kind}
    run = enqueue(EXPORT_JOB, tenant_id=agreement.tenant_id, kwargs=kwargs, created_by_id=actor.id)
    audit.record(
        db.session,
        actor=actor,
        tenant_id=agreement.tenant_id,
        action="framework.export_requested",
        obj_type="job_run",
        obj_id=run.id,
        after=kwargs,
    )
    return run


def exports(agreement: FrameworkAgreement, limit: int = 20) -> list[JobRun]:
    """The agreement's finished exports whose file is still there (the buyer's own runs)."""
    runs = db.session.scalars(
        select(JobRun)
        .where(JobRun.name == EXPORT_JOB, JobRun.status == "done")
        .order_by(JobRun.created_at.desc(), JobRun.id)
        .limit(200)
    )
    found = [
        r
        for r in runs
        if r.kwargs.get("agreement_id") == agreement.id
        and export_path(agreement.tenant_id, r.id).is_file()
    ]
    return found[:limit]


def _sheet(wb, title: str, header: list[str], rows: list[list[Any]], formats: dict[int, str]):
    # The annual reports' writer: text is always text (a cell starting with "=" is never a
    # formula), numbers stay numbers.
    from koepel.platform.xlsx import table as _table

    _table(wb.create_sheet(title), 1, header, rows, formats)


MONEY, UNITS, DAY = "#,##0.00", "#,##0.##", "dd-mm-yyyy"


def render_xlsx(state: State, kind: str) -> bytes:
    """The period figures (``periods``) or the CAK figures (``cak``) as a workbook."""
    from openpyxl import Workbook

    if kind not in EXPORT_KINDS:
        raise ValueError(kind)
    with force_locale("nl"):
        wb = Workbook()
        wb.remove(wb.active)
        if kind == "periods":
            rows, units = [], []
            for period in state.schedule[: state.through]:
                figures = state.figures(period.index)
                closed = period.index <= state.agreement.closed_through
                for party in sorted(state.parties, key=state.name):
                    f = figures[party.id]
                    rows.append(
                        [
                            period.index,
                            period.start,
                            period.end,
                            state.name(party),
                            f.ceiling,
                            f.committed,
                            f.used,
                            f.used_in_period,
                            f.remaining,
                            f.used_percent,
                            f.clients,
                            f.contracted_clients,
                            _("ja") if closed else _("nee"),
                        ]
                    )
                    for code, amount in f.units.items():
                        unit = state.catalogue.product(code).unit
                        units.append(
                            [period.index, state.name(party), product_label(code), unit, amount]
                        )
            header = [
                _("Periode"),
                _("Van"),
                _("Tot en met"),
                _("Aanbieder"),
                _("Plafond"),
                _("Afgeroepen"),
                _("Besteed (tot en met de periode)"),
                _("Besteed in de periode"),
                _("Nog over"),
                _("Besteed (%)"),
                _("Cliënten"),
                _("Afgesproken cliënten"),
                _("Afgesloten"),
            ]
            formats = {2: DAY, 3: DAY, 5: MONEY, 6: MONEY, 7: MONEY, 8: MONEY, 9: MONEY, 10: "0.0"}
            _sheet(wb, _("Perioden"), header, rows, formats)
            _sheet(
                wb,
                _("Eenheden"),
                [_("Periode"), _("Aanbieder"), _("Product"), _("Eenheid"), _("Aantal")],
                units,
                {5: UNITS},
            )
            catalogue = [
                [product_label(state.code(p.id)), p.unit, p.tariff, p.version, p.description]
                for p in state.products
            ]
            _sheet(
                wb,
                _("Catalogus"),
                [_("Product"), _("Eenheid"), _("Tarief"), _("Versie"), _("Omschrijving")],
                catalogue,
                {3: MONEY},
            )
        else:
            lines = state.cak_lines()
            periods = {p.index: p for p in state.schedule}
            names = {state.key(p.id): state.name(p) for p in state.parties}
            per_client = [
                [
                    c.client,
                    c.period,
                    periods[c.period].start,
                    periods[c.period].end,
                    c.hours,
                    c.cost,
                ]
                for c in cak.per_client_period(lines)
            ]
            _sheet(
                wb,
                _("Per cliënt"),
                [_("Cliënt"), _("Periode"), _("Van"), _("Tot en met"), _("Uren"), _("Kosten")],
                per_client,
                {3: DAY, 4: DAY, 5: UNITS, 6: MONEY},
            )
            detail = [
                [
                    line.client,
                    line.period,
                    names.get(line.provider, line.provider),
                    product_label(line.item),
                    line.unit,
                    line.quantity,
                    line.cost,
                ]
                for line in lines
            ]
            _sheet(
                wb,
                _("Regels"),
                [
                    _("Cliënt"),
                    _("Periode"),
                    _("Aanbieder"),
                    _("Product"),
                    _("Eenheid"),
                    _("Aantal"),
                    _("Kosten"),
                ],
                detail,
                {6: UNITS, 7: MONEY},
            )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@job(EXPORT_JOB)
def build_export(ctx: JobContext, agreement_id: int, kind: str) -> None:
    """Make one export in the buyer's scope and store it whole."""
    agreement = get_agreement(int(agreement_id))
    if agreement is None or kind not in EXPORT_KINDS:
        raise ContractRuleError(f"no export {kind!r} of agreement {agreement_id} here")
    ctx.progress(0, 2, _("De cijfers worden verzameld…"))
    body = render_xlsx(buyer_state(agreement), kind)
    ctx.progress(1, 2, _("Het bestand wordt bewaard…"))
    files.write(agreement.tenant_id, f"{ctx.run_id}.xlsx", body, area="exports/framework")
    ctx.progress(2, 2, _("Het bestand is klaar."))


# -- the chart ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class BudgetChart:
    """Bars: budget used so far per period; a dashed step line: the ceiling then.
    Coordinates are floats for drawing only; the figures stay Decimals in ``rows``."""

    width: int
    height: int
    baseline: float
    bars: list[ChartBar]
    ceiling_points: str
    rows: list[tuple[str, Decimal, Decimal]]


def budget_chart(
    points: Sequence[tuple[Period, Decimal, Decimal]], *, width: int = 640, height: int = 240
) -> BudgetChart:
    plot = height - 24
    top = max((max(used, limit) for _p, used, limit in points), default=Decimal(0))
    slot = width / max(len(points), 1)

    def y(value: Decimal) -> float:
        return plot - (float(value / top) * (plot - 16) if top > 0 else 0.0)

    bars, line = [], []
    for i, (period, used, limit) in enumerate(points):
        bar_top = y(used)
        bars.append(
            ChartBar(i * slot + slot * 0.2, bar_top, slot * 0.6, plot - bar_top, f"P{period.index}")
        )
        line += [f"{i * slot:.1f},{y(limit):.1f}", f"{(i + 1) * slot:.1f},{y(limit):.1f}"]
    rows = [(f"{p.index}", used, limit) for p, used, limit in points]
    return BudgetChart(width, height, plot, bars, " ".join(line), rows)


# -- words for proposals -----------------------------------------------------------------------
def proposal_text(state: State, proposal: FrameworkProposal) -> str:
    """The proposal as the rule words it (from the stored figures)."""
    party = state.party_by_id[proposal.party_id]
    from babel.numbers import format_decimal

    from koepel.platform.i18n import current_language

    change = (
        Decimal(proposal.actual_clients - proposal.contracted_clients)
        * 100
        / Decimal(proposal.contracted_clients)
    )  # for the words only: the amount is the rule's
    shown = format_decimal(abs(change), format="#,##0.#", locale=current_language())
    if proposal.kind == ProposalKind.INCREASE:
        return _(
            "%(provider)s had in periode %(p)s %(actual)s cliënten, %(change)s%% meer dan de "
            "%(contracted)s afgesproken. Voorstel: het budget %(amount)s verhogen.",
            provider=state.name(party),
            p=proposal.period,
            actual=proposal.actual_clients,
            change=shown,
            contracted=proposal.contracted_clients,
            amount=money_text(proposal.amount),
        )
    return _(
        "%(provider)s had in periode %(p)s %(actual)s cliënten, %(change)s%% minder dan de "
        "%(contracted)s afgesproken. Voorstel: het budget %(amount)s verlagen.",
        provider=state.name(party),
        p=proposal.period,
        actual=proposal.actual_clients,
        change=shown,
        contracted=proposal.contracted_clients,
        amount=money_text(-proposal.amount),
    )


# -- demo data (Goeree-Overflakkee, 2015) ------------------------------------------------------
DEMO_TITLE = "Raamovereenkomst Wmo-begeleiding Goeree-Overflakkee 2015"
DEMO_YEAR = 2015
# Illustrative tariffs: the case does not publish them (as in the rules' tests).
DEMO_TARIFFS = {
    "ambulatory/light": ("45.00", "Praktische hulp bij het huishouden van het leven."),
    "ambulatory/medium": ("55.00", "Begeleiding bij meerdere leefgebieden."),
    "ambulatory/heavy": ("65.00", "Intensieve begeleiding, ook bij crisis."),
    "group/light": ("18.00", "Groep tot tien deelnemers, lichte ondersteuning."),
    "group/medium": ("24.00", "Groep tot acht deelnemers."),
    "group/heavy": ("32.00", "Kleine groep met extra begeleiding."),
    "day_activities/light": ("30.00", "Dagdeel ontmoeting en activiteiten."),
    "day_activities/medium": ("40.00", "Dagdeel met persoonlijke doelen."),
    "day_activities/heavy": ("55.00", "Dagdeel met intensieve zorg."),
    "transport/wheelchair": ("22.50", "Rit met rolstoelvervoer."),
    "transport/passenger": ("9.50", "Rit als passagier (zittend vervoer)."),
}
# Units per client for the year, divisible by 13 so the 4-weekly figures are whole.
PER_CLIENT = {
    "ambulatory/light": 52,
    "ambulatory/medium": 52,
    "ambulatory/heavy": 52,
    "group/medium": 104,
    "day_activities/light": 78,
    "day_activities/medium": 78,
    "day_activities/heavy": 78,
    "transport/passenger": 26,
}
# The case has 14 providers; three are named in DOMAIN.md (Laurens, Leliezorggroep,
# Curamare), the other eleven are illustrative and say so in their names.
# (slug, name, contracted clients, main product, second product or None)
DEMO_PROVIDERS = [
    ("laurens", "Laurens", 40, "ambulatory/medium", "transport/passenger"),
    ("leliezorggroep", "Leliezorggroep", 30, "day_activities/medium", "transport/passenger"),
    ("curamare", "Curamare", 25, "ambulatory/medium", None),
    ("go-oude-hoeve", "Zorgboerderij De Oude Hoeve (fictief)", 8, "day_activities/light", None),
    ("go-thuisbegeleiding", "Thuisbegeleiding Flakkee (fictief)", 10, "ambulatory/light", None),
    ("go-haventje", "Dagbesteding Het Haventje (fictief)", 12, "day_activities/light", None),
    ("go-welzijn", "Stichting Welzijn Eilanden (fictief)", 9, "group/medium", None),
    ("go-buurtteam", "Buurtteam Middelharnis (fictief)", 14, "ambulatory/medium", None),
    ("go-ouddorp", "Begeleid Wonen Ouddorp (fictief)", 11, "ambulatory/heavy", None),
    ("go-sommelsdijk", "Ontmoetingscentrum Sommelsdijk (fictief)", 16, "group/medium", None),
    ("go-eilandtaxi", "Vervoersdienst Eilandtaxi (fictief)", 7, "transport/passenger", None),
    ("go-dirksland", "Activiteitencentrum Dirksland (fictief)", 13, "day_activities/heavy", None),
    ("go-oostflakkee", "Ambulante Hulp Oostflakkee (fictief)", 10, "ambulatory/light", None),
    ("go-herkingen", "Zorg op Maat Herkingen (fictief)", 15, "ambulatory/medium", None),
]
DEMO_CONTACTS = [
    ("contact.laurens", "Marja Tanis", "laurens"),
    ("contact.curamare", "Ad Mijs", "curamare"),
]
DEMO_CLOSED = 3  # periods closed in the demo; Curamare has 8 % more clients in period 3


def load_demo(orgs: dict[str, Organisation]) -> int:
    """Goeree-Overflakkee's framework contract of 2015 with 14 providers: the 3 × 3 catalogue
    and transport tariffs, volume agreements from last year's figures, call-offs for
    pseudonymous clients, three 4-weekly reports, and one proposal (Curamare) to accept.
    Idempotent: nothing is made when the agreement exists."""
    from koepel.platform.auth import operations as accounts
    from koepel.platform.demo import DEMO_PASSWORD, demo_email
    from koepel.platform.tenancy import acting_for

    buyer = orgs["goeree-overflakkee"]
    officer = accounts.find_user(demo_email("inkoper.goeree-overflakkee"))
    with acting_for(buyer.id):
        if db.session.scalar(
            select(FrameworkAgreement.id).where(FrameworkAgreement.title == DEMO_TITLE)
        ):
            return 0
    created = 0
    providers = []
    for slug, name, _clients, _main, _second in DEMO_PROVIDERS:
        org = orgs.get(slug) or db.session.scalar(
            select(Organisation).where(Organisation.slug == slug)
        )
        if org is None:
            org = Organisation(slug=slug, name=name, kind=OrgKind.PROVIDER)
            db.session.add(org)
            db.session.flush()
            created += 1
        orgs[slug], providers = org, [*providers, org]
    for local, display, slug in DEMO_CONTACTS:
        user = accounts.find_user(demo_email(local))
        if user is None:
            user = accounts.create_user(
                actor=None, email=demo_email(local), display_name=display, password=DEMO_PASSWORD
            )
            created += 1
        accounts.grant_role(actor=None, user=user, org=orgs[slug], role="contact")

    schedule = four_week_periods(DEMO_YEAR)
    first, last = date(DEMO_YEAR, 1, 1), date(DEMO_YEAR, 12, 31)
    with acting_for(buyer.id):
        agreement = create(
            actor=officer,
            buyer=buyer,
            title=DEMO_TITLE,
            year=DEMO_YEAR,
            description=(
                "Raamcontract met 14 aanbieders: drie productgroepen in drie zwaartes en "
                "vervoer, volumeafspraken uit de cijfers van 2014 met als doel minder of "
                "lichtere ondersteuning, tarieven niet gekort. Elke vier weken cijfers en "
                "een gesprek."
            ),
        )
        for code, (tariff, text) in DEMO_TARIFFS.items():
            group = code.split("/")[0]
            set_product(
                actor=officer,
                agreement=agreement,
                code=code,
                unit=DEFAULT_UNITS.get(group, TRANSPORT_UNIT),
                tariff=Decimal(tariff),
                description=text,
            )
        for name, bonus, malus in (
            ("Cliënttevredenheid", "2", "2"),
            ("Zelfredzaamheid", "1.5", "1"),
            ("Wachttijd onder vier weken", "0", "1"),
        ):
            add_indicator(
                actor=officer,
                agreement=agreement,
                name=name,
                bonus=Decimal(bonus),
                malus=Decimal(malus),
            )
        products = {fr.code(p.product_group, p.level): p for p in buyer_state(agreement).products}
        for org, (_slug, _name, clients, main, second) in zip(
            providers, DEMO_PROVIDERS, strict=True
        ):
            party = add_party(actor=officer, agreement=agreement, organisation=org, clients=clients)
            volumes = {}
            for code, share in ((main, 1), (second, 4)):  # every 4th client also rides
                if code is None:
                    continue
                units = Decimal(PER_CLIENT[code] * clients // share)
                # Agreed: 10 % above what the clients need (room for new clients); last
                # year 20 % more was delivered: the target is less or lighter support.
                volumes[products[code].id] = (units * Decimal("1.1"), units * Decimal("1.2"))
            set_volumes(
                actor=officer, agreement=agreement, party=party, clients=clients, volumes=volumes
            )
        activate(actor=officer, agreement=agreement)
        created += 1 + len(DEMO_TARIFFS) + 2 * len(providers)

        state = buyer_state(agreement)
        parties = {p.organisation_id: p for p in state.parties}
        for n, (org, (_slug, _name, clients, main, second)) in enumerate(
            zip(providers, DEMO_PROVIDERS, strict=True), start=1
        ):
            party = parties[org.id]
            for k in range(clients):
                client = f"GO-{n:02d}{k + 1:03d}"
                orders = [(main, first)] + ([(second, first)] if second and k % 4 == 0 else [])
                for code, start in orders:
                    place_call_off(
                        actor=officer,
                        state=state,
                        party=party,
                        product=products[code],
                        client=client,
                        quantity=Decimal(PER_CLIENT[code]),
                        start=start,
                        end=last,
                    )
                    created += 1
            if org.slug == "curamare":  # two new clients from period 3: 27 of 25 contracted
                for k in (clients + 1, clients + 2):
                    place_call_off(
                        actor=officer,
                        state=state,
                        party=party,
                        product=products[main],
                        client=f"GO-{n:02d}{k:03d}",
                        quantity=Decimal(44),
                        start=schedule[DEMO_CLOSED - 1].start,
                        end=last,
                        note="Nieuwe cliënt na keukentafelgesprek",
                    )
                    created += 1

    for org in providers:
        with acting_for(org.id):
            for index in range(1, DEMO_CLOSED + 1):
                seen = party_state(org, agreement.id)
                period = schedule[index - 1]
                quantities = {
                    c.id: c.quantity / (14 - index if c.start_on > first else 13)
                    for c in seen.call_offs
                    if period.overlaps(c.start_on, c.end_on)
                }
                submit_report(
                    actor=None, provider=org, state=seen, period=index, quantities=quantities
                )
                created += len(quantities)

    with acting_for(buyer.id):
        agreement = get_agreement(agreement.id)
        for _ in range(DEMO_CLOSED):
            created += len(close_period(actor=officer, agreement=agreement))
        state = buyer_state(agreement)
        laurens = next(p for p in state.parties if state.slug(p) == "laurens")
        record_supplement(
            actor=officer,
            state=state,
            party=laurens,
            individual=products["ambulatory/light"],
            group=products["group/light"],
            units=Decimal(200),
            equal_quality=True,
            note="Wekelijkse groep in Middelharnis in plaats van huisbezoeken",
        )
        created += 1
    return created
