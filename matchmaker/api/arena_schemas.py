"""What the arena endpoints read and answer with. The OpenAPI document is generated from these
models, so it cannot disagree with the responses. Meeting notes appear only in the participant's
own views (their requests and agenda); the organiser's grid shows who meets where, never notes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from matchmaker.api.schemas import Id, OrganisationSummary, Timestamp
from matchmaker.models import Arena, ArenaParticipant, Meeting
from matchmaker.services.arenas.agenda import Grid
from matchmaker.services.arenas.recommend import Recommendation
from matchmaker.services.arenas.requests import NOTE_LIMIT, awaits_answer_from
from matchmaker.services.arenas.setup import MAX_SLOTS
from matchmaker.services.arenas.stats import ArenaStats
from matchmaker.vocabulary import ARENA_STATUSES, MEETING_STATUSES, PARTICIPANT_GROUPS, REGISTRATION_STATUSES

Group = Literal[tuple(PARTICIPANT_GROUPS)]
Note = Annotated[str, Field(max_length=NOTE_LIMIT)]


class Request(BaseModel):
    """Unknown fields are refused rather than ignored, so a misspelt field never passes silently."""

    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Request):
    profile_id: Id | None = Field(default=None, description="One of your organisation's published profiles: "
                                  "recommendations come from it.")


class RegistrationUpdate(Request):
    """Fields left out keep their value; null clears them."""

    profile_id: Id | None = None
    max_meetings: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="The most meetings you want; never above the arena's own limit.")


class AvailabilityInput(Request):
    available_slot_ids: list[Id] = Field(max_length=MAX_SLOTS,
                                         description="The slots you can attend; every other slot is unavailable.")


class MeetingRequestInput(Request):
    recipient_id: Id = Field(description="The participant (registration id) you ask.")
    note: Note = Field(default="", description="What you would like to talk about; only the people in the "
                       "meeting see it.")
    third_id: Id | None = Field(default=None, description="A third participant, e.g. a colleague.")


class AnswerInput(Request):
    answer: Literal["accept", "decline"]
    note: Note = ""


class DecisionInput(Request):
    decision: Literal["approve", "decline"]


class MoveInput(Request):
    slot_id: Id
    table_id: Id


class ArenaSlot(BaseModel):
    id: int
    start: Timestamp
    end: Timestamp


class ArenaTable(BaseModel):
    id: int
    name: str
    capacity: int


class ArenaPerson(BaseModel):
    """A participant as others see them: their registration id is what requests name."""

    id: int
    name: str
    group: Group
    organisation: OrganisationSummary


class Registration(ArenaPerson):
    status: Literal[tuple(REGISTRATION_STATUSES)]
    profile_id: int | None
    max_meetings: int | None
    registered_at: Timestamp
    decided_at: Timestamp | None


class ArenaSummary(BaseModel):
    id: int
    external_id: str
    title: str
    venue: str
    status: Literal[tuple(ARENA_STATUSES)]
    timezone: str
    organiser: OrganisationSummary
    meeting_minutes: int
    max_meetings: int | None
    registration_deadline: Timestamp | None
    request_deadline: Timestamp | None
    schedule_published_at: Timestamp | None


class ArenaDetail(ArenaSummary):
    description: str
    allowed_pairs: list[list[Group]] = Field(description="Pairs of groups that may book meetings with each other.")
    slots: list[ArenaSlot]
    tables: list[ArenaTable]
    me: Registration | None = Field(description="Your registration, if you have registered.")
    is_organiser: bool
    can_take_part: bool = Field(description="Whether your organisation is of a kind that takes part.")


class ArenaList(BaseModel):
    items: list[ArenaSummary]


class Availability(BaseModel):
    slots: list[ArenaSlot]
    available_slot_ids: list[int]


class ParticipantListItem(ArenaPerson):
    has_open_request: bool = Field(description="You already have a pending or accepted meeting with them.")


class ParticipantList(BaseModel):
    items: list[ParticipantListItem]


class RecommendationItem(BaseModel):
    participant: ArenaPerson
    score: float
    strength: str


class RecommendationList(BaseModel):
    items: list[RecommendationItem]


class PlacedMeeting(BaseModel):
    """A meeting as the organiser's grid shows it: who, when and where, without the notes."""

    id: int
    status: Literal[tuple(MEETING_STATUSES)]
    participants: list[ArenaPerson]
    mutual: bool
    slot: ArenaSlot | None
    table: ArenaTable | None
    locked: bool
    published: bool
    unscheduled_reason: str | None


class MyMeeting(PlacedMeeting):
    """A meeting or request of your own, with its notes."""

    requester_id: int
    recipient_id: int
    note: str
    response_note: str
    awaits_your_answer: bool
    match_score: float | None
    strength: str | None
    created_at: Timestamp
    responded_at: Timestamp | None
    attendance: str | None
    outcome: str | None


class MyMeetingList(BaseModel):
    items: list[MyMeeting]


class Agenda(BaseModel):
    meetings: list[MyMeeting] = Field(description="Your meetings in the published schedule, in time order.")
    waiting: list[MyMeeting] = Field(description="Accepted meetings not in the published schedule yet.")


class ScheduleGrid(BaseModel):
    slots: list[ArenaSlot]
    tables: list[ArenaTable]
    placed: list[PlacedMeeting]
    unplaced: list[PlacedMeeting] = Field(description="Accepted meetings without a slot; see unscheduled_reason.")
    without_meeting: list[ArenaPerson] = Field(description="Approved participants with no meeting in the schedule.")


class SchedulerRun(BaseModel):
    at: str
    placed: int
    unscheduled: int
    objective: float | None
    bound: float | None
    seconds: float


class PublishResult(BaseModel):
    published: int = Field(description="How many meetings went into the agendas now.")


class RegistrationList(BaseModel):
    items: list[Registration]


class ArenaFunnelStep(BaseModel):
    stage: str
    count: int


class ArenaFigures(BaseModel):
    registrations: dict[str, dict[str, int]] = Field(description="Per group, per registration status.")
    requests: dict[str, int] = Field(description="Meetings and requests per status.")
    funnel: list[ArenaFunnelStep]
    unscheduled: dict[str, int] = Field(description="Accepted meetings without a slot, per reason.")
    attendance: dict[str, int]
    outcomes: dict[str, int]
    approved: int
    without_meeting: int



def _dump(model: type[BaseModel], fields: dict) -> dict:
    return model.model_validate(fields).model_dump(mode="json")


def _slot(slot) -> dict | None:
    return None if slot is None else {"id": slot.id, "start": slot.start, "end": slot.end}


def _table(table) -> dict | None:
    return None if table is None else {"id": table.id, "name": table.display_name, "capacity": table.capacity}


def _organisation(organisation) -> dict:
    return OrganisationSummary.model_validate(organisation, from_attributes=True).model_dump()


def _person(participant: ArenaParticipant) -> dict:
    return {"id": participant.id, "name": participant.display_name, "group": participant.participant_group,
            "organisation": _organisation(participant.organisation)}


def _registration(participant: ArenaParticipant) -> dict:
    p = participant
    return {**_person(p), "status": p.status, "profile_id": p.profile_id, "max_meetings": p.max_meetings,
            "registered_at": p.created_at, "decided_at": p.decided_at}


def registration(participant: ArenaParticipant) -> dict:
    return _dump(Registration, _registration(participant))


def registration_list(participants: list[ArenaParticipant]) -> dict:
    return _dump(RegistrationList, {"items": [_registration(p) for p in participants]})


def _summary(arena: Arena) -> dict:
    a = arena
    return {"id": a.id, "external_id": a.external_id, "title": a.title, "venue": a.venue, "status": a.status,
            "timezone": a.timezone, "organiser": _organisation(a.organiser), "meeting_minutes": a.meeting_minutes,
            "max_meetings": a.max_meetings, "registration_deadline": a.registration_deadline,
            "request_deadline": a.request_deadline, "schedule_published_at": a.schedule_published_at}


def arena_list(arenas: list[Arena]) -> dict:
    return _dump(ArenaList, {"items": [_summary(a) for a in arenas]})


def arena_detail(arena: Arena, me: ArenaParticipant | None, is_organiser: bool, can_take_part: bool) -> dict:
    return _dump(ArenaDetail, {
        **_summary(arena), "description": arena.description, "allowed_pairs": arena.allowed_pairs,
        "slots": [_slot(s) for s in arena.slots], "tables": [_table(t) for t in arena.tables],
        "me": _registration(me) if me else None, "is_organiser": is_organiser, "can_take_part": can_take_part})


def availability(arena: Arena, available: list[int]) -> dict:
    return _dump(Availability, {"slots": [_slot(s) for s in arena.slots], "available_slot_ids": available})


def participant_list(others: list[ArenaParticipant], open_with: set[int]) -> dict:
    return _dump(ParticipantList, {"items": [{**_person(p), "has_open_request": p.id in open_with} for p in others]})


def recommendation_list(found: list[Recommendation]) -> dict:
    items = [{"participant": _person(r.participant), "score": round(r.match.score, 4),
              "strength": r.match.explanation.strength} for r in found]
    return _dump(RecommendationList, {"items": items})


def _placed(meeting: Meeting) -> dict:
    m = meeting
    return {"id": m.id, "status": m.status, "participants": [_person(p) for p in m.participants], "mutual": m.mutual,
            "slot": _slot(m.slot), "table": _table(m.table), "locked": m.locked,
            "published": m.published_at is not None, "unscheduled_reason": m.unscheduled_reason}


def _mine(meeting: Meeting, me: ArenaParticipant) -> dict:
    m = meeting
    return {**_placed(m), "requester_id": m.requester_id, "recipient_id": m.recipient_id, "note": m.note,
            "response_note": m.response_note, "awaits_your_answer": awaits_answer_from(m, me),
            "match_score": m.match_score, "strength": (m.match_reason or {}).get("strength"),
            "created_at": m.created_at, "responded_at": m.responded_at, "attendance": m.attendance,
            "outcome": m.outcome}


def my_meeting(meeting: Meeting, me: ArenaParticipant) -> dict:
    return _dump(MyMeeting, _mine(meeting, me))


def my_meeting_list(meetings: list[Meeting], me: ArenaParticipant) -> dict:
    return _dump(MyMeetingList, {"items": [_mine(m, me) for m in meetings]})


def agenda(meetings: list[Meeting], waiting: list[Meeting], me: ArenaParticipant) -> dict:
    return _dump(Agenda, {"meetings": [_mine(m, me) for m in meetings], "waiting": [_mine(m, me) for m in waiting]})


def placed_meeting(meeting: Meeting) -> dict:
    return _dump(PlacedMeeting, _placed(meeting))


def schedule_grid(layout: Grid) -> dict:
    placed = [meeting for slot in layout.slots for table in layout.tables if (meeting := layout.at(slot, table))]
    return _dump(ScheduleGrid, {
        "slots": [_slot(s) for s in layout.slots], "tables": [_table(t) for t in layout.tables],
        "placed": [_placed(m) for m in placed], "unplaced": [_placed(m) for m in layout.unplaced],
        "without_meeting": [_person(p) for p in layout.without_meeting]})


def scheduler_run(figures: dict) -> dict:
    return _dump(SchedulerRun, figures)


def arena_figures(figures: ArenaStats) -> dict:
    return _dump(ArenaFigures, {
        "registrations": {group: dict(counts) for group, counts in figures.registrations.items()},
        "requests": dict(figures.requests), "funnel": [{"stage": s, "count": n} for s, n in figures.funnel],
        "unscheduled": dict(figures.unscheduled), "attendance": dict(figures.attendance),
        "outcomes": dict(figures.outcomes), "approved": figures.approved, "without_meeting": figures.without_meeting})
