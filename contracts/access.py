"""Who may do what in the contracts module (added to the platform's one policy table).

What a role may do is checked here; *which* contract, agreement or budget an organisation
may see (its own, or one it is a party or partner in) is decided by the named functions in
the rule modules."""

from __future__ import annotations

from koepel.platform import policy

WORKERS = (
    "procurement_officer",
    "policy_officer",
    "reviewer",
    "contract_manager",
    "staff",
    "board",
    "coordinator",
    "contact",
)  # everyone but volunteers
MANAGERS = ("procurement_officer", "contract_manager", "staff", "board", "coordinator", "contact")

ACTIONS: dict[str, tuple[str, ...]] = {
    "contracts.view": WORKERS,
    "contracts.manage": MANAGERS,  # enter, change, options, documents, payments, partnerships
    "contracts.sign": ("procurement_officer", "contract_manager", "staff", "board", "contact"),
    "contracts.report": ("coordinator", "staff", "board", "contact"),  # KPIs, volumes, hours
    "framework.view": ("procurement_officer", "policy_officer", "reviewer", "contact"),
    "framework.manage": ("procurement_officer",),  # catalogue, volumes, call-offs, decisions
    "framework.report": ("contact", "coordinator", "board", "staff"),  # 4-weekly reports
    "budgets.view": WORKERS,
    "budgets.manage": MANAGERS,  # budgets, allocation proposals, delivery records
    "budgets.approve": ("procurement_officer", "contract_manager"),  # the funder approves
}


def register() -> None:
    policy.register_actions(ACTIONS)
