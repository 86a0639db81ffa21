"""Following needs and collaborations (typically by funders). One may follow only what one may
see: a published need, or a collaboration that is listed publicly or seeks one's instrument."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import Collaboration, Follow, NeedProfile, Profile, User
from matchmaker.services import permissions
from matchmaker.services.collaborations import operations
from matchmaker.services.errors import Conflict, NotFound, ValidationFailed
from matchmaker.services.funding import instruments


@dataclass
class Followed:
    follow: Follow
    need: Profile | None
    collaboration: Collaboration | None


def _visible_need(session: Session, user: User, need_id: int) -> Profile:
    need = session.get(NeedProfile, need_id)
    if need is None:
        raise NotFound(_("No such profile."))
    permissions.ensure_can_view_profile(user, need)
    return need


def _instrument_id(session: Session, user: User, instrument_id: int | None) -> int | None:
    if instrument_id is None:
        return None
    return instruments.get_visible(session, user, instrument_id).id


def follow(session: Session, user: User, need_id: int | None = None, collaboration_id: int | None = None,
           instrument_id: int | None = None) -> Follow:
    """Follow exactly one need or collaboration; ``instrument_id`` says what made it interesting."""
    if (need_id is None) == (collaboration_id is None):
        raise ValidationFailed(_("Follow either a need or a collaboration."),
                               {"need_id": _("Give a need or a collaboration, not both.")})
    if need_id is not None:
        target = {"need_id": _visible_need(session, user, need_id).id}
    else:
        target = {"collaboration_id": operations.get_visible(session, user, collaboration_id).id}
    column, value = next(iter(target.items()))
    if session.scalar(select(Follow.id).where(Follow.user_id == user.id, getattr(Follow, column) == value)):
        raise Conflict(_("You already follow this."))
    followed = Follow(user_id=user.id, instrument_id=_instrument_id(session, user, instrument_id), **target)
    session.add(followed)
    session.flush()
    return followed


def get_own(session: Session, user: User, follow_id: int) -> Follow:
    followed = session.get(Follow, follow_id)
    if followed is None or followed.user_id != user.id:
        raise NotFound(_("You do not follow this."))
    return followed


def unfollow(session: Session, user: User, follow_id: int) -> None:
    session.delete(get_own(session, user, follow_id))
    session.flush()


def followed_by(session: Session, user: User) -> list[Followed]:
    """What the user follows and may still see, newest first."""
    found = []
    for item in session.scalars(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id.desc())):
        need = session.get(Profile, item.need_id) if item.need_id else None
        collaboration = session.get(Collaboration, item.collaboration_id) if item.collaboration_id else None
        if (need and permissions.can_view_profile(user, need)) or (
                collaboration and operations.can_view(user, collaboration)):
            found.append(Followed(item, need, collaboration))
    return found


def followed_ids(session: Session, user: User) -> dict[str, dict[int, int]]:
    """{"need": {need id: follow id}, "collaboration": {...}} for showing follow/unfollow buttons."""
    ids: dict[str, dict[int, int]] = {"need": {}, "collaboration": {}}
    for item in session.scalars(select(Follow).where(Follow.user_id == user.id)):
        if item.need_id:
            ids["need"][item.need_id] = item.id
        else:
            ids["collaboration"][item.collaboration_id] = item.id
    return ids
