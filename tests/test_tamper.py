"""Tampering is caught where it matters, as someone with access to the database or the
file store would try it: `koepel audit verify` names the changed, removed or reordered
audit row; an opening with a changed, moved or cut sealed envelope opens nothing and says
so; a changed encrypted attachment is not handed out, with a message, to anyone.

(tests/test_audit.py and tests/test_bids_sealing.py hold the unit-level cases.)"""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import test_bids_attachments as attachments
from sqlalchemy import func, select
from test_audit import _tamper
from test_bids_opening_evaluation import closed_tender  # noqa: F401  (a fixture)

from koepel.bids import dossier, opening, tenders
from koepel.bids.models import Bid, BidStatus, OpenedBid, TenderOpening, TenderStatus
from koepel.bids.models.dossier import BidAttachment
from koepel.platform import audit, files
from koepel.platform.models import AuditEvent
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow

from conftest import client_for, csrf_from

market = attachments.market  # the attachments test's tender, buyer and bidders (a fixture)


# -- the audit log ---------------------------------------------------------------------------
def _events(db, make_org, make_user, n: int = 5) -> list[int]:
    org = make_org()
    actor = make_user(org)
    for i in range(n):
        audit.record(
            db.session,
            actor=actor,
            tenant_id=org.id,
            action="test.changed",
            obj_type="thing",
            obj_id=i,
            after={"v": i},
        )
    db.session.flush()
    with cross_tenant("test: the chain's numbers"):
        return list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))


def _verify(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def _earlier(db) -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        return "occurred_at - interval '1 hour'"
    return "datetime(occurred_at, '-1 hour')"


@pytest.mark.parametrize("change", ["payload", "actor", "time"])
def test_verify_names_a_changed_row(app, db, make_org, make_user, change):
    seqs = _events(db, make_org, make_user)
    seq = seqs[-3]
    other = make_user().id
    value = {
        "payload": """summary = '{"after": {"v": 999}}'""",
        "actor": f"actor_user_id = {other}",
        "time": f"occurred_at = {_earlier(db)}",
    }[change]
    assert _verify(app).exit_code == 0
    _tamper(db, f"UPDATE audit_event SET {value} WHERE seq = {seq}")
    result = _verify(app)
    assert result.exit_code == 1
    assert f"audit chain BROKEN at event {seq}: inhoud is gewijzigd" in result.output


def test_verify_names_a_deleted_row(app, db, make_org, make_user):
    seqs = _events(db, make_org, make_user)
    _tamper(db, f"DELETE FROM audit_event WHERE seq = {seqs[1]}")
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at event {seqs[2]}: volgnummer ontbreekt" in result.output


def test_verify_names_a_reordered_row(app, db, make_org, make_user):
    seqs = _events(db, make_org, make_user)
    first, second = seqs[1], seqs[2]  # swap two neighbours' places in the chain
    _tamper(db, f"UPDATE audit_event SET seq = -1 WHERE seq = {first}")
    _tamper(db, f"UPDATE audit_event SET seq = {first} WHERE seq = {second}")
    _tamper(db, f"UPDATE audit_event SET seq = {second} WHERE seq = -1")
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at event {first}: schakel naar vorige klopt niet" in result.output


def _head(app) -> str:
    result = _verify(app)
    assert result.exit_code == 0, result.output
    return re.search(r"\(head (\d+:[0-9a-f]{64})\)", result.output).group(1)


def test_a_removed_newest_event_is_caught_with_a_noted_head(app, db, make_org, make_user):
    seqs = _events(db, make_org, make_user)
    head = _head(app)
    assert head.startswith(f"{seqs[-1]}:")
    _tamper(db, f"DELETE FROM audit_event WHERE seq = {seqs[-1]}")
    assert _verify(app).exit_code == 0  # the chain alone cannot see its end cut off
    result = _verify(app, "--head", head)
    assert result.exit_code == 1
    assert f"BROKEN at event {seqs[-1]}: eerder genoteerd, nu weg" in result.output


def test_a_rewritten_chain_is_caught_with_a_noted_head(app, db, make_org, make_user):
    """Someone who knows the algorithm changes a row and recomputes every hash after it."""
    seqs = _events(db, make_org, make_user)
    head = _head(app)
    with cross_tenant("test: an attacker reads the chain"):
        rows = db.session.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)).all()
    prev = None
    for row in rows:
        event = SimpleNamespace(**row._asdict())
        if event.seq == seqs[1]:
            event.actor_label = "iemand anders"
        if prev is not None:
            event.prev_hash = prev
        event.hash = audit.compute_hash(event)
        if event.hash != row.hash:
            _tamper(
                db,
                f"UPDATE audit_event SET actor_label = '{event.actor_label}', "
                f"prev_hash = '{event.prev_hash}', hash = '{event.hash}' WHERE seq = {event.seq}",
            )
        prev = event.hash
    assert _verify(app).exit_code == 0  # consistent again: only a noted head shows it
    result = _verify(app, "--head", head)
    assert result.exit_code == 1
    assert f"BROKEN at event {seqs[-1]}: anders dan eerder genoteerd" in result.output
    assert _verify(app, "--head", "12:abc").exit_code == 2  # a malformed head is refused


# -- sealed bids at the opening ----------------------------------------------------------------
def _submitted(db, tender_id: int) -> list[Bid]:
    with cross_tenant("test: the bids of the tender"):
        return list(
            db.session.scalars(
                select(Bid)
                .where(Bid.tender_id == tender_id, Bid.status == BidStatus.SUBMITTED)
                .order_by(Bid.id)
            )
        )


def _flip(blob: bytes, position: int) -> bytes:
    changed = bytearray(blob)
    changed[position] ^= 0x01
    return bytes(changed)


def _tamper_bids(db, bids: list[Bid], how: str) -> list[int]:
    """Change the sealed envelopes at rest; returns the ids of the bids changed."""
    a, b = bids[0], bids[1]
    with cross_tenant("test: someone with database access"):
        if how == "flipped quality byte":
            a.quality_sealed = _flip(a.quality_sealed, len(a.quality_sealed) // 2)
            changed = [a.id]
        elif how == "flipped price byte":
            a.price_sealed = _flip(a.price_sealed, 0)  # in the nonce
            changed = [a.id]
        elif how == "envelopes swapped":  # with their digests: the whole envelope moved
            a.quality_sealed, b.quality_sealed = b.quality_sealed, a.quality_sealed
            a.quality_digest, b.quality_digest = b.quality_digest, a.quality_digest
            changed = [a.id, b.id]
        elif how == "nonce cut short":
            a.quality_sealed = a.quality_sealed[:8]
            changed = [a.id]
        db.session.flush()
    return changed


def _opened(db, tender_id: int) -> int:
    with cross_tenant("test: count opened copies"):
        return db.session.scalar(
            select(func.count()).select_from(OpenedBid).where(OpenedBid.tender_id == tender_id)
        )


@pytest.mark.parametrize(
    "how", ["flipped quality byte", "flipped price byte", "envelopes swapped", "nonce cut short"]
)
def test_a_tampered_bid_opens_nothing(app, db, closed_tender, how):  # noqa: F811
    ctx = closed_tender
    buyer, (first, second) = ctx["buyer"], ctx["officials"]
    tender_id = ctx["tender_id"]
    bids = _submitted(db, tender_id)
    original = {b.id: (b.quality_sealed, b.quality_digest, b.price_sealed) for b in bids}
    changed = _tamper_bids(db, bids, how)
    with acting_for(buyer.id):
        tenders.get_tender(tender_id).submission_deadline = utcnow() - timedelta(minutes=1)
        db.session.flush()
    url = f"/{buyer.slug}/tenders/{tender_id}/opening"
    one, two = client_for(app, first), client_for(app, second)
    token = csrf_from(one.get(url).get_data(as_text=True))
    assert one.post(f"{url}/start", data={"csrf_token": token}).status_code == 302
    token = csrf_from(two.get(url).get_data(as_text=True))
    refused = two.post(f"{url}/confirm", data={"csrf_token": token})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Er is niets geopend" in page and "gewijzigd of beschadigd" in page
    assert ("2 verzegelde inschrijvingen" in page) == (len(changed) == 2)
    # Nothing half-opened: no copies, the tender still sealed, the opening unconfirmed.
    assert _opened(db, tender_id) == 0
    with acting_for(buyer.id):
        tender = tenders.get_tender(tender_id)
        db.session.refresh(tender)
        assert tender.status == TenderStatus.PUBLISHED and tender.opened_at is None
        record = db.session.scalar(
            select(TenderOpening).where(TenderOpening.tender_id == tender_id)
        )
        db.session.refresh(record)
        assert record.confirmed_at is None
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tender.opening_refused")
        ).all()
        assert event.summary["after"]["tampered_bids"] == changed  # for the administrator
    # Put right, the same opening goes through, with every bid.
    with cross_tenant("test: undo the change"):
        for bid in bids:
            bid.quality_sealed, bid.quality_digest, bid.price_sealed = original[bid.id]
        db.session.flush()
    assert two.post(f"{url}/confirm", data={"csrf_token": token}).status_code == 302
    assert _opened(db, tender_id) == len(bids)
    assert audit.verify_chain(db.session).ok


def test_a_tampered_price_envelope_reveals_no_price(app, db, closed_tender):  # noqa: F811
    """Two envelopes: prices open after quality; one changed price envelope reveals none."""
    ctx = closed_tender
    buyer, (first, second) = ctx["buyer"], ctx["officials"]
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        tender.price_after_quality = True
        after = ctx["deadline"] + timedelta(minutes=1)
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after)
    bids = _submitted(db, ctx["tender_id"])
    original = bids[-1].price_sealed
    _tamper_bids(db, [bids[-1], bids[0]], "flipped price byte")
    with acting_for(buyer.id):
        with pytest.raises(opening.OpeningError, match="Er is niets geopend"):
            opening.reveal_prices(actor=first, buyer=buyer, tender=tender)
        prices = db.session.scalars(
            select(OpenedBid.price).where(OpenedBid.tender_id == tender.id)
        ).all()
        assert len(prices) == len(bids) and set(prices) == {None}
    with cross_tenant("test: undo the change"):
        bids[-1].price_sealed = original
        db.session.flush()
    with acting_for(buyer.id):
        opening.reveal_prices(actor=first, buyer=buyer, tender=tender)
        assert None not in db.session.scalars(select(OpenedBid.price)).all()


# -- encrypted attachments -------------------------------------------------------------------
def _tamper_file(path, other, how: str) -> None:
    blob = path.read_bytes()
    if how == "flipped nonce byte":
        path.write_bytes(_flip(blob, 0))
    elif how == "cut short":
        path.write_bytes(blob[:10])
    elif how == "swapped with another attachment":
        path.write_bytes(other.read_bytes())
    elif how == "replaced by plain text":
        path.write_bytes(b"Een ander werkplan")


@pytest.mark.parametrize(
    "how",
    [
        "flipped nonce byte",
        "cut short",
        "swapped with another attachment",
        "replaced by plain text",
    ],
)
def test_a_tampered_attachment_is_handed_to_nobody(request, app, db, market, how):
    lead = market["lead"]
    bid_id = attachments._draft(market)
    tampered = attachments._upload(market, bid_id)
    intact = attachments._upload(market, bid_id, data=b"Tweede bijlage, onveranderd")
    attachments._join(market, bid_id)
    with acting_for(lead.id):
        stored = {r.id: r.stored_name for r in db.session.scalars(select(BidAttachment))}
    path, other = (
        files.path_of(lead.id, stored[i], dossier.ATTACHMENT_AREA) for i in (tampered, intact)
    )
    _tamper_file(path, other, how)
    # Files outlive the test's rolled-back transaction: leave no stray ones behind.
    request.addfinalizer(lambda: [p.unlink(missing_ok=True) for p in (path, other)])
    message = "komt niet overeen met de vingerafdruk"

    def refused(client, url: str, back: str) -> None:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(back)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert message in page and attachments.SECRET.decode() not in page

    # The bidder itself and its consortium partner, before the opening.
    bidder = client_for(app, market["coordinator"])
    bid_url = f"/{lead.slug}/bids/{bid_id}"
    refused(bidder, f"{bid_url}/attachments/{tampered}", bid_url)
    assert bidder.get(f"{bid_url}/attachments/{intact}").data == b"Tweede bijlage, onveranderd"
    partner = client_for(app, market["contact"])
    partnership = f"/{market['partner'].slug}/partnerships/{bid_id}"
    refused(partner, f"{partnership}/attachments/{tampered}", partnership)
    # The buyer's evaluator, after the opening.
    attachments._submit(market, bid_id)
    attachments._open(market)
    attachments._review(market, market["reviewer"])
    with acting_for(market["buyer"].id):
        opened_id = db.session.scalar(select(OpenedBid.id).where(OpenedBid.bid_id == bid_id))
    reviewer = client_for(app, market["reviewer"])
    base = f"/{market['buyer'].slug}/tenders/{market['tender_id']}/opened/{opened_id}/attachments"
    refused(reviewer, f"{base}/{tampered}", f"#bid-{opened_id}")
    assert reviewer.get(f"{base}/{intact}").data == b"Tweede bijlage, onveranderd"


def test_an_envelope_changed_after_the_opening_is_named_on_the_evaluation_page(app, db, market):
    """After the opening the page lists attachments from the sealed envelope again: one
    changed since gave a 500. Now the page shows, says so, and serves none of its files."""
    bid_id = attachments._draft(market)
    upload = attachments._upload(market, bid_id)
    attachments._submit(market, bid_id)
    attachments._open(market)
    attachments._review(market, market["reviewer"])
    with cross_tenant("test: someone changes the stored envelope after the opening"):
        bid = db.session.get(Bid, bid_id)
        bid.quality_sealed = _flip(bid.quality_sealed, len(bid.quality_sealed) - 1)
        db.session.flush()
    with acting_for(market["buyer"].id):
        opened_id = db.session.scalar(select(OpenedBid.id).where(OpenedBid.bid_id == bid_id))
    reviewer = client_for(app, market["reviewer"])
    tender_url = f"/{market['buyer'].slug}/tenders/{market['tender_id']}"
    page = reviewer.get(f"{tender_url}/evaluation")
    assert page.status_code == 200
    assert "na de opening gewijzigd of beschadigd" in page.get_data(as_text=True)
    download = reviewer.get(f"{tender_url}/opened/{opened_id}/attachments/{upload}")
    assert download.status_code == 302 and attachments.SECRET not in download.data
