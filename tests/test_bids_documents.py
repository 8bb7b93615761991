"""Tender documents with versions, corrections (rectificaties) that notify every interested
party and ask bidders to re-confirm, deadlines that can no longer move once passed, and the
opening record that states per bid whether it was re-confirmed."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_bids_questions import ask, buyer_tender, make_world, outbox, public

from koepel.bids import corrections, documents, opening, questions, submission
from koepel.bids.models import Bid, TenderOpening
from koepel.platform.models import AuditEvent
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import parse_local, utcnow

from conftest import client_for, csrf_from

PDF = b"%PDF-1.4 programma van eisen"


@pytest.fixture
def qa(db, make_org, make_user):
    return make_world(db, make_org, make_user)


def add_document(qa, title="Programma van eisen", data=PDF, filename="eisen.pdf", **kw):
    buyer = qa["buyer"]
    with acting_for(buyer.id):
        return documents.add(
            actor=qa["officer"],
            buyer=buyer,
            tender=buyer_tender(qa),
            title=title,
            filename=filename,
            data=data,
            **kw,
        )


def correct(qa, reason="Een fout in het programma van eisen.", now=None, **changes):
    buyer = qa["buyer"]
    with acting_for(buyer.id):
        return corrections.publish(
            actor=qa["officer"],
            buyer=buyer,
            tender=buyer_tender(qa),
            reason=reason,
            now=now,
            **changes,
        )


def submitted_bid(qa, who: str, lot: int = 0, price: str = "40.000") -> int:
    org, user = qa[who]
    with acting_for(org.id):
        bid = submission.start(actor=user, bidder=org, tender=public(qa), lot_id=qa["lot_ids"][lot])
        submission.save_draft(
            actor=user, bidder=org, bid=bid, content={"price": price, "answers": {}}
        )
        submission.submit(actor=user, bidder=org, bid=bid, tender=public(qa))
        return bid.id


def bid_row(db, qa, who: str, bid_id: int) -> Bid:
    with acting_for(qa[who][0].id):
        db.session.expire_all()
        return db.session.get(Bid, bid_id)


# -- documents -----------------------------------------------------------------------------
def test_a_published_document_is_withdrawn_and_replaced_never_deleted(db, qa):
    with pytest.raises(documents.DocumentError) as refused:  # published: only by correction
        add_document(qa)
    assert "rectificatie" in str(refused.value)
    first = correct(
        qa,
        reason="Het programma van eisen ontbrak.",
        document=corrections.NewDocument("Programma van eisen", "eisen.pdf", PDF),
    )
    assert first.number == 1 and first.changes["documents"][0]["version"] == 1
    with acting_for(qa["buyer"].id):
        (v1,) = documents.documents_of(buyer_tender(qa))
    second = correct(
        qa,
        reason="Perceel Zuid is groter geworden.",
        document=corrections.NewDocument(
            "Programma van eisen", "eisen-v2.pdf", b"%PDF-1.4 versie 2", replaces_id=v1.id
        ),
    )
    assert second.number == 2
    with pytest.raises(corrections.CorrectionError) as again:  # v1 no longer holds
        correct(
            qa,
            document=corrections.NewDocument("X", "x.pdf", PDF, replaces_id=v1.id),
        )
    assert again.value.field == "replaces"

    listing = documents.listing(documents.public_documents(qa["tender_id"]))
    (old,) = listing.earlier
    (new,) = listing.current
    assert old.id == v1.id and old.withdrawn and new.version == 2 and new.replaces_id == v1.id
    assert listing.replaced_by[v1.id].id == new.id
    assert documents.content(old) == PDF  # still there, downloadable
    with acting_for(qa["buyer"].id):
        events = list(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.tenant_id == qa["buyer"].id)
            )
        )
    assert events.count("tender.corrected") == 2 and events.count("tender.document_added") == 2

    # Withdrawn without a new version: it stays, marked vervallen.
    third = correct(qa, reason="Vervallen bijlage.", withdraw_id=new.id)
    assert third.changes == {"withdrawn": ["Programma van eisen"]}
    assert all(d.withdrawn for d in documents.public_documents(qa["tender_id"]))


def test_withdrawn_documents_stay_visible_to_bidders(app, db, qa):
    correct(
        qa,
        reason="Bijlage toegevoegd.",
        document=corrections.NewDocument("Tarieven", "tarieven.pdf", PDF),
    )
    (doc,) = documents.public_documents(qa["tender_id"])
    correct(
        qa,
        reason="Tarieven 2027.",
        document=corrections.NewDocument(
            "Tarieven", "tarieven-2027.pdf", b"%PDF-1.4 2027", replaces_id=doc.id
        ),
    )
    org, user = qa["outsider"]  # any bidder organisation, interested or not
    client = client_for(app, user)
    url = f"/{org.slug}/opportunities/{qa['tender_id']}"
    page = client.get(url).get_data(as_text=True)
    assert "Eerdere versies (vervallen)" in page and "vervangen door versie 2" in page
    assert "Rectificatie 2" in page and "Reden: Tarieven 2027." in page
    assert "Nieuw document: Tarieven (versie 2)." in page
    assert client.get(f"{url}/documents/{doc.id}").data == PDF
    officer = client_for(app, qa["officer"])
    page = officer.get(f"/{qa['buyer'].slug}/tenders/{qa['tender_id']}/documents").get_data(
        as_text=True
    )
    assert "Vervallen" in page and "tarieven-2027.pdf" in page


def test_a_refused_upload_says_why_and_keeps_the_title(app, db, qa, make_org, make_user):
    # A draft tender: documents are added directly.
    from koepel.bids import tenders
    from koepel.bids.models import Procedure

    buyer = qa["buyer"]
    with acting_for(buyer.id):
        draft = tenders.create(
            actor=qa["officer"],
            buyer=buyer,
            data=tenders.TenderData(
                title="Concept",
                procedure=Procedure.OPEN,
                submission_deadline=utcnow() + timedelta(days=30),
            ),
        )
    client = client_for(app, qa["officer"])
    url = f"/{buyer.slug}/tenders/{draft.id}/documents"
    token = csrf_from(client.get(url).get_data(as_text=True))
    for filename, data, message in (
        ("virus.exe", b"MZ", "Dit soort bestand kan niet."),
        ("groot.pdf", b"%" * (10 * 1024 * 1024 + 1), "Het bestand is groter dan 10 MB."),
    ):
        r = client.post(
            f"{url}/new",
            data={
                "document-csrf_token": token,
                "document-title": "Bestek met bijlagen",
                "document-replaces": "",
                "document-file": (io.BytesIO(data), filename),
            },
            content_type="multipart/form-data",
        )
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and message in html
        assert 'value="Bestek met bijlagen"' in html and 'id="document-file-error"' in html
    r = client.post(
        f"{url}/new",
        data={
            "document-csrf_token": token,
            "document-title": "Bestek",
            "document-replaces": "",
            "document-file": (io.BytesIO(PDF), "bestek.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    with acting_for(buyer.id):
        (doc,) = documents.documents_of(draft)
    assert doc.title == "Bestek" and doc.version == 1 and doc.correction_id is None
    assert client.get(f"{url}/{doc.id}").data == PDF

    # The correction form of a published tender keeps its fields too.
    url = f"/{buyer.slug}/tenders/{qa['tender_id']}/documents"
    token = csrf_from(client.get(url).get_data(as_text=True))
    r = client.post(
        f"{url}/../corrections".replace("/documents/..", ""),
        data={
            "correction-csrf_token": token,
            "correction-reason": "Nieuwe bijlage",
            "correction-document_title": "Kaart van de wijken",
            "correction-document_file": (io.BytesIO(b"MZ"), "kaart.exe"),
            "correction-replaces": "",
            "correction-withdraw": "",
        },
        content_type="multipart/form-data",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Dit soort bestand kan niet." in html
    assert 'value="Kaart van de wijken"' in html and "Nieuwe bijlage</textarea>" in html
    with acting_for(buyer.id):
        assert corrections.corrections_of(buyer_tender(qa)) == []


# -- corrections ---------------------------------------------------------------------------
def test_a_correction_mails_each_interested_party_once_and_flags_submitted_bids(db, qa, make_user):
    asker, asker_user = qa["asker"]
    watcher, watcher_user = qa["watcher"]
    ask(qa, "Een vraag?")  # the asker is interested by asking
    with acting_for(watcher.id):
        questions.register_interest(actor=watcher_user, bidder=watcher, tender=public(qa))
    # Someone working for two interested parties gets one message.
    from koepel.platform.auth import operations as accounts

    accounts.grant_role(actor=None, user=watcher_user, org=asker, role="coordinator")
    submitted = submitted_bid(qa, "bidder")
    draft_org, draft_user = qa["outsider"]
    with acting_for(draft_org.id):  # a draft bid: interested, nothing to re-confirm
        draft = submission.start(
            actor=draft_user, bidder=draft_org, tender=public(qa), lot_id=qa["lot_ids"][1]
        ).id

    new_deadline = utcnow() + timedelta(days=25)
    correction = correct(qa, reason="Meer tijd voor inschrijvers.", deadline=new_deadline)
    assert correction.number == 1 and set(correction.changes) == {"deadline"}

    mails = outbox(db, "Rectificatie 1")
    addresses = sorted(m.to_address for m in mails)
    assert addresses == sorted(
        [asker_user.email, watcher_user.email, qa["bidder"][1].email, draft_user.email]
    )
    assert all("Meer tijd voor inschrijvers." in m.body_text for m in mails)
    assert all("De sluitingstermijn is nu" in m.body_text for m in mails)

    assert bid_row(db, qa, "bidder", submitted).needs_reconfirmation
    assert not bid_row(db, qa, "outsider", draft).needs_reconfirmation
    with acting_for(qa["bidder"][0].id):
        flagged = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "bid.reconfirmation_needed")
        )
    assert flagged.tenant_id == qa["bidder"][0].id and flagged.summary["after"] == {"correction": 1}
    with acting_for(qa["buyer"].id):
        assert buyer_tender(qa).submission_deadline == new_deadline
        # The buyer's own record of it names no bidder and counts no bids.
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tender.corrected")
        ).all()
    assert "bids" not in str(event.summary) and qa["bidder"][0].name not in str(event.summary)


def test_a_correction_needs_a_reason_and_a_change(db, qa):
    with pytest.raises(corrections.CorrectionError) as no_reason:
        correct(qa, reason=" ", description="Nieuw")
    assert no_reason.value.field == "reason"
    with pytest.raises(corrections.CorrectionError):
        correct(qa, reason="Niets")
    with acting_for(qa["buyer"].id):
        same = buyer_tender(qa).description
    with pytest.raises(corrections.CorrectionError):  # the same text is no change
        correct(qa, reason="Niets", description=same)
    done = correct(qa, reason="Duidelijker", description="Dagbesteding voor ouderen.")
    assert done.changes == {"description": True}
    with acting_for(qa["buyer"].id):
        assert buyer_tender(qa).description == "Dagbesteding voor ouderen."


def test_a_deadline_in_the_past_cannot_be_changed(app, db, qa):
    with acting_for(qa["buyer"].id):
        deadline = buyer_tender(qa).submission_deadline
        questions_deadline = buyer_tender(qa).questions_deadline
    with pytest.raises(corrections.CorrectionError) as past:
        correct(qa, deadline=utcnow() - timedelta(hours=1))
    assert past.value.field == "submission_deadline"
    with pytest.raises(corrections.CorrectionError) as before_questions:
        correct(qa, deadline=questions_deadline - timedelta(hours=1))
    assert "na de termijn voor vragen" in str(before_questions.value)
    with pytest.raises(corrections.CorrectionError) as passed:  # the deadline itself passed
        correct(qa, deadline=deadline + timedelta(days=7), now=deadline + timedelta(seconds=1))
    assert "verstreken" in str(passed.value)
    with acting_for(qa["buyer"].id):
        assert corrections.corrections_of(buyer_tender(qa)) == []

    # Through the tender page: a later deadline with its reason becomes rectificatie 1.
    client = client_for(app, qa["officer"])
    detail = f"/{qa['buyer'].slug}/tenders/{qa['tender_id']}"
    later = (utcnow() + timedelta(days=40)).date().isoformat()
    r = client.post(
        f"{detail}/deadline",
        data={
            "deadline-csrf_token": csrf_from(client.get(detail).get_data(as_text=True)),
            "deadline-submission_date": later,
            "deadline-submission_time": "12:00",
            "deadline-reason": "",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Schrijf op waarom de aanbesteding verandert." in html
    assert f'value="{later}"' in html
    r = client.post(
        f"{detail}/deadline",
        data={
            "deadline-csrf_token": csrf_from(client.get(detail).get_data(as_text=True)),
            "deadline-submission_date": later,
            "deadline-submission_time": "12:00",
            "deadline-reason": "Vakantieperiode",
        },
    )
    assert r.status_code == 302
    with acting_for(qa["buyer"].id):
        db.session.expire_all()
        assert buyer_tender(qa).submission_deadline == parse_local(later, "12:00")
        (done,) = corrections.corrections_of(buyer_tender(qa))
    assert done.number == 1 and done.reason == "Vakantieperiode"


def test_reconfirming_clears_the_flag_and_is_audited(app, db, qa):
    first = submitted_bid(qa, "bidder")
    second = submitted_bid(qa, "asker", lot=1)
    correct(qa, reason="Andere openingstijden.", description="Open op werkdagen.")
    org, user = qa["bidder"]
    client = client_for(app, user)
    url = f"/{org.slug}/bids/{first}"
    page = client.get(url).get_data(as_text=True)
    assert "bevestig uw inschrijving" in page and "Andere openingstijden." in page
    r = client.post(f"{url}/reconfirm", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    row = bid_row(db, qa, "bidder", first)
    assert not row.needs_reconfirmation and row.reconfirmed_at is not None
    page = client.get(url).get_data(as_text=True)
    assert "bevestig uw inschrijving" not in page
    with acting_for(org.id):
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bid.reconfirmed"))
    assert event.actor_user_id == user.id and event.summary["after"]["correction"] == 1
    # Once is enough: a second confirmation is refused with a message.
    r = client.post(f"{url}/reconfirm", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert "hoeft u niet te bevestigen" in client.get(url).get_data(as_text=True)
    # Another organisation cannot confirm this bid: it does not exist for them.
    asker, asker_user = qa["asker"]
    other = client_for(app, asker_user)
    token = csrf_from(other.get(f"/{asker.slug}/bids/{second}").get_data(as_text=True))
    assert (
        other.post(f"/{asker.slug}/bids/{first}/reconfirm", data={"csrf_token": token}).status_code
        == 404
    )

    # Withdrawing and submitting again also clears the flag.
    assert bid_row(db, qa, "asker", second).needs_reconfirmation
    with acting_for(asker.id):
        bid = db.session.get(Bid, second)
        submission.withdraw(actor=asker_user, bidder=asker, bid=bid, tender=public(qa))
        submission.save_draft(
            actor=asker_user, bidder=asker, bid=bid, content={"price": "39.000", "answers": {}}
        )
        submission.submit(actor=asker_user, bidder=asker, bid=bid, tender=public(qa))
    assert not bid_row(db, qa, "asker", second).needs_reconfirmation


def test_the_opening_record_says_who_reconfirmed(app, db, qa, make_user):
    early = submitted_bid(qa, "bidder", price="41.000")
    submitted_bid(qa, "asker", lot=1, price="42.000")
    correct(qa, reason="Ander budget.", description="Nieuw budget voor Zuid.")
    confirmed_org, confirmed_user = qa["bidder"]
    with acting_for(confirmed_org.id):
        corrections.reconfirm(
            actor=confirmed_user,
            bidder=confirmed_org,
            bid=db.session.get(Bid, early),
            tender=public(qa),
        )
    submitted_bid(qa, "watcher", lot=0, price="43.000")
    buyer, officer, second = qa["buyer"], qa["officer"], qa["second"]
    with acting_for(buyer.id):
        tender = buyer_tender(qa)
        moment = tender.submission_deadline + timedelta(minutes=1)
        opening.start(actor=officer, buyer=buyer, tender=tender, now=moment)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=moment)
        record = db.session.scalar(select(TenderOpening)).record
    assert record["last_correction"] == 1
    states = {row["bidder"]: row["reconfirmation"]["state"] for row in record["bids"]}
    assert states == {
        "Aanbieder Inschrijver": corrections.RECONFIRMED,
        "Zorgcoöperatie Vraagsteller": corrections.NOT_RECONFIRMED,
        "Zorgcoöperatie Kijker": corrections.SUBMITTED_AFTER,
    }
    client = client_for(app, officer)
    page = client.get(f"/{buyer.slug}/tenders/{qa['tender_id']}/opening").get_data(as_text=True)
    assert "ja, bevestigd na rectificatie 1" in page
    assert "nee, niet bevestigd na rectificatie 1" in page
    assert "ja, ingediend na rectificatie 1" in page
    pdf = client.get(f"/{buyer.slug}/tenders/{qa['tender_id']}/opening/record.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# -- access to the bidder's routes (the matrix's Covered entries) ------------------------------
def test_bidder_routes_answer_only_bidders(app, db, qa, make_user, monkeypatch):
    correct(
        qa,
        reason="Bijlage.",
        document=corrections.NewDocument("Bijlage", "bijlage.pdf", PDF),
    )
    (doc,) = documents.public_documents(qa["tender_id"])
    tid = qa["tender_id"]
    org, user = qa["outsider"]
    base = f"/{org.slug}/opportunities/{tid}"
    anonymous = app.test_client()
    for url in (f"{base}/questions", f"{base}/documents/{doc.id}"):
        assert anonymous.get(url).status_code == 302
    assert anonymous.post(f"{base}/interest").status_code in (302, 400)

    bidder = client_for(app, user)
    page = bidder.get(f"{base}/questions")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    assert bidder.get(f"{base}/documents/{doc.id}").data == PDF
    assert bidder.post(f"{base}/interest", data={"csrf_token": token}).status_code == 302

    # A volunteer reads nothing of it and may not act; a buyer's people get 404 here.
    volunteer = client_for(app, make_user(org, "volunteer"))
    assert volunteer.get(f"{base}/questions").status_code == 403
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # access, not CSRF, is tested
    assert volunteer.post(f"{base}/interest").status_code == 403
    assert volunteer.post(f"{base}/questions").status_code == 403
    officer = client_for(app, qa["officer"])
    buyer_base = f"/{qa['buyer'].slug}/opportunities/{tid}"
    assert officer.get(f"{buyer_base}/questions").status_code == 404
    assert officer.get(f"{buyer_base}/documents/{doc.id}").status_code == 404

    # Someone from another organisation gets 404 under this organisation's address.
    other = client_for(app, qa["asker"][1])
    assert other.get(f"{base}/questions").status_code == 404
    assert other.get(f"{base}/documents/{doc.id}").status_code == 404

    # A draft tender, and a document of another tender, do not exist for bidders.
    from koepel.bids import tenders
    from koepel.bids.models import Procedure

    buyer = qa["buyer"]
    with acting_for(buyer.id):
        draft = tenders.create(
            actor=qa["officer"],
            buyer=buyer,
            data=tenders.TenderData(
                title="Nog geheim",
                procedure=Procedure.OPEN,
                submission_deadline=utcnow() + timedelta(days=30),
            ),
        )
        secret = documents.add(
            actor=qa["officer"],
            buyer=buyer,
            tender=draft,
            title="Concept",
            filename="concept.pdf",
            data=PDF,
        )
    draft_base = f"/{org.slug}/opportunities/{draft.id}"
    assert bidder.get(f"{draft_base}/questions").status_code == 404
    assert bidder.get(f"{draft_base}/documents/{secret.id}").status_code == 404
    assert bidder.post(f"{draft_base}/interest").status_code == 404
    assert bidder.get(f"{base}/documents/{secret.id}").status_code == 404
