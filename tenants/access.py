"""Who may do what in the tenants module (added to the platform's one policy table)."""

from __future__ import annotations

from koepel.platform import policy

COOP_MANAGERS = ("board", "coordinator")
UMBRELLA = ("staff", "board")

ACTIONS: dict[str, tuple[str, ...]] = {
    # inside a cooperative
    "coop.profile.view": ("board", "coordinator", "volunteer"),
    "coop.profile.manage": COOP_MANAGERS,
    "coop.dashboard.view": COOP_MANAGERS,
    "members.view": COOP_MANAGERS,  # personal data: names, addresses, phone numbers
    "members.manage": COOP_MANAGERS,
    "members.export": COOP_MANAGERS,
    "members.erase": ("board",),
    "volunteers.view": ("board", "coordinator", "volunteer"),  # names and skills only
    "volunteers.manage": COOP_MANAGERS,
    "services.view": ("board", "coordinator", "volunteer"),
    "services.manage": COOP_MANAGERS,
    "help.view": ("board", "coordinator", "volunteer"),  # volunteers: their own, no address
    "help.manage": COOP_MANAGERS,
    "hours.log": ("board", "coordinator", "volunteer"),
    "umbrella.respond": ("board",),  # accept or decline an umbrella's invitation; leave
    "umbrella.consent": ("board",),  # let the umbrella see per-person data, or revoke
    "umbrella.assistance": ("board",),  # let umbrella staff work on our behalf
    # inside an umbrella
    "umbrella.dashboard.view": UMBRELLA,
    "umbrella.members.invite": UMBRELLA,
    "umbrella.news.publish": ("staff",),
    "umbrella.report.create": UMBRELLA,
    # a municipality or region finding the cooperatives in its area
    "area.cooperatives.view": ("procurement_officer", "reviewer", "policy_officer"),
}


def register() -> None:
    policy.register_actions(ACTIONS)
