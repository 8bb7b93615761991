"""Bid attachments, consortium declarations and shares: files for one bid are encrypted at
rest and sealed by digest into the quality envelope; nobody but the bidder and its partners
fetches them before the opening, and after it only the buyer's evaluators, with the digest
checked; expired dossier documents and missing declarations are refused; the shares must add
up to 100."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from koepel.bids import dossier, evaluation, opening, sealing, tenders
from koepel.bids import submission as ops
from koepel.bids.models import Bid, CriterionKind, LotKind, PartnerRole, Procedure
from koepel.bids.models.dossier import BidAttachment, DossierKind
from koepel.platform import files
from koepel.platform.extensions import db as _db
from koepel.platform.money import format_money, split
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow

from conftest import client_for, csrf_from

PLAN = "Werkplan Noord-XQ"  # the title of the upload: bid content too
SECRET = b"Geheim werkplan: 42 vrijwilligers in Hoogeloon-Noord, route langs de Kapelweg"


@pytest.fixture
def market(db, make_org, make_user):
    buyer = make_org("municipality", slug="a-bladel", name="Gemeente Bladel")
    officer, second = (make_user(buyer, "procurement_officer") for _ in range(2))
    deadline = utcnow() + timedelta(days=10)
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=officer,
            buyer=buyer,
            data=tenders.TenderData(
                title="Dagbesteding Kempen",
                procedure=Procedure.OPEN,
                submission_deadline=deadline,
            ),
        )
        tenders.add_lot(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Hoogeloon",
            kind=LotKind.GEOGRAPHIC,
            budget=Decimal("250000"),
        )
        tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=40,
        )
        quality = tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Kwaliteit",
            kind=CriterionKind.QUALITY,
            weight=60,
        )
        tenders.publish(actor=officer, buyer=buyer, tender=tender)
        tender_id = tender.id
    lead = make_org("cooperative", slug="a-hoogeloon", name="Zorgcoöperatie Hoogeloon")
    partner = make_org("provider", slug="a-puurzuid", name="PuurZuid")
    other = make_org("cooperative", slug="a-casteren", name="Zorgcoöperatie Casteren")
    return {
        "buyer": buyer,
        "officer": officer,
        "second": second,
        "reviewer": make_user(buyer, "reviewer"),
        "policy": make_user(buyer, "policy_officer"),
        "deadline": deadline,
        "tender_id": tender_id,
        "quality": quality.id,
        "lead": lead,
        "coordinator": make_user(lead, "coordinator"),
        "partner": partner,
        "contact": make_user(partner, "contact"),
        "other": other,
        "other_user": make_user(other, "coordinator"),
    }


def _tender(market):
    return ops.published_tender(market["tender_id"])


def _bid(market, bid_id: int) -> Bid:
    return _db.session.scalar(
        select(Bid).where(Bid.id == bid_id).execution_options(populate_existing=True)
    )


def _draft(market, price: str = "198.500,00") -> int:
    lead, user, tender = market["lead"], market["coordinator"], _tender(market)
    with acting_for(lead.id):
        bid = ops.start(actor=user, bidder=lead, tender=tender, lot_id=tender.lots[0].id)
        ops.save_draft(
            actor=user,
            bidder=lead,
            bid=bid,
            content={
                "price": price,
                "answers": {str(market["quality"]): "Vrijwilligers uit het dorp"},
                "requirements": {},
            },
        )
        return bid.id


def _document(org, kind, title, *, expires_on=None, data=b"%PDF-1.4 document"):
    with acting_for(org.id):
        return dossier.add_document(
            actor=None,
            org=org,
            kind=kind,
            title=title,
            filename=f"{kind.value}.pdf",
            data=data,
            expires_on=expires_on,
        ).id


def _upload(market, bid_id: int, data: bytes = SECRET) -> int:
    lead = market["lead"]
    with acting_for(lead.id):
        return dossier.upload_attachment(
            actor=market["coordinator"],
            bidder=lead,
            bid=_bid(market, bid_id),
            tender=_tender(market),
            title=PLAN,
            filename="werkplan.txt",
            data=data,
        ).id


def _join(market, bid_id: int, partner=None, share: Decimal = Decimal(30), confirm=True):
    """``partner`` joins the lead's bid and, with its own UEA, confirms."""
    partner = partner or market["partner"]
    lead = market["lead"]
    with acting_for(lead.id):
        ops.add_partner(
            actor=market["coordinator"],
            bidder=lead,
            bid=_bid(market, bid_id),
            partner=partner,
            role=PartnerRole.MAIN,
            share=share,
        )
    if confirm:
        _document(partner, DossierKind.UEA, f"Eigen verklaring {partner.name}", data=b"%PDF uea")
        with acting_for(partner.id):
            ops.confirm_participation(actor=market["contact"], partner=partner, bid_id=bid_id)


def _submit(market, bid_id: int, now=None) -> ops.Receipt:
    lead = market["lead"]
    with acting_for(lead.id):
        return ops.submit(
            actor=market["coordinator"],
            bidder=lead,
            bid=_bid(market, bid_id),
            tender=_tender(market),
            now=now,
        )


def _open(market) -> None:
    buyer, after = market["buyer"], market["deadline"] + timedelta(minutes=1)
    with acting_for(buyer.id):
        tender = tenders.get_tender(market["tender_id"])
        opening.start(actor=market["officer"], buyer=buyer, tender=tender, now=after)
        opening.confirm(
            actor=market["second"], buyer=buyer, tender=tender, now=after + timedelta(minutes=1)
        )


def _review(market, user, declare: bool = True) -> None:
    buyer = market["buyer"]
    with acting_for(buyer.id):
        tender = tenders.get_tender(market["tender_id"])
        evaluation.assign_reviewer(
            actor=market["officer"], buyer=buyer, tender=tender, reviewer=user
        )
        if declare:
            evaluation.declare_no_conflict(reviewer=user, buyer=buyer, tender=tender)


def _everything_at_rest(app, db) -> list[bytes]:
    """Every file in the instance folder and every row of every table, as bytes."""
    found = [p.read_bytes() for p in Path(app.instance_path).rglob("*") if p.is_file()]
    with cross_tenant("the test reads every table as a database dump would"):
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
                found.append(b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row))
    return found


def test_an_upload_is_encrypted_at_rest_until_the_opening(app, db, market):
    client = client_for(app, market["coordinator"])
    bid_id = _draft(market)
    url = f"/{market['lead'].slug}/bids/{bid_id}"
    uploaded = client.post(
        f"{url}/attachments/upload",
        data={
            "csrf_token": csrf_from(client.get(url).get_data(as_text=True)),
            "upload-title": PLAN,
            "upload-file": (io.BytesIO(SECRET), "werkplan-kapelweg.txt"),
        },
    )
    assert uploaded.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert f"{PLAN} is bijgevoegd." in page and "werkplan-kapelweg.txt" in page  # its owner

    def plaintext_anywhere() -> bool:
        secrets = (SECRET, PLAN.encode(), b"werkplan-kapelweg", b"42 vrijwilligers")
        return any(s in blob for blob in _everything_at_rest(app, db) for s in secrets)

    assert not plaintext_anywhere()
    with acting_for(market["lead"].id):
        (row,) = db.session.scalars(select(BidAttachment)).all()
        stored = files.path_of(row.tenant_id, row.stored_name, dossier.ATTACHMENT_AREA)
    assert stored.suffix == ".sealed" and stored.read_bytes() != SECRET
    receipt = _submit(market, bid_id)
    assert not plaintext_anywhere()
    with acting_for(market["lead"].id):
        quality, _price = ops.submitted_content(_bid(market, bid_id))
    (entry,) = quality["attachments"]
    assert entry["title"] == PLAN and entry["sha256"] == hashlib.sha256(SECRET).hexdigest()
    with acting_for(market["lead"].id):
        assert receipt.quality_digest == _bid(market, bid_id).quality_digest
    # Audit events name the attachment by id only.
    with acting_for(market["lead"].id):
        events = db.session.execute(
            text("SELECT summary FROM audit_event WHERE action = 'bid.attachment_added'")
        ).all()
    assert events and all(PLAN not in str(e) for e in events)


def test_buyer_gets_attachments_only_after_the_opening(app, db, market, make_org, make_user):
    lead, partner = market["lead"], market["partner"]
    bid_id = _draft(market)
    upload_id = _upload(market, bid_id)
    insurance = _document(
        lead, DossierKind.INSURANCE, "Aansprakelijkheidsverzekering", data=b"%PDF polis"
    )
    with acting_for(lead.id):
        kept = dossier.attach_document(
            actor=market["coordinator"],
            bidder=lead,
            bid=_bid(market, bid_id),
            tender=_tender(market),
            document_id=insurance,
        ).id
    _join(market, bid_id)
    receipt = _submit(market, bid_id)
    with acting_for(lead.id):
        quality, _price = ops.submitted_content(_bid(market, bid_id))
        declaration_id = next(iter(dossier.declarations_of(_bid(market, bid_id)).values())).id
    sealed = {e["id"]: e for e in quality["attachments"] + quality["declarations"]}
    assert set(sealed) == {upload_id, kept, declaration_id}
    assert sealed[declaration_id]["organisation"] == "PuurZuid"
    assert quality["lead_share"] == "70.00"

    buyer_slug, tender_id = market["buyer"].slug, market["tender_id"]
    _review(market, market["reviewer"])  # assigned and declared, but not opened yet
    buyer_clients = {
        role: client_for(app, market[role]) for role in ("officer", "reviewer", "policy")
    }

    def buyer_url(opened_id: int, attachment_id: int) -> str:
        return f"/{buyer_slug}/tenders/{tender_id}/opened/{opened_id}/attachments/{attachment_id}"

    stranger = client_for(app, market["other_user"])
    other_slug = market["other"].slug
    partner_client = client_for(app, market["contact"])
    partner_url = f"/{partner.slug}/partnerships/{bid_id}/attachments/{upload_id}"
    # A partner of another consortium.
    elsewhere = make_org("provider", slug="a-elders", name="Elders")
    elsewhere_client = client_for(app, make_user(elsewhere, "contact"))

    def outsiders_get_nothing() -> None:
        for attachment_id in sealed:
            for url in (
                f"/{other_slug}/bids/{bid_id}/attachments/{attachment_id}",
                f"/{other_slug}/partnerships/{bid_id}/attachments/{attachment_id}",
                f"/{elsewhere.slug}/partnerships/{bid_id}/attachments/{attachment_id}",
            ):
                client = elsewhere_client if "/a-elders/" in url else stranger
                assert client.get(url).status_code == 404, url
        assert stranger.get(f"/{other_slug}/partnerships/{bid_id}").status_code == 404

    # Before the opening: every buyer role gets 404, whatever the ids; the page shows nothing.
    for role, client in buyer_clients.items():
        for opened_id in (bid_id, 1, 2):
            for attachment_id in sealed:
                assert client.get(buyer_url(opened_id, attachment_id)).status_code == 404, role
        page = client.get(f"/{buyer_slug}/tenders/{tender_id}/evaluation").get_data(as_text=True)
        assert PLAN not in page and "werkplan.txt" not in page
    outsiders_get_nothing()
    # The partner sees the lead's attachments (and its own declaration), nothing else.
    assert partner_client.get(partner_url).data == SECRET
    page = partner_client.get(f"/{partner.slug}/partnerships/{bid_id}").get_data(as_text=True)
    assert PLAN in page and "Aansprakelijkheidsverzekering" in page
    assert "198.500" not in page and "Vrijwilligers uit het dorp" not in page

    _open(market)
    with acting_for(market["buyer"].id):
        from koepel.bids.models import OpenedBid

        opened_id = db.session.scalar(select(OpenedBid.id).where(OpenedBid.bid_id == bid_id))
        assert (
            db.session.scalar(select(OpenedBid.quality_digest).where(OpenedBid.id == opened_id))
            == receipt.quality_digest
        )
    # After: the reviewer who declared gets each file, its digest the sealed one.
    reviewer = buyer_clients["reviewer"]
    for attachment_id, expected in (
        (upload_id, SECRET),
        (kept, b"%PDF polis"),
        (declaration_id, b"%PDF uea"),
    ):
        response = reviewer.get(buyer_url(opened_id, attachment_id))
        assert response.status_code == 200 and response.data == expected
        assert hashlib.sha256(response.data).hexdigest() == sealed[attachment_id]["sha256"]
        assert response.headers["Cache-Control"] == "private, no-store"
    page = reviewer.get(f"/{buyer_slug}/tenders/{tender_id}/evaluation").get_data(as_text=True)
    assert PLAN in page and buyer_url(opened_id, upload_id) in page
    assert "eigen verklaring van PuurZuid" in page
    # Not those who may not see bids: the officer (not a reviewer here), the policy
    # officer, a reviewer who has not declared; nor another buyer.
    late_reviewer = make_user(market["buyer"], "reviewer")
    _review(market, late_reviewer, declare=False)
    for client in (
        buyer_clients["officer"],
        buyer_clients["policy"],
        client_for(app, late_reviewer),
    ):
        assert client.get(buyer_url(opened_id, upload_id)).status_code == 404
    assert reviewer.get(buyer_url(opened_id, 999_999)).status_code == 404
    other_buyer = make_org("municipality", slug="a-eersel")
    other_officer = client_for(app, make_user(other_buyer, "procurement_officer"))
    url = f"/a-eersel/tenders/{tender_id}/opened/{opened_id}/attachments/{upload_id}"
    assert other_officer.get(url).status_code == 404
    _review(market, market["officer"])  # once a declared reviewer, the officer may too
    assert buyer_clients["officer"].get(buyer_url(opened_id, upload_id)).data == SECRET
    outsiders_get_nothing()


def test_a_tampered_file_is_not_handed_out(app, db, market):
    bid_id = _draft(market)
    upload_id = _upload(market, bid_id)
    polis = _document(market["lead"], DossierKind.INSURANCE, "Polis", data=b"%PDF polis")
    with acting_for(market["lead"].id):
        dossier.attach_document(
            actor=market["coordinator"],
            bidder=market["lead"],
            bid=_bid(market, bid_id),
            tender=_tender(market),
            document_id=polis,
        )
        rows = {r.id: r for r in db.session.scalars(select(BidAttachment))}
        upload_path = files.path_of(
            market["lead"].id, rows[upload_id].stored_name, dossier.ATTACHMENT_AREA
        )
        document = dossier.get_document(polis)
        polis_path = files.path_of(document.tenant_id, document.stored_name, dossier.DOSSIER_AREA)
    _submit(market, bid_id)
    _open(market)
    _review(market, market["reviewer"])
    with acting_for(market["buyer"].id):
        from koepel.bids.models import OpenedBid

        opened_id = db.session.scalar(select(OpenedBid.id).where(OpenedBid.bid_id == bid_id))
    blob = bytearray(upload_path.read_bytes())
    blob[-1] ^= 1
    upload_path.write_bytes(bytes(blob))
    client = client_for(app, market["reviewer"])
    base = f"/{market['buyer'].slug}/tenders/{market['tender_id']}/opened/{opened_id}/attachments"
    response = client.get(f"{base}/{upload_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"#bid-{opened_id}"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "komt niet overeen met de vingerafdruk" in page
    # A dossier document changed on disk after it was sealed: refused as well.
    polis_path.write_bytes(b"%PDF andere polis")
    assert client.get(f"{base}/{next(i for i in rows if i != upload_id)}").status_code == 302
    with acting_for(market["buyer"].id), pytest.raises(sealing.TamperedError):
        dossier.opened_attachment(
            reader=market["reviewer"],
            tender=tenders.get_tender(market["tender_id"]),
            opened_bid_id=opened_id,
            attachment_id=upload_id,
        )


def test_reviewers_without_names_get_no_documents_that_name_the_bidder(app, db, market):
    """Anonymous evaluation: the dossier document (here an insurance policy titled with the
    bidder's name) and the partner's declaration stay hidden and cannot be fetched while
    names are hidden; the bid's own upload is listed and fetched, to score."""
    lead = market["lead"]
    bid_id = _draft(market)
    upload_id = _upload(market, bid_id)
    polis = _document(
        lead, DossierKind.INSURANCE, "Polis Zorgcoöperatie Hoogeloon", data=b"%PDF polis"
    )
    with acting_for(lead.id):
        kept = dossier.attach_document(
            actor=market["coordinator"],
            bidder=lead,
            bid=_bid(market, bid_id),
            tender=_tender(market),
            document_id=polis,
        ).id
    _join(market, bid_id)
    with acting_for(lead.id):
        declaration_id = next(iter(dossier.declarations_of(_bid(market, bid_id)).values())).id
    _submit(market, bid_id)
    with acting_for(market["buyer"].id):
        tenders.get_tender(market["tender_id"]).anonymous_evaluation = True
        db.session.flush()
    _open(market)
    _review(market, market["reviewer"])
    with acting_for(market["buyer"].id):
        from koepel.bids.models import OpenedBid

        opened_id = db.session.scalar(select(OpenedBid.id).where(OpenedBid.bid_id == bid_id))
    client = client_for(app, market["reviewer"])
    evaluation_url = f"/{market['buyer'].slug}/tenders/{market['tender_id']}/evaluation"
    base = f"/{market['buyer'].slug}/tenders/{market['tender_id']}/opened/{opened_id}/attachments"

    page = client.get(evaluation_url).get_data(as_text=True)
    assert PLAN in page and "Inschrijver A" in page
    for name in ("Zorgcoöperatie Hoogeloon", "Polis", "Eigen verklaring", "PuurZuid"):
        assert name not in page, name
    assert client.get(f"{base}/{upload_id}").data == SECRET
    for hidden in (kept, declaration_id):
        assert client.get(f"{base}/{hidden}").status_code == 404

    # Without anonymous evaluation (as after the award decision) they are there again.
    with acting_for(market["buyer"].id):
        tenders.get_tender(market["tender_id"]).anonymous_evaluation = False
        db.session.flush()
    page = client.get(evaluation_url).get_data(as_text=True)
    assert "Polis Zorgcoöperatie Hoogeloon" in page and "eigen verklaring van PuurZuid" in page
    assert client.get(f"{base}/{kept}").data == b"%PDF polis"
    assert client.get(f"{base}/{declaration_id}").data == b"%PDF uea"


def test_an_expired_dossier_document_cannot_be_attached(app, db, market):
    lead = market["lead"]
    today = dossier.local_today()
    expired = _document(
        lead, DossierKind.VOG_POLICY, "VOG-beleid", expires_on=today - timedelta(days=1)
    )
    soon = _document(
        lead, DossierKind.INSURANCE, "Verzekering", expires_on=today + timedelta(days=3)
    )
    bid_id = _draft(market)
    with acting_for(lead.id):
        with pytest.raises(dossier.DossierError, match="VOG-beleid is verlopen op") as err:
            dossier.attach_document(
                actor=market["coordinator"],
                bidder=lead,
                bid=_bid(market, bid_id),
                tender=_tender(market),
                document_id=expired,
            )
        assert err.value.field == "document"
        assert [d.id for d in dossier.attachable()] == [soon]
    # Through the page (a stale form): the message next to the field.
    client = client_for(app, market["coordinator"])
    url = f"/{lead.slug}/bids/{bid_id}"
    page = client.get(url).get_data(as_text=True)
    assert "VOG-beleid" not in page  # not offered
    response = client.post(
        f"{url}/attachments",
        data={"csrf_token": csrf_from(page), "attach-document": str(expired)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "VOG-beleid is verlopen op" in html
    assert 'id="attach-document-error"' in html
    # Attached while valid, expired at the instant of submission: refused.
    added = client.post(
        f"{url}/attachments", data={"csrf_token": csrf_from(html), "attach-document": str(soon)}
    )
    assert added.status_code == 302
    with pytest.raises(ops.BidError, match="Verzekering uit uw dossier is verlopen") as err:
        _submit(market, bid_id, now=utcnow() + timedelta(days=5))
    assert err.value.field == "attachments"
    assert _submit(market, bid_id).quality_digest


def test_partners_confirm_with_their_own_declaration(app, db, market, make_org, make_user):
    partner, lead = market["partner"], market["lead"]
    bid_id = _draft(market)
    _join(market, bid_id, confirm=False)
    second = make_org("provider", slug="a-wijdezorg", name="Wijdezorg")
    _join(market, bid_id, partner=second, share=Decimal(10))

    # No declaration in the dossier: the confirmation is refused and says what to do.
    with acting_for(partner.id), pytest.raises(dossier.DossierError, match="Voeg eerst"):
        ops.confirm_participation(actor=market["contact"], partner=partner, bid_id=bid_id)
    contact = client_for(app, market["contact"])
    listing = contact.get(f"/{partner.slug}/opportunities").get_data(as_text=True)
    response = contact.post(
        f"/{partner.slug}/partnerships/{bid_id}/confirm", data={"csrf_token": csrf_from(listing)}
    )
    assert response.headers["Location"].endswith(f"/{partner.slug}/partnerships/{bid_id}")
    page = contact.get(response.headers["Location"]).get_data(as_text=True)
    assert "Voeg eerst uw eigen verklaring (UEA) toe aan uw dossier" in page
    # An expired declaration, or another organisation's, will not do.
    today = dossier.local_today()
    old = _document(
        partner, DossierKind.UEA, "Verklaring 2024", expires_on=today - timedelta(days=2)
    )
    with acting_for(partner.id), pytest.raises(dossier.DossierError, match="verlopen"):
        ops.confirm_participation(
            actor=market["contact"], partner=partner, bid_id=bid_id, declaration_id=old
        )
    foreign = _document(market["other"], DossierKind.UEA, "Verklaring Casteren")
    with acting_for(partner.id), pytest.raises(dossier.DossierError, match="Kies uw eigen"):
        ops.confirm_participation(
            actor=market["contact"], partner=partner, bid_id=bid_id, declaration_id=foreign
        )
    with pytest.raises(ops.BidError, match="Nog niet alle partners"):
        _submit(market, bid_id)  # PuurZuid has not confirmed yet
    # A declaration that expires in three days, chosen on the partnership page.
    current = _document(
        partner, DossierKind.UEA, "Verklaring 2026", expires_on=today + timedelta(days=3)
    )
    page = contact.get(f"/{partner.slug}/partnerships/{bid_id}").get_data(as_text=True)
    assert f'<option value="{current}">Verklaring 2026</option>' in page
    confirmed = contact.post(
        f"/{partner.slug}/partnerships/{bid_id}/confirm",
        data={"csrf_token": csrf_from(page), "declaration": str(current)},
    )
    assert confirmed.status_code == 302
    with acting_for(lead.id):
        declarations = dossier.declarations_of(_bid(market, bid_id))
    assert declarations[partner.id].document_id == current
    # Each partner sees its own declaration, not the other partner's.
    with cross_tenant("test"):
        seen = dossier.partner_attachments(partner, bid_id)
    assert [a.partner_id for a in seen] == [partner.id]
    assert dossier.partner_attachments(market["other"], bid_id) is None
    # The lead's page links both declarations.
    lead_page = client_for(app, market["coordinator"]).get(f"/{lead.slug}/bids/{bid_id}")
    html = lead_page.get_data(as_text=True)
    assert "Verklaring 2026" in html and "Eigen verklaring Wijdezorg" in html
    # Expired at the instant of submission: refused, naming the partner.
    with pytest.raises(
        ops.BidError, match="De eigen verklaring \\(UEA\\) van PuurZuid is verlopen"
    ):
        _submit(market, bid_id, now=utcnow() + timedelta(days=5))
    receipt = _submit(market, bid_id)
    assert receipt.quality_digest
    with acting_for(partner.id), pytest.raises(ops.BidError, match="al ingediend"):
        ops.confirm_participation(actor=market["contact"], partner=partner, bid_id=bid_id)


def test_shares_must_add_up_to_100(app, db, market, make_org):
    lead = market["lead"]
    bid_id = _draft(market, price="100.000,01")
    _join(market, bid_id, share=Decimal(35))
    second = make_org("provider", slug="a-wijdezorg", name="Wijdezorg")
    _join(market, bid_id, partner=second, share=Decimal(20))
    with acting_for(lead.id):
        bid = _bid(market, bid_id)
        assert dossier.lead_share(bid) == Decimal(45)  # what the partners leave
        rows = {p.partner.name: p.id for p in bid.partners}
        with pytest.raises(dossier.DossierError, match="tellen samen op tot 110%") as err:
            dossier.set_shares(
                actor=market["coordinator"],
                bidder=lead,
                bid=bid,
                tender=_tender(market),
                lead=Decimal(55),
                partners={rows["PuurZuid"]: Decimal(35), rows["Wijdezorg"]: Decimal(20)},
            )
        assert err.value.field == "shares"
    client = client_for(app, market["coordinator"])
    url = f"/{lead.slug}/bids/{bid_id}"
    page = client.get(url).get_data(as_text=True)
    parts = split(Decimal("100000.01"), [Decimal(45), Decimal(35), Decimal(20)])
    for part in parts:  # each party's share in euros, to the cent, adding up to the price
        assert format_money(part) in page
    assert sum(parts) == Decimal("100000.01")
    # The lead records its own share and changes a partner's; the form keeps what was typed.
    shares = {
        "csrf_token": csrf_from(page),
        "shares-lead": "50",
        f"shares-share-{rows['PuurZuid']}": "35",
        f"shares-share-{rows['Wijdezorg']}": "20",
    }
    refused = client.post(f"{url}/shares", data=shares)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "tellen samen op tot 105%" in html
    assert 'value="50"' in html
    saved = client.post(
        f"{url}/shares",
        data=shares | {"shares-lead": "45,5", f"shares-share-{rows['Wijdezorg']}": "19,5"},
    )
    assert saved.status_code == 302
    with acting_for(lead.id):
        assert ops.draft_of(_bid(market, bid_id))["lead_share"] == "45.50"
    # Saving the bid form keeps the recorded share.
    page = client.get(url).get_data(as_text=True)
    resave = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "price": "100.000,01",
            f"answer-{market['quality']}": "Vrijwilligers uit het dorp",
        },
    )
    assert resave.status_code == 302
    # A third partner later: together more than 100%, so submission is refused.
    third = make_org("provider", slug="a-activite", name="ActiVite")
    _join(market, bid_id, partner=third, share=Decimal(10))
    with pytest.raises(ops.BidError, match="tellen samen op tot 110%") as err:
        _submit(market, bid_id)
    assert err.value.field == "shares"
    page = client.get(url).get_data(as_text=True)
    submit = client.post(
        f"{url}/submit",
        data={
            "csrf_token": csrf_from(page),
            "price": "100.000,01",
            f"answer-{market['quality']}": "Vrijwilligers uit het dorp",
        },
    )
    html = submit.get_data(as_text=True)
    assert submit.status_code == 200 and "tellen samen op tot 110%" in html
    with acting_for(lead.id):
        rows = {p.partner.name: p.id for p in _bid(market, bid_id).partners}
    fixed = client.post(
        f"{url}/shares",
        data={
            "csrf_token": csrf_from(html),
            "shares-lead": "35,5",
            f"shares-share-{rows['PuurZuid']}": "35",
            f"shares-share-{rows['Wijdezorg']}": "19,5",
            f"shares-share-{rows['ActiVite']}": "10",
        },
    )
    assert fixed.status_code == 302
    _submit(market, bid_id)
    with acting_for(lead.id):
        quality, _price = ops.submitted_content(_bid(market, bid_id))
        assert quality["lead_share"] == "35.50"
        assert {p["organisation"]: p["share"] for p in quality["partners"]} == {
            "PuurZuid": "35.00",
            "Wijdezorg": "19.50",
            "ActiVite": "10.00",
        }
        assert "100000" not in str(quality)  # amounts would reveal the price: not sealed here
        ops.withdraw(
            actor=market["coordinator"],
            bidder=lead,
            bid=_bid(market, bid_id),
            tender=_tender(market),
        )
        assert ops.draft_of(_bid(market, bid_id))["lead_share"] == "35.50"
    # Withdrawn, the draft holds the sealed price: the euros are shown again.
    page = client.get(url).get_data(as_text=True)
    weights = [Decimal("35.5"), Decimal(35), Decimal("19.5"), Decimal(10)]
    assert all(format_money(part) in page for part in split(Decimal("100000.01"), weights))


def test_attachments_through_the_bid_page(app, db, market):
    lead = market["lead"]
    kvk = _document(lead, DossierKind.KVK, "Uittreksel KvK")
    bid_id = _draft(market)
    client = client_for(app, market["coordinator"])
    url = f"/{lead.slug}/bids/{bid_id}"
    page = client.get(url).get_data(as_text=True)
    assert f'<option value="{kvk}">Uittreksel Kamer van Koophandel: Uittreksel KvK</option>' in page
    # A wrong type or an oversized file: a clear message, the title kept.
    for filename, data, message in (
        ("plan.exe", b"MZ", "Dit soort bestand kan niet."),
        ("plan.pdf", b"x" * (10 * 1024 * 1024 + 1), "Het bestand is groter dan 10 MB."),
    ):
        response = client.post(
            f"{url}/attachments/upload",
            data={
                "csrf_token": csrf_from(page),
                "upload-title": "Plan & begroting",
                "upload-file": (io.BytesIO(data), filename),
            },
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and message in html
        assert 'value="Plan &amp; begroting"' in html and 'id="upload-file-error"' in html
    attached = client.post(
        f"{url}/attachments", data={"csrf_token": csrf_from(page), "attach-document": str(kvk)}
    )
    assert attached.status_code == 302
    again = client.post(
        f"{url}/attachments", data={"csrf_token": csrf_from(page), "attach-document": str(kvk)}
    )
    assert "Dit document is al bijgevoegd." in again.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    (attachment_id,) = map(int, re.findall(rf"/bids/{bid_id}/attachments/(\d+)/remove", page))
    download = client.get(f"{url}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 document"
    removed = client.post(
        f"{url}/attachments/{attachment_id}/remove", data={"csrf_token": csrf_from(page)}
    )
    assert removed.status_code == 302
    assert client.get(f"{url}/attachments/{attachment_id}").status_code == 404
    # After submission nothing changes any more.
    upload_id = _upload(market, bid_id)
    _submit(market, bid_id)
    page = client.get(url).get_data(as_text=True)
    assert f"/attachments/{upload_id}/remove" not in page and PLAN in page
    refused = client.post(
        f"{url}/attachments/{upload_id}/remove", data={"csrf_token": csrf_from(page)}
    )
    assert refused.status_code == 302
    assert "kan niet meer worden gewijzigd" in client.get(url).get_data(as_text=True)
    assert client.get(f"{url}/attachments/{upload_id}").data == SECRET
