"""Framework agreements: product catalogue and tariffs, volume agreements, call-offs,
4-weekly reports, adjustment proposals, innovation supplements and post-calculation."""

from __future__ import annotations
