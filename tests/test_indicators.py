"""Indicators from known fixtures: needs, collaborations with stage events at set times, arena
meetings with attendance and match views; who may see whose figures; the CSV export and the API;
match views logged by the match pages; and the trust overview of similar needs elsewhere."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from matchmaker.models import (
    Collaboration,
    CollaborationEvent,
    Follow,
    FundingInstrument,
    FundingLink,
    MatchView,
    NeedCoOwner,
    Organisation,
)
from matchmaker.services import indicators
from matchmaker.services.activity import record_match_view
from matchmaker.services.indicators import Period

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)
FALLS = "Patients fall at night on the geriatric ward when they get up alone to go to the toilet."
SENSOR = "Radar sensor by the bed detects when a patient gets up at night and alerts the nurse before a fall."


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


@dataclass
class World:
    trust: Organisation
    ward: Organisation
    sister_ward: Organisation
    other_ward: Organisation
    supplier: Organisation
    agency: Organisation
    needs: dict
    collaborations: dict


def collaboration(db, need, supplier, created: str, *moves: tuple[str, str]) -> Collaboration:
    """A collaboration with its stage events at the given days: moves are (to_stage, day)."""
    item = Collaboration(need=need, supplier_id=supplier.id, department_id=need.organisation_id,
                         proposed_by_id=supplier.id, created_at=at(created), stage_changed_at=at(created))
    stage = "proposed"
    for to_stage, day in moves:
        item.events.append(CollaborationEvent(kind="stage", from_stage=stage, to_stage=to_stage, created_at=at(day)))
        stage = to_stage
    item.stage = stage
    db.add(item)
    db.commit()
    return item


def view(db, viewer, profile, day: str, mode: str = "matches") -> None:
    record_match_view(db, viewer, profile, mode).created_at = at(day)
    db.commit()


def held_meeting(make, arena, slot: int, *people, attendance: str = "held"):
    meeting = make.meeting(arena, *people)
    meeting.place(arena.slots[slot], arena.tables[0])
    meeting.attendance = attendance
    make.db.commit()
    return meeting


@pytest.fixture
def world(make, db) -> World:
    trust, other_trust = make.organisation("health_trust", name="North Trust"), make.organisation("health_trust")
    ward = make.organisation("clinical_department", parent=trust, name="Geriatrics, North")
    sister_ward = make.organisation("clinical_department", parent=trust)
    other_ward = make.organisation("clinical_department", parent=other_trust)
    supplier, agency = make.organisation("supplier"), make.organisation("funding_agency", name="Health Fund")
    needs = {
        "n1": make.need(ward, published_at=at("2026-01-10")),
        "n2": make.need(sister_ward, published_at=at("2026-01-20")),
        "n3": make.need(trust, published_at=at("2026-03-05")),
        "draft": make.need(ward, status="draft"),
        "elsewhere": make.need(other_ward, published_at=at("2026-02-01")),
    }
    collaborations = {
        "c1": collaboration(db, needs["n1"], supplier, "2026-02-01", ("accepted", "2026-02-03"),
                            ("agreement", "2026-02-08"), ("testing", "2026-02-10"), ("verified", "2026-03-12")),
        "c2": collaboration(db, needs["n2"], supplier, "2026-02-01", ("accepted", "2026-02-05")),
        "c3": collaboration(db, needs["n1"], supplier, "2026-02-02", ("declined", "2026-02-03")),
        "other": collaboration(db, needs["elsewhere"], supplier, "2026-02-01", ("accepted", "2026-02-02"),
                               ("agreement", "2026-02-03"), ("testing", "2026-02-04")),
    }
    founder, nurse = make.user(supplier), make.user(sister_ward)
    view(db, founder, needs["n1"], "2026-01-15")  # of the trust's need
    view(db, nurse, None, "2026-02-11", "search")  # by the trust's staff
    view(db, make.user(other_ward), needs["elsewhere"], "2026-02-12")  # neither
    return World(trust, ward, sister_ward, other_ward, supplier, agency, needs, collaborations)


@pytest.fixture
def meetings(make, world):
    arena = make.arena(slots=4, tables=2)
    seller = make.participant(arena, make.user(world.supplier))
    held_meeting(make, arena, 0, make.participant(arena, make.user(world.ward)), seller)
    held_meeting(make, arena, 1, make.participant(arena, make.user(world.other_ward)), seller)
    held_meeting(make, arena, 2, make.participant(arena, make.user(world.sister_ward)), seller, attendance="no_show")
    return arena


def trust_figures(db, world, period=None):
    return indicators.indicators(db, indicators.trust_scope(db, world.trust), period, now=NOW)


def test_trust_counts_needs_views_and_collaborations_by_stage(db, world):
    figures = trust_figures(db, world)
    assert figures.needs_published == 3  # the draft and the other trust's need do not count
    assert figures.needs_by_month == {"2026-01": 2, "2026-03": 1}
    assert figures.views == 2
    assert figures.views_by_month == {"2026-01": 1, "2026-02": 1}
    assert figures.months == ["2026-01", "2026-02", "2026-03"]
    assert figures.collaborations_by_stage == {"proposed": 0, "accepted": 1, "declined": 1, "agreement": 0,
                                               "testing": 0, "verified": 1, "stopped": 0}


def test_trust_funnel_counts_needs_at_each_step(db, world):
    funnel = [(step.key, step.count, step.percent) for step in trust_figures(db, world).funnel]
    assert funnel == [("published", 3, 100.0), ("collaboration", 2, 66.7), ("agreement", 1, 33.3),
                      ("testing", 1, 33.3), ("verified", 1, 33.3)]


def test_time_in_stage_from_events_with_the_open_stage_up_to_now(db, world):
    times = {t.stage: (t.count, t.median_days, t.mean_days) for t in trust_figures(db, world).stage_times}
    # proposed: 2, 4 and 1 days; accepted: 5 days, and 55 days still open on 1 April.
    assert times == {"proposed": (3, 2.0, 2.33), "accepted": (2, 30.0, 30.0), "agreement": (1, 2.0, 2.0),
                     "testing": (1, 30.0, 30.0)}


def test_meetings_held_count_only_held_meetings_with_someone_of_the_scope(db, world, meetings):
    assert trust_figures(db, world).meetings_held == 1
    platform = indicators.indicators(db, indicators.platform_scope(), now=NOW)
    assert platform.meetings_held == 2
    assert indicators.indicators(db, indicators.trust_scope(db, world.trust),
                                 Period(end=date(2030, 6, 2))).meetings_held == 0


def test_date_range_limits_every_figure(db, world):
    january = trust_figures(db, world, Period(date(2026, 1, 1), date(2026, 1, 31)))
    assert (january.needs_published, january.views) == (2, 1)
    assert january.months == ["2026-01"]
    assert sum(january.collaborations_by_stage.values()) == 0
    february = trust_figures(db, world, Period(date(2026, 2, 1), date(2026, 2, 28)))
    assert sum(february.collaborations_by_stage.values()) == 3
    assert february.needs_published == 0


def test_platform_counts_everything(db, world):
    figures = indicators.indicators(db, indicators.platform_scope(), now=NOW)
    assert figures.needs_published == 4
    assert figures.views == 3
    assert figures.collaborations_by_stage["testing"] == 1
    assert [step.count for step in figures.funnel] == [4, 3, 2, 2, 1]


def test_agency_sees_linked_and_followed_needs_and_collaborations(db, make, world):
    instrument = FundingInstrument(organisation_id=world.agency.id, title="Innovation grant", description="Grants.",
                                   language="en", status="published")
    db.add(instrument)
    db.flush()
    funder = make.user(world.agency)
    db.add_all([FundingLink(collaboration_id=world.collaborations["c1"].id, instrument_id=instrument.id),
                Follow(user_id=funder.id, need_id=world.needs["n3"].id),
                Follow(user_id=funder.id, collaboration_id=world.collaborations["other"].id)])
    db.commit()
    view(db, funder, None, "2026-03-02", "search")
    figures = indicators.indicators(db, indicators.agency_scope(world.agency), now=NOW)
    assert figures.needs_published == 3  # n1 (linked), n3 (followed), the other trust's (followed collaboration)
    assert figures.collaborations_by_stage["verified"] == figures.collaborations_by_stage["testing"] == 1
    assert sum(figures.collaborations_by_stage.values()) == 2
    assert figures.views_by_month == {"2026-01": 1, "2026-02": 1, "2026-03": 1}
    assert [step.count for step in figures.funnel] == [3, 2, 2, 2, 1]


# Pages, permissions, export and API

def test_department_member_sees_their_trust(client, auth, make, world):
    auth.login(make.user(world.ward))
    page = client.get("/indicators")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "North Trust" in text and 'id="chart-funnel"' in text and 'id="chart-months"' in text
    # The charts are drawn on the server: the page's only scripts are the site's own deferred files.
    assert all('src="/static/' in tag for tag in text.split("<script")[1:])
    assert 'href="/indicators"' in client.get("/dashboard").get_data(as_text=True)


def test_other_trusts_suppliers_and_picking_are_refused(client, auth, make, world):
    auth.login(make.user(world.other_ward))
    assert client.get(f"/indicators?organisation={world.trust.id}").status_code == 403
    assert client.get(f"/indicators.csv?organisation={world.trust.id}").status_code == 403
    auth.login(make.user(world.supplier))
    refused = client.get("/indicators")
    assert refused.status_code == 403
    assert "Indicators are for health trusts" in refused.get_data(as_text=True)
    assert 'href="/indicators"' not in client.get("/dashboard").get_data(as_text=True)
    auth.login(make.user(make.organisation("clinical_department", approved=False, parent=world.trust)))
    assert client.get("/indicators").status_code == 403


def test_admin_sees_the_platform_and_can_pick(client, auth, make, world):
    auth.login(make.user(is_admin=True))
    platform = client.get("/indicators").get_data(as_text=True)
    assert "The whole platform" in platform
    picked = client.get(f"/indicators?organisation={world.ward.id}")
    assert picked.status_code == 200 and "North Trust" in picked.get_data(as_text=True)
    assert client.get(f"/indicators?organisation={world.supplier.id}").status_code == 404


def test_bad_dates_are_reported(client, auth, make, world):
    auth.login(make.user(world.ward))
    response = client.get("/indicators?from=2026-13-01")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.get_data(as_text=True)
    backwards = client.get("/indicators?from=2026-02-01&to=2026-01-01")
    assert backwards.status_code == 422
    assert "The end date comes before the start date." in backwards.get_data(as_text=True)


def test_csv_export_has_one_row_per_figure(client, auth, make, world):
    auth.login(make.user(world.sister_ward))
    response = client.get("/indicators.csv?from=2026-01-01&to=2026-01-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="indicators-trust-{world.trust.id}.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["scope", "indicator", "key", "value"]
    assert ["North Trust", "needs_published", "total", "2"] in rows
    assert ["North Trust", "match_views", "2026-01", "1"] in rows
    assert ["North Trust", "funnel_percent", "published", "100.0"] in rows
    assert all(len(row) == 4 for row in rows)


def test_api_answers_the_same_figures_with_the_same_rules(api, make, world):
    response = api.as_user(make.user(world.ward)).get("/api/v1/indicators")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["scope"] == {"kind": "trust", "organisation_id": world.trust.id, "name": "North Trust"}
    assert body["needs_published"] == 3
    assert body["needs_by_month"] == {"2026-01": 2, "2026-03": 1}
    assert body["collaborations_by_stage"]["verified"] == 1
    assert body["funnel"][1] == {"key": "collaboration", "count": 2, "percent": 66.7}
    assert api.as_user(make.user(world.supplier)).get("/api/v1/indicators").status_code == 403
    other = api.as_user(make.user(world.other_ward)).get(f"/api/v1/indicators?organisation={world.trust.id}")
    assert other.status_code == 403 and other.json["error"]["status"] == 403
    admin = api.as_user(make.user(is_admin=True))
    assert admin.get(f"/api/v1/indicators?organisation={world.trust.id}").json["needs_published"] == 3
    assert admin.get("/api/v1/indicators?to=nonsense").status_code == 422


def test_openapi_document_describes_indicators(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "get" in spec["paths"]["/indicators"]
    assert "funnel" in spec["components"]["schemas"]["Indicators"]["properties"]


# Match views logged by the match pages, and the trust overview

def logged(db) -> list[tuple]:
    rows = db.scalars(select(MatchView).order_by(MatchView.id))
    return [(v.mode, v.channel, v.profile_id, v.results) for v in rows]


def test_web_match_pages_log_views(client, auth, make, db, index):
    need = index(make.need(title="Falls", description=FALLS))
    index(make.capability(description=SENSOR))
    user = make.user(need.organisation)
    auth.login(user)
    assert client.get(f"/needs/{need.id}/matches").status_code == 200
    assert client.get(f"/needs/{need.id}/similar").status_code == 200
    assert client.get("/match").status_code == 200  # no text, nothing matched, nothing logged
    assert client.get("/match?text=radar+sensor+for+falls&kind=capability").status_code == 200
    assert logged(db) == [("matches", "web", need.id, 1), ("similar", "web", need.id, 0), ("search", "web", None, 1)]
    assert db.scalars(select(MatchView.user_id)).all() == [user.id] * 3


def test_api_match_endpoints_log_views(api, make, db, index):
    need = index(make.need(title="Falls", description=FALLS))
    capability = index(make.capability(description=SENSOR))
    client = api.as_user(make.user(capability.organisation))
    assert client.get(f"/api/v1/capabilities/{capability.id}/matches").status_code == 200
    assert client.get(f"/api/v1/needs/{need.id}/similar").status_code == 200
    assert client.post("/api/v1/match", json={"text": "falls at night on the ward", "kind": "need"}).status_code == 200
    assert logged(db) == [("matches", "api", capability.id, 1), ("similar", "api", need.id, 0),
                          ("search", "api", None, 1)]


def test_trust_overview_lists_similar_needs_at_other_trusts_only(client, auth, make, db, world, index):
    mine = index(make.need(world.ward, title="Falls at night", description=FALLS))
    sister = index(make.need(world.sister_ward, title="Same trust falls", description=FALLS))
    elsewhere = index(make.need(world.other_ward, title="Other trust falls", description=FALLS + " Also by day."))
    index(*world.needs.values())
    db.add(NeedCoOwner(need_id=mine.id, organisation_id=world.other_ward.id, site="South"))
    db.commit()
    auth.login(make.user(world.sister_ward))
    response = client.get("/indicators/trust")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    start = text.index(f'href="/needs/{mine.id}"')
    row = text[start:text.index("</tr>", start)]
    assert f'href="/needs/{elsewhere.id}"' in row
    assert "Yes, 2 trusts" in row
    assert re.search(r"(Strong|Good|Possible) match", row)
    # The sister ward's need is listed once, as the trust's own, never as a similar need.
    assert text.count(f'href="/needs/{sister.id}"') == 1
    assert f'href="/needs/{world.needs["draft"].id}"' not in text


def test_trust_overview_is_for_trusts_only(client, auth, make, world):
    auth.login(make.user(world.agency))
    assert client.get("/indicators/trust").status_code == 403
    auth.login(make.user(world.supplier))
    assert client.get("/indicators/trust").status_code == 403
    auth.login(make.user(is_admin=True))
    assert client.get(f"/indicators/trust?organisation={world.trust.id}").status_code == 200


def test_trust_overview_through_the_api(api, make, db, world, index):
    mine = index(make.need(world.ward, title="Falls at night", description=FALLS))
    elsewhere = index(make.need(world.other_ward, title="Other trust falls", description=FALLS + " Also by day."))
    index(*world.needs.values())
    body = api.as_user(make.user(world.ward)).get("/api/v1/trust-overview").json
    assert body["scope"]["organisation_id"] == world.trust.id
    row = next(need for need in body["needs"] if need["need_id"] == mine.id)
    assert row["trusts"] == 1 and elsewhere.id in [similar["need_id"] for similar in row["similar"]]
    assert all(similar["need_id"] != world.needs["n3"].id for similar in row["similar"])  # same trust
    assert api.as_user(make.user(world.supplier)).get("/api/v1/trust-overview").status_code == 403
