"""Small helpers shared by the tenants models."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def str_enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    """A portable enum column stored as its value (a VARCHAR with a CHECK constraint)."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        create_constraint=True,
        name=cls.__name__.lower(),
    )
