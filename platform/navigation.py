"""Links on an organisation's home page that domain modules contribute.

The platform knows no domain module; each registers its pages here with the kinds of
organisation they exist for and the action a user needs to see the link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from koepel.platform import policy
from koepel.platform.models import OrgKind


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: object  # a lazy translated string
    action: str
    kinds: tuple[OrgKind, ...] | None = None


_LINKS: list[Link] = []


def register(links: Iterable[Link]) -> None:
    for link in links:
        if link not in _LINKS:
            _LINKS.append(link)


def links_for(kind: OrgKind, roles: set[str]) -> list[Link]:
    return [
        link
        for link in _LINKS
        if (link.kinds is None or kind in link.kinds) and policy.can(roles, link.action)
    ]
