"""Tenancy: every query on a tenant-owned table is scoped to the acting organisation.

A *scope* is held in a context variable for the duration of a request, job or command:

- ``acting_for(tenant_id)``: ORM queries on ``TenantOwned`` models get
  ``tenant_id = :tenant`` added (``with_loader_criteria``), so a forgotten filter cannot
  leak; new rows get the tenant filled in, and writing another tenant's row fails.
- ``cross_tenant(reason)``: no criteria. Only the access-policy module and platform
  plumbing (audit chain, job runner, CLI) open it, always with a reason that names why.
- no scope at all: touching a tenant-owned table raises ``TenancyError``. Failing loudly
  beats returning everybody's rows.

Core statements on ``Table`` objects are not ORM statements and are not scoped; domain
code uses the ORM. On PostgreSQL, row-level security (``koepel.platform.rls``) enforces
the same scope inside the database for every statement, raw SQL included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql.util import find_tables

from koepel.platform import rls


class TenancyError(RuntimeError):
    """Tenant-owned data was touched outside a scope, or across tenants."""


@dataclass(frozen=True)
class Scope:
    tenant_id: int | None
    reason: str | None = None  # set for cross-tenant scopes

    @property
    def is_cross_tenant(self) -> bool:
        return self.tenant_id is None


_scope: ContextVar[Scope | None] = ContextVar("koepel_tenancy_scope", default=None)


@contextmanager
def acting_for(tenant_id: int) -> Iterator[Scope]:
    if not isinstance(tenant_id, int):
        raise TenancyError("acting_for needs an organisation id")
    scope = Scope(tenant_id)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def cross_tenant(reason: str) -> Iterator[Scope]:
    if not reason:
        raise TenancyError("a cross-tenant scope must say why")
    scope = Scope(None, reason)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_tenant_id() -> int | None:
    scope = _scope.get()
    return scope.tenant_id if scope else None


class TenantOwned:
    """Mixin for every table a tenant owns. ``tenant_id`` leads the table's indexes."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("organisation.id", ondelete="RESTRICT"), index=True, nullable=False
        )


_tenant_tables: tuple[int, frozenset] = (-1, frozenset())


def _tenant_owned_tables() -> frozenset:
    """The tables of all TenantOwned models, recomputed when models are added."""
    global _tenant_tables
    from koepel.platform.extensions import db

    mappers = db.Model.registry.mappers
    if _tenant_tables[0] != len(mappers):
        owned = frozenset(m.local_table for m in mappers if issubclass(m.class_, TenantOwned))
        _tenant_tables = (len(mappers), owned)
    return _tenant_tables[1]


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    if any(issubclass(m.class_, TenantOwned) for m in state.all_mappers):
        return True
    # all_mappers misses an entity named only in FROM, e.g. select(func.count())
    # .select_from(Member); look at the tables themselves.
    tables = _tenant_owned_tables()
    found = find_tables(state.statement, include_joins=True, include_aliases=True)
    return any(t in tables for t in found)


def _database_view(scope: Scope | None) -> str:
    if scope is None:
        return ""
    return rls.ALL if scope.is_cross_tenant else str(scope.tenant_id)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    scope = _scope.get()
    rls.sync(state.session, _database_view(scope))  # PostgreSQL's own wall, for any SQL
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if not _touches_tenant_data(state):
        return
    if scope is None:
        raise TenancyError("tenant-owned data queried outside a tenancy scope")
    if scope.is_cross_tenant:
        return
    tenant_id = scope.tenant_id
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _guard_writes(session: Session, _context, _instances) -> None:
    owned = [o for o in session.new if isinstance(o, TenantOwned)]
    changed = [o for o in (*session.dirty, *session.deleted) if isinstance(o, TenantOwned)]
    if not owned and not changed:
        return
    scope = _scope.get()
    if scope is None:
        raise TenancyError("tenant-owned data written outside a tenancy scope")
    rls.sync(session, _database_view(scope))
    for obj in owned:
        if obj.tenant_id is None:
            if not scope.is_cross_tenant:
                obj.tenant_id = scope.tenant_id
            elif not type(obj).__table__.c.tenant_id.nullable:
                raise TenancyError(f"{type(obj).__name__} needs an explicit tenant_id here")
    if scope.is_cross_tenant:
        return
    for obj in (*owned, *changed):
        if obj.tenant_id != scope.tenant_id:
            raise TenancyError(f"{type(obj).__name__} belongs to another tenant")
