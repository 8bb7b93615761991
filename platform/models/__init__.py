"""The platform's tables. Importing this package registers them on the metadata."""

from koepel.platform.models.accounts import ApiToken, Invitation, LoginAttempt, OrgRole, User
from koepel.platform.models.audit import AuditEvent
from koepel.platform.models.jobs import JobRun
from koepel.platform.models.organisations import Affiliation, AffiliationKind, Organisation, OrgKind
from koepel.platform.models.outbox import OutboxMessage

__all__ = [
    "Affiliation",
    "AffiliationKind",
    "ApiToken",
    "AuditEvent",
    "Invitation",
    "JobRun",
    "LoginAttempt",
    "OrgKind",
    "OrgRole",
    "Organisation",
    "OutboxMessage",
    "User",
]
