"""The tenants module's tables: a cooperative's profile, members, volunteers, services,
help requests and hours; and what umbrellas share with their members."""

from koepel.tenants.models.cooperative import CooperativeProfile, LegalForm, Phase, ServiceArea
from koepel.tenants.models.help import HelpRequest, HelpStatus, HourEntry, Recurrence
from koepel.tenants.models.members import Household, Member, MembershipFee
from koepel.tenants.models.services import FundingSource, Service, ServiceKind
from koepel.tenants.models.umbrella import (
    AssistanceGrant,
    NewsItem,
    SharedDocument,
    UmbrellaConsent,
    UmbrellaInvitation,
)
from koepel.tenants.models.volunteers import VolunteerProfile

__all__ = [
    "AssistanceGrant",
    "NewsItem",
    "SharedDocument",
    "UmbrellaConsent",
    "UmbrellaInvitation",
    "CooperativeProfile",
    "FundingSource",
    "HelpRequest",
    "HelpStatus",
    "HourEntry",
    "Household",
    "LegalForm",
    "Member",
    "MembershipFee",
    "Phase",
    "Recurrence",
    "Service",
    "ServiceArea",
    "ServiceKind",
    "VolunteerProfile",
]
