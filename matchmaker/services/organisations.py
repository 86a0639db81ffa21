"""Organisations: registering, approving and listing them."""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching.store import record_changes
from matchmaker.models import Organisation, Profile, User
from matchmaker.models.types import utcnow
from matchmaker.services import audit, permissions
from matchmaker.services.errors import NotFound, ValidationFailed
from matchmaker.services.storable import nfc
from matchmaker.vocabulary import COMPANY_SIZES, COUNTRIES, ORGANISATION_KINDS, PARENT_KINDS

log = logging.getLogger(__name__)


def validate_organisation(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """Check organisation fields; returns them cleaned or raises ValidationFailed."""
    errors: dict[str, str] = {}
    data = nfc(data)
    name = (data.get("name") or "").strip()
    if not 2 <= len(name) <= 200:
        errors["name"] = _("Give the organisation's name (2 to 200 characters).")
    kind = data.get("kind")
    if kind not in ORGANISATION_KINDS:
        errors["kind"] = _("Choose what kind of organisation this is.")
    if data.get("country", "NO") not in COUNTRIES:
        errors["country"] = _("Choose a country from the list.")
    if data.get("size") and data["size"] not in COMPANY_SIZES:
        errors["size"] = _("Choose a size from the list.")
    if data.get("website") and not str(data["website"]).startswith(("https://", "http://")):
        errors["website"] = _("Give the full address, starting with https://.")
    for field, limit in TEXT_LIMITS.items():  # forms check these too; imports only here
        if len(str(data.get(field) or "")) > limit:
            errors.setdefault(field, _("At most %(count)d characters.", count=limit))
    if data.get("founded") and not _year(data["founded"]):
        errors["founded"] = _("Give the year it was founded.")
    parent = _valid_parent(session, kind, data.get("parent_id"), errors)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return {**data, "name": name, "parent": parent, "country": data.get("country") or "NO"}


TEXT_LIMITS = {"org_number": 40, "website": 300}  # the widths of their columns


def _year(value: Any) -> bool:
    """Whether a founding year is a whole number from 1800 to this year."""
    try:
        return 1800 <= int(value) <= utcnow().year
    except (TypeError, ValueError):
        return False


def _valid_parent(session: Session, kind: str | None, parent_id: int | None, errors: dict) -> Organisation | None:
    if not parent_id:
        return None
    parent = session.get(Organisation, parent_id)
    if parent is None or parent.kind not in PARENT_KINDS.get(kind or "", ()):
        errors["parent_id"] = _("This organisation cannot belong to the one chosen.")
        return None
    return parent


def create_organisation(session: Session, data: dict[str, Any], approved: bool = False) -> Organisation:
    cleaned = validate_organisation(session, data)
    organisation = Organisation(
        name=cleaned["name"], kind=cleaned["kind"], country=cleaned["country"],
        parent=cleaned["parent"], org_number=cleaned.get("org_number") or None,
        website=cleaned.get("website") or None, description=cleaned.get("description") or None,
        size=cleaned.get("size") or None, founded=cleaned.get("founded") or None,
        extra=cleaned.get("extra") or {}, approved_at=utcnow() if approved else None,
    )
    if cleaned.get("external_id"):
        organisation.external_id = cleaned["external_id"]
    session.add(organisation)
    session.flush()
    return organisation


EDITABLE_FIELDS = ("name", "country", "org_number", "website", "description", "size", "founded")


def update_organisation(
    session: Session, user: User, organisation: Organisation, data: dict[str, Any]
) -> Organisation:
    """Members change their own organisation's facts; kind and place in the hierarchy stay."""
    permissions.ensure_can_edit_organisation(user, organisation)
    merged = {**{name: getattr(organisation, name) for name in EDITABLE_FIELDS}, **data}
    cleaned = validate_organisation(session, {**merged, "kind": organisation.kind})
    for name in EDITABLE_FIELDS:
        setattr(organisation, name, cleaned.get(name) or None)
    organisation.country = cleaned["country"]
    session.flush()
    return organisation


def approve_organisation(session: Session, admin: User, organisation: Organisation) -> Organisation:
    permissions.ensure_admin(admin)
    if not organisation.is_approved:
        organisation.approved_at = utcnow()
        organisation.approved_by_id = admin.id
        # Its published profiles become public: every worker's index must learn of them.
        record_changes(session, session.scalars(select(Profile.id).where(Profile.organisation_id == organisation.id)))
        log.info("admin %s approved organisation %s", admin.id, organisation.id)
        audit.record(session, admin, "organisation.approved", organisation, name=organisation.name)
    return organisation


def get_organisation(session: Session, viewer: User | None, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not permissions.can_view_organisation(viewer, organisation):
        raise NotFound(_("No such organisation."))
    return organisation


def list_organisations(session: Session, viewer: User | None, kind: str | None = None) -> list[Organisation]:
    """Approved organisations, plus the viewer's own (and all of them for an admin)."""
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    if not (viewer and viewer.is_admin):
        own = viewer.organisation_id if viewer and viewer.organisation_id else -1
        query = query.where((Organisation.approved_at.is_not(None)) | (Organisation.id == own))
    return list(session.scalars(query))


def pending_organisations(session: Session) -> list[Organisation]:
    query = select(Organisation).where(Organisation.approved_at.is_(None)).order_by(Organisation.created_at)
    return list(session.scalars(query))


def parent_choices(session: Session, kind: str) -> list[Organisation]:
    """Organisations a new one of this kind may belong to."""
    kinds = PARENT_KINDS.get(kind, ())
    if not kinds:
        return []
    query = select(Organisation).where(Organisation.kind.in_(kinds), Organisation.approved_at.is_not(None))
    return list(session.scalars(query.order_by(Organisation.name)))
