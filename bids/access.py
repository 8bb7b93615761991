"""Who may do what in the bids module (added to the platform's one policy table)."""

from __future__ import annotations

from koepel.platform import policy

BUYERS = ("procurement_officer",)
BIDDERS = ("board", "coordinator", "staff", "contact")

ACTIONS: dict[str, tuple[str, ...]] = {
    # the buyer (municipality or region)
    "tenders.view": ("procurement_officer", "reviewer", "policy_officer"),
    "tenders.manage": BUYERS,  # create, publish, correct, cancel
    "tenders.open": BUYERS,  # one of the two officials of the opening
    "tenders.evaluate": ("procurement_officer", "reviewer"),
    "tenders.award": BUYERS,
    # a bidder (cooperative, umbrella, provider) and consortium partners
    "bids.view": ("board", "coordinator", "staff", "contact"),
    "bids.manage": BIDDERS,  # prepare, submit, withdraw, confirm participation
}


def register() -> None:
    policy.register_actions(ACTIONS)
