"""Questions and answers on a published tender: interest, asking before the questions
deadline, the buyer's page that never names the asker, assigning and answering, and the
numbered nota van inlichtingen that reaches every interested party at one instant."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.bids import questions, submission, tenders
from koepel.bids.models import CriterionKind, LotKind, Procedure
from koepel.bids.models.questions import TenderDocument, TenderQuestion
from koepel.platform.models import AuditEvent, OutboxMessage
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow

from conftest import client_for, csrf_from, pdf_text

ASKER = "Zorgcoöperatie Vraagsteller"
ASKER_PERSON = "Truus Vrager"


def outbox(db, subject_part: str) -> list[OutboxMessage]:
    with cross_tenant("test: read the outbox"):
        return list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.subject.contains(subject_part))
            )
        )


@pytest.fixture
def qa(db, make_org, make_user):
    return make_world(db, make_org, make_user)


def make_world(db, make_org, make_user) -> dict:
    """A published tender with two lots (price only) and four bidder organisations."""
    buyer = make_org("municipality", slug="qa-gemeente", name="Gemeente Vraagdorp")
    officer = make_user(buyer, "procurement_officer", name="Olga Inkoper")
    second = make_user(buyer, "procurement_officer", name="Otto Inkoper")
    policy = make_user(buyer, "policy_officer", name="Pien Beleid")
    other_policy = make_user(buyer, "policy_officer", name="Pim Beleid")
    reviewer = make_user(buyer, "reviewer", name="Rob Beoordelaar")
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=officer,
            buyer=buyer,
            data=tenders.TenderData(
                title="Dagbesteding Vraagdorp",
                procedure=Procedure.SOCIAL,
                questions_deadline=utcnow() + timedelta(days=10),
                submission_deadline=utcnow() + timedelta(days=20),
            ),
        )
        lots = [
            tenders.add_lot(
                actor=officer,
                buyer=buyer,
                tender=tender,
                title=title,
                kind=LotKind.GEOGRAPHIC,
                budget=Decimal("50000"),
            )
            for title in ("Noord", "Zuid")
        ]
        tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=Decimal(100),
        )
        tenders.publish(actor=officer, buyer=buyer, tender=tender)
    asker = make_org("cooperative", slug="qa-vraagsteller", name=ASKER)
    asker_user = make_user(asker, "board", name=ASKER_PERSON, email="truus@vraagsteller.example")
    watcher = make_org("cooperative", slug="qa-belangstelling", name="Zorgcoöperatie Kijker")
    watcher_user = make_user(watcher, "coordinator", email="kees@kijker.example")
    bidder = make_org("provider", slug="qa-aanbieder", name="Aanbieder Inschrijver")
    bidder_user = make_user(bidder, "contact", email="ans@aanbieder.example")
    outsider = make_org("cooperative", slug="qa-buiten", name="Zorgcoöperatie Buiten")
    outsider_user = make_user(outsider, "board", email="bert@buiten.example")
    return {
        "buyer": buyer,
        "officer": officer,
        "second": second,
        "policy": policy,
        "other_policy": other_policy,
        "reviewer": reviewer,
        "tender_id": tender.id,
        "lot_ids": [lot.id for lot in lots],
        "asker": (asker, asker_user),
        "watcher": (watcher, watcher_user),
        "bidder": (bidder, bidder_user),
        "outsider": (outsider, outsider_user),
    }


def public(qa):
    return submission.published_tender(qa["tender_id"])


def buyer_tender(qa):
    return tenders.get_tender(qa["tender_id"])


def ask(qa, text: str, lot: int | None = None, now=None):
    org, user = qa["asker"]
    with acting_for(org.id):
        return questions.ask(
            actor=user,
            asker=org,
            tender=public(qa),
            text=text,
            lot_id=qa["lot_ids"][lot] if lot is not None else None,
            now=now,
        )


def answer_all(qa) -> None:
    buyer, officer = qa["buyer"], qa["officer"]
    with acting_for(buyer.id):
        for q in questions.questions_of(buyer_tender(qa)):
            questions.answer(
                actor=officer,
                roles={"procurement_officer"},
                buyer=buyer,
                question=q,
                text=f"Antwoord op: {q.text}",
            )


# -- rules ---------------------------------------------------------------------------------
def test_a_question_after_the_questions_deadline_is_refused(db, qa):
    with acting_for(qa["buyer"].id):
        deadline = buyer_tender(qa).questions_deadline
    ask(qa, "Mag een vrijwilliger meerijden?", now=deadline - timedelta(seconds=1))
    with pytest.raises(questions.QuestionError) as refused:
        ask(qa, "Nog een vraag, op het laatste moment.", now=deadline)
    assert "De termijn voor vragen is voorbij" in str(refused.value)
    with pytest.raises(questions.QuestionError) as empty:
        ask(qa, "   ")
    assert empty.value.field == "text"
    org, user = qa["asker"]
    with acting_for(org.id), pytest.raises(questions.QuestionError) as foreign_lot:
        questions.ask(actor=user, asker=org, tender=public(qa), text="Vraag", lot_id=-1)
    assert foreign_lot.value.field == "lot_id"
    buyer = qa["buyer"]
    with acting_for(buyer.id), pytest.raises(questions.QuestionError):  # buyers do not ask
        questions.ask(actor=qa["officer"], asker=buyer, tender=public(qa), text="Vraag")


def test_the_question_is_filed_without_the_asker(db, qa):
    asked = ask(qa, "Hoe vaak wordt er gerapporteerd?", lot=1)
    buyer = qa["buyer"]
    with acting_for(buyer.id):
        (question,) = questions.questions_of(buyer_tender(qa))
        assert question.text == "Hoe vaak wordt er gerapporteerd?" and question.lot.title == "Zuid"
        assert question.id == asked.question_id and question.tenant_id == buyer.id
        # Nothing on the buyer's row points to the asker, and its audit event has no actor.
        columns = {c.name for c in TenderQuestion.__table__.columns}
        assert not columns & {"asked_by_id", "asker_id", "bidder_id", "organisation_id"}
        received = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "tender.question_received", AuditEvent.tenant_id == buyer.id
            )
        )
    assert received.actor_user_id is None and received.actor_label == "systeem"
    org, _user = qa["asker"]
    with acting_for(org.id):
        (own,) = questions.own_questions(qa["tender_id"])
    assert own.text == "Hoe vaak wordt er gerapporteerd?" and own.nota is None
    assert own.lot == "Perceel 2: Zuid" and own.answer is None
    watcher, _ = qa["watcher"]
    with acting_for(watcher.id):
        assert questions.own_questions(qa["tender_id"]) == []


def test_interest_is_registered_once(db, qa):
    org, user = qa["watcher"]
    with acting_for(org.id):
        assert not questions.has_interest(qa["tender_id"])
        first = questions.register_interest(actor=user, bidder=org, tender=public(qa))
        again = questions.register_interest(actor=user, bidder=org, tender=public(qa))
        assert first.id == again.id and questions.has_interest(qa["tender_id"])
        with pytest.raises(questions.QuestionError):
            questions.register_interest(
                actor=user,
                bidder=org,
                tender=public(qa),
                now=public(qa).submission_deadline,
            )
    with acting_for(qa["asker"][0].id):
        assert not questions.has_interest(qa["tender_id"])


def test_assigning_and_who_may_answer(db, qa):
    ask(qa, "Wat is een dagdeel?")
    buyer, officer, policy, other = qa["buyer"], qa["officer"], qa["policy"], qa["other_policy"]
    with acting_for(buyer.id):
        (question,) = questions.questions_of(buyer_tender(qa))
        assert {u.id for u in questions.answerers(buyer)} == {
            officer.id,
            qa["second"].id,
            policy.id,
            other.id,
        }
        with pytest.raises(questions.QuestionError) as refused:  # a reviewer does not answer
            questions.assign(
                actor=officer, buyer=buyer, question=question, assignee_id=qa["reviewer"].id
            )
        assert refused.value.field == "assignee"
        questions.assign(actor=officer, buyer=buyer, question=question, assignee_id=policy.id)
        assert questions.may_answer(policy, {"policy_officer"}, question)
        assert not questions.may_answer(other, {"policy_officer"}, question)
        assert not questions.may_answer(qa["reviewer"], {"reviewer"}, question)
        assert questions.may_answer(officer, {"procurement_officer"}, question)
        with pytest.raises(questions.QuestionError):
            questions.answer(
                actor=other, roles={"policy_officer"}, buyer=buyer, question=question, text="Ja"
            )
        questions.answer(
            actor=policy,
            roles={"policy_officer"},
            buyer=buyer,
            question=question,
            text="Een ochtend of een middag.",
        )
        assert question.answer == "Een ochtend of een middag."
        actions = set(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == buyer.id))
        )
    assert {"tender.question_assigned", "tender.question_answered"} <= actions
    (mail,) = outbox(db, "Een vraag om te beantwoorden")
    assert mail.to_address == policy.email and "Wat is een dagdeel?" in mail.body_text


def test_a_nota_reaches_every_interested_party_at_once(db, qa):
    ask(qa, "Is vervoer inbegrepen?", lot=0)
    ask(qa, "Mag een coöperatie samenwerken met een zorgaanbieder?")
    watcher, watcher_user = qa["watcher"]
    with acting_for(watcher.id):
        questions.register_interest(actor=watcher_user, bidder=watcher, tender=public(qa))
    bidder, bidder_user = qa["bidder"]
    with acting_for(bidder.id):
        submission.start(
            actor=bidder_user, bidder=bidder, tender=public(qa), lot_id=qa["lot_ids"][1]
        )
    answer_all(qa)
    # Before the nota, no bidder sees an answer, not even the asker.
    assert questions.published_notas(qa["tender_id"]) == []
    with acting_for(qa["asker"][0].id):
        assert all(q.answer is None for q in questions.own_questions(qa["tender_id"]))

    buyer = qa["buyer"]
    with acting_for(buyer.id):
        nota = questions.publish_nota(actor=qa["officer"], buyer=buyer, tender=buyer_tender(qa))
        assert nota.number == 1
        document = db.session.get(TenderDocument, nota.document_id)
        assert document.title == "Nota van inlichtingen 1" and document.kind.value == "nota"
        with pytest.raises(questions.QuestionError):  # nothing left to publish
            questions.publish_nota(actor=qa["officer"], buyer=buyer, tender=buyer_tender(qa))
        (first, second) = questions.questions_of(buyer_tender(qa))
        with pytest.raises(questions.QuestionError):  # a published answer stays
            questions.answer(
                actor=qa["officer"],
                roles={"procurement_officer"},
                buyer=buyer,
                question=first,
                text="Anders",
            )
        # General questions first, then per lot.
        assert (second.number, first.number) == (1, 2)

    (published,) = questions.published_notas(qa["tender_id"])
    assert published.number == 1 and published.published_at == nota.published_at
    assert [a.question for a in published.answers] == [
        "Mag een coöperatie samenwerken met een zorgaanbieder?",
        "Is vervoer inbegrepen?",
    ]
    assert published.answers[1].lot == "Perceel 1: Noord"
    with acting_for(qa["asker"][0].id):
        own = questions.own_questions(qa["tender_id"])
    assert {q.nota for q in own} == {1} and all(q.answer.startswith("Antwoord op") for q in own)

    mails = outbox(db, "Nota van inlichtingen 1")
    assert sorted(m.to_address for m in mails) == sorted(
        [qa["asker"][1].email, watcher_user.email, bidder_user.email]
    )
    assert qa["outsider"][1].email not in {m.to_address for m in mails}
    assert all(ASKER not in m.body_text for m in mails)

    with acting_for(buyer.id):
        from koepel.bids import documents

        data = documents.content(db.session.get(TenderDocument, nota.document_id))
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Nota van inlichtingen 1" in text and "Is vervoer inbegrepen?" in text
    assert "Antwoord op: Mag een coöperatie samenwerken" in text
    assert ASKER not in text and ASKER_PERSON not in text


# -- pages ---------------------------------------------------------------------------------
def test_buyer_pages_never_name_the_asker(app, db, qa):
    asker, asker_user = qa["asker"]
    buyer = qa["buyer"]
    base = f"/{buyer.slug}/tenders/{qa['tender_id']}"
    officer = client_for(app, qa["officer"])
    bidder = client_for(app, asker_user)

    ask_url = f"/{asker.slug}/opportunities/{qa['tender_id']}/questions"
    page = bidder.get(ask_url).get_data(as_text=True)
    assert "Een vraag stellen" in page and "Noem daarom uw organisatie niet" in page
    r = bidder.post(
        ask_url,
        data={
            "question-csrf_token": csrf_from(page),
            "question-lot": str(qa["lot_ids"][0]),
            "question-text": "Telt een vrijwilliger mee in de bezetting?",
        },
    )
    assert r.status_code == 302
    page = bidder.get(ask_url).get_data(as_text=True)
    assert "Telt een vrijwilliger mee" in page and "nog niet beantwoord" in page

    def buyer_pages() -> str:
        return "".join(
            officer.get(url).get_data(as_text=True)
            for url in (f"{base}/questions", base, f"{base}/documents", f"/{buyer.slug}/audit")
        )

    before = buyer_pages()
    assert "Telt een vrijwilliger mee in de bezetting?" in before
    assert ASKER not in before and ASKER_PERSON not in before and asker_user.email not in before

    with acting_for(buyer.id):
        (question,) = questions.questions_of(buyer_tender(qa))
    page = officer.get(f"{base}/questions").get_data(as_text=True)
    r = officer.post(
        f"{base}/questions/{question.id}/answer",
        data={
            f"answer-{question.id}-csrf_token": csrf_from(page),
            f"answer-{question.id}-text": "Ja, als zij een VOG hebben.",
        },
    )
    assert r.status_code == 302
    page = officer.get(f"{base}/questions").get_data(as_text=True)
    assert "beantwoord, nog niet gepubliceerd" in page and "Nota publiceren" in page
    r = officer.post(
        f"{base}/notas",
        data={"nota-csrf_token": csrf_from(page), "nota-questions": str(question.id)},
    )
    assert r.status_code == 302
    after = buyer_pages()
    assert "gepubliceerd in nota 1 als vraag 1" in after
    assert ASKER not in after and ASKER_PERSON not in after and asker_user.email not in after
    with acting_for(buyer.id):
        nota_document = db.session.scalar(
            select(TenderDocument.id).where(TenderDocument.kind == "nota")
        )
    pdf = officer.get(f"{base}/documents/{nota_document}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    # Every bidder reads the answer, the asker sees its question answered.
    page = bidder.get(ask_url).get_data(as_text=True)
    assert "beantwoord in nota 1, vraag 1" in page and "Ja, als zij een VOG hebben." in page
    outsider, outsider_user = qa["outsider"]
    other = client_for(app, outsider_user)
    page = other.get(f"/{outsider.slug}/opportunities/{qa['tender_id']}/questions").get_data(
        as_text=True
    )
    assert "Ja, als zij een VOG hebben." in page and "U heeft nog geen vragen gesteld." in page
    assert other.get(
        f"/{outsider.slug}/opportunities/{qa['tender_id']}/documents/{nota_document}"
    ).data.startswith(b"%PDF")


def test_a_question_typed_after_the_deadline_is_refused_and_kept(app, db, qa):
    asker, asker_user = qa["asker"]
    bidder = client_for(app, asker_user)
    ask_url = f"/{asker.slug}/opportunities/{qa['tender_id']}/questions"
    token = csrf_from(bidder.get(ask_url).get_data(as_text=True))
    with acting_for(qa["buyer"].id):  # time passes while the question is typed
        buyer_tender(qa).questions_deadline = utcnow() - timedelta(seconds=1)
        db.session.flush()
    r = bidder.post(
        ask_url,
        data={
            "question-csrf_token": token,
            "question-lot": "",
            "question-text": "Geldt dit ook voor mantelzorgers?",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "De termijn voor vragen is voorbij" in html
    assert "Geldt dit ook voor mantelzorgers?" in html
    with acting_for(qa["buyer"].id):
        assert questions.questions_of(buyer_tender(qa)) == []
    page = bidder.get(ask_url).get_data(as_text=True)
    assert "De termijn voor vragen is voorbij." in page and "Vraag versturen" not in page


def test_assignment_through_the_pages(app, db, qa):
    ask(qa, "Hoe lang duurt de opdracht?")
    buyer, policy = qa["buyer"], qa["policy"]
    base = f"/{buyer.slug}/tenders/{qa['tender_id']}"
    with acting_for(buyer.id):
        (question,) = questions.questions_of(buyer_tender(qa))
    officer = client_for(app, qa["officer"])
    page = officer.get(f"{base}/questions").get_data(as_text=True)
    r = officer.post(
        f"{base}/questions/{question.id}/assign",
        data={
            f"assign-{question.id}-csrf_token": csrf_from(page),
            f"assign-{question.id}-assignee": str(qa["reviewer"].id),
        },
    )
    assert r.status_code == 200 and "Kies een collega die vragen mag beantwoorden." in (
        r.get_data(as_text=True)
    )
    r = officer.post(
        f"{base}/questions/{question.id}/assign",
        data={
            f"assign-{question.id}-csrf_token": csrf_from(page),
            f"assign-{question.id}-assignee": str(policy.id),
        },
    )
    assert r.status_code == 302

    # The policy officer answers what is assigned to them; another policy officer cannot.
    assigned = client_for(app, policy)
    page = assigned.get(f"{base}/questions").get_data(as_text=True)
    assert "Antwoord opslaan" in page and "Toewijzen" not in page and "Pien Beleid" in page
    colleague = client_for(app, qa["other_policy"])
    page2 = colleague.get(f"{base}/questions").get_data(as_text=True)
    assert "Antwoord opslaan" not in page2
    r = colleague.post(
        f"{base}/questions/{question.id}/answer",
        data={
            f"answer-{question.id}-csrf_token": csrf_from(page2),
            f"answer-{question.id}-text": "Twee jaar.",
        },
    )
    assert r.status_code == 200 and "alleen vragen beantwoorden die aan u zijn toegewezen" in (
        r.get_data(as_text=True)
    )
    r = assigned.post(
        f"{base}/questions/{question.id}/answer",
        data={
            f"answer-{question.id}-csrf_token": csrf_from(page),
            f"answer-{question.id}-text": "Twee jaar, met twee keer een optie van een jaar.",
        },
    )
    assert r.status_code == 302
    # Publishing is for procurement officers; a reviewer only reads.
    reader = client_for(app, qa["reviewer"])
    page = reader.get(f"{base}/questions").get_data(as_text=True)
    assert "Twee jaar, met twee keer" in page and "Nota publiceren" not in page
    assert (
        reader.post(f"{base}/notas", data={"nota-csrf_token": csrf_from(page)}).status_code == 403
    )


def test_interest_through_the_tender_page(app, db, qa):
    watcher, user = qa["watcher"]
    client = client_for(app, user)
    url = f"/{watcher.slug}/opportunities/{qa['tender_id']}"
    page = client.get(url).get_data(as_text=True)
    assert "Interesse melden" in page and "De gemeente ziet niet wie interesse meldt." in page
    r = client.post(f"{url}/interest", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert "U heeft interesse gemeld." in page and "Interesse melden" not in page
    with acting_for(watcher.id):
        assert questions.has_interest(qa["tender_id"])
    officer = client_for(app, qa["officer"])
    for path in ("", "/questions", "/documents"):
        html = officer.get(f"/{qa['buyer'].slug}/tenders/{qa['tender_id']}{path}").get_data(
            as_text=True
        )
        assert "Zorgcoöperatie Kijker" not in html


def test_demo_gives_brunssum_a_nota_and_a_document(db, make_org, make_user):
    from koepel.bids import demo, documents
    from koepel.platform.demo import demo_email

    orgs = {
        "brunssum": make_org("municipality", slug="brunssum", name="Gemeente Brunssum"),
        "kwadraad": make_org("provider", slug="kwadraad", name="Kwadraad"),
        "puurzuid": make_org("provider", slug="puurzuid", name="PuurZuid"),
    }
    for local, slug, role in (
        ("inkoper.brunssum", "brunssum", "procurement_officer"),
        ("contact.kwadraad", "kwadraad", "contact"),
        ("contact.puurzuid", "puurzuid", "contact"),
    ):
        make_user(orgs[slug], role, email=demo_email(local))
    assert demo._brunssum(orgs) == 1
    assert questions.load_demo(orgs) == 1
    assert questions.load_demo(orgs) == 0  # idempotent
    with acting_for(orgs["brunssum"].id):
        tender = db.session.scalar(
            select(tenders.Tender).where(tenders.Tender.title == questions.DEMO_TENDER)
        )
        (nota,) = questions.notas_of(tender)
        listing = documents.listing(documents.documents_of(tender))
    (published,) = questions.published_notas(tender.id)
    assert len(published.answers) == 2 and published.answers[1].lot == "Perceel 3: Ouderen"
    assert sorted(d.title for d in listing.current) == [
        "Nota van inlichtingen 1",
        "Programma van eisen",
    ]
