"""Joint needs: a department of another trust joins a need as co-owner with its own site and
patient volume, so several trusts run one project instead of the same one in parallel."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.messages import _
from matchmaker.models import NeedCoOwner, Profile, User
from matchmaker.models.accounts import CARE_PROVIDER_KINDS
from matchmaker.services.errors import Conflict, NotFound, PermissionDenied
from matchmaker.services.funding import followers
from matchmaker.services.schemas import bounded_text, validated

FIELD_LIMIT = 300


class JoinNeedInput(BaseModel):
    site: Annotated[Any, BeforeValidator(bounded_text(FIELD_LIMIT, required=True, message=_(
        "Name the site where you would test (at most %(count)d characters).", count=FIELD_LIMIT)))]
    patient_volume: Annotated[Any, BeforeValidator(bounded_text(FIELD_LIMIT))] = ""


def co_owners(session: Session, need: Profile) -> list[NeedCoOwner]:
    return list(session.scalars(select(NeedCoOwner).where(NeedCoOwner.need_id == need.id).order_by(NeedCoOwner.id)))


def trusts_and_sites(session: Session, need: Profile) -> tuple[int, int]:
    """How many trusts and sites a need spans, its owner included."""
    owners = co_owners(session, need)
    trusts = {need.organisation.trust_id} | {owner.organisation.trust_id for owner in owners}
    return len(trusts), 1 + len(owners)


def can_join(user: User | None, need: Profile) -> bool:
    organisation = user.organisation if user else None
    return (organisation is not None and organisation.kind in CARE_PROVIDER_KINDS and need.kind == "need"
            and need.is_public and organisation.trust_id != need.organisation.trust_id)


def join(session: Session, user: User, need: Profile, site: str, patient_volume: str) -> NeedCoOwner:
    if not can_join(user, need):
        raise PermissionDenied(_("Departments of other trusts can join a published need."))
    if session.scalar(select(NeedCoOwner).where(NeedCoOwner.need_id == need.id,
                                                NeedCoOwner.organisation_id == user.organisation_id)):
        raise Conflict(_("%(name)s has already joined this need.", name=user.organisation.name))
    joining = validated(JoinNeedInput, {"site": site, "patient_volume": patient_volume})
    owner = NeedCoOwner(need_id=need.id, organisation_id=user.organisation_id, site=joining.site,
                        patient_volume=joining.patient_volume, joined_by_id=user.id)
    session.add(owner)
    session.flush()
    followers.need_changed(session, need, "co_owner", name=user.organisation.name)
    return owner


def leave(session: Session, user: User, need: Profile) -> None:
    owner = session.scalar(select(NeedCoOwner).where(NeedCoOwner.need_id == need.id,
                                                     NeedCoOwner.organisation_id == user.organisation_id))
    if owner is None:
        raise NotFound(_("Your organisation has not joined this need."))
    session.delete(owner)
    session.flush()
