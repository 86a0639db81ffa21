"""What each role sees first: what waits for its answer, its own profiles, the newest from the
other side, and next steps. Each role's waiting items live in a module of their own."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from matchmaker.matching.engine import MatchingEngine
from matchmaker.models import CapabilityProfile, NeedProfile, Organisation, Profile, User
from matchmaker.services import join_requests
from matchmaker.services.browse import ProfileFilters, browse_profiles
from matchmaker.services.dashboard.funder import FunderDesk, funder_desk
from matchmaker.services.dashboard.organiser import ArenaDesk, organiser_desk
from matchmaker.services.dashboard.participant import ParticipantDesk, participant_desk
from matchmaker.services.organisations import pending_organisations
from matchmaker.services.permissions import can_create_profile
from matchmaker.services.profiles import organisation_profiles

# Which profiles each role publishes, and which it looks for.
OWN_KIND = {"supplier": "capability", "health": "need"}
WANTED_KIND = {"supplier": "need", "health": "capability", "funder": "need", "organiser": "capability"}


@dataclass
class Overview:
    role: str
    own_kind: str | None
    own_profiles: list[Profile] = field(default_factory=list)
    wanted_kind: str | None = None
    newest_wanted: list[Profile] = field(default_factory=list)
    pending_organisations: list[Organisation] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    participant: ParticipantDesk | None = None  # founders and clinicians
    arenas: list[ArenaDesk] = field(default_factory=list)  # organisers
    funder: FunderDesk | None = None
    join_requests_waiting: int = 0  # for the administrators of the user's organisation


def public_counts(session: Session) -> dict[str, int]:
    def count(model) -> int:
        query = select(func.count(model.id)).join(model.organisation).where(model.public_clause())
        return session.scalar(query) or 0

    return {"needs": count(NeedProfile), "capabilities": count(CapabilityProfile)}


def overview(session: Session, user: User, engine: MatchingEngine | None = None) -> Overview:
    """``engine`` ranks the needs fitting a funder's instruments; without it they are left out."""
    role = user.role
    result = Overview(role=role, own_kind=OWN_KIND.get(role), counts=public_counts(session))
    if user.organisation_id and result.own_kind:
        result.own_profiles = organisation_profiles(session, user.organisation_id, result.own_kind)
    result.wanted_kind = WANTED_KIND.get(role)
    if result.wanted_kind:
        newest = browse_profiles(session, user, result.wanted_kind, ProfileFilters(), per_page=5)
        result.newest_wanted = newest.items
        preload_parents(session, [p.organisation for p in newest.items])
    if user.is_organisation_admin:
        result.join_requests_waiting = join_requests.waiting_count(session, user.organisation_id)
    if role == "admin":
        result.pending_organisations = pending_organisations(session)
    if role in ("supplier", "health"):
        result.participant = participant_desk(session, user)
    if role == "organiser":
        result.arenas = organiser_desk(session, user.organisation_id)
    if role == "funder":
        result.funder = funder_desk(session, engine, user)
    result.next_steps = next_steps(user, result)
    return result


def preload_parents(session: Session, organisations: list[Organisation]) -> None:
    """Loads the parents (trusts) that name these organisations in one query, instead of one
    query per organisation when each ``organisation.parent`` is first read."""
    waiting = [o for o in organisations if o.parent_id and "parent" in inspect(o).unloaded]
    if not waiting:
        return
    parents = {p.id: p for p in session.scalars(select(Organisation).where(
        Organisation.id.in_({o.parent_id for o in waiting})))}
    for organisation in waiting:
        set_committed_value(organisation, "parent", parents.get(organisation.parent_id))


def next_steps(user: User, overview: Overview) -> list[str]:
    """Codes of the suggested next actions, most useful first; templates word them."""
    steps = []
    if user.organisation and not user.organisation.is_approved and not user.organisation.is_declined:
        steps.append("await_approval")
    if overview.own_kind and can_create_profile(user, overview.own_kind):
        drafts = [p for p in overview.own_profiles if p.status == "draft"]
        published = [p for p in overview.own_profiles if p.status == "published"]
        if drafts:
            steps.append("publish_drafts")
        if not published and not drafts:
            steps.append(f"create_{overview.own_kind}")
        if published:
            steps.append(f"matches_for_{overview.own_kind}")
    if overview.pending_organisations:
        steps.append("approve_organisations")
    if overview.wanted_kind:
        steps.append(f"browse_{overview.wanted_kind}")
    if user.organisation and not user.organisation.description:
        steps.append("describe_organisation")
    return steps
