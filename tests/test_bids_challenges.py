"""Right to Challenge: the municipality's published policy, a challenge by a cooperative or
an umbrella on behalf of a member (draft → submitted), the comparison with today's cost,
the assessment with its term (countdown, standstill while waiting for an answer), the
decision (reject with reasons, pilot, or a linked draft tender), the reminder job, the
pages and the API — and the walls: a draft is the challenger's alone, another
municipality or cooperative gets 404."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koepel.bids import challenges as ops
from koepel.bids.models import Lot, Procedure, Tender, TenderStatus
from koepel.bids.models.challenges import ChallengeDecision, ChallengeStatus
from koepel.platform import schedule
from koepel.platform.models import Affiliation, AffiliationKind, AuditEvent, OutboxMessage
from koepel.platform.tenancy import acting_for
from koepel.platform.web import commit

from conftest import client_for, csrf_from

COST = Decimal("96000.00")


@pytest.fixture
def rtc(db, make_org, make_user):
    bladel = make_org("municipality", slug="rc-bladel", name="Gemeente Bladel")
    officer = make_user(bladel, "procurement_officer")
    coop = make_org("cooperative", slug="rc-hoogeloon", name="Zorgcoöperatie Hoogeloon")
    coordinator = make_user(coop, "coordinator")
    with acting_for(bladel.id):
        task = ops.add_task(
            actor=officer,
            municipality=bladel,
            name="Dagbesteding Hoogeloon",
            current_yearly_cost=COST,
        )
    return {
        "bladel": bladel,
        "officer": officer,
        "reviewer": make_user(bladel, "reviewer"),
        "coop": coop,
        "coordinator": coordinator,
        "volunteer": make_user(coop, "volunteer"),
        "task_id": task.id,
    }


def _data(rtc, budget="88500.00", **changes) -> ops.ChallengeData:
    found = ops.published_policy(rtc["bladel"])
    values = {
        "task_id": rtc["task_id"],
        "area": "Hoogeloon en Casteren",
        "target_group": "Ouderen die thuis wonen",
        "motivation": "Wij kennen het dorp en de mantelzorgers.",
        "social_value": "Ontmoeting in het eigen dorp.",
        "estimated_budget": Decimal(budget),
        "supporters": 210,
        "checks": {c.key: (True, f"Toelichting {c.key}") for c in found.criteria},
    }
    values.update(changes)
    return ops.ChallengeData(**values)


def _draft(rtc, challenger=None, actor=None, behalf=None, **changes):
    challenger, actor = challenger or rtc["coop"], actor or rtc["coordinator"]
    found = ops.published_policy(rtc["bladel"])
    with acting_for(challenger.id):
        challenge = ops.start(
            actor=actor, challenger=challenger, municipality=rtc["bladel"], on_behalf_of=behalf
        )
        ops.save_draft(
            actor=actor,
            challenger=challenger,
            challenge=challenge,
            data=_data(rtc, **changes),
            found=found,
        )
    return challenge, found


def _submitted(rtc, now=None, **changes):
    challenge, found = _draft(rtc, **changes)
    with acting_for(rtc["coop"].id):
        ops.submit(
            actor=rtc["coordinator"],
            challenger=rtc["coop"],
            challenge=challenge,
            found=found,
            now=now,
        )
    return challenge


def _mails(db, to: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)
        )
    )


# -- rules ----------------------------------------------------------------------------------
def test_the_default_policy_is_published_and_edits_show_to_challengers(db, rtc, make_org):
    untouched = ops.published_policy(make_org("municipality", slug="rc-reusel"))
    assert untouched.term_weeks == 8 and not untouched.written and untouched.tasks == []
    assert [c.key for c in untouched.criteria][0] == "cost"
    bladel, officer = rtc["bladel"], rtc["officer"]
    found = ops.published_policy(bladel)  # adding a task wrote the defaults down
    assert found.term_weeks == 8 and found.written
    assert [c.key for c in found.criteria] == [
        "cost",
        "surplus",
        "legal_entity",
        "local",
        "support",
    ]
    assert found.criteria[0].title == "De kosten zijn niet hoger dan nu"
    assert [(t.name, t.current_yearly_cost) for t in found.tasks] == [
        ("Dagbesteding Hoogeloon", COST)
    ]
    with acting_for(bladel.id):
        ops.set_term(actor=officer, municipality=bladel, weeks=10)
        ops.archive_criterion(actor=officer, municipality=bladel, key="surplus")
        added = ops.add_criterion(
            actor=officer, municipality=bladel, title="Samenwerking met de huisarts"
        )
        with pytest.raises(ops.ChallengeError) as refused:
            ops.set_term(actor=officer, municipality=bladel, weeks=0)
        assert refused.value.field == "term_weeks"
    with acting_for(rtc["coop"].id):  # a challenger reads it through the named function
        found = ops.published_policy(bladel)
    assert found.term_weeks == 10 and found.written
    assert [c.key for c in found.criteria] == [
        "cost",
        "legal_entity",
        "local",
        "support",
        added.key,
    ]


def test_a_draft_is_invisible_to_the_municipality_and_a_submitted_one_visible(db, rtc, make_org):
    challenge, found = _draft(rtc)
    bladel = rtc["bladel"]
    with acting_for(bladel.id):
        assert ops.submitted_to(bladel) == []
        assert ops.submitted_challenge(bladel, challenge.id) is None
    with acting_for(rtc["coop"].id):
        ops.submit(
            actor=rtc["coordinator"], challenger=rtc["coop"], challenge=challenge, found=found
        )
    with acting_for(bladel.id):
        (seen,) = ops.submitted_to(bladel)
    assert seen.id == challenge.id and seen.tenant_id == rtc["coop"].id
    assert seen.motivation == "Wij kennen het dorp en de mantelzorgers."
    assert len(seen.checks) == 5
    other = make_org("municipality", slug="rc-eersel", name="Gemeente Eersel")
    with acting_for(other.id):
        assert ops.submitted_to(other) == []
        assert ops.submitted_challenge(other, challenge.id) is None
    # The officers hear of it by e-mail.
    (mail,) = _mails(db, rtc["officer"].email)
    assert "Zorgcoöperatie Hoogeloon" in mail.body_text


def test_the_estimate_is_compared_with_todays_cost(db, rtc):
    cheaper, _found = _draft(rtc, budget="88500.00")
    comparison = ops.compare_cost(cheaper.estimated_budget, COST)
    assert comparison.difference == Decimal("-7500.00") and comparison.not_higher
    assert {c.criterion_key: c.met for c in cheaper.checks}["cost"] is True
    dearer, _found = _draft(rtc, budget="100000.00")
    assert {c.criterion_key: c.met for c in dearer.checks}["cost"] is False
    assert not ops.compare_cost(dearer.estimated_budget, COST).not_higher
    # Submitted: the comparison keeps the cost of that moment, whatever changes later.
    challenge = _submitted(rtc)
    with acting_for(rtc["bladel"].id):
        row = ops.task(rtc["task_id"])
        ops.update_task(
            actor=rtc["officer"],
            municipality=rtc["bladel"],
            row=row,
            name=row.name,
            current_yearly_cost=Decimal("50000"),
        )
    assert challenge.cost_at_submission == COST
    assert ops.current_cost(challenge, ops.published_policy(rtc["bladel"])) == COST
    # A task the municipality has no figure for: nothing to compare, the challenger explains.
    other, _found = _draft(rtc, task_id=None, task_name="Vervoer naar de huisarts")
    assert ops.current_cost(other, ops.published_policy(rtc["bladel"])) is None


def test_submission_needs_every_answer(db, rtc):
    challenge, found = _draft(rtc, checks={})
    with acting_for(rtc["coop"].id):
        with pytest.raises(ops.ChallengeError) as refused:
            ops.submit(
                actor=rtc["coordinator"], challenger=rtc["coop"], challenge=challenge, found=found
            )
    # The cost criterion follows the comparison; the next one needs an explanation.
    assert refused.value.field == "check:surplus"
    assert challenge.status == ChallengeStatus.DRAFT
    challenge, found = _draft(rtc, estimated_budget=None)
    with acting_for(rtc["coop"].id), pytest.raises(ops.ChallengeError) as refused:
        ops.submit(
            actor=rtc["coordinator"], challenger=rtc["coop"], challenge=challenge, found=found
        )
    assert refused.value.field == "estimated_budget"


def test_an_umbrella_challenges_on_behalf_of_a_member_but_not_of_a_non_member(
    db, rtc, make_org, make_user
):
    umbrella = make_org("umbrella", slug="rc-kzzn", name="Koepel Zuid")
    staff = make_user(umbrella, "staff")
    member = make_org("cooperative", slug="rc-elsendorp", name="Zorgcoöperatie Elsendorp")
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=umbrella.id,
            child_id=member.id,
            start_date=date(2020, 1, 1),
        )
    )
    db.session.flush()
    with acting_for(umbrella.id):
        with pytest.raises(ops.ChallengeError) as refused:
            ops.start(actor=staff, challenger=umbrella, municipality=rtc["bladel"])
        assert refused.value.field == "on_behalf_of"
        with pytest.raises(ops.ChallengeError, match="geen lid van uw koepel"):
            ops.start(
                actor=staff,
                challenger=umbrella,
                municipality=rtc["bladel"],
                on_behalf_of=rtc["coop"],
            )
    challenge, found = _draft(rtc, challenger=umbrella, actor=staff, behalf=member)
    with acting_for(umbrella.id):
        ops.submit(actor=staff, challenger=umbrella, challenge=challenge, found=found)
    assert challenge.on_behalf_of_id == member.id and challenge.tenant_id == umbrella.id
    with acting_for(member.id):
        (filed,) = ops.filed_on_behalf_of(member)
    assert filed.challenge_id == challenge.id and filed.umbrella_id == umbrella.id
    # A cooperative cannot act for another one; a member that left can no longer be named.
    with acting_for(rtc["coop"].id), pytest.raises(ops.ChallengeError):
        ops.start(
            actor=rtc["coordinator"],
            challenger=rtc["coop"],
            municipality=rtc["bladel"],
            on_behalf_of=member,
        )
    later, found = _draft(rtc, challenger=umbrella, actor=staff, behalf=member)
    membership = db.session.scalar(select(Affiliation).where(Affiliation.child_id == member.id))
    membership.end_date = ops.today_local()
    db.session.flush()
    with acting_for(umbrella.id), pytest.raises(ops.ChallengeError, match="geen lid"):
        ops.submit(actor=staff, challenger=umbrella, challenge=later, found=found)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_countdown_runs_in_dutch_days_and_stands_still_while_waiting():
    # Registered at 00:30 Dutch time on 2 March (23:30 UTC on 1 March): day one is 2 March.
    registered = _utc(2026, 3, 1, 23, 30)
    clock = ops.countdown(registered_at=registered, term_days=56, pauses=[], today=date(2026, 3, 2))
    assert clock.registered_on == date(2026, 3, 2)
    assert clock.due_date == date(2026, 4, 27) and clock.days_left == 56
    # A question on 10 March, answered on 17 March: seven days are added.
    asked, answered = _utc(2026, 3, 10, 9), _utc(2026, 3, 17, 15)
    clock = ops.countdown(
        registered_at=registered, term_days=56, pauses=[(asked, answered)], today=date(2026, 3, 20)
    )
    assert clock.paused_days == 7 and clock.due_date == date(2026, 5, 4)
    assert clock.days_left == 45 and clock.suspended_since is None
    # While the question waits, the days left stay the same from day to day.
    for today in (date(2026, 3, 12), date(2026, 3, 30)):
        waiting = ops.countdown(
            registered_at=registered, term_days=56, pauses=[(asked, None)], today=today
        )
        assert waiting.suspended_since == date(2026, 3, 10)
        assert waiting.days_left == 48 and not waiting.overdue
    # Past the due date without a decision: overdue; a late decision says so.
    late = ops.countdown(registered_at=registered, term_days=56, pauses=[], today=date(2026, 4, 29))
    assert late.overdue and late.days_left == -2
    decided = ops.countdown(
        registered_at=registered,
        term_days=56,
        pauses=[],
        today=date(2026, 6, 1),
        decided_at=_utc(2026, 4, 28, 10),
    )
    assert decided.decided_late and not decided.overdue and decided.decided_on == date(2026, 4, 28)


def test_assessment_register_ask_reply_and_reject_with_reasons(db, rtc):
    now = _utc(2026, 3, 2, 9)
    challenge = _submitted(rtc, now=now - timedelta(days=3))
    bladel, officer, coop = rtc["bladel"], rtc["officer"], rtc["coop"]
    with acting_for(bladel.id):
        with pytest.raises(ops.ChallengeError, match="Registreer"):
            ops.ask(actor=officer, municipality=bladel, challenge=challenge, question="?")
        ops.register(actor=officer, municipality=bladel, challenge=challenge, now=now)
        with pytest.raises(ops.ChallengeError, match="al geregistreerd"):
            ops.register(actor=officer, municipality=bladel, challenge=challenge)
        ops.ask(
            actor=officer,
            municipality=bladel,
            challenge=challenge,
            question="Hebben de vrijwilligers een VOG?",
            now=now + timedelta(days=8),
        )
        with pytest.raises(ops.ChallengeError, match="al een vraag open"):
            ops.ask(actor=officer, municipality=bladel, challenge=challenge, question="Nog één")
    with acting_for(coop.id):
        ex = ops.exchange(challenge)
        assert ex.open_request.question == "Hebben de vrijwilligers een VOG?"
        ops.reply(
            actor=rtc["coordinator"],
            challenger=coop,
            challenge=challenge,
            answer="Ja, allemaal.",
            now=now + timedelta(days=11),
        )
        with pytest.raises(ops.ChallengeError, match="geen vraag open"):
            ops.reply(actor=rtc["coordinator"], challenger=coop, challenge=challenge, answer="x")
    with acting_for(bladel.id):
        clock = ops.exchange(challenge).countdown(date(2026, 3, 20))
        assert clock.due_date == date(2026, 4, 30)  # 2 March + 56 days + 3 days of waiting
        with pytest.raises(ops.ChallengeError) as refused:
            ops.decide(
                actor=officer,
                municipality=bladel,
                challenge=challenge,
                decision=ChallengeDecision.REJECTED,
                reasons="  ",
            )
        assert refused.value.field == "reasons"
        ops.decide(
            actor=officer,
            municipality=bladel,
            challenge=challenge,
            decision=ChallengeDecision.REJECTED,
            reasons="De kosten van vervoer ontbreken in de begroting.",
        )
        with pytest.raises(ops.ChallengeError, match="al besloten"):
            ops.decide(
                actor=officer,
                municipality=bladel,
                challenge=challenge,
                decision=ChallengeDecision.PILOT,
            )
    # Every step is on the challenger's timeline.
    with acting_for(coop.id):
        ex = ops.exchange(challenge)
        steps = ops.timeline(challenge, ex, coop.name, bladel.name)
    assert [s.kind for s in steps] == ["submitted", "registered", "question", "reply", "decided"]
    assert steps[-1].text == "De kosten van vervoer ontbreken in de begroting."
    subjects = [m.subject for m in _mails(db, rtc["coordinator"].email)]
    assert subjects == [
        "Uw challenge is geregistreerd: Dagbesteding Hoogeloon",
        "Vraag over uw challenge: Dagbesteding Hoogeloon",
        "Besluit over uw challenge: Dagbesteding Hoogeloon",
    ]
    registered = _mails(db, rtc["coordinator"].email)[0].body_text
    assert "27 april 2026" in registered  # 2 March + 8 weeks, in Dutch


def test_opening_a_tender_makes_a_linked_draft_and_tells_the_challenger(db, rtc):
    challenge = _submitted(rtc)
    bladel = rtc["bladel"]
    with acting_for(bladel.id):
        ops.register(actor=rtc["officer"], municipality=bladel, challenge=challenge)
        assessment = ops.decide(
            actor=rtc["officer"],
            municipality=bladel,
            challenge=challenge,
            decision=ChallengeDecision.TENDER,
        )
        tender = db.session.get(Tender, assessment.tender_id)
        assert tender.procedure == Procedure.CHALLENGE and tender.status == TenderStatus.DRAFT
        assert tender.tenant_id == bladel.id and "Dagbesteding Hoogeloon" in tender.title
        (lot,) = db.session.scalars(select(Lot).where(Lot.tender_id == tender.id)).all()
        assert lot.budget == COST and lot.area == "Hoogeloon en Casteren"
        assert ops.challenge_of_tender(tender.id) == challenge.id
    mail = _mails(db, rtc["coordinator"].email)[-1]
    assert mail.subject == "Besluit over uw challenge: Dagbesteding Hoogeloon"
    assert "aanbesteding" in mail.body_text
    # The challenger sees the link once the tender is published, not the draft.
    with acting_for(rtc["coop"].id):
        assert ops.exchange(challenge).assessment.tender_id == tender.id


def test_every_step_is_audited_on_both_sides_and_a_pilot_needs_no_reasons(db, rtc):
    challenge = _submitted(rtc)
    bladel, coop = rtc["bladel"], rtc["coop"]
    with acting_for(bladel.id):
        ops.register(actor=rtc["officer"], municipality=bladel, challenge=challenge)
        ops.decide(
            actor=rtc["officer"],
            municipality=bladel,
            challenge=challenge,
            decision=ChallengeDecision.PILOT,
        )
    expected = ["challenge.submitted", "challenge.registered", "challenge.decided"]
    for org in (bladel, coop):
        with acting_for(org.id):
            actions = db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "challenge", AuditEvent.tenant_id == org.id)
                .order_by(AuditEvent.seq)
            ).all()
        assert [a for a in actions if a in expected] == expected
    with acting_for(coop.id):  # drafts stay in the challenger's own log
        assert "challenge.draft_saved" in db.session.scalars(select(AuditEvent.action)).all()
    with acting_for(bladel.id):
        assert "challenge.draft_saved" not in db.session.scalars(select(AuditEvent.action)).all()
        assert ops.exchange(challenge).assessment.decision == ChallengeDecision.PILOT


def _reminders(db, officer) -> int:
    return sum(1 for m in _mails(db, officer.email) if m.subject.startswith("Termijn"))


def test_the_reminder_job_sends_once_even_when_run_twice(db, rtc, run_jobs):
    challenge, fresh = _submitted(rtc), _submitted(rtc)
    bladel = rtc["bladel"]
    registered = ops.today_local() - timedelta(days=52)  # four days left of 56
    with acting_for(bladel.id):
        ops.register(
            actor=rtc["officer"],
            municipality=bladel,
            challenge=challenge,
            now=datetime.combine(registered, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12),
        )
        # Registered today: eight weeks to go, no reminder yet.
        ops.register(actor=rtc["officer"], municipality=bladel, challenge=fresh)
    commit()
    run_jobs()
    for _run in range(2):
        outcome = schedule.tick()
        assert outcome["challenges.remind_terms"] == (1 if _run == 0 else 0)
        run_jobs()
    assert _reminders(db, rtc["officer"]) == 1
    body = next(m for m in _mails(db, rtc["officer"].email) if m.subject.startswith("Termijn"))
    assert "Zorgcoöperatie Hoogeloon" in body.body_text and "Nog 4 dagen." in body.body_text


def test_no_reminder_while_the_term_stands_still(db, rtc, run_jobs):
    challenge = _submitted(rtc)
    bladel = rtc["bladel"]
    start = datetime.combine(ops.today_local() - timedelta(days=52), datetime.min.time(), UTC)
    with acting_for(bladel.id):
        ops.register(
            actor=rtc["officer"],
            municipality=bladel,
            challenge=challenge,
            now=start + timedelta(hours=12),
        )
        ops.ask(
            actor=rtc["officer"],
            municipality=bladel,
            challenge=challenge,
            question="Wie is uw contactpersoon?",
        )
    assert schedule.tick()["challenges.remind_terms"] == 0
    run_jobs()
    assert _reminders(db, rtc["officer"]) == 0


# -- pages ----------------------------------------------------------------------------------


def _form(rtc, found, budget="88.500,00", **changes) -> dict[str, str]:
    data = {
        "task_id": str(rtc["task_id"]),
        "task_name": "",
        "area": "Hoogeloon en Casteren",
        "target_group": "Ouderen die thuis wonen",
        "motivation": "Wij kennen het dorp.",
        "social_value": "Ontmoeting in het dorp.",
        "estimated_budget": budget,
        "supporters": "210",
    }
    for c in found.criteria:
        data[f"met-{c.key}"] = "y"
        data[f"explain-{c.key}"] = f"Zo voldoen wij aan {c.key}"
    data.update(changes)
    return data


def test_the_challenger_prepares_and_submits_through_the_pages(app, db, rtc):
    client = client_for(app, rtc["coordinator"])
    slug, bladel = rtc["coop"].slug, rtc["bladel"]
    page = client.get(f"/{slug}/challenges/new").get_data(as_text=True)
    made = client.post(
        f"/{slug}/challenges/new",
        data={"municipality": str(bladel.id), "csrf_token": csrf_from(page)},
    )
    assert made.status_code == 302
    url = made.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert "De kosten zijn niet hoger dan nu" in page and "Dagbesteding Hoogeloon" in page
    assert "€\xa096.000,00" in page  # today's cost is named next to the task
    found = ops.published_policy(bladel)

    # "12,5a" as the budget: a clear message next to the field, everything else kept.
    bad = client.post(
        url, data={**_form(rtc, found, budget="12,5a"), "csrf_token": csrf_from(page)}
    )
    assert bad.status_code == 200
    page = bad.get_data(as_text=True)
    assert "Dit is geen geldig bedrag" in page and 'value="12,5a"' in page
    assert 'aria-invalid="true"' in page and "Wij kennen het dorp." in page
    assert "Het concept is opgeslagen." in page
    with acting_for(rtc["coop"].id):
        (challenge,) = db.session.scalars(select(ops.Challenge)).all()
        assert challenge.motivation == "Wij kennen het dorp." and challenge.estimated_budget is None

    # The municipality sees nothing of the draft.
    officer = client_for(app, rtc["officer"])
    received = f"/{bladel.slug}/received-challenges"
    assert "Wij kennen het dorp." not in officer.get(received).get_data(as_text=True)
    assert officer.get(f"{received}/{challenge.id}").status_code == 404

    # Submit: the comparison is shown and the criterion follows it.
    done = client.post(f"{url}/submit", data={**_form(rtc, found), "csrf_token": csrf_from(page)})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Uw challenge is ingediend bij Gemeente Bladel." in page
    assert "€\xa07.500,00 goedkoper" in page
    assert "nog niet geregistreerd" in page
    page = officer.get(f"{received}/{challenge.id}").get_data(as_text=True)
    assert "Zorgcoöperatie Hoogeloon" in page and "Wij kennen het dorp." in page
    assert "Registreren" in page
    # A volunteer of the cooperative may not act; a second submission changes nothing.
    volunteer = client_for(app, rtc["volunteer"])
    assert volunteer.get(f"/{slug}/challenges").status_code == 403
    page = client.get(url).get_data(as_text=True)
    again = client.post(f"{url}/submit", data={**_form(rtc, found), "csrf_token": csrf_from(page)})
    assert again.status_code == 302
    assert "Deze challenge is al ingediend." in client.get(url).get_data(as_text=True)


def test_the_municipality_registers_asks_and_decides_through_the_pages(app, db, rtc):
    challenge = _submitted(rtc)
    officer = client_for(app, rtc["officer"])
    url = f"/{rtc['bladel'].slug}/received-challenges/{challenge.id}"
    page = officer.get(url).get_data(as_text=True)
    assert (
        officer.post(f"{url}/register", data={"register-csrf_token": csrf_from(page)}).status_code
        == 302
    )
    page = officer.get(url).get_data(as_text=True)
    assert "Nog 56 dagen" in page
    due = ops.today_local() + timedelta(days=56)
    assert f"{due.day} " in page and str(due.year) in page
    asked = officer.post(
        f"{url}/ask",
        data={"ask-question": "Hoe vindt u de deelnemers?", "ask-csrf_token": csrf_from(page)},
    )
    assert asked.status_code == 302
    page = officer.get(url).get_data(as_text=True)
    assert "De termijn staat stil" in page and "Hoe vindt u de deelnemers?" in page

    # The challenger sees the question and answers it; the term runs again.
    client = client_for(app, rtc["coordinator"])
    mine = f"/{rtc['coop'].slug}/challenges/{challenge.id}"
    page = client.get(mine).get_data(as_text=True)
    assert "Hoe vindt u de deelnemers?" in page and "De termijn staat stil" in page
    empty = client.post(f"{mine}/reply", data={"answer": "", "csrf_token": csrf_from(page)})
    assert empty.status_code == 200 and "Schrijf uw antwoord op." in empty.get_data(as_text=True)
    answered = client.post(
        f"{mine}/reply", data={"answer": "Via de huisarts.", "csrf_token": csrf_from(page)}
    )
    assert answered.status_code == 302

    # Rejecting without reasons is refused next to the field, the choice kept.
    page = officer.get(url).get_data(as_text=True)
    refused = officer.post(
        f"{url}/decide",
        data={
            "decide-decision": "rejected",
            "decide-reasons": "",
            "decide-csrf_token": csrf_from(page),
        },
    )
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "Schrijf op waarom de gemeente de challenge afwijst." in text
    assert re.search(r'<input checked[^>]*value="rejected"', text)
    decided = officer.post(
        f"{url}/decide",
        data={
            "decide-decision": "tender",
            "decide-reasons": "Wij willen ook andere initiatieven de kans geven.",
            "decide-csrf_token": csrf_from(page),
        },
    )
    assert decided.status_code == 302 and "/tenders/" in decided.headers["Location"]
    tender_page = officer.get(decided.headers["Location"]).get_data(as_text=True)
    assert f'href="{url}"' in tender_page  # the draft tender links back to its challenge
    page = client.get(mine).get_data(as_text=True)
    for step in ("Challenge ingediend", "Vraag van de gemeente", "Antwoord van de uitdager"):
        assert step in page
    assert "aanbesteding voor deze taak" in page and "Via de huisarts." in page
    assert "bereidt de aanbesteding voor" in page  # a draft tender is not shown


def test_challengers_read_published_criteria_and_404s(app, db, rtc, make_org, make_user):
    challenge = _submitted(rtc)
    client = client_for(app, rtc["coordinator"])
    slug = rtc["coop"].slug
    page = client.get(f"/{slug}/challenges/criteria/{rtc['bladel'].id}").get_data(as_text=True)
    assert "Er is aantoonbaar draagvlak in de buurt" in page and "€\xa096.000,00" in page
    assert client.get(f"/{slug}/challenges/criteria/{rtc['coop'].id}").status_code == 404
    assert client.get(f"/{slug}/challenges/criteria/999999").status_code == 404
    # Another cooperative: 404 for the challenge, through its own organisation too.
    other = make_org("cooperative", slug="rc-casteren", name="Coöperatie Elders")
    outsider = client_for(app, make_user(other, "board"))
    assert outsider.get(f"/{slug}/challenges/{challenge.id}").status_code == 404
    assert outsider.get(f"/{other.slug}/challenges/{challenge.id}").status_code == 404
    assert outsider.get(f"/{other.slug}/challenges/criteria/{rtc['bladel'].id}").status_code == 200
    # Another municipality: 404, also through its own pages.
    eersel = make_org("municipality", slug="rc-eersel2", name="Gemeente Eersel")
    officer = client_for(app, make_user(eersel, "procurement_officer"))
    assert officer.get(f"/{eersel.slug}/received-challenges/{challenge.id}").status_code == 404
    assert officer.get(f"/{rtc['bladel'].slug}/received-challenges").status_code == 404
    # POST on the draft page needs challenges.submit: a volunteer gets 403.
    volunteer = client_for(app, rtc["volunteer"])
    token = csrf_from(volunteer.get(f"/{slug}/").get_data(as_text=True))
    denied = volunteer.post(f"/{slug}/challenges/{challenge.id}", data={"csrf_token": token})
    assert denied.status_code == 403
    # A municipality reviewer reads but may not decide.
    reviewer = client_for(app, rtc["reviewer"])
    url = f"/{rtc['bladel'].slug}/received-challenges/{challenge.id}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "Zorgcoöperatie Hoogeloon" in page and "Registreren" not in page


def test_the_municipality_edits_its_policy_through_the_pages(app, db, rtc):
    officer = client_for(app, rtc["officer"])
    url = f"/{rtc['bladel'].slug}/challenge-policy"
    page = officer.get(url).get_data(as_text=True)
    assert "Er is aantoonbaar draagvlak in de buurt" in page and "Dagbesteding Hoogeloon" in page
    bad = officer.post(
        f"{url}/tasks",
        data={
            "task-name": "Vervoer",
            "task-current_yearly_cost": "12,5a",
            "task-csrf_token": csrf_from(page),
        },
    )
    assert bad.status_code == 200 and 'value="Vervoer"' in bad.get_data(as_text=True)
    term = officer.post(url, data={"term-term_weeks": "6", "term-csrf_token": csrf_from(page)})
    assert term.status_code == 302
    assert ops.published_policy(rtc["bladel"]).term_weeks == 6
    edit = f"{url}/criteria/surplus"
    page = officer.get(edit).get_data(as_text=True)
    saved = officer.post(
        edit,
        data={
            "title": "Winst blijft in het dorp",
            "description": "",
            "csrf_token": csrf_from(page),
        },
    )
    assert saved.status_code == 302
    titles = [c.title for c in ops.published_policy(rtc["bladel"]).criteria]
    assert "Winst blijft in het dorp" in titles and len(titles) == 5


# -- API ------------------------------------------------------------------------------------
def _token(user) -> dict[str, str]:
    from koepel.platform.auth import operations as accounts

    return {"Authorization": f"Bearer {accounts.issue_api_token(user=user)[1]}"}


def test_the_api_answers_problem_json_on_bad_input(client, db, rtc):
    headers = _token(rtc["coordinator"])
    url = f"/api/v1/orgs/{rtc['coop'].slug}/challenges"
    body = {
        "municipality": rtc["bladel"].slug,
        "task_id": rtc["task_id"],
        "area": "Hoogeloon",
        "estimated_budget": "12,5a",
    }
    bad = client.post(url, json=body, headers=headers)
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert "Dit is geen geldig bedrag" in bad.get_json()["errors"]["estimated_budget"][0]
    # A rule refusing well-formed input: 422 naming the field.
    refused = client.post(
        url, json={**body, "estimated_budget": "88.500,00", "submit": True}, headers=headers
    )
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "target_group" in refused.get_json()["errors"]
    with acting_for(rtc["coop"].id):
        assert db.session.scalar(select(func.count()).select_from(ops.Challenge)) == 0
    unknown = client.post(
        url, json={**body, "estimated_budget": "1", "municipality": "nee"}, headers=headers
    )
    assert unknown.status_code == 422 and "municipality" in unknown.get_json()["errors"]


def test_the_api_shows_each_side_its_own(client, db, rtc, make_org, make_user):
    found = ops.published_policy(rtc["bladel"])
    body = {
        "municipality": rtc["bladel"].slug,
        "task_id": rtc["task_id"],
        "area": "Hoogeloon",
        "target_group": "Ouderen",
        "motivation": "Dichtbij.",
        "social_value": "Ontmoeting.",
        "estimated_budget": "88500.00",
        "supporters": 210,
        "checks": [{"criterion": c.key, "met": True, "explanation": "Ja."} for c in found.criteria],
    }
    headers = _token(rtc["coordinator"])
    url = f"/api/v1/orgs/{rtc['coop'].slug}/challenges"
    draft = client.post(url, json=body, headers=headers)
    assert draft.status_code == 201, draft.get_json()
    assert draft.get_json()["status"] == "draft" and draft.get_json()["cost_not_higher"] is True
    sent = client.post(url, json={**body, "submit": True}, headers=headers).get_json()
    assert sent["status"] == "submitted" and sent["current_cost"] == "96000.00"
    assert sent["estimated_budget"] == "88500.00"
    own = client.get(url, headers=headers).get_json()["items"]
    assert {c["status"] for c in own} == {"draft", "submitted"}

    # The municipality: only the submitted one, with the challenger's name.
    officer = _token(rtc["officer"])
    muni = f"/api/v1/orgs/{rtc['bladel'].slug}/challenges"
    (seen,) = client.get(muni, headers=officer).get_json()["items"]
    assert seen["id"] == sent["id"] and seen["challenger"] == "Zorgcoöperatie Hoogeloon"
    assert client.get(f"{muni}/{draft.get_json()['id']}", headers=officer).status_code == 404
    with acting_for(rtc["bladel"].id):
        challenge = ops.submitted_challenge(rtc["bladel"], sent["id"])
        ops.register(actor=rtc["officer"], municipality=rtc["bladel"], challenge=challenge)
    one = client.get(f"{muni}/{sent['id']}", headers=officer).get_json()
    assert one["assessment"]["days_left"] == 56 and one["assessment"]["decision"] is None
    assert client.post(muni, json=body, headers=officer).status_code == 404

    # Another cooperative and another municipality: 404.
    other = make_user(make_org("cooperative", slug="rc-api-elders"), "board")
    assert client.get(f"{url}/{sent['id']}", headers=_token(other)).status_code == 404
    elders = make_org("municipality", slug="rc-api-gem")
    stranger = _token(make_user(elders, "procurement_officer"))
    assert (
        client.get(
            f"/api/v1/orgs/{elders.slug}/challenges/{sent['id']}", headers=stranger
        ).status_code
        == 404
    )


# -- demo ----------------------------------------------------------------------------------
def test_demo_challenge_by_hoogeloon_to_bladel_is_in_assessment_and_idempotent(
    db, make_org, make_user
):
    from koepel.bids import involvement
    from koepel.platform.demo import demo_email

    orgs = {
        "bladel": make_org("municipality", slug="bladel", name="Gemeente Bladel"),
        "hoogeloon": make_org("cooperative", slug="hoogeloon", name="Zorgcoöperatie Hoogeloon"),
        "kzzn": make_org("umbrella", slug="kzzn", name="Koepel Zorgcoöperaties Zuid-Nederland"),
    }
    for local, slug, role in (
        ("inkoper.bladel", "bladel", "procurement_officer"),
        ("coordinator.hoogeloon", "hoogeloon", "coordinator"),
    ):
        make_user(orgs[slug], role, email=demo_email(local))
    assert ops.load_demo(orgs) > 0
    assert ops.load_demo(orgs) == 0  # idempotent
    bladel, hoogeloon = orgs["bladel"], orgs["hoogeloon"]
    with acting_for(bladel.id):
        (challenge,) = ops.submitted_to(bladel)
        ex = ops.exchange(challenge)
    assert challenge.tenant_id == hoogeloon.id and challenge.task_name == ops.DEMO_TASK
    clock = ex.countdown()
    assert ex.assessment is not None and not ex.decided and ex.open_request is None
    assert clock.paused_days == 3 and clock.suspended_since is None and not clock.overdue
    assert clock.due_date == clock.registered_on + timedelta(days=56 + 3)
    assert ops.compare_cost(challenge.estimated_budget, challenge.cost_at_submission).not_higher
    with acting_for(hoogeloon.id):
        (invitation,) = involvement.invitations_for(hoogeloon)
    assert invitation.title == ops.DEMO_TABLE
    assert invitation.response.answer.value == "bidder"
    with acting_for(orgs["kzzn"].id):
        (invitation,) = involvement.invitations_for(orgs["kzzn"])
    assert invitation.response is None


def test_an_umbrella_starts_a_challenge_for_a_member_through_the_pages(
    app, db, rtc, make_org, make_user
):
    umbrella = make_org("umbrella", slug="rc-koepel", name="Koepel Zuid")
    member = make_org("cooperative", slug="rc-lid", name="Zorgcoöperatie Elsendorp")
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=umbrella.id,
            child_id=member.id,
            start_date=date(2020, 1, 1),
        )
    )
    db.session.flush()
    client = client_for(app, make_user(umbrella, "staff"))
    url = f"/{umbrella.slug}/challenges/new"
    page = client.get(url).get_data(as_text=True)
    assert "Namens welke coöperatie?" in page and "Zorgcoöperatie Elsendorp" in page
    assert "Zorgcoöperatie Hoogeloon" not in page  # not a member
    data = {"municipality": str(rtc["bladel"].id), "csrf_token": csrf_from(page)}
    refused = client.post(url, data={**data, "on_behalf_of": str(rtc["coop"].id)})
    assert refused.status_code == 200 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert "Zorgcoöperatie Hoogeloon is geen lid van uw koepel" in refused.get_data(as_text=True)
    missing = client.post(url, data=data)
    assert "Kies de coöperatie namens wie de koepel" in missing.get_data(as_text=True)
    made = client.post(url, data={**data, "on_behalf_of": str(member.id)})
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "namens Zorgcoöperatie Elsendorp" in page
