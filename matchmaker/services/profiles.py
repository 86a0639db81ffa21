"""Creating, changing, archiving and reading need and capability profiles."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching.store import record_changes, refresh_profiles
from matchmaker.messages import _
from matchmaker.models import CapabilityProfile, NeedProfile, Profile, User
from matchmaker.models.types import utcnow
from matchmaker.services import context, permissions
from matchmaker.services.errors import Conflict, NotFound, ValidationFailed
from matchmaker.services.schemas import ProfileInput, known_fields, validate_profile

log = logging.getLogger(__name__)

MODEL_BY_KIND: dict[str, type[Profile]] = {"need": NeedProfile, "capability": CapabilityProfile}
TAG_FIELDS = {
    "clinical_areas": "clinical_area",
    "care_settings": "care_setting",
    "test_types": "test_type",
    "affected_groups": "affected_group",
}


def get_profile(session: Session, kind: str, profile_id: int) -> Profile:
    profile = session.get(MODEL_BY_KIND[kind], profile_id)
    if profile is None:
        raise NotFound(_("No such profile."))
    return profile


def get_visible_profile(session: Session, user: User | None, kind: str, profile_id: int) -> Profile:
    profile = get_profile(session, kind, profile_id)
    permissions.ensure_can_view_profile(user, profile)
    return profile


def create_profile(session: Session, user: User, kind: str, data: dict[str, Any]) -> Profile:
    permissions.ensure_can_create_profile(user, kind)
    cleaned = validate_profile(kind, data)
    _refuse_unknown_fields(cleaned)
    profile = MODEL_BY_KIND[kind](organisation=user.organisation, created_by=user, extra={})
    apply_input(profile, cleaned)
    session.add(profile)
    session.flush()
    refresh_profiles(session, [profile], context.of(session).encoder())
    log.info("user %s created %s %s", user.id, kind, profile.id)
    return profile


def update_profile(session: Session, user: User, profile: Profile, changes: dict[str, Any]) -> Profile:
    """Apply a partial change: the merged result is validated as a whole."""
    permissions.ensure_can_edit_profile(user, profile)
    merged = {**profile_fields(profile), **changes}
    cleaned = validate_profile(profile.kind, merged)
    _refuse_unknown_fields(cleaned)
    apply_input(profile, cleaned)
    refresh_profiles(session, [profile], context.of(session).encoder())
    return profile


def archive_profile(session: Session, user: User, profile: Profile) -> Profile:
    permissions.ensure_can_edit_profile(user, profile)
    if profile.status == "archived":
        raise Conflict(_("This profile is already archived."))
    profile.status = "archived"
    record_changes(session, [profile.id])
    return profile


def publish_profile(session: Session, user: User, profile: Profile) -> Profile:
    return update_profile(session, user, profile, {"status": "published"})


def apply_input(profile: Profile, cleaned: ProfileInput) -> None:
    """Copy validated input onto a profile; tags go to the tag table, unknowns to ``extra``."""
    for name, value in cleaned.model_dump(exclude=set(cleaned.model_extra or {})).items():
        if name in TAG_FIELDS:
            profile.set_codes(TAG_FIELDS[name], value)
        else:
            setattr(profile, name, value)
    if profile.status == "published" and profile.published_at is None:
        profile.published_at = utcnow()


def profile_fields(profile: Profile) -> dict[str, Any]:
    """The editable fields of a profile, as the input schema names them."""
    fields = {}
    for name in known_fields(profile.kind):
        if name in TAG_FIELDS:
            fields[name] = profile.codes(TAG_FIELDS[name])
        else:
            fields[name] = getattr(profile, name)
    return fields


def _refuse_unknown_fields(cleaned: ProfileInput) -> None:
    unknown = sorted(cleaned.model_extra or {})
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.", fields=", ".join(unknown)),
            {name: _("Unknown field.") for name in unknown},
        )


def organisation_profiles(session: Session, organisation_id: int, kind: str | None = None) -> list[Profile]:
    """All profiles of one organisation, archived last; for its own members' dashboard."""
    query = select(Profile).where(Profile.organisation_id == organisation_id)
    if kind:
        query = query.where(Profile.kind == kind)
    query = query.order_by((Profile.status == "archived"), Profile.updated_at.desc())
    return list(session.scalars(query))
