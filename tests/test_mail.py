"""The outbox: written with the change, sent by a job, retried, never sent twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from koepel.platform import mail
from koepel.platform.models import OutboxMessage
from koepel.platform.web import commit


def test_message_is_sent_once(db, mailbox, run_jobs):
    msg = mail.queue_email(to="a@example.org", subject="Onderwerp", body="Tekst")
    commit()
    run_jobs()
    (sent,) = mailbox()
    assert sent["Subject"] == "Onderwerp" and sent["Message-ID"] == msg.message_id
    db.session.refresh(msg)
    assert msg.status == "sent" and msg.attempts == 1
    # Running the send again (a retried job) sends nothing more.
    from koepel.platform.jobs import JobContext

    mail.send_outbox_message(JobContext("", None), msg.id)
    commit()
    assert len(mailbox()) == 1
    assert msg.attempts == 1


def test_rolled_back_change_sends_nothing(db, mailbox, run_jobs):
    mail.queue_email(to="b@example.org", subject="Nee", body="x")
    db.session.rollback()
    commit()
    run_jobs()
    assert mailbox() == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_failure_keeps_the_message_and_a_retry_sends_it(app, db, mailbox, run_jobs, monkeypatch):
    calls = {"n": 0}
    real = mail.deliver

    def flaky(email):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("mail server down")
        real(email)

    monkeypatch.setattr(mail, "deliver", flaky)
    msg = mail.queue_email(to="c@example.org", subject="Later", body="x")
    msg_id = msg.id
    commit()
    run_jobs()
    db.session.expire_all()
    msg = db.session.get(OutboxMessage, msg_id)
    if msg.status != "sent":  # inline: the failure is recorded, a later run sends it
        assert msg.attempts == 1 and "mail server down" in msg.last_error
        assert mail.send_pending() == 1
    db.session.expire_all()
    msg = db.session.get(OutboxMessage, msg_id)
    assert msg.status == "sent"
    assert len(mailbox()) == 1


def test_unknown_backend_is_an_error(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "pigeon")
    msg = mail.queue_email(to="d@example.org", subject="x", body="x")
    with pytest.raises(ValueError):
        mail.deliver(mail.build(msg))
