"""Award letters: one per bid, all written at the one instant of sending.

Each letter is a record owned by the buyer (``AwardLetter``) holding a snapshot of what was
decided at that instant: the lot, the bidder's own points per criterion (consensus points,
weight, weighted) and total, its rank of how many (or its exclusion and the reason), the
winner's name, characteristics and scores, the reasons, the tie rule where it decided a
place, and the exact end of the standstill period. A losing bidder's letter names no other
losing bidder. From the snapshot come the e-mail (written in the same transaction, through
the outbox) and the PDF (rendered by a job after the commit, once: a letter that has its
PDF is not rendered again; the file's SHA-256 is kept and audited).

The bidder reads its own letters only through ``letters_for_bid`` (a named cross-tenant
read: the rows are the buyer's).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koepel.bids import scoring
from koepel.bids.models import AwardDecision, ConsensusScore, CriterionKind, OpenedBid, Tender
from koepel.bids.models.objections import AwardLetter
from koepel.platform import audit, files, pdf, policy
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.jobs import JobContext, PermanentJobError, enqueue, job
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation, OrgKind, OrgRole, User
from koepel.platform.money import CENT
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import format_date_local, format_datetime_local, to_local, utcnow

RENDER_JOB = "bids.render_award_letter"
FILE_AREA = "award-letters"
# The people of a bidder who receive its letters and answers.
RECIPIENT_ROLES = ("board", "coordinator", "staff", "contact")
LETTER_LOCALE = "nl"  # the letter as a document is Dutch, whoever pressed the button
PARTNER_ROLES = {"main": _l("hoofdaannemer"), "sub": _l("onderaannemer")}


# -- the snapshot ----------------------------------------------------------------------------
def _weighted(weight: Decimal, points: Decimal, max_points: Decimal) -> Decimal:
    return (weight * points / max_points).quantize(CENT, rounding=ROUND_HALF_UP)


def _text(value: Decimal | int | None) -> str | None:
    """A number for the snapshot: a string with two decimals, whatever its source."""
    return None if value is None else str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _scores(
    tender: Tender,
    row: scoring.Ranked,
    motivations: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Points per criterion as the ranking computed them (price points, consensus points),
    with the weighted contribution out of 100."""
    lines = []
    for criterion in tender.criteria:
        points = (row.points or {}).get(str(criterion.id))
        if points is None:
            weighted = None
        elif criterion.kind == CriterionKind.PRICE:
            # From the exact price points, as the total was; not from the rounded ones.
            weighted = row.price_subtotal
        else:
            weighted = _weighted(criterion.weight, points, criterion.max_points)
        line = {
            "criterion": criterion.title,
            "kind": criterion.kind.value,
            "weight": _text(criterion.weight),
            "max_points": _text(criterion.max_points),
            "points": _text(points),
            "weighted": _text(weighted),
        }
        if motivations is not None:
            line["motivation"] = motivations.get(str(criterion.id), "")
        lines.append(line)
    return lines


def _party(tender: Tender, copy: OpenedBid, row: scoring.Ranked, kind: OrgKind | None) -> dict:
    """A winner as the letter describes it: name and characteristics, scores and total."""
    return {
        "name": copy.bidder_name,
        "kind": kind.value if kind else None,
        "citizen_initiative": copy.citizen_initiative,
        "partners": [
            {"organisation": p.get("organisation", ""), "role": p.get("role", "")}
            for p in copy.partners or []
        ],
        "total": _text(row.total),
        "scores": _scores(tender, row),
    }


def build_contents(
    tender: Tender,
    decisions: Sequence[AwardDecision],
    ranking: dict[int, list[scoring.Ranked]],
    sent_at: datetime,
    ends: datetime,
) -> list[tuple[OpenedBid, dict[str, Any]]]:
    """Every opened bid's letter content (JSON-safe), in lot and rank order."""
    copies = {
        c.id: c
        for c in db.session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id))
    }
    motivations: dict[int, dict[str, str]] = {}
    for score in db.session.scalars(
        select(ConsensusScore)
        .join(OpenedBid, OpenedBid.id == ConsensusScore.opened_bid_id)
        .where(OpenedBid.tender_id == tender.id)
    ):
        motivations.setdefault(score.opened_bid_id, {})[str(score.criterion_id)] = score.motivation
    kinds = dict(
        db.session.execute(
            select(Organisation.id, Organisation.kind).where(
                Organisation.id.in_({c.bidder_id for c in copies.values()})
            )
        ).all()
    )
    buyer_name = db.session.scalar(
        select(Organisation.name).where(Organisation.id == tender.tenant_id)
    )
    by_lot = {d.lot_id: d for d in decisions}
    first_day = to_local(sent_at).date() + timedelta(days=1)
    out: list[tuple[OpenedBid, dict[str, Any]]] = []
    for lot in tender.lots:
        ranked = ranking.get(lot.id, [])
        placed = [r for r in ranked if r.rank is not None]
        decision = by_lot.get(lot.id)
        rows = {r.bid_id: r for r in ranked}
        winner = reserved = None
        if decision is not None:
            win = copies[decision.winner_id]
            winner = _party(tender, win, rows[win.id], kinds.get(win.bidder_id))
            if decision.reserved_winner_id and decision.reserved_winner_id != decision.winner_id:
                res = copies[decision.reserved_winner_id]
                reserved = _party(tender, res, rows[res.id], kinds.get(res.bidder_id))
                reserved["share"] = _text(lot.reserved_share)
        tie_broken = [r for r in placed if r.tie_broken_by]
        tie_rule = placed[0].tie_rule if placed else scoring.TIE_RULE
        for index, row in enumerate(ranked):
            copy = copies[row.bid_id]
            below = ranked[index + 1] if index + 1 < len(ranked) else None
            content = {
                "buyer": buyer_name,
                "tender": {"id": tender.id, "title": tender.title},
                "lot": {"id": lot.id, "number": lot.number, "title": lot.title},
                "bidder": {"name": copy.bidder_name},
                "sent_at": sent_at.isoformat(),
                "standstill_first_day": first_day.isoformat(),
                "standstill_days": tender.standstill_days,
                "standstill_ends_at": ends.isoformat(),
                "awarded": decision is not None,
                "own": {
                    "rank": row.rank,
                    "count": len(placed),
                    "excluded_reason": copy.excluded_reason if row.rank is None else None,
                    "total": _text(row.total),
                    "scores": _scores(tender, row, motivations.get(copy.id, {}))
                    if row.rank is not None
                    else [],
                    "is_winner": decision is not None and decision.winner_id == copy.id,
                    "is_reserved_winner": reserved is not None
                    and decision.reserved_winner_id == copy.id,
                },
                "winner": winner,
                "reserved": reserved,
                # A reserved share nobody could win (no valid citizen initiative) is said so.
                "reserved_unallocated": _text(lot.reserved_share)
                if decision is not None
                and lot.reserved_share > 0
                and decision.reserved_winner_id is None
                else None,
                "reasons": decision.reasons if decision is not None else "",
                # The stated tie rule, where equal totals decided a place on this lot.
                "tie_rule": scoring.TIE_RULES.get(tie_rule, "") if tie_broken else None,
                "tie_own": bool(
                    row.rank is not None and (row.tie_broken_by or (below and below.tie_broken_by))
                ),
            }
            out.append((copy, content))
    return out


def issue(
    *,
    buyer: Organisation,
    tender: Tender,
    decisions: Sequence[AwardDecision],
    ranking: dict[int, list[scoring.Ranked]],
    sent_at: datetime,
    ends: datetime,
) -> list[AwardLetter]:
    """Write every bid's letter and e-mail it (outbox) in this transaction, then queue the
    PDFs; they render after the commit."""
    letters = []
    for copy, content in build_contents(tender, decisions, ranking, sent_at, ends):
        letter = AwardLetter(
            tenant_id=buyer.id,
            tender_id=tender.id,
            lot_id=copy.lot_id,
            opened_bid_id=copy.id,
            bid_id=copy.bid_id,
            bidder_id=copy.bidder_id,
            sent_at=sent_at,
            standstill_ends_at=ends,
            content=content,
        )
        db.session.add(letter)
        letters.append(letter)
    db.session.flush()
    _mail(letters)
    for letter in letters:
        enqueue(
            RENDER_JOB,
            tenant_id=buyer.id,
            kwargs={"letter_id": letter.id},
            key=f"award-letter:{letter.id}",
        )
    return letters


# -- the text (e-mail, the bidder's page) ----------------------------------------------------
def _when(value: str) -> str:
    return format_datetime_local(datetime.fromisoformat(value), current_language(), "long")


def _points(value: str | None) -> str:
    return "—" if value is None else format_decimal(Decimal(value), format="#,##0.##")


def _total(value: str | None) -> str:
    return "—" if value is None else format_decimal(Decimal(value), format="#,##0.00")


def kind_label(kind: str | None) -> str:
    return str(policy.KIND_LABELS[OrgKind(kind)]) if kind else ""


def describe(party: dict[str, Any]) -> str:
    """A winner's characteristics: kind of organisation, citizen initiative, consortium."""
    name = party["name"]
    kind = kind_label(party["kind"]) or _("organisatie")
    first = (
        _("%(name)s is een %(kind)s en een burgerinitiatief.", name=name, kind=kind)
        if party["citizen_initiative"]
        else _("%(name)s is een %(kind)s.", name=name, kind=kind)
    )
    if party["partners"]:
        names = ", ".join(
            f"{p['organisation']} ({PARTNER_ROLES.get(p['role'], p['role'])})"
            for p in party["partners"]
        )
        second = _("Zij schrijft in als combinatie, met %(names)s.", names=names)
    else:
        second = _("Zij schrijft alleen in, niet als combinatie.")
    return f"{first} {second}"


def _score_lines(scores: Iterable[dict[str, Any]]) -> list[str]:
    return [
        _(
            "- %(criterion)s: %(points)s van %(max)s punten, weging %(weight)s%%, "
            "gewogen %(weighted)s",
            criterion=s["criterion"],
            points=_points(s["points"]),
            max=_points(s["max_points"]),
            weight=_points(s["weight"]),
            weighted=_total(s["weighted"]),
        )
        for s in scores
    ]


def paragraphs(content: dict[str, Any]) -> list[str]:
    """The letter as plain paragraphs, in the current language."""
    own, winner, reserved = content["own"], content["winner"], content["reserved"]
    parts = [
        _(
            "Gunningsbeslissing %(tender)s, perceel %(lot)s.",
            tender=content["tender"]["title"],
            lot=content["lot"]["title"],
        )
    ]
    if own["rank"] is None:
        parts.append(
            _("Uw inschrijving is uitgesloten: %(reason)s", reason=own["excluded_reason"] or "")
        )
    else:
        parts.append(
            _(
                "Uw inschrijving staat op plaats %(rank)d van %(count)d "
                "met een totaalscore van %(total)s.",
                rank=own["rank"],
                count=own["count"],
                total=_total(own["total"]),
            )
        )
        parts.append("\n".join([_("Uw scores per criterium:"), *_score_lines(own["scores"])]))
    if own["is_winner"]:
        parts.append(_("De opdracht voor dit perceel gaat naar u."))
    elif own["is_reserved_winner"]:
        parts.append(_("Het deel dat is voorbehouden aan burgerinitiatieven gaat naar u."))
    if winner is None:
        parts.append(_("Dit perceel is niet gegund: er was geen geldige inschrijving."))
    else:
        parts.append(
            _(
                "De opdracht gaat naar %(winner)s met een totaalscore van %(total)s.",
                winner=winner["name"],
                total=_total(winner["total"]),
            )
        )
        parts.append(
            "\n".join(
                [
                    describe(winner),
                    _("Scores van %(name)s per criterium:", name=winner["name"]),
                    *_score_lines(winner["scores"]),
                ]
            )
        )
    if reserved is not None:
        parts.append(
            _(
                "Het deel van %(share)s%% dat is voorbehouden aan burgerinitiatieven gaat naar "
                "%(name)s met een totaalscore van %(total)s. %(description)s",
                share=_points(reserved["share"]),
                name=reserved["name"],
                total=_total(reserved["total"]),
                description=describe(reserved),
            )
        )
    if content.get("reserved_unallocated"):
        parts.append(unallocated_text(content))
    if content["reasons"]:
        parts.append(_("Motivering: %(reasons)s", reasons=content["reasons"]))
    if content["tie_rule"]:
        parts.append(
            _(
                "Op dit perceel waren totaalscores gelijk. Toen gold deze regel: %(rule)s",
                rule=content["tie_rule"],
            )
            + (" " + _("Dat gold ook voor uw plaats.") if content["tie_own"] else "")
        )
    parts += [standstill_text(content), objection_text(content)]
    return parts


def unallocated_text(content: dict[str, Any]) -> str:
    return _(
        "Het deel van %(share)s%% dat is voorbehouden aan burgerinitiatieven is niet vergeven: "
        "er was geen geldige inschrijving van een burgerinitiatief.",
        share=_points(content["reserved_unallocated"]),
    )


def standstill_text(content: dict[str, Any]) -> str:
    return _(
        "De opschortende termijn begint op %(first)s en duurt %(days)d kalenderdagen: "
        "tot en met %(end)s (Nederlandse tijd). Zolang de termijn loopt, wordt de gunning "
        "niet definitief.",
        first=format_date_local(
            datetime.fromisoformat(content["standstill_first_day"]).date(),
            current_language(),
            "long",
        ),
        days=content["standstill_days"],
        end=_when(content["standstill_ends_at"]),
    )


def objection_text(content: dict[str, Any]) -> str:
    return _(
        "Bezwaar maken: open uw inschrijving in Koepel en kies ‘Bezwaar maken’. Schrijf "
        "waar uw bezwaar over gaat en waarom. Dat kan tot en met %(end)s. De opdrachtgever "
        "beantwoordt elk bezwaar schriftelijk. Zolang een bezwaar niet is beantwoord, "
        "wordt de gunning niet definitief.",
        end=_when(content["standstill_ends_at"]),
    )


# -- e-mail ------------------------------------------------------------------------------------
def recipients(org_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """(e-mail, language) of the people who receive a bidder's letters, per organisation."""
    found: dict[int, list[tuple[str, str]]] = {}
    ids = set(org_ids)
    if not ids:
        return found
    for org_id, email, locale in db.session.execute(
        select(OrgRole.organisation_id, User.email, User.locale)
        .join(User, User.id == OrgRole.user_id)
        .where(
            OrgRole.organisation_id.in_(ids),
            OrgRole.role.in_(RECIPIENT_ROLES),
            User.is_active_account.is_(True),
        )
        .order_by(OrgRole.organisation_id, User.email)
    ):
        people = found.setdefault(org_id, [])
        if all(email != known for known, _locale in people):  # one message per person
            people.append((email, locale or LETTER_LOCALE))
    return found


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an e-mail, also outside a request (a job, the demo loader)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    anchor = values.pop("_anchor", None)
    base = urlsplit(current_app.config.get("BASE_URL") or "http://localhost")
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def _mail(letters: Sequence[AwardLetter]) -> None:
    slugs = dict(
        db.session.execute(
            select(Organisation.id, Organisation.slug).where(
                Organisation.id.in_({letter.bidder_id for letter in letters})
            )
        ).all()
    )
    people = recipients(slugs)
    for letter in letters:
        link = external_url("bidding.bid", org_slug=slugs[letter.bidder_id], bid_id=letter.bid_id)
        for email, locale in people.get(letter.bidder_id, []):
            with force_locale(locale):
                body = "\n\n".join(
                    [
                        *paragraphs(letter.content),
                        _(
                            "U vindt deze brief ook als PDF bij uw inschrijving: %(link)s",
                            link=link,
                        ),
                    ]
                )
                subject = _(
                    "Gunningsbeslissing: %(tender)s", tender=letter.content["tender"]["title"]
                )
            queue_email(to=email, subject=subject, body=body, tenant_id=letter.bidder_id)


# -- the PDF -----------------------------------------------------------------------------------
def render_html(letter: AwardLetter) -> str:
    # Straight from the environment: the app's context processors want a request and a user,
    # and a job has neither.
    with force_locale(LETTER_LOCALE):
        return current_app.jinja_env.get_template("bids/letters/award_letter.html").render(
            letter=letter,
            c=letter.content,
            standstill_text=standstill_text,
            unallocated_text=unallocated_text,
            objection_text=objection_text,
            describe=describe,
            kind_label=kind_label,
            points=_points,
            total=_total,
            when=_when,
        )


def render(letter_id: int) -> AwardLetter:
    """Render the letter's PDF once and keep it with its SHA-256 (in the buyer's scope)."""
    letter = db.session.scalar(
        select(AwardLetter)
        .where(AwardLetter.id == letter_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if letter is None:
        raise PermanentJobError(f"no award letter {letter_id} for this tenant")
    if letter.pdf_sha256 is not None:
        return letter  # rendered before: a retry or a second delivery keeps the one letter
    data = pdf.render(render_html(letter))
    digest = hashlib.sha256(data).hexdigest()
    letter.pdf_name = files.store(letter.tenant_id, data, ".pdf", area=FILE_AREA)
    letter.pdf_sha256, letter.pdf_size, letter.rendered_at = digest, len(data), utcnow()
    db.session.flush()
    audit.record(
        db.session,
        actor=None,
        tenant_id=letter.tenant_id,
        action="award_letter.rendered",
        obj_type="award_letter",
        obj_id=letter.id,
        after={"sha256": digest, "bytes": len(data)},
    )
    return letter


@job(RENDER_JOB)
def _render_job(ctx: JobContext, letter_id: int) -> None:
    render(letter_id)


class LetterIntegrityError(RuntimeError):
    """The stored PDF is not the one rendered (its SHA-256 differs)."""


def read_pdf(letter: AwardLetter) -> bytes:
    """The letter's PDF, exactly as rendered: a changed file is refused, not served."""
    data = files.read(letter.tenant_id, letter.pdf_name, area=FILE_AREA)
    if hashlib.sha256(data).hexdigest() != letter.pdf_sha256:
        raise LetterIntegrityError(f"award letter {letter.id}: the stored PDF was changed")
    return data


def filename(letter: AwardLetter) -> str:
    return f"gunningsbrief-{letter.tender_id}-{letter.id}.pdf"


# -- the bidder's side -------------------------------------------------------------------------
def letters_for_bid(bidder: Organisation, bid_id: int) -> list[AwardLetter]:
    """The letters a bidder received for its own bid, newest first (detached rows)."""
    with cross_tenant("a bidder reads the award letters it received for its own bid"):
        rows = db.session.scalars(
            select(AwardLetter)
            .where(AwardLetter.bid_id == bid_id, AwardLetter.bidder_id == bidder.id)
            .order_by(AwardLetter.sent_at.desc(), AwardLetter.id.desc())
        ).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


@dataclass(frozen=True)
class Summary:
    """What the bidder's bid page shows of its award letter."""

    letter: AwardLetter
    objections: int
    unanswered: int
    open_for_objections: bool


def summary_for_bid(
    bidder: Organisation, bid_id: int, now: datetime | None = None
) -> Summary | None:
    from koepel.bids import objections

    found = letters_for_bid(bidder, bid_id)
    if not found:
        return None
    letter = found[0]
    lodged = objections.for_bidder(bidder, [letter.id])
    return Summary(
        letter=letter,
        objections=len(lodged),
        unanswered=sum(1 for o in lodged if o.answered_at is None),
        open_for_objections=objections.may_lodge(letter, now),
    )
