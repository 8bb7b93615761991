"""The reusable dossier: standing documents kept once with versions and validity, the
dossier page (valid, expiring, expired; uploads that keep what was typed), who may see it,
and the reminders before a document expires (once per document and reminder date)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from koepel.bids import dossier
from koepel.bids.models.dossier import DossierDocument, DossierKind
from koepel.platform import schedule
from koepel.platform.models import AuditEvent
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import AMSTERDAM

from conftest import client_for, csrf_from

TODAY = date(2026, 3, 2)


@pytest.fixture
def coop(db, make_org, make_user):
    org = make_org("cooperative", slug="d-hoogeloon", name="Zorgcoöperatie Hoogeloon")
    return {
        "org": org,
        "coordinator": make_user(org, "coordinator"),
        "board": make_user(org, "board"),
        "volunteer": make_user(org, "volunteer"),
    }


def _add(org, kind, title, *, expires_on=None, valid_from=None, data=b"%PDF-1.4 doc", actor=None):
    with acting_for(org.id):
        return dossier.add_document(
            actor=actor,
            org=org,
            kind=kind,
            title=title,
            filename=f"{kind.value}.pdf",
            data=data,
            valid_from=valid_from,
            expires_on=expires_on,
        )


def test_a_new_version_replaces_the_current_one_and_history_is_kept(db, coop, make_org):
    org, user = coop["org"], coop["coordinator"]
    first = _add(org, DossierKind.INSURANCE, "Verzekering 2025", actor=user)
    second = _add(org, DossierKind.INSURANCE, "Verzekering 2026", actor=user)
    plan = _add(org, DossierKind.OTHER, "Klachtenregeling", actor=user)
    privacy = _add(org, DossierKind.OTHER, "Privacyreglement", actor=user)
    plan_again = _add(org, DossierKind.OTHER, "klachtenregeling ", actor=user)
    with acting_for(org.id):
        current = dossier.current_documents()
        earlier = dossier.earlier_versions()
        assert [d.id for d in current] == [second.id, plan_again.id, privacy.id]
        assert {d.id for d in earlier} == {first.id, plan.id}
        assert second.replaces_id == first.id and first.superseded_at is not None
        assert dossier.read_document(second) == b"%PDF-1.4 doc"
        assert len(second.sha256) == 64
    with acting_for(org.id):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dossier.document_added")
        ).all()
    assert len(events) == 5 and events[1].summary["after"]["replaces"] == first.id
    # Another organisation does not see them.
    with acting_for(make_org("cooperative").id):
        assert db.session.scalars(select(DossierDocument)).all() == []


def test_validity_valid_expiring_expired_not_yet():
    assert dossier.validity(None, None, TODAY) == dossier.Validity.VALID
    assert dossier.validity(TODAY + timedelta(days=31), None, TODAY) == dossier.Validity.VALID
    assert dossier.validity(TODAY + timedelta(days=30), None, TODAY) == dossier.Validity.EXPIRING
    assert dossier.validity(TODAY, None, TODAY) == dossier.Validity.EXPIRING  # its last day
    assert dossier.validity(TODAY - timedelta(days=1), None, TODAY) == dossier.Validity.EXPIRED
    assert dossier.validity(None, TODAY + timedelta(days=1), TODAY) == dossier.Validity.NOT_YET


def test_bad_input_is_refused_with_the_field_named(db, coop, make_org):
    org = coop["org"]
    with acting_for(org.id):
        for kwargs, field in (
            ({"title": " "}, "title"),
            ({"filename": "virus.exe"}, "file"),
            ({"data": b""}, "file"),
            (
                {"valid_from": date(2026, 5, 1), "expires_on": date(2026, 4, 1)},
                "expires_on",
            ),
        ):
            arguments = {
                "actor": None,
                "org": org,
                "kind": DossierKind.KVK,
                "title": "KvK",
                "filename": "kvk.pdf",
                "data": b"%PDF",
            } | kwargs
            with pytest.raises(dossier.DossierError) as err:
                dossier.add_document(**arguments)
            assert err.value.field == field
    municipality = make_org("municipality")
    with acting_for(municipality.id), pytest.raises(dossier.DossierError):
        dossier.add_document(
            actor=None,
            org=municipality,
            kind=DossierKind.KVK,
            title="KvK",
            filename="kvk.pdf",
            data=b"%PDF",
        )


def test_the_page_shows_valid_expiring_and_expired_documents(app, db, coop):
    org = coop["org"]
    today = dossier.local_today()
    _add(org, DossierKind.KVK, "Uittreksel KvK")
    _add(org, DossierKind.INSURANCE, "Verzekering", expires_on=today + timedelta(days=12))
    _add(org, DossierKind.VOG_POLICY, "VOG-beleid", expires_on=today - timedelta(days=1))
    client = client_for(app, coop["coordinator"])
    page = client.get(f"/{org.slug}/dossier").get_data(as_text=True)
    verlopen, binnenkort, geldig = (
        page.index('<caption class="utrecht-table__caption">Verlopen</caption>'),
        page.index("Verloopt binnen 30 dagen</caption>"),
        page.index('<caption class="utrecht-table__caption">Geldig</caption>'),
    )
    assert verlopen < page.index("VOG-beleid") < binnenkort < page.index(">Verzekering<")
    assert binnenkort < geldig < page.index("Uittreksel KvK")
    assert "1 document is verlopen" in page and "1 document verloopt binnen 30 dagen" in page


def test_upload_through_the_page_and_download(app, db, coop):
    org = coop["org"]
    client = client_for(app, coop["coordinator"])
    url = f"/{org.slug}/dossier"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "kind": "uea",
            "title": "Eigen verklaring 2026",
            "file": (io.BytesIO(b"%PDF-1.4 verklaring"), "uea.pdf"),
            "valid_from": "2026-01-01",
            "expires_on": "2030-12-31",
        },
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Eigen verklaring 2026 staat in uw dossier." in page
    with acting_for(org.id):
        (document,) = dossier.current_documents()
    assert document.kind == DossierKind.UEA and document.expires_on == date(2030, 12, 31)
    download = client.get(f"{url}/{document.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 verklaring"
    assert "attachment" in download.headers["Content-Disposition"]


def test_wrong_type_or_oversized_file_gets_a_message_and_keeps_what_was_typed(app, db, coop):
    org = coop["org"]
    client = client_for(app, coop["coordinator"])
    url = f"/{org.slug}/dossier"
    for filename, data, message in (
        ("verklaring.exe", b"MZ", "Dit soort bestand kan niet."),
        ("verklaring.pdf", b"x" * (10 * 1024 * 1024 + 1), "Het bestand is groter dan 10 MB."),
    ):
        token = csrf_from(client.get(url).get_data(as_text=True))
        response = client.post(
            url,
            data={
                "csrf_token": token,
                "kind": "insurance",
                "title": "Verzekering & aansprakelijkheid",
                "file": (io.BytesIO(data), filename),
                "expires_on": "2027-06-30",
            },
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 200, filename
        assert message in page and 'id="file-error"' in page
        assert 'value="Verzekering &amp; aansprakelijkheid"' in page
        assert 'value="2027-06-30"' in page and '<option selected value="insurance">' in page
        assert "Kies het bestand opnieuw" in page
    with acting_for(org.id):
        assert dossier.current_documents() == []


def test_who_sees_a_dossier(app, db, coop, make_org, make_user):
    org = coop["org"]
    document = _add(org, DossierKind.KVK, "Uittreksel KvK")
    url = f"/{org.slug}/dossier"
    volunteer = client_for(app, coop["volunteer"])
    assert volunteer.get(url).status_code == 403
    other = make_org("cooperative", slug="d-casteren")
    stranger = client_for(app, make_user(other, "coordinator"))
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/{other.slug}/dossier/{document.id}").status_code == 404
    municipality = make_org("municipality", slug="d-bladel")
    officer = client_for(app, make_user(municipality, "procurement_officer"))
    assert officer.get(f"/{municipality.slug}/dossier").status_code == 404
    provider = make_org("provider", slug="d-puurzuid")
    contact = client_for(app, make_user(provider, "contact"))
    assert contact.get(f"/{provider.slug}/dossier").status_code == 200


def test_reminders_go_once_per_document_and_reminder_date(
    app, db, coop, make_org, mailbox, run_jobs
):
    org = coop["org"]
    insurance = _add(
        org, DossierKind.INSURANCE, "Verzekering", expires_on=TODAY + timedelta(days=30)
    )
    _add(org, DossierKind.KVK, "Uittreksel KvK", expires_on=TODAY + timedelta(days=45))
    _add(org, DossierKind.VOG_POLICY, "VOG-beleid", expires_on=TODAY - timedelta(days=1))
    _add(org, DossierKind.QUALITY_MARK, "Keurmerk oud", expires_on=TODAY + timedelta(days=7))
    _add(org, DossierKind.QUALITY_MARK, "Keurmerk nieuw", expires_on=TODAY + timedelta(days=700))
    other = make_org("provider", slug="d-elders")
    insurance_id = insurance.id  # (objects expire at each commit below)
    assert dossier.due_reminders(TODAY) == [(insurance_id, org.id, TODAY)]

    def run(day: date, hour: int = 9) -> list:
        """``koepel tick`` at this hour of the day (Dutch time), then the jobs."""
        ticked = schedule.tick(datetime.combine(day, time(hour), AMSTERDAM).astimezone(UTC))
        assert isinstance(ticked["dossier.remind_expiry"], int)
        run_jobs()
        return [m for m in mailbox() if "Verzekering" in m.get_content()]

    sent = run(TODAY)
    managers = {coop["coordinator"].email, coop["board"].email}
    assert sorted(m["To"] for m in sent) == sorted(managers)  # not the volunteer
    body = sent[0].get_content()
    assert "Zorgcoöperatie Hoogeloon" in body and "over 30 dagen" in body
    assert f"/{org.slug}/dossier" in body
    assert len(run(TODAY, hour=9)) == 2  # the same tick again: nothing new
    assert len(run(TODAY, hour=15)) == 2  # a later tick that day: nothing new
    assert len(run(TODAY + timedelta(days=1))) == 2  # the 30-day reminder was sent
    week = run(TODAY + timedelta(days=23))  # 7 days before: the second reminder
    assert len(week) == 4 and sum("over 7 dagen" in m.get_content() for m in week) == 2
    assert len(run(TODAY + timedelta(days=24))) == 4
    # A day missed by the scheduler is caught up once, with the nearest reminder only.
    late = _add(other, DossierKind.UEA, "Verklaring", expires_on=TODAY + timedelta(days=5)).id
    assert dossier.due_reminders(TODAY) == [
        (insurance_id, org.id, TODAY),
        (late, other.id, TODAY - timedelta(days=2)),
    ]
