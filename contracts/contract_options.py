"""Options to extend a contract (Brunssum: 2 years + twice a 1-year option), the decision
on each, and the reminder to the managers before an open option's decision date.

Options are exercised in order: an option can only be exercised when every earlier one was,
and declining one lets the later ones lapse (they are declined with it). Exercising after
the decision date is refused; the option is then declined. ``koepel tick`` runs
``remind_options``: one keyed job per open option whose decision date is at most the
contract's ``option_reminder_days`` away; the job records the date it reminded of, so a
second tick (or a retried job) sends nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from koepel.contracts.contracting import OPEN_STATUSES, today_local
from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.core import (
    Contract,
    ContractOption,
    ContractStatus,
    OptionStatus,
    add_months,
)
from koepel.platform import audit, policy
from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, enqueue, job
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation, OrgRole, User
from koepel.platform.schedule import periodic
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import format_date_local, utcnow

MAX_OPTIONS = 10


def add_option(
    *, actor: User, owner: Organisation, contract: Contract, months: int, decision_date: date
) -> ContractOption:
    """Add the next option (while the contract is a draft: options are part of its terms)."""
    if contract.status != ContractStatus.DRAFT:
        raise ContractRuleError(_("Opties horen bij het concept-contract; dat is al getekend."))
    if not isinstance(months, int) or not 1 <= months <= 120:
        raise ContractRuleError(_("Een optie verlengt met 1 tot 120 maanden."), "months")
    if decision_date is None:
        raise ContractRuleError(_("Vul de beslisdatum in."), "decision_date")
    if len(contract.options) >= MAX_OPTIONS:
        raise ContractRuleError(_("Een contract heeft hoogstens tien opties."))
    last = contract.options[-1] if contract.options else None
    if last is not None and decision_date <= last.decision_date:
        raise ContractRuleError(
            _(
                "De beslisdatum komt na die van de vorige optie (%(d)s).",
                d=_day(last.decision_date),
            ),
            "decision_date",
        )
    # The option extends the term as it stands once every earlier option is exercised.
    term = contract.initial_months + sum(o.months for o in contract.options)
    runs_until = add_months(contract.start_date, term) - timedelta(days=1)
    if decision_date > runs_until:
        raise ContractRuleError(
            _(
                "Over een optie wordt beslist voordat het contract afloopt (%(d)s).",
                d=_day(runs_until),
            ),
            "decision_date",
        )
    option = ContractOption(
        tenant_id=contract.tenant_id,
        contract_id=contract.id,
        number=(last.number + 1) if last else 1,
        months=months,
        decision_date=decision_date,
    )
    contract.options.append(option)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=owner.id,
        action="contract.option_added",
        obj_type="contract",
        obj_id=contract.id,
        after={"option": option.number, "months": months, "decision_date": decision_date},
    )
    return option


def _day(day: date) -> str:
    return format_date_local(day, format="long")


def decide(
    *,
    actor: User,
    owner: Organisation,
    contract: Contract,
    option_id: int,
    exercise: bool,
    note: str = "",
    now: datetime | None = None,
) -> ContractOption:
    """Exercise (extend the contract) or decline an option of a signed or running contract."""
    now = now or utcnow()
    option = next((o for o in contract.options if o.id == option_id), None)
    if option is None:
        raise ContractRuleError(_("Deze optie hoort niet bij dit contract."))
    if contract.status not in OPEN_STATUSES:
        raise ContractRuleError(_("Over opties beslist u als het contract getekend is en loopt."))
    if option.status != OptionStatus.OPEN:
        raise ContractRuleError(_("Over deze optie is al beslist."))
    earlier = [o for o in contract.options if o.number < option.number]
    if any(o.status == OptionStatus.OPEN for o in earlier):
        raise ContractRuleError(_("Beslis eerst over de eerdere optie."))
    if exercise and any(o.status == OptionStatus.DECLINED for o in earlier):
        raise ContractRuleError(_("Een eerdere optie is niet gelicht; deze vervalt daarmee."))
    if exercise and today_local(now) > option.decision_date:
        raise ContractRuleError(
            _(
                "De beslisdatum (%(d)s) is voorbij. De optie kan niet meer worden gelicht.",
                d=_day(option.decision_date),
            )
        )
    old_end = contract.end_date
    lapsed = []
    option.status = OptionStatus.EXERCISED if exercise else OptionStatus.DECLINED
    option.decided_at, option.decided_by_id, option.note = now, actor.id, (note or "").strip()
    if not exercise:
        for later in contract.options:
            if later.number > option.number and later.status == OptionStatus.OPEN:
                later.status, later.decided_at, later.decided_by_id = (
                    OptionStatus.DECLINED,
                    now,
                    actor.id,
                )
                later.note = _("Vervallen: optie %(n)d is niet gelicht.", n=option.number)
                lapsed.append(later.number)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=owner.id,
        action="contract.option_exercised" if exercise else "contract.option_declined",
        obj_type="contract",
        obj_id=contract.id,
        before={"end_date": old_end},
        after={
            "option": option.number,
            "end_date": contract.end_date,
            "lapsed": lapsed,
            "note": option.note,
        },
    )
    return option


# -- the reminder ---------------------------------------------------------------------------
def due_reminders(today: date) -> list[tuple[int, int, date]]:
    """(option, contract owner, decision date) of open options of signed or running
    contracts whose decision date is at most the contract's reminder days away and whose
    managers were not yet reminded of that date."""
    with cross_tenant("the reminder task looks for option decisions that come near"):
        rows = db.session.execute(
            select(ContractOption, Contract.tenant_id, Contract.option_reminder_days)
            .join(Contract, Contract.id == ContractOption.contract_id)
            .where(
                ContractOption.status == OptionStatus.OPEN,
                ContractOption.decision_date >= today,
                Contract.status.in_(OPEN_STATUSES),
            )
        ).all()
        due = [
            (option.id, owner_id, option.decision_date)
            for option, owner_id, days in rows
            if (option.decision_date - today).days <= days
            and option.reminded_for != option.decision_date
        ]
    return due


@periodic("contracts.remind_options")
def remind_options(now: datetime) -> int:
    """Run by ``koepel tick``: one keyed reminder job per option decision that comes near,
    acting for the contract's owner."""
    due = due_reminders(today_local(now))
    for option_id, owner_id, decision_date in due:
        enqueue(
            "contracts.option_reminder",
            tenant_id=owner_id,
            kwargs={"option_id": option_id, "decision_date": decision_date.isoformat()},
            key=f"contracts.option_reminder:{option_id}:{decision_date.isoformat()}",
        )
    return len(due)


def manager_emails(org_ids: Iterable[int], action: str = "contracts.manage") -> list[str]:
    """The people of these organisations whose role allows ``action``."""
    return list(
        db.session.scalars(
            select(User.email)
            .join(OrgRole, OrgRole.user_id == User.id)
            .where(
                OrgRole.organisation_id.in_(list(org_ids)),
                OrgRole.role.in_(policy.ACTIONS[action]),
                User.is_active_account.is_(True),
            )
            .distinct()
            .order_by(User.email)
        )
    )


@job("contracts.option_reminder")
def send_reminder(ctx: JobContext, option_id: int, decision_date: str) -> None:
    """E-mail the owner's contract managers once per decision date (in the owner's scope)."""
    option = db.session.scalar(
        select(ContractOption)
        .where(ContractOption.id == option_id)
        .options(selectinload(ContractOption.contract))
        .with_for_update()
    )
    day = date.fromisoformat(decision_date)
    if (
        option is None
        or option.status != OptionStatus.OPEN
        or option.decision_date != day
        or option.reminded_for == day
        or option.contract.status not in OPEN_STATUSES
    ):
        return  # decided, moved or already reminded: nothing to say
    option.reminded_for = day
    contract = option.contract
    db.session.flush()
    audit.record(
        db.session,
        actor=None,
        tenant_id=contract.tenant_id,
        action="contract.option_reminder_sent",
        obj_type="contract",
        obj_id=contract.id,
        after={"option": option.number, "decision_date": day},
    )
    subject = _("Beslis over optie %(n)d: %(title)s", n=option.number, title=contract.title)
    body = "\n\n".join(
        [
            _(
                "Uiterlijk op %(day)s beslist u of u optie %(n)d van het contract "
                "'%(title)s' licht. De optie verlengt het contract met %(months)d maanden.",
                day=_day(day),
                n=option.number,
                title=contract.title,
                months=option.months,
            ),
            _(
                "Het contract loopt nu tot en met %(end)s. Legt u de beslissing vast op de "
                "pagina van het contract.",
                end=_day(contract.end_date),
            ),
        ]
    )
    for address in manager_emails([contract.tenant_id]):
        queue_email(to=address, subject=subject, body=body + "\n", tenant_id=contract.tenant_id)
