"""Matching through the services, pages and API, on the test encoder; quality is measured
separately (scripts/evaluate_matching.py) and the real model has tests of its own."""

from __future__ import annotations

import pytest

from matchmaker.matching.runtime import get_encoder, get_engine
from tests.factories import PASSWORD

FALLS = "Patients fall at night on the geriatric ward when they get up alone to go to the toilet."
SENSOR = "Radar sensor by the bed detects when a patient gets up at night and alerts the nurse before a fall."
INVOICE = "Invoice scanning software for accounting departments, with automatic booking of supplier bills."


@pytest.fixture
def falls_world(make, index):
    ward = make.organisation("clinical_department", name="Geriatric ward")
    need = index(make.need(ward, title="Night-time falls", description=FALLS, clinical_areas=["geriatrics"],
                           care_settings=["inpatient"], trl_min=5, trl_max=8))
    sensor = index(make.capability(title="BedWatch radar", description=SENSOR, clinical_areas=["geriatrics"],
                                   care_settings=["inpatient"], trl=3))
    invoices = index(make.capability(title="InvoiceBot", description=INVOICE))
    return need, sensor, invoices


def titles(response) -> list[str]:
    return [item["profile"]["title"] for item in response.json["items"]]


def test_need_finds_fitting_capability_first_with_reasons(api, make, falls_world):
    need, sensor, _ = falls_world
    response = api.as_user(make.user(need.organisation)).get(f"/api/v1/needs/{need.id}/matches")
    assert response.status_code == 200, response.json
    assert titles(response)[0] == "BedWatch radar"
    why = response.json["items"][0]["explanation"]
    assert why["passages"] and why["passages"][0]["yours"] and why["passages"][0]["theirs"]
    assert why["shared_clinical_areas"] == ["geriatrics"]
    assert why["mismatches"][0] == {"code": "trl", "message": "TRL 3, the need wants 5–8"}


def test_capability_finds_needs(api, make, falls_world):
    _, sensor, _ = falls_world
    response = api.as_user(make.user(sensor.organisation)).get(f"/api/v1/capabilities/{sensor.id}/matches")
    assert titles(response) == ["Night-time falls"]


def test_drafts_and_archived_never_appear_in_others_matches(api, make, index, falls_world):
    need, sensor, _ = falls_world
    index(make.capability(title="Secret draft radar", description=SENSOR, status="draft"))
    client = api.as_user(make.user(need.organisation))
    assert "Secret draft radar" not in titles(client.get(f"/api/v1/needs/{need.id}/matches"))
    owner = api.as_user(make.user(sensor.organisation))
    assert owner.post(f"/api/v1/capabilities/{sensor.id}/archive").status_code == 200
    assert "BedWatch radar" not in titles(client.get(f"/api/v1/needs/{need.id}/matches"))


def test_unapproved_organisations_appear_after_approval(api, client, auth, make, index, falls_world):
    need = falls_world[0]
    pending = make.organisation("supplier", approved=False)
    index(make.capability(pending, title="Pending radar", description=SENSOR))
    viewer = api.as_user(make.user(need.organisation))
    assert "Pending radar" not in titles(viewer.get(f"/api/v1/needs/{need.id}/matches"))
    auth.login(make.user(is_admin=True))
    client.post(f"/admin/organisations/{pending.id}/approve")
    assert "Pending radar" in titles(viewer.get(f"/api/v1/needs/{need.id}/matches"))


def test_a_profile_saved_through_one_worker_appears_in_another(app, connection, database_url, make, falls_world):
    """Two app instances stand for two workers (or hosts) on one database."""
    from matchmaker import create_app

    need = falls_world[0]
    other = create_app({**app.config, "DATABASE_BIND": connection})
    user = make.user(need.organisation)
    supplier = make.user(kind="supplier")
    first, second = app.test_client(), other.test_client()
    second.post("/login", data={"email": user.email, "password": PASSWORD})
    token_need, token_supplier = make.token(user), make.token(supplier)

    def matches(client):
        response = client.get(f"/api/v1/needs/{need.id}/matches", headers={"Authorization": f"Bearer {token_need}"})
        return titles(response)

    def text_matches(client):  # the search page: the index syncs beside the query's encoding
        page = client.get("/match", query_string={
            "text": "Something that warns nurses when a patient gets up from the bed at night", "kind": "capability"})
        assert page.status_code == 200
        return page.get_data(as_text=True)

    assert "FallStop" not in matches(second)  # the second worker has built its index by now
    assert "FallStop" not in text_matches(second)
    created = first.post("/api/v1/capabilities", headers={"Authorization": f"Bearer {token_supplier}"}, json={
        "title": "FallStop", "description": SENSOR + " Works in any ward.", "language": "en", "status": "published"})
    assert created.status_code == 201
    assert "FallStop" in text_matches(second)
    assert "FallStop" in matches(second)
    first.post(f"/api/v1/capabilities/{created.json['id']}/archive",
               headers={"Authorization": f"Bearer {token_supplier}"})
    assert "FallStop" not in matches(second)
    assert get_engine(other) is not get_engine(app)


def test_filters_apply_before_ranking(api, make, index, falls_world):
    need = falls_world[0]
    for n in range(60):  # many better matches that the filter excludes
        index(make.capability(title=f"Radar {n}", description=SENSOR, clinical_areas=["geriatrics"]))
    danish = make.organisation("supplier", country="DK")
    index(make.capability(danish, title="Dansk faldsensor", description="Sensor i sengen der varsler personalet."))
    client = api.as_user(make.user(need.organisation))
    response = client.get(f"/api/v1/needs/{need.id}/matches?country=DK&limit=5")
    assert titles(response) == ["Dansk faldsensor"]
    by_setting = client.get(f"/api/v1/needs/{need.id}/matches?care_setting=inpatient")
    assert titles(by_setting) == ["BedWatch radar"]


def test_similar_needs_come_from_other_trusts(api, make, index):
    trust, other_trust = make.organisation("health_trust"), make.organisation("health_trust")
    ward = make.organisation("clinical_department", parent=trust)
    sister_ward = make.organisation("clinical_department", parent=trust)
    elsewhere = make.organisation("clinical_department", parent=other_trust)
    mine = index(make.need(ward, title="Falls at night", description=FALLS))
    index(make.need(sister_ward, title="Same trust falls", description=FALLS))
    index(make.need(elsewhere, title="Other trust falls", description=FALLS + " Also in the day."))
    response = api.as_user(make.user(ward)).get(f"/api/v1/needs/{mine.id}/similar")
    assert titles(response) == ["Other trust falls"]


def test_free_text_match(api, make, falls_world):
    response = api.as_user(make.user(kind="clinical_department")).post("/api/v1/match", json={
        "text": "We need something that warns nurses when a frail patient gets out of bed at night",
        "kind": "capability", "limit": 1})
    assert response.status_code == 200, response.json
    assert titles(response) == ["BedWatch radar"]


@pytest.mark.parametrize("url,body", [("/api/v1/match", {"text": "x", "kind": "capability"}),
                                      ("/api/v1/match", {"text": "long enough", "kind": "widgets"})])
def test_free_text_validation(api, make, url, body):
    response = api.as_user(make.user()).post(url, json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"]


def test_matches_of_a_hidden_profile_are_not_found(api, make, index):
    draft = index(make.need(status="draft", description=FALLS))
    response = api.as_user(make.user(kind="supplier")).get(f"/api/v1/needs/{draft.id}/matches")
    assert response.status_code == 404


def test_match_pages(client, auth, make, falls_world):
    need, sensor, _ = falls_world
    auth.login(make.user(need.organisation))
    page = client.get(f"/needs/{need.id}/matches").get_data(as_text=True)
    assert "Suppliers to test with" in page and "BedWatch radar" in page
    assert "TRL 3, the need wants 5–8" in page
    assert client.get(f"/needs/{need.id}/similar").status_code == 200
    assert client.get("/matches").headers["Location"].endswith(f"/needs/{need.id}/matches")
    search = client.get("/match?text=radar+that+warns+nurses+at+night&kind=capability").get_data(as_text=True)
    assert "BedWatch radar" in search


def test_snapshot_start_then_catch_up(app, db, make, index, tmp_path, falls_world):
    """A worker starting from a snapshot applies what changed after it was taken."""
    from matchmaker.matching.engine import MatchingEngine

    engine = MatchingEngine(get_encoder(app), tmp_path)
    engine.sync(db)
    engine.save_snapshot()
    late = index(make.capability(title="Late radar", description=SENSOR))
    fresh = MatchingEngine(get_encoder(app), tmp_path)
    fresh.sync(db)
    assert late.id in fresh.indexes["capability"]
    assert fresh.sizes() == {"need": 1, "capability": 3}
    (tmp_path / engine.encoder.name.replace(":", "_") / "capability" / "ids.npy").write_bytes(b"garbage")
    rebuilt = MatchingEngine(get_encoder(app), tmp_path)
    rebuilt.sync(db)
    assert rebuilt.sizes() == {"need": 1, "capability": 3}


def test_unchanged_text_is_not_embedded_again(app, db, make, index):
    from matchmaker.matching.store import embed_profiles

    need = index(make.need(description=FALLS))
    with app.app_context():
        assert embed_profiles(db, [need], get_encoder(app)) == 0
        need.description = FALLS + " More."
        assert embed_profiles(db, [need], get_encoder(app)) == 1


def test_snapshot_ahead_of_the_change_log_is_ignored(app, db, make, index, tmp_path, falls_world, caplog):
    """After a restore rewinds the log, a snapshot that claims to have seen more is not trusted."""
    import json

    from matchmaker.matching.engine import MatchingEngine

    engine = MatchingEngine(get_encoder(app), tmp_path)
    engine.sync(db)
    state = engine.save_snapshot() / "state.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "last_change": engine.last_change + 1000}))
    late = index(make.capability(title="Late radar", description=SENSOR))
    fresh = MatchingEngine(get_encoder(app), tmp_path)
    fresh.sync(db)
    assert late.id in fresh.indexes["capability"]
    assert any("ignoring index snapshot" in record.getMessage() for record in caplog.records)


def test_rebuild_command_embeds_and_snapshots(app, db, make, tmp_path):
    from matchmaker.cli import rebuild_index

    make.need(description=FALLS)
    make.capability(description=SENSOR)
    app.config["MATCHING_SNAPSHOT_DIR"] = str(tmp_path)
    result = app.test_cli_runner().invoke(rebuild_index)
    assert result.exit_code == 0, result.output
    assert "Embedded 2 of 2 profiles" in result.output
    assert list(tmp_path.glob("*/state.json"))
    again = app.test_cli_runner().invoke(rebuild_index)
    assert "Embedded 0 of 2 profiles" in again.output
