"""Demo data of the contracts module: the seven cases of DOMAIN.md."""

from __future__ import annotations

from koepel.contracts import budget_demo
from koepel.platform.models import Organisation

LOADERS: list = [budget_demo.load_demo]  # each area's load_demo(orgs) -> int, in order


def load(orgs: dict[str, Organisation]) -> int:
    return sum(loader(orgs) for loader in LOADERS)
