"""Browsing and filtering published profiles (and an organisation's own ones)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from matchmaker.models import Organisation, Profile, ProfileTag, User
from matchmaker.services.profiles import MODEL_BY_KIND
from matchmaker.services.storable import nfc

T = TypeVar("T")

# A list page's size, and the most one page may hold (pages and the API).
PER_PAGE = 20
MAX_PER_PAGE = 100


@dataclass
class ProfileFilters:
    q: str = ""
    clinical_areas: list[str] = field(default_factory=list)
    care_settings: list[str] = field(default_factory=list)
    trl_min: int | None = None
    trl_max: int | None = None
    country: str | None = None
    language: str | None = None
    organisation_id: int | None = None
    organisation_kind: str | None = None
    # "public": published profiles of approved organisations; "mine": every profile of the
    # viewer's own organisation, drafts included.
    scope: str = "public"

    def __post_init__(self):
        self.q = nfc(self.q or "")  # as profile text is stored

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.clinical_areas or self.care_settings or self.trl_min
                    or self.trl_max or self.country or self.language or self.organisation_id
                    or self.organisation_kind)


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def browse_profiles(
    session: Session, viewer: User | None, kind: str, filters: ProfileFilters,
    page: int = 1, per_page: int = PER_PAGE,
) -> Page[Profile]:
    model = MODEL_BY_KIND[kind]
    query = _apply_filters(select(model).join(model.organisation), model, viewer, filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = max(1, min(page, math.ceil(total / per_page) or 1))
    ordered = query.order_by(model.updated_at.desc(), model.id.desc())
    items = list(session.scalars(ordered.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, total, page, per_page)


def filtered_ids(session: Session, viewer: User | None, kind: str, filters: ProfileFilters) -> list[int]:
    """Ids of the profiles that pass the filters, for restricting a search before ranking."""
    model = MODEL_BY_KIND[kind]
    return list(session.scalars(_apply_filters(select(model.id).join(model.organisation), model, viewer, filters)))


def _apply_filters(query: Select, model, viewer: User | None, filters: ProfileFilters) -> Select:
    query = query.where(_scope_clause(model, viewer, filters.scope))
    for facet, codes in (("clinical_area", filters.clinical_areas), ("care_setting", filters.care_settings)):
        if codes:
            query = query.where(model.id.in_(_tagged(facet, codes)))
    if filters.trl_min or filters.trl_max:
        query = query.where(_trl_clause(model, filters.trl_min or 1, filters.trl_max or 9))
    if filters.country:
        query = query.where(Organisation.country == filters.country)
    if filters.language:
        query = query.where(model.language == filters.language)
    if filters.organisation_id:
        query = query.where(model.organisation_id == filters.organisation_id)
    if filters.organisation_kind:
        query = query.where(Organisation.kind == filters.organisation_kind)
    for word in filters.q.split()[:10]:
        query = query.where(_text_clause(model, word))
    return query


def _scope_clause(model, viewer: User | None, scope: str):
    if scope == "mine":
        owner = viewer.organisation_id if viewer and viewer.organisation_id else -1
        return model.organisation_id == owner
    return model.public_clause()


def _tagged(facet: str, codes: list[str]) -> Select:
    """Profiles carrying any of the codes (an OR inside one facet, as users expect)."""
    return select(ProfileTag.profile_id).where(ProfileTag.facet == facet, ProfileTag.code.in_(codes))


def _trl_clause(model, low: int, high: int):
    if model.kind_name == "need":
        return and_(model.trl_min.is_not(None), model.trl_min <= high,
                    func.coalesce(model.trl_max, 9) >= low)
    return and_(model.trl.is_not(None), model.trl.between(low, high))


def _text_clause(model, word: str):
    """Case-insensitive substring match; SQLite's lower() is given Unicode rules on connect."""
    needle = word.lower()
    columns = (model.title, model.description, Organisation.name)
    return or_(*(func.lower(column).contains(needle, autoescape=True) for column in columns))
