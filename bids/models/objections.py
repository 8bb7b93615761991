"""Award letters as documents and objections lodged during the standstill period."""

from __future__ import annotations
