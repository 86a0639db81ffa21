"""What the funding endpoints answer with and accept; the OpenAPI document is built from these."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from matchmaker.api.schemas import Id, OrganisationSummary, PassagePair, Timestamp
from matchmaker.models import FundingInstrument
from matchmaker.vocabulary import FUNDING_PURPOSES


class Instrument(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str
    organisation: OrganisationSummary
    title: str
    description: str
    language: str
    status: Literal["draft", "published", "archived"]
    applicants: list[str]
    purposes: list[str]
    amount_min: int | None
    amount_max: int | None
    currency: str
    deadline: date | None = Field(description="None for a rolling call.")
    rolling: bool
    min_trusts: int | None = Field(description="Binding participation of at least this many trusts.")
    requires_supplier: bool
    trl_min: int | None
    trl_max: int | None
    clinical_areas: list[str] = Field(description="Empty: any clinical area.")
    countries: list[str] = Field(description="Empty: any country.")
    requirements: str
    url: str
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None


class InstrumentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Literal[tuple(FUNDING_PURPOSES)] | None = None  # type: ignore[valid-type]
    open: bool = Field(default=False, description="Only rolling calls and calls whose deadline has not passed.")
    mine: bool = Field(default=False, description="Your agency's instruments, drafts and archived ones included.")


class InstrumentList(BaseModel):
    items: list[Instrument]


class ConditionCheck(BaseModel):
    code: str = Field(description="deadline, applicants, purposes, min_trusts, supplier, trl, countries or "
                                  "clinical_areas")
    status: Literal["met", "not_met", "unknown"]
    text: str = Field(description="The check in words, in the reader's language.")


class InstrumentSuggestion(BaseModel):
    instrument: Instrument
    score: float = Field(description="For ordering only; compare within one answer.")
    reason: list[PassagePair] = Field(description="The passages of both sides that matched best.")
    checks: list[ConditionCheck]


class SuggestionList(BaseModel):
    items: list[InstrumentSuggestion]


class FollowRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need_id: Id | None = None
    collaboration_id: Id | None = None
    instrument_id: Id | None = Field(default=None, description="The instrument that made it interesting.")


class FollowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    need_id: int | None
    collaboration_id: int | None
    instrument_id: int | None
    created_at: Timestamp


class FollowList(BaseModel):
    items: list[FollowOut]


class FundingLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument_id: Id


class FundingLinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    collaboration_id: int
    instrument: Instrument
    created_at: Timestamp



def instrument_json(instrument: FundingInstrument) -> dict:
    return Instrument.model_validate({**_columns(instrument), "organisation": instrument.organisation,
                                      "rolling": instrument.deadline is None}).model_dump(mode="json")


def _columns(instrument: FundingInstrument) -> dict:
    return {name: getattr(instrument, name) for name in Instrument.model_fields
            if name not in ("organisation", "rolling")}
