"""PostgreSQL row-level security: the second wall behind ORM scoping.

Every tenant-owned table has a policy (made by the migrations) that shows a row only when
the transaction-local setting ``koepel.tenant`` is that row's ``tenant_id``, or ``all``
for a cross-tenant scope. The tenancy module keeps the setting in step with the scope
through ``sync``, so even raw SQL that forgets the tenant sees only the acting tenant's
rows. It binds only a database role that is neither superuser nor BYPASSRLS: run the app
as such a role in production (the test suite does).

The last value set is cached on the connection and forgotten whenever the database would
forget it (commit, rollback, rollback to a savepoint, the pool's reset), so a request
usually costs one extra ``set_config`` statement.
"""

from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

SETTING = "koepel.tenant"
ALL = "all"
_KEY = "koepel_rls_tenant"
_SET = text("SELECT set_config('koepel.tenant', :value, true)")


def sync(session: Session, value: str) -> None:
    """Make the database's view match the scope (``""`` none, ``all``, or a tenant id)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    if connection.info.get(_KEY, "") == value:
        return
    connection.execute(_SET, {"value": value})
    connection.info[_KEY] = value


def _forget(conn, *_args) -> None:
    # A connection lost mid-transaction is rolled back without a server to talk to; asking
    # for its info would try to reconnect and hide the real error. Its cached value is
    # dropped when the pool connects it again (below).
    if conn.invalidated:
        return
    conn.info.pop(_KEY, None)


for _name in ("commit", "rollback", "rollback_savepoint"):
    event.listen(Engine, _name, _forget)


@event.listens_for(Pool, "connect")
def _forget_on_connect(_dbapi_connection, record) -> None:
    record.info.pop(_KEY, None)  # a new server session knows no setting yet


@event.listens_for(Pool, "reset")
def _forget_on_reset(_dbapi_connection, record, _reset_state) -> None:
    record.info.pop(_KEY, None)
