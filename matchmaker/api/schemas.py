"""What the API answers with. Responses are built through these models, and the OpenAPI
document is generated from them, so the two cannot disagree."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from matchmaker import MAX_ID
from matchmaker.models.arenas import as_utc
from matchmaker.services.browse import MAX_PER_PAGE, PER_PAGE
from matchmaker.services.schemas import CapabilityInput, NeedInput
from matchmaker.services.storable import nfc

# SQLite hands back naive datetimes; every stored time is UTC, and the document promises date-times
# with an offset (RFC 3339), so each one is made explicit before it is answered.
Timestamp = Annotated[datetime, AfterValidator(as_utc)]
# An id sent in a body or a query: one the database can hold, like the ids in URLs.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class OrganisationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    country: str


class Organisation(OrganisationSummary):
    external_id: str | None
    parent_id: int | None
    org_number: str | None
    website: str | None
    description: str | None
    size: str | None
    founded: int | None
    is_approved: bool


class ProfileMeta(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    external_id: str | None
    organisation: OrganisationSummary
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None


class Need(ProfileMeta, NeedInput):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    # Checked when it was stored; checking every address again on every list cost a fifth of
    # the time of a list request.
    contact_email: str | None = Field(default=None, json_schema_extra={"format": "email"})


class Capability(ProfileMeta, CapabilityInput):
    model_config = ConfigDict(from_attributes=True, extra="ignore")


class Pagination(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int


class NeedList(Pagination):
    items: list[Need]


class CapabilityList(Pagination):
    items: list[Capability]


class OrganisationList(BaseModel):
    items: list[Organisation]


class OrganisationQuery(BaseModel):
    kind: str | None = Field(default=None, description="Only organisations of this kind")


class ErrorDetail(BaseModel):
    status: int
    message: str
    fields: dict[str, str] = Field(description="Per-field messages, keyed by field name.")


class Error(BaseModel):
    error: ErrorDetail


ANY_OF = "repeat or comma-separate for several (any of)"


class FacetQuery(BaseModel):
    """The filters that listing and matching share."""

    model_config = ConfigDict(extra="forbid")

    clinical_area: list[str] = Field(default_factory=list, description=f"Clinical area code; {ANY_OF}")
    care_setting: list[str] = Field(default_factory=list, description=f"Care setting code; {ANY_OF}")
    trl_min: Annotated[int, Field(ge=1, le=9)] | None = Field(default=None, description="Lowest TRL")
    trl_max: Annotated[int, Field(ge=1, le=9)] | None = Field(default=None, description="Highest TRL")
    country: str | None = Field(default=None, description="Organisation's country code (NO, SE, DK, FI, IS, other)")
    language: str | None = Field(default=None, description="Language code of the profile (nb, nn, sv, da, en)")


class ListQuery(FacetQuery):
    """Query parameters of the list endpoints."""

    q: Annotated[str, Field(max_length=200)] = Field(
        default="", description="Words that must all appear in the title, text or organisation name")
    organisation: Id | None = Field(default=None, description="Organisation id")
    mine: bool = Field(default=False, description="Only your organisation's profiles, drafts included")
    page: Annotated[int, Field(ge=1)] = Field(default=1, description="Page number, from 1")
    per_page: Annotated[int, Field(ge=1, le=MAX_PER_PAGE)] = Field(default=PER_PAGE, description="Items per page")


OUTPUT_BY_KIND = {"need": Need, "capability": Capability}
LIST_BY_KIND = {"need": NeedList, "capability": CapabilityList}


class MatchFilters(FacetQuery):
    """Filters of the match endpoints; they apply before ranking."""

    organisation_kind: str | None = Field(default=None, description="Kind of the matched profile's organisation")
    limit: Annotated[int, Field(ge=1, le=50)] = Field(default=10, description="How many matches")
    offset: Annotated[int, Field(ge=0, le=100)] = Field(
        default=0, description="Matches to skip: the next page starts at offset + limit")


class TextMatchRequest(MatchFilters):
    text: Annotated[str, Field(min_length=3, max_length=5000), AfterValidator(nfc)]
    kind: Literal["need", "capability"] = Field(description="What to find: needs or capabilities.")


class PassagePair(BaseModel):
    yours: str
    theirs: str


class Mismatch(BaseModel):
    code: Literal["trl", "care_setting", "clinical_area"]
    message: str


class MatchExplanation(BaseModel):
    passages: list[PassagePair] = Field(description="The passages of each side that matched best.")
    shared_clinical_areas: list[str]
    shared_care_settings: list[str]
    mismatches: list[Mismatch]


class Match(BaseModel):
    profile: Need | Capability
    strength: Literal["strong", "good", "possible"] | None = Field(
        description="Calibrated: strong means at least 8 in 10 such pairs were judged relevant, good 6 in 10, "
                    "possible 4 in 10; null for the closest profiles when nothing earns a word.")
    score: float = Field(description="For ordering only; compare within one answer.")
    explanation: MatchExplanation


class MatchList(BaseModel):
    items: list[Match]
    total: int = Field(description="How many matches earn a strength word in all; page with limit and offset.")
    offset: int = 0
    closest: bool = Field(False, description="Nothing earns a strength word: the items are only the nearest.")
