"""Demo collaborations with a past: each in a different stage, with a history spread over the last
year, one joint need across two trusts, and months of match views, so the indicators and the
collaboration pages have something to show from the first sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import (
    Collaboration,
    CollaborationEvent,
    CollaborationTerms,
    MatchView,
    NeedCoOwner,
    Organisation,
    Profile,
    User,
)
from matchmaker.services.collaborations import terms as terms_rules

# need, capability, who proposed, days ago it started, then (stage, days after the previous step).
HISTORIES = [
    ("need-demo-akutt-venterom", "cap-kvitfjell-vitalpatch", "supplier", 130,
     [("accepted", 6), ("agreement", 21), ("testing", 14)]),
    ("need-demo-akutt-tolk", "cap-sprakbro-videotolk", "supplier", 9, []),
    ("need-demo-akutt-venterom", "cap-flytlys-waiting", "department", 40, [("accepted", 4)]),
    ("need-stolav-sepsis", "cap-sepsia-ed", "supplier", 330,
     [("accepted", 9), ("agreement", 30), ("testing", 20), ("verified", 150)]),
    ("need-ous-slag-prehospital", "cap-neurodispatch-stroke", "department", 280,
     [("accepted", 3), ("agreement", 25), ("testing", 12), ("verified", 120)]),
    ("need-hb-fall-natt", "cap-nattvakt-sensor", "supplier", 75, [("accepted", 5), ("agreement", 18)]),
    ("need-rs-akut-sepsis", "cap-nordlys-sepsiscreen", "supplier", 50, [("accepted", 12)]),
    ("need-stolav-hjertesvikt", "cap-hjertepuls-hjem", "supplier", 160,
     [("accepted", 7), ("agreement", 35), ("testing", 10)]),
    ("need-vv-protese-sarkontroll", "cap-helix-saar", "supplier", 200,
     [("accepted", 8), ("stopped", 40)]),
    ("need-skane-fall-natt", "cap-trygghetsljus-ljusvag", "supplier", 60, [("declined", 11)]),
    # The demo department has just invited the demo founder: a proposal waiting for their answer.
    ("need-demo-akutt-venterom", "cap-kvitfjell-triage", "department", 2, []),
]
RESULTS = {
    "cap-sepsia-ed": "Median time to antibiotics fell from 74 to 52 minutes over five months, with no rise in "
                     "false alarms the staff found disruptive.",
    "cap-neurodispatch-stroke": "Large-vessel occlusions were recognised before arrival in 41 of 47 cases; "
                                "door-to-groin time fell by 18 minutes.",
}
REASONS = {"stopped": "The photo workflow did not fit the outpatient clinic's routines; we may return to it.",
           "declined": "We have started a similar test with another supplier this year."}
JOINT_NEED = ("need-hb-fall-natt", "org-skane-geriatrik", "Akutgeriatrik, Skånes universitetssjukhus Malmö",
              "About 1,200 admissions a year")
VIEW_MONTHS, VIEWS_PER_MONTH = 6, (4, 7, 9, 12, 15, 18)


def load_demo_collaborations(session: Session) -> int:
    """Adds the demo histories once; returns how many collaborations were added."""
    if session.scalar(select(Collaboration.id).limit(1)) is not None:
        return 0
    profiles = {p.external_id: p for p in session.scalars(select(Profile).where(Profile.status == "published"))}
    now = datetime.now(UTC)
    added = 0
    for need_id, capability_id, proposer, days_ago, steps in HISTORIES:
        if need_id in profiles and capability_id in profiles:
            session.add(_collaboration(session, profiles[need_id], profiles[capability_id], proposer,
                                       now - timedelta(days=days_ago), steps))
            added += 1
    _joint_need(session, profiles)
    _match_views(session, profiles, now)
    session.flush()
    return added


def _collaboration(session: Session, need: Profile, capability: Profile, proposer: str, start: datetime,
                   steps: list[tuple[str, int]]) -> Collaboration:
    department, supplier = need.organisation, capability.organisation
    people = {"department": _contact(session, department), "supplier": _contact(session, supplier)}
    first = people[proposer]
    collaboration = Collaboration(need=need, capability=capability, supplier_id=supplier.id,
                                  department_id=department.id, stage="proposed", created_at=start,
                                  stage_changed_at=start,
                                  proposed_by_id=department.id if proposer == "department" else supplier.id)
    terms = {**terms_rules.template(need, capability), "scope": _scope(need, capability)}
    collaboration.terms = [CollaborationTerms(version=1, edited_by=first, created_at=start, **terms)]
    collaboration.events = [_event(first, "created", start, to_stage="proposed", terms_version=1)]
    when, other = start, people["supplier" if proposer == "department" else "department"]
    for stage, days in steps:
        when += timedelta(days=days)
        actor = other if stage in ("accepted", "declined") else people["department"]
        collaboration.events.append(_event(actor, "stage", when, from_stage=collaboration.stage, to_stage=stage,
                                           text=REASONS.get(stage, "")))
        collaboration.stage, collaboration.stage_changed_at = stage, when
    _finish(collaboration, capability, when, people["department"])
    return collaboration


def _scope(need: Profile, capability: Profile) -> str:
    """Terms in the parties' own words, as agreed terms would be, not the template's prompt."""
    return (f"{capability.title} in daily use at {need.organisation.name} for twelve weeks, on the patients "
            f"described in \u201c{need.title}\u201d. Staff and patients are interviewed at the start and the end; "
            f"success is less time spent and no new risk, compared with the current routine.")


def _finish(collaboration: Collaboration, capability: Profile, when: datetime, department: User | None) -> None:
    """Agreements carry both sides' consent; verified results are published and listed."""
    if collaboration.stage in ("agreement", "testing", "verified"):
        collaboration.supplier_agreed_version = collaboration.department_agreed_version = 1
    summary = RESULTS.get(capability.external_id)
    if collaboration.stage == "verified" and summary:
        collaboration.result_summary, collaboration.result_published_at = summary, when + timedelta(days=3)
        collaboration.listed_by_supplier = collaboration.listed_by_department = True
        collaboration.events.append(_event(department, "result", when + timedelta(days=3), text=summary))


def _event(user: User | None, kind: str, when: datetime, **fields) -> CollaborationEvent:
    return CollaborationEvent(kind=kind, user=user, organisation_id=user.organisation_id if user else None,
                              created_at=when, **fields)


def _contact(session: Session, organisation: Organisation) -> User | None:
    return session.scalar(select(User).where(User.organisation_id == organisation.id).order_by(User.id))


def _joint_need(session: Session, profiles: dict[str, Profile]) -> None:
    need_id, organisation_id, site, volume = JOINT_NEED
    organisation = session.scalar(select(Organisation).where(Organisation.external_id == organisation_id))
    if need_id in profiles and organisation is not None:
        contact = _contact(session, organisation)
        session.add(NeedCoOwner(need_id=profiles[need_id].id, organisation_id=organisation.id, site=site,
                                patient_volume=volume, joined_by_id=contact.id if contact else None))


def _match_views(session: Session, profiles: dict[str, Profile], now: datetime) -> None:
    """A growing number of match lists opened each month, on the needs and by their own staff."""
    needs = [p for p in profiles.values() if p.kind == "need"]
    for month, count in enumerate(VIEWS_PER_MONTH):
        day = now - timedelta(days=30 * (VIEW_MONTHS - 1 - month) + 2)
        for n in range(count):
            need = needs[(month * 7 + n) % len(needs)]
            session.add(MatchView(profile_id=need.id, profile_organisation_id=need.organisation_id,
                                  viewer_organisation_id=need.organisation_id, mode="matches", channel="web",
                                  results=10, created_at=day - timedelta(hours=n)))
