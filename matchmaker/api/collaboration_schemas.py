"""What the collaboration and joint-need endpoints read and answer with. The OpenAPI document is
generated from these models, so it cannot disagree with the responses."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matchmaker.api.schemas import Id, OrganisationSummary, Timestamp
from matchmaker.models import Collaboration, NeedCoOwner, Profile
from matchmaker.services.collaborations.joint_needs import FIELD_LIMIT as JOIN_FIELD_LIMIT
from matchmaker.services.collaborations.operations import COMMENT_LIMIT
from matchmaker.services.collaborations.terms import SHORT_LIMITS, TEXT_LIMIT
from matchmaker.vocabulary import COLLABORATION_STAGES, TEST_TYPES

Stage = Literal[tuple(COLLABORATION_STAGES)]
TestType = Literal[tuple(TEST_TYPES)]
Text = Annotated[str, Field(max_length=TEXT_LIMIT)]
ShortText = Annotated[str, Field(max_length=COMMENT_LIMIT)]


class Request(BaseModel):
    """Unknown fields are refused rather than ignored, so a misspelt field never passes silently."""

    model_config = ConfigDict(extra="forbid")


# The terms as the OpenAPI document shows them; the endpoints pass the terms on unread, and the
# terms service's own TermsInput checks them once.
class TermsInput(Request):
    """Terms of a collaboration. Fields left out keep their earlier value: the template's when
    proposing, the current version's when writing a new version."""

    scope: Text | None = None
    test_type: TestType | None = None
    site: Annotated[str, Field(max_length=SHORT_LIMITS["site"])] | None = None
    period_start: date | None = None
    period_end: date | None = None
    supplier_contribution: Text | None = None
    department_contribution: Text | None = None
    data_access: Text | None = None
    dpia_needed: bool | None = None
    ip_terms: Text | None = None
    cost_terms: Text | None = None
    funding_sought: Text | None = None


class ProposeRequest(Request):
    need_id: Id
    capability_id: Id | None = Field(
        default=None, description="Your capability profile as a supplier; the invited supplier's as a department.")
    terms: TermsInput | None = Field(default=None, description="Left out, the terms start from the template.")


class ProposeBody(ProposeRequest):
    """A proposal as the endpoint reads it: the terms stay a plain object, checked once by the
    terms service after the template has filled in what was left out."""

    terms: dict[str, Any] | None = None


class MoveRequest(Request):
    to: str = Field(description="The stage to move to; see `moves` on the collaboration.")
    note: ShortText = Field(default="", description="Required when declining or stopping: say briefly why.")


class CommentRequest(Request):
    text: ShortText


class ListingRequest(Request):
    listed: bool = Field(description="Whether your side agrees to list the collaboration publicly.")


class ResultRequest(Request):
    summary: ShortText


class JoinNeedRequest(Request):
    site: Annotated[str, Field(max_length=JOIN_FIELD_LIMIT, description="Where your department would test.")]
    patient_volume: Annotated[str, Field(max_length=JOIN_FIELD_LIMIT)] = ""


class CollaborationQuery(Request):
    listed: bool = False
    stage: Stage | None = None


class ProfileRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["need", "capability"]
    title: str


class Person(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class Terms(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    scope: str
    test_type: str
    site: str
    period_start: date | None
    period_end: date | None
    supplier_contribution: str
    department_contribution: str
    data_access: str
    dpia_needed: bool
    ip_terms: str
    cost_terms: str
    funding_sought: str
    edited_by: Person | None
    created_at: Timestamp


class CollaborationEvent(BaseModel):
    """One entry of the history: who changed what, and when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Literal["created", "stage", "terms", "agreed", "listing", "result"]
    from_stage: str | None
    to_stage: str | None
    terms_version: int | None
    text: str = Field(description="The reason of a stage change, 'yes' or 'no' for listing, or the result.")
    user: Person | None
    organisation: OrganisationSummary | None
    created_at: Timestamp


class CollaborationComment(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    user: Person | None
    organisation: OrganisationSummary | None
    created_at: Timestamp


class CollaborationResult(BaseModel):
    summary: str
    published_at: Timestamp


class CollaborationSummary(BaseModel):
    id: int
    external_id: str
    stage: Stage
    need: ProfileRef
    capability: ProfileRef | None
    supplier: OrganisationSummary
    department: OrganisationSummary
    proposed_by: Literal["supplier", "department"]
    listed: bool = Field(description="Public: both sides agreed to list it.")
    listed_by_supplier: bool
    listed_by_department: bool
    supplier_agreed_version: int | None
    department_agreed_version: int | None
    result: CollaborationResult | None
    created_at: Timestamp
    stage_changed_at: Timestamp


class CollaborationDetail(CollaborationSummary):
    current_terms: Terms
    terms: list[Terms] = Field(description="Every version, oldest first.")
    events: list[CollaborationEvent] = Field(description="The history without comments, oldest first.")
    comments: list[CollaborationComment] | None = Field(
        description="Between the parties only: null when you are not one of them.")
    moves: list[Stage] = Field(description="The stages you may move the collaboration to now.")


class CollaborationList(BaseModel):
    items: list[CollaborationSummary]


class CoOwner(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    organisation: OrganisationSummary
    site: str
    patient_volume: str
    joined_at: Timestamp


class JointNeed(BaseModel):
    need_id: int
    owner: OrganisationSummary
    trusts: int = Field(description="How many trusts the need spans, the owner's included.")
    sites: int = Field(description="How many sites the need spans, the owner's included.")
    co_owners: list[CoOwner]
    can_join: bool = Field(description="Whether your organisation is one that may join this need.")
    joined: bool = Field(description="Whether your organisation has joined this need.")



def _summary_fields(collaboration: Collaboration) -> dict:
    c = collaboration
    return {"id": c.id, "external_id": c.external_id, "stage": c.stage, "need": c.need, "capability": c.capability,
            "supplier": c.supplier, "department": c.department,
            "proposed_by": "supplier" if c.proposed_by_id == c.supplier_id else "department",
            "listed": c.is_listed, "listed_by_supplier": c.listed_by_supplier,
            "listed_by_department": c.listed_by_department, "supplier_agreed_version": c.supplier_agreed_version,
            "department_agreed_version": c.department_agreed_version, "result": _result(c),
            "created_at": c.created_at, "stage_changed_at": c.stage_changed_at}


def _result(collaboration: Collaboration) -> dict | None:
    if collaboration.result_published_at is None:
        return None
    return {"summary": collaboration.result_summary, "published_at": collaboration.result_published_at}


def collaboration_list(collaborations: list[Collaboration]) -> dict:
    items = [_summary_fields(c) for c in collaborations]
    return CollaborationList.model_validate({"items": items}, from_attributes=True).model_dump(mode="json")


def collaboration_detail(collaboration: Collaboration, moves: list[str], show_comments: bool) -> dict:
    events = [e for e in collaboration.events if e.kind != "comment"]
    comments = [e for e in collaboration.events if e.kind == "comment"] if show_comments else None
    fields = {**_summary_fields(collaboration), "current_terms": collaboration.current_terms,
              "terms": collaboration.terms, "events": events, "comments": comments, "moves": moves}
    return CollaborationDetail.model_validate(fields, from_attributes=True).model_dump(mode="json")


def joint_need(need: Profile, co_owners: list[NeedCoOwner], spans: tuple[int, int], can_join: bool,
               organisation_id: int | None) -> dict:
    trusts, sites = spans
    fields = {"need_id": need.id, "owner": need.organisation, "trusts": trusts, "sites": sites,
              "co_owners": co_owners, "can_join": can_join,
              "joined": any(owner.organisation_id == organisation_id for owner in co_owners)}
    return JointNeed.model_validate(fields, from_attributes=True).model_dump(mode="json")
