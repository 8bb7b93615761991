"""The bidder's reusable dossier of standing documents, bid attachments and consortium
declarations."""

from __future__ import annotations
