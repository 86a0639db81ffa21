"""Personal data: everything stored about a user as one download, and deleting an account.

What a user writes on behalf of their organisation (profiles, collaboration records, funding
instruments) belongs to the organisation and stays when the account goes; only the link to the
author is cut (the foreign keys are ON DELETE SET NULL). What is about the person alone goes:
account, tokens, notifications and preferences, e-mails, follows, match views and arena
registrations (ON DELETE CASCADE, or deleted here where the key would only be set to NULL).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from matchmaker.messages import _
from matchmaker.models import (
    ArenaParticipant,
    CollaborationEvent,
    CollaborationTerms,
    Follow,
    FundingInstrument,
    JoinRequest,
    MatchView,
    Meeting,
    MeetingSeat,
    NeedProfile,
    Notification,
    NotificationPreference,
    Organisation,
    OutboxEmail,
    Profile,
    User,
)
from matchmaker.models.arenas import as_utc
from matchmaker.models.types import utcnow
from matchmaker.services import audit, members
from matchmaker.services.errors import Conflict, ValidationFailed
from matchmaker.services.profiles import profile_fields

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1


def _when(moment: datetime | date | None) -> str | None:
    if isinstance(moment, datetime):
        return as_utc(moment).isoformat()
    return moment.isoformat() if moment else None


def export_filename(today: date) -> str:
    return f"matchmaker-my-data-{today.isoformat()}.json"


def export_user_data(session: Session, user: User) -> dict[str, Any]:
    """Everything stored about ``user``, as JSON-ready values. Password and token hashes are
    left out: they are secrets, not information about the person."""
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _when(utcnow()),
        "account": _account(user),
        "organisation": _organisation(user.organisation, user.organisation_role),
        "join_requests": _join_requests(session, user),
        "profiles_created": _profiles(session, user),
        "funding_instruments_created": _instruments(session, user),
        "notifications": _notifications(session, user),
        "notification_preferences": _preferences(session, user),
        "emails": _emails(session, user),
        "api_tokens": [_token(token) for token in user.tokens],
        "arena_registrations": _registrations(session, user),
        "meeting_requests": _meetings(session, user),
        "collaboration_activity": _collaboration_events(session, user),
        "collaboration_terms_written": _terms(session, user),
        "follows": _follows(session, user),
        "match_views": _match_views(session, user),
    }


def _account(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "is_admin": user.is_admin,
            "locale": user.locale, "timezone": user.timezone, "created_at": _when(user.created_at),
            "last_login_at": _when(user.last_login_at)}


def _organisation(organisation: Organisation | None, role: str) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {"id": organisation.id, "name": organisation.name, "kind": organisation.kind,
            "country": organisation.country, "approved_at": _when(organisation.approved_at), "role": role}


def _join_requests(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(JoinRequest).where(JoinRequest.user_id == user.id).order_by(JoinRequest.id)
    return [{"organisation": r.organisation.name, "message": r.message, "status": r.status,
             "created_at": _when(r.created_at), "decided_at": _when(r.decided_at)} for r in session.scalars(query)]


def _profiles(session: Session, user: User) -> list[dict[str, Any]]:
    profiles = session.scalars(select(Profile).where(Profile.created_by_id == user.id).order_by(Profile.id))
    return [{"id": p.id, "kind": p.kind, "organisation": p.organisation.name, **profile_fields(p),
             "created_at": _when(p.created_at), "updated_at": _when(p.updated_at)} for p in profiles]


def _instruments(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(FundingInstrument).where(FundingInstrument.created_by_id == user.id)
    return [{"id": i.id, "title": i.title, "status": i.status, "created_at": _when(i.created_at)}
            for i in session.scalars(query.order_by(FundingInstrument.id))]


def _notifications(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    return [{"kind": n.kind, "params": n.params, "link": n.link, "created_at": _when(n.created_at),
             "read_at": _when(n.read_at)} for n in session.scalars(query)]


def _preferences(session: Session, user: User) -> dict[str, dict[str, bool]]:
    rows = session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    return {row.topic: {"in_app": row.in_app, "email": row.email} for row in rows}


def _emails(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(OutboxEmail).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    return [{"to": e.to_address, "subject": e.subject, "body": e.body, "created_at": _when(e.created_at),
             "sent_at": _when(e.sent_at)} for e in session.scalars(query)]


def _token(token) -> dict[str, Any]:
    return {"name": token.name, "prefix": token.prefix, "created_at": _when(token.created_at),
            "last_used_at": _when(token.last_used_at), "revoked_at": _when(token.revoked_at)}


def _registrations(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(ArenaParticipant).where(ArenaParticipant.user_id == user.id).order_by(ArenaParticipant.id)
    return [{"arena": p.arena.title, "organisation": p.organisation.name, "group": p.participant_group,
             "status": p.status, "profile_id": p.profile_id, "unavailable_slot_ids": p.unavailable_slot_ids,
             "created_at": _when(p.created_at), "decided_at": _when(p.decided_at)} for p in session.scalars(query)]


def _meetings(session: Session, user: User) -> list[dict[str, Any]]:
    mine = select(ArenaParticipant.id).where(ArenaParticipant.user_id == user.id)
    seated = select(MeetingSeat.meeting_id).where(MeetingSeat.participant_id.in_(mine))
    query = select(Meeting).where(or_(Meeting.requester_id.in_(mine), Meeting.recipient_id.in_(mine),
                                      Meeting.id.in_(seated)))
    return [_meeting(m, user) for m in session.scalars(query.order_by(Meeting.id)).unique()]


def _meeting(meeting: Meeting, user: User) -> dict[str, Any]:
    """Only the notes this user wrote: the other side's note is theirs, not this user's."""
    made, received = meeting.requester.user_id == user.id, meeting.recipient.user_id == user.id
    others = [p for p in meeting.participants if p.user_id != user.id]
    record = {"arena": meeting.arena.title, "role": "requester" if made else "recipient" if received else "third",
              "with_organisations": [p.organisation.name for p in others], "status": meeting.status,
              "created_at": _when(meeting.created_at), "responded_at": _when(meeting.responded_at),
              "slot_starts_at": _when(meeting.slot.start) if meeting.slot else None}
    if made:
        record["note"] = meeting.note
    if received:
        record["response_note"] = meeting.response_note
    return record


def _collaboration_events(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(CollaborationEvent).where(CollaborationEvent.user_id == user.id).order_by(CollaborationEvent.id)
    return [{"collaboration_id": e.collaboration_id, "kind": e.kind, "text": e.text, "from_stage": e.from_stage,
             "to_stage": e.to_stage, "terms_version": e.terms_version, "created_at": _when(e.created_at)}
            for e in session.scalars(query)]


def _terms(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(CollaborationTerms).where(CollaborationTerms.edited_by_id == user.id)
    return [{"collaboration_id": t.collaboration_id, "version": t.version, "created_at": _when(t.created_at)}
            for t in session.scalars(query.order_by(CollaborationTerms.id))]


def _follows(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(Follow).where(Follow.user_id == user.id).order_by(Follow.id)
    return [{"need_id": f.need_id, "collaboration_id": f.collaboration_id, "instrument_id": f.instrument_id,
             "created_at": _when(f.created_at)} for f in session.scalars(query)]


def _match_views(session: Session, user: User) -> list[dict[str, Any]]:
    query = select(MatchView).where(MatchView.user_id == user.id).order_by(MatchView.id)
    return [{"mode": v.mode, "channel": v.channel, "profile_id": v.profile_id, "results": v.results,
             "created_at": _when(v.created_at)} for v in session.scalars(query)]


# --- Deleting an account -----------------------------------------------------------------------

def delete_account(session: Session, user: User, password: str) -> None:
    """Deletes ``user`` after checking their password; refuses for the last administrator."""
    if not check_password_hash(user.password_hash, password or ""):
        raise ValidationFailed(_("Please correct the marked fields."),
                               {"current_password": _("This is not your current password.")})
    _refuse_last_admin(session, user)
    members.ensure_others_keep_an_admin(session, user)
    audit.record(session, user, "account.deleted", user, admin=user.is_admin,
                 organisation_id=user.organisation_id)
    user_id = user.id
    _forget_contact_details(session, user)
    # These keys are SET NULL so that indicators survive other deletions; here they must go.
    session.execute(delete(MatchView).where(MatchView.user_id == user_id))
    session.execute(delete(OutboxEmail).where(OutboxEmail.user_id == user_id))
    session.delete(user)
    session.flush()
    # The database cut or removed the rows that pointed at the user; reload them when read.
    session.expire_all()
    log.info("deleted account %s", user_id)


def _refuse_last_admin(session: Session, user: User) -> None:
    if not user.is_admin:
        return
    admins = session.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(True))) or 0
    if admins <= 1:
        raise Conflict(_("You are the only administrator. Make someone else an administrator "
                         "before you delete your account."))


def _forget_contact_details(session: Session, user: User) -> None:
    """A need stays with its department, but not with this person as its named contact."""
    query = select(NeedProfile).where(func.lower(NeedProfile.contact_email) == user.email.lower())
    for need in session.scalars(query):
        need.contact_name = need.contact_email = None
