"""Demo data of the contracts module: the seven cases of DOMAIN.md."""

from __future__ import annotations

from koepel.contracts import budget_demo, contract_demo, frameworks, umbrella_contracting
from koepel.platform.models import Organisation

# Each area's load_demo(orgs) -> int, in order: the Brunssum and Alphen budgets first (their
# providers), then the contracts of those cases, then Goeree-Overflakkee's framework.
LOADERS: list = [
    budget_demo.load_demo,
    contract_demo.load_demo,
    frameworks.load_demo,
    umbrella_contracting.load_demo,
]


def load(orgs: dict[str, Organisation]) -> int:
    return sum(loader(orgs) for loader in LOADERS)
