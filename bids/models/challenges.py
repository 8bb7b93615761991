"""Right to Challenge: challenges by cooperatives and umbrellas and their assessment;
the duty to involve."""

from __future__ import annotations
