"""Telling followers that something they follow has changed. Called from where the changes
happen (collaboration stages, new collaborations and co-owners of a need)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Collaboration, Follow, Profile, User
from matchmaker.services import notifications
from matchmaker.services.permissions import can_view_profile

KIND = "followed_change"


def _followers(session: Session, **target) -> list[User]:
    column, value = next(iter(target.items()))
    return list(session.scalars(select(User).join(Follow, Follow.user_id == User.id)
                                .where(getattr(Follow, column) == value)))


def collaboration_changed(session: Session, collaboration: Collaboration,
                          can_view: Callable[[User, Collaboration], bool]) -> None:
    """A followed collaboration moved to another stage. Only followers who may still see it
    hear about it (it may have been unlisted since they followed it)."""
    users = [u for u in _followers(session, collaboration_id=collaboration.id) if can_view(u, collaboration)]
    notifications.notify(session, users, KIND, change="stage", collaboration_id=collaboration.id,
                         need=collaboration.need.title, stage=collaboration.stage)


def need_changed(session: Session, need: Profile, change: str, name: str) -> None:
    """``change``: "collaboration" (a new one on the need) or "co_owner" (another trust joined)."""
    users = [u for u in _followers(session, need_id=need.id) if can_view_profile(u, need)]
    notifications.notify(session, users, KIND, change=change, need_id=need.id, need=need.title, name=name)
