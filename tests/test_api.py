"""The JSON API: CRUD over needs and capabilities, errors as JSON, and the OpenAPI document."""

from __future__ import annotations

import pytest

from matchmaker.services.browse import MAX_PER_PAGE, PER_PAGE

NEED = {"title": "Sepsis found too late", "description": "Patients with sepsis are recognised hours too late.",
        "language": "en", "clinical_areas": ["emergency_medicine"], "care_settings": ["emergency"],
        "trl_min": 5, "trl_max": 8, "status": "published"}


@pytest.fixture
def clinician(make):
    return make.user(kind="clinical_department")


def test_create_read_update_archive_need(api, clinician):
    client = api.as_user(clinician)
    created = client.post("/api/v1/needs", json=NEED)
    assert created.status_code == 201
    need_id = created.json["id"]
    assert created.headers["Location"].endswith(f"/api/v1/needs/{need_id}")
    assert created.json["organisation"]["id"] == clinician.organisation_id

    read = client.get(f"/api/v1/needs/{need_id}")
    assert read.json["clinical_areas"] == ["emergency_medicine"]

    updated = client.patch(f"/api/v1/needs/{need_id}", json={"title": "Sepsis recognised too late"})
    assert updated.status_code == 200
    assert updated.json["title"] == "Sepsis recognised too late"
    assert updated.json["trl_max"] == 8  # untouched fields stay

    archived = client.post(f"/api/v1/needs/{need_id}/archive")
    assert archived.json["status"] == "archived"
    again = client.post(f"/api/v1/needs/{need_id}/archive")
    assert again.status_code == 409


def test_list_filters(api, make, clinician):
    department = make.organisation("clinical_department", country="SE")
    make.need(department, title="Svensk fallprevention", clinical_areas=["geriatrics"], language="sv",
              trl_min=4, trl_max=6)
    make.need(title="Norsk sepsis", clinical_areas=["emergency_medicine"], language="nb", trl_min=7, trl_max=9)
    client = api.as_user(clinician)

    def titles(query: str) -> set[str]:
        response = client.get(f"/api/v1/needs?{query}")
        assert response.status_code == 200, response.json
        return {item["title"] for item in response.json["items"]}

    assert titles("clinical_area=geriatrics") == {"Svensk fallprevention"}
    assert titles("clinical_area=geriatrics,emergency_medicine") == {"Svensk fallprevention", "Norsk sepsis"}
    assert titles("country=SE") == {"Svensk fallprevention"}
    assert titles("language=nb") == {"Norsk sepsis"}
    assert titles("trl_min=7") == {"Norsk sepsis"}
    assert titles("trl_max=5") == {"Svensk fallprevention"}
    assert titles("q=fallPREVENTION") == {"Svensk fallprevention"}
    assert titles(f"organisation={department.id}") == {"Svensk fallprevention"}


def test_list_paginates(api, make, clinician):
    department = make.organisation("clinical_department")
    for _ in range(5):
        make.need(department)
    response = api.as_user(clinician).get(f"/api/v1/needs?organisation={department.id}&per_page=2&page=3")
    assert response.json["total"] == 5
    assert response.json["pages"] == 3
    assert len(response.json["items"]) == 1


def test_mine_lists_own_drafts(api, make, clinician):
    make.need(clinician.organisation, status="draft", title="My draft")
    client = api.as_user(clinician)
    assert client.get("/api/v1/needs").json["total"] == 0
    assert [i["title"] for i in client.get("/api/v1/needs?mine=true").json["items"]] == ["My draft"]


def test_validation_errors_name_each_field(api, clinician):
    response = api.as_user(clinician).post("/api/v1/needs", json={
        "title": "", "description": "   ", "language": "klingon", "trl_min": 8, "trl_max": 3,
        "clinical_areas": ["astrology"], "colour": "blue"})
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert {"title", "description", "language", "trl_max", "clinical_areas"} <= set(fields)


def test_unknown_field_is_refused_not_ignored(api, clinician):
    response = api.as_user(clinician).post("/api/v1/needs", json={**NEED, "colour": "blue"})
    assert response.status_code == 422
    assert "colour" in response.json["error"]["fields"]


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
def test_malformed_body_is_400(api, clinician, body):
    response = api.as_user(clinician).post("/api/v1/needs", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON object" in response.json["error"]["message"]


def test_missing_or_bad_token_is_401(client, make):
    assert client.get("/api/v1/needs").status_code == 401
    response = client.get("/api/v1/needs", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_stops_working(client, auth, make, db):
    from sqlalchemy import select

    from matchmaker.models import ApiToken

    user = make.user(kind="supplier")
    auth.login(user)
    page = client.post("/account/tokens", data={"token-token_name": "script"})
    token = page.data.decode().split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/capabilities", headers=headers).status_code == 200
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/capabilities", headers=headers).status_code == 401


def test_supplier_cannot_create_need(api, make):
    response = api.as_user(make.user(kind="supplier")).post("/api/v1/needs", json=NEED)
    assert response.status_code == 403


def test_unknown_ids_are_json_404(api, clinician):
    client = api.as_user(clinician)
    assert client.get("/api/v1/needs/999999").status_code == 404
    assert client.get("/api/v1/organisations/999999").json["error"]["status"] == 404
    assert client.get("/api/v1/no-such-thing").json["error"]["status"] == 404


def test_capability_round_trip(api, make):
    supplier = make.user(kind="supplier")
    client = api.as_user(supplier)
    created = client.post("/api/v1/capabilities", json={
        "title": "FallGuard", "description": "Radar sensor that detects falls without cameras.",
        "language": "en", "trl": 6, "regulatory_class": "ce_iia", "status": "published"})
    assert created.status_code == 201, created.json
    assert client.get(f"/api/v1/capabilities/{created.json['id']}").json["trl"] == 6


def test_organisations_hide_unapproved_ones(api, make, clinician):
    make.organisation("supplier", name="Approved AS")
    make.organisation("supplier", approved=False, name="Pending AS")
    names = {o["name"] for o in api.as_user(clinician).get("/api/v1/organisations").json["items"]}
    assert "Approved AS" in names
    assert "Pending AS" not in names


def test_openapi_document_matches_routes(app, client):
    spec = client.get("/api/v1/openapi.json").json
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    real = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_document":
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
        sections = ["needs", "capabilities"] if "<any(" in path else [None]
        for section in sections:
            concrete = path.replace("<any(needs, capabilities):section}", section) if section else path
            real |= {(concrete, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == real


def test_every_api_route_is_marked_with_its_operation(app):
    from matchmaker.api.openapi import api_operations

    with app.app_context():
        routes = list(api_operations())
    assert [(rule, method) for rule, method, operation in routes if operation is None] == []
    spec = app.test_client().get("/api/v1/openapi.json").json
    ids = [operation["operationId"] for item in spec["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids)) > 80


def test_openapi_parameters_and_bodies_come_from_the_handlers_models(client):
    spec = client.get("/api/v1/openapi.json").json
    listing = {p["name"]: p["schema"] for p in spec["paths"]["/needs"]["get"]["parameters"]}
    assert listing["per_page"] == {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE}
    assert listing["clinical_area"] == {"type": "array", "items": {"type": "string"}}
    matches = {p["name"]: p["schema"] for p in spec["paths"]["/capabilities/{profile_id}/matches"]["get"]["parameters"]}
    assert matches["profile_id"] == {"type": "integer"} and matches["limit"]["maximum"] == 50
    assert matches["care_setting"]["type"] == "array"
    patch = spec["paths"]["/needs/{profile_id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    changes = spec["components"]["schemas"][patch["$ref"].rsplit("/", 1)[-1]]
    assert "required" not in changes and "title" in changes["properties"]
    assert "required" in spec["components"]["schemas"]["NeedInput"]


def test_openapi_responses_validate_against_schema(api, client, make, clinician):
    from jsonschema import Draft202012Validator

    spec = client.get("/api/v1/openapi.json").json
    make.need(title="Documented need", clinical_areas=["oncology"])
    body = api.as_user(clinician).get("/api/v1/needs").json
    schema = {"$ref": "#/components/schemas/NeedList", "components": spec["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert errors == []


def test_a_handler_reading_another_model_than_documented_fails_in_tests(app):
    from matchmaker.api.funding_schemas import FollowRequest, FundingLinkRequest
    from matchmaker.api.params import parse_body

    with app.test_request_context("/api/v1/follows", method="POST", json={"need_id": 1}):
        assert parse_body(FollowRequest).need_id == 1
        with pytest.raises(AssertionError, match="documents"):
            parse_body(FundingLinkRequest)
