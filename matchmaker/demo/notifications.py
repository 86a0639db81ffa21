"""A few notifications for each demo account, from what the demo holds (a meeting request
waiting for them, a proposal, an approved registration...), so the bell is not empty at the
first sign-in. Stored as kinds and parameters like every notification, worded when shown."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matchmaker.demo.arena import DEMO_ARENA_ID
from matchmaker.models import (
    Arena,
    ArenaParticipant,
    Collaboration,
    CollaborationEvent,
    Follow,
    FundingInstrument,
    FundingLink,
    Meeting,
    Notification,
    User,
)
from matchmaker.models.types import utcnow
from matchmaker.people import person_label
from matchmaker.services.organisations import pending_organisations


def load_demo_notifications(session: Session, emails: dict[str, str]) -> int:
    """Adds them once (none while a demo account already has any); returns how many were added."""
    users = {role: session.scalar(select(User).where(User.email == email)) for role, email in emails.items()}
    users = {role: user for role, user in users.items() if user is not None}
    ids = [user.id for user in users.values()]
    arena = session.scalar(select(Arena).where(Arena.external_id == DEMO_ARENA_ID))
    if not ids or arena is None or session.scalar(select(Notification.id).where(Notification.user_id.in_(ids))):
        return 0
    added = 0
    for role, user in users.items():
        for hours_ago, (kind, params) in enumerate(_about(session, role, user, arena), start=1):
            session.add(Notification(user_id=user.id, kind=kind, params=params,
                                     created_at=utcnow() - timedelta(hours=5 * hours_ago)))
            added += 1
    session.flush()
    return added


def _about(session: Session, role: str, user: User, arena: Arena) -> list[tuple[str, dict]]:
    """What this account would have heard about, newest first."""
    about = []
    request = _waiting_request(session, user, arena)
    if request is not None:
        about.append(("meeting_requested", _arena_params(arena, name=request.requester.display_name)))
    if role in ("founder", "clinician"):
        about += _collaboration_news(session, user)
    if role == "funder":
        about += _funding_news(session, user)
    if role == "organiser":
        about += [("registration_received", _arena_params(arena, name=p.display_name))
                  for p in _waiting_registrations(session, arena)]
    if role == "admin":
        about += _organisations_waiting(session)
    if _participant(session, user, arena) is not None:
        about.append(("registration_approved", _arena_params(arena)))
    return about


def _organisations_waiting(session: Session) -> list[tuple[str, dict]]:
    return [("organisation_waiting", {"name": org.members[0].name, "organisation": org.name})
            for org in pending_organisations(session) if org.members]


def _arena_params(arena: Arena, **params) -> dict:
    return {"arena_id": arena.id, "title": arena.title, **params}


def _participant(session: Session, user: User, arena: Arena) -> ArenaParticipant | None:
    return session.scalar(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id,
                                                         ArenaParticipant.user_id == user.id))


def _waiting_request(session: Session, user: User, arena: Arena) -> Meeting | None:
    me = _participant(session, user, arena)
    if me is None:
        return None
    return session.scalar(select(Meeting).where(Meeting.recipient_id == me.id, Meeting.status == "pending")
                          .order_by(Meeting.id))


def _waiting_registrations(session: Session, arena: Arena) -> list[ArenaParticipant]:
    return list(session.scalars(select(ArenaParticipant).where(ArenaParticipant.arena_id == arena.id,
                                                               ArenaParticipant.status == "pending")
                                .order_by(ArenaParticipant.id)))


def _collaboration_news(session: Session, user: User) -> list[tuple[str, dict]]:
    """A proposal waiting for this side, and the latest step of one under way."""
    mine = list(session.scalars(select(Collaboration).where(or_(
        Collaboration.supplier_id == user.organisation_id, Collaboration.department_id == user.organisation_id))
        .order_by(Collaboration.stage_changed_at.desc(), Collaboration.id)))
    news = []
    proposal = next((c for c in mine if c.stage == "proposed" and c.proposed_by_id != user.organisation_id), None)
    if proposal is not None:
        news.append(("collaboration_proposed", _collaboration_params(proposal, proposal.events[0])))
    moved = next((c for c in mine if c.stage not in ("proposed", "declined")), None)
    if moved is not None:
        news.append(("collaboration_stage", {**_collaboration_params(moved, moved.events[-1]), "stage": moved.stage}))
    return news


def _collaboration_params(collaboration: Collaboration, event: CollaborationEvent | None = None) -> dict:
    """Named by the person who acted (the event's), else by the supplier."""
    who = person_label(event.user) if event is not None and event.user is not None \
        else person_label(None, collaboration.supplier)
    return {"collaboration_id": collaboration.id, "need": collaboration.need.title, "name": who}


def _funding_news(session: Session, user: User) -> list[tuple[str, dict]]:
    """A collaboration seeking one of the agency's instruments, and a step of one the funder follows."""
    news = []
    link = session.scalar(select(FundingLink).join(FundingLink.instrument).where(
        FundingInstrument.organisation_id == user.organisation_id).order_by(FundingLink.id))
    if link is not None:
        seeking = session.get(Collaboration, link.collaboration_id)
        news.append(("collaboration_funding", {**_collaboration_params(seeking), "title": link.instrument.title}))
    follow = session.scalar(select(Follow).where(Follow.user_id == user.id, Follow.collaboration_id.is_not(None))
                            .order_by(Follow.id))
    if follow is not None:
        followed = session.get(Collaboration, follow.collaboration_id)
        news.append(("followed_change", {**_collaboration_params(followed), "change": "stage",
                                         "stage": followed.stage}))
    return news
