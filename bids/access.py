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
    "tenders.answer": ("procurement_officer", "policy_officer"),  # answer assigned questions
    "challenges.view": ("procurement_officer", "policy_officer", "reviewer"),
    "challenges.assess": ("procurement_officer", "policy_officer"),  # register, ask, decide
    "involvement.manage": ("procurement_officer", "policy_officer"),  # invite local initiatives
    # a bidder (cooperative, umbrella, provider) and consortium partners
    "bids.view": ("board", "coordinator", "staff", "contact"),
    "bids.manage": BIDDERS,  # prepare, submit, withdraw, confirm participation
    "challenges.submit": BIDDERS,  # a challenge, also by an umbrella on behalf of members
    "dossier.view": ("board", "coordinator", "staff", "contact"),
    "dossier.manage": BIDDERS,  # standing documents, declarations, attachments
}


def register() -> None:
    policy.register_actions(ACTIONS)
