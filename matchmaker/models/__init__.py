"""Database models. Import from here: ``from matchmaker.models import User``."""

from matchmaker.database import Base
from matchmaker.models.accounts import ApiToken, Organisation, User
from matchmaker.models.activity import MatchView, NotificationPreference, OutboxEmail
from matchmaker.models.arenas import (
    Arena,
    ArenaParticipant,
    ArenaSession,
    ArenaSlot,
    ArenaTable,
    Meeting,
    MeetingSeat,
    Notification,
)
from matchmaker.models.audit import AuditEntry
from matchmaker.models.collaborations import (
    Collaboration,
    CollaborationEvent,
    CollaborationTerms,
    NeedCoOwner,
)
from matchmaker.models.event_day import Arrival, MeetingRating
from matchmaker.models.funding import Follow, FundingInstrument, FundingLink
from matchmaker.models.matching import IndexChange, ProfileVector
from matchmaker.models.members import JoinRequest, OrganisationInvitation
from matchmaker.models.profiles import CapabilityProfile, NeedProfile, Profile, ProfileTag

__all__ = [
    "Arrival",
    "MeetingRating",
    "FundingLink",
    "FundingInstrument",
    "Follow",
    "OutboxEmail",
    "NotificationPreference",
    "MatchView",
    "ApiToken",
    "AuditEntry",
    "Arena",
    "ArenaParticipant",
    "ArenaSession",
    "ArenaSlot",
    "ArenaTable",
    "Meeting",
    "MeetingSeat",
    "Notification",
    "Base",
    "CapabilityProfile",
    "Collaboration",
    "CollaborationEvent",
    "CollaborationTerms",
    "IndexChange",
    "JoinRequest",
    "NeedCoOwner",
    "NeedProfile",
    "Organisation",
    "OrganisationInvitation",
    "Profile",
    "ProfileTag",
    "ProfileVector",
    "User",
]
