"""Who may do what: the one access-policy module.

Read the tables top to bottom: which roles each kind of organisation has, then which
roles may perform each action inside their own organisation. Reading *across*
organisations happens only through the named functions at the bottom, each of which
says whose data it reveals to whom and why.

Domain modules add their actions to ``ACTIONS`` via ``register_actions`` at import time,
so the whole table can still be printed and tested in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koepel.platform.extensions import db
from koepel.platform.models import (
    Affiliation,
    AffiliationKind,
    Invitation,
    Organisation,
    OrgKind,
    OrgRole,
    User,
)
from koepel.platform.tenancy import cross_tenant

# -- Roles per kind of organisation -------------------------------------------------------
ROLES: dict[OrgKind, tuple[str, ...]] = {
    OrgKind.UMBRELLA: ("staff", "board"),
    OrgKind.COOPERATIVE: ("board", "coordinator", "volunteer"),
    OrgKind.MUNICIPALITY: ("procurement_officer", "reviewer", "policy_officer"),
    OrgKind.REGION: ("procurement_officer", "reviewer", "policy_officer"),
    OrgKind.PROVIDER: ("contact",),
    OrgKind.INSURER: ("contract_manager",),
}

ROLE_LABELS = {
    "staff": _l("medewerker koepel"),
    "board": _l("bestuur"),
    "coordinator": _l("coördinator"),
    "volunteer": _l("vrijwilliger"),
    "procurement_officer": _l("inkoper"),
    "reviewer": _l("beoordelaar"),
    "policy_officer": _l("beleidsmedewerker"),
    "contact": _l("contactpersoon"),
    "contract_manager": _l("contractmanager"),
}

KIND_LABELS = {
    OrgKind.UMBRELLA: _l("koepel"),
    OrgKind.COOPERATIVE: _l("zorgcoöperatie"),
    OrgKind.MUNICIPALITY: _l("gemeente"),
    OrgKind.REGION: _l("regio"),
    OrgKind.PROVIDER: _l("zorgaanbieder"),
    OrgKind.INSURER: _l("zorgverzekeraar"),
}

ANY_ROLE = frozenset(r for roles in ROLES.values() for r in roles)
MANAGERS = frozenset(
    {"board", "staff", "coordinator", "procurement_officer", "contact", "contract_manager"}
)

# -- Actions inside one's own organisation ---------------------------------------------
#  action                  roles that may perform it
ACTIONS: dict[str, frozenset[str]] = {
    "org.view": ANY_ROLE,  # the organisation's home page
    "org.people.view": MANAGERS | {"policy_officer", "reviewer"},  # who holds which role
    "org.people.invite": MANAGERS,  # invite someone into a role
    "org.audit.view": frozenset({"board", "staff", "procurement_officer", "contract_manager"}),
    "org.jobs.view": ANY_ROLE,  # progress of a job this organisation started
}


def register_actions(actions: dict[str, Iterable[str]]) -> None:
    for name, roles in actions.items():
        if name in ACTIONS:
            raise ValueError(f"action {name} is defined twice")
        unknown = set(roles) - ANY_ROLE
        if unknown:
            raise ValueError(f"action {name} names unknown roles {sorted(unknown)}")
        ACTIONS[name] = frozenset(roles)


def can(roles: Iterable[str], action: str) -> bool:
    """May someone holding ``roles`` in an organisation perform ``action`` there?"""
    allowed = ACTIONS[action]  # a KeyError for an unknown action is a programming error
    return any(r in allowed for r in roles)


def roles_for_kind(kind: OrgKind) -> tuple[str, ...]:
    return ROLES[kind]


def assignable_roles(kind: OrgKind) -> list[tuple[str, str]]:
    return [(r, str(ROLE_LABELS[r])) for r in ROLES[kind]]


# -- Membership lookups (not tenant data: the access-control data itself) -----------------
def roles_of(user: User, org: Organisation) -> set[str]:
    rows = db.session.scalars(
        select(OrgRole.role).where(OrgRole.user_id == user.id, OrgRole.organisation_id == org.id)
    )
    return set(rows)


def organisations_of(user: User) -> list[Organisation]:
    stmt = (
        select(Organisation)
        .join(OrgRole, OrgRole.organisation_id == Organisation.id)
        .where(OrgRole.user_id == user.id, Organisation.is_active.is_(True))
        .distinct()
        .order_by(Organisation.name)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Access:
    org: Organisation
    roles: set[str]
    # Set when the user has no role of their own here but acts for the organisation at
    # its request (assisted work): how the audit log and the pages name that.
    on_behalf_of: str | None = None


# A role source grants roles a user does not hold directly (e.g. umbrella staff helping
# a member cooperative that asked for it): ``fn(user, org) -> (roles, label) | None``.
RoleSource = Callable[[User, Organisation], "tuple[set[str], str] | None"]
_ROLE_SOURCES: list[RoleSource] = []


def register_role_source(source: RoleSource) -> None:
    if source not in _ROLE_SOURCES:
        _ROLE_SOURCES.append(source)


def access(user: User, slug: str) -> Access | None:
    """The organisation ``slug`` with the user's roles in it, or None when it does not
    exist *or* the user has no access there: callers answer both with the same 404."""
    org = db.session.scalar(
        select(Organisation).where(Organisation.slug == slug, Organisation.is_active.is_(True))
    )
    if org is None:
        return None
    roles = roles_of(user, org)
    if roles:
        return Access(org, roles)
    for source in _ROLE_SOURCES:
        granted = source(user, org)
        if granted:
            return Access(org, set(granted[0]), granted[1])
    return None


def access_org(user: User, slug: str) -> tuple[Organisation, set[str]] | None:
    found = access(user, slug)
    return (found.org, found.roles) if found else None


# -- Named cross-tenant reads -------------------------------------------------------------
def current_umbrella_members(umbrella: Organisation, on: date) -> list[Organisation]:
    """An umbrella sees *which* cooperatives are its members (names only)."""
    stmt = (
        select(Affiliation)
        .where(
            Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER,
            Affiliation.parent_id == umbrella.id,
        )
        .options(db.joinedload(Affiliation.child))
    )
    return [a.child for a in db.session.scalars(stmt) if a.is_current(on)]


def current_umbrellas_of(org: Organisation, on: date) -> list[Organisation]:
    """A cooperative sees which umbrellas it belongs to."""
    stmt = (
        select(Affiliation)
        .where(Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER, Affiliation.child_id == org.id)
        .options(db.joinedload(Affiliation.parent))
    )
    return [a.parent for a in db.session.scalars(stmt) if a.is_current(on)]


def invitation_by_token_hash(token_hash: str) -> Invitation | None:
    """The person holding an invitation link may see that one invitation, whoever owns it."""
    with cross_tenant("invitation link opened by its addressee"):
        return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))
