"""The contracts module's tables: contracts with their parties, options, KPIs, payments
and partnership agreements (``core``); framework agreements with catalogue, volumes,
call-offs and reports (``framework``); budgets, allocations, pooled district settlements and
arrangement financing (``budgets``)."""

from koepel.contracts.models import budgets, core, framework, umbrella  # noqa: F401
