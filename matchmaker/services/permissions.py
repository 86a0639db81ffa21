"""Who may see and change what. Every view and API handler goes through these checks."""

from __future__ import annotations

from matchmaker.messages import _
from matchmaker.models import Organisation, Profile, User
from matchmaker.models.accounts import CARE_PROVIDER_KINDS
from matchmaker.services.errors import NotFound, PermissionDenied

# Which organisation kinds publish which profile kind.
PUBLISHER_KINDS = {
    "need": CARE_PROVIDER_KINDS,
    "capability": ("supplier",),
}


def is_member(user: User | None, organisation_id: int) -> bool:
    return user is not None and user.organisation_id == organisation_id


def can_view_profile(user: User | None, profile: Profile) -> bool:
    if profile.is_public:
        return True
    return user is not None and (user.is_admin or is_member(user, profile.organisation_id))


def ensure_can_view_profile(user: User | None, profile: Profile) -> None:
    """Hidden profiles answer 'not found', so drafts do not even reveal that they exist."""
    if not can_view_profile(user, profile):
        raise NotFound(_("No such profile."))


def can_edit_profile(user: User | None, profile: Profile) -> bool:
    return is_member(user, profile.organisation_id)


def ensure_can_edit_profile(user: User | None, profile: Profile) -> None:
    ensure_can_view_profile(user, profile)
    if not can_edit_profile(user, profile):
        raise PermissionDenied(_("Only members of %(name)s can change this profile.",
                                 name=profile.organisation.name))


def can_create_profile(user: User | None, kind: str) -> bool:
    organisation = user.organisation if user else None
    return organisation is not None and organisation.kind in PUBLISHER_KINDS[kind]


def ensure_can_create_profile(user: User | None, kind: str) -> None:
    if can_create_profile(user, kind):
        return
    if kind == "need":
        raise PermissionDenied(_("Only clinical departments and health trusts publish needs."))
    raise PermissionDenied(_("Only suppliers publish capability profiles."))


def can_view_organisation(user: User | None, organisation: Organisation) -> bool:
    if organisation.is_approved:
        return True
    return user is not None and (user.is_admin or is_member(user, organisation.id))


def ensure_can_edit_organisation(user: User | None, organisation: Organisation) -> None:
    if not is_member(user, organisation.id):
        raise PermissionDenied(_("Only members of %(name)s can change it.", name=organisation.name))


def is_organisation_admin(user: User | None, organisation_id: int) -> bool:
    return is_member(user, organisation_id) and user.organisation_role == "admin"


def ensure_member_of(user: User | None, organisation: Organisation) -> None:
    if not is_member(user, organisation.id):
        raise PermissionDenied(_("Only members of %(name)s can see this.", name=organisation.name))


def ensure_can_manage_members(user: User | None, organisation: Organisation) -> None:
    """Only the organisation's own administrators; a site administrator approves organisations
    but does not choose their members."""
    if not is_organisation_admin(user, organisation.id):
        raise PermissionDenied(_("Only administrators of %(name)s can manage its members.", name=organisation.name))


def ensure_admin(user: User | None) -> None:
    if user is None or not user.is_admin:
        raise PermissionDenied(_("Only administrators can do this."))
