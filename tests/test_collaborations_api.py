"""Collaborations and joint needs through the JSON API: the same rules as the pages, errors as
JSON, and every answer checked against the OpenAPI document."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

BASE = "/api/v1"
ACTIONS = {"terms": {"scope": "x"}, "agree": None, "move": {"to": "stopped", "note": "x"},
           "comments": {"text": "hi"}, "listing": {"listed": True}, "result": {"summary": "x"}}


class DocumentedClient:
    """Sends API requests as one user and checks that each answer is documented: its status for
    that path and method, and its body against the status's schema."""

    def __init__(self, api_client, spec: dict):
        self._client, self._spec = api_client, spec

    def get(self, url: str, **kwargs):
        return self._send("get", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self._send("post", url, **kwargs)

    def _send(self, method: str, url: str, **kwargs):
        response = getattr(self._client, method)(url, **kwargs)
        documented = self._operation(method, urlsplit(url).path.removeprefix(BASE))["responses"]
        assert str(response.status_code) in documented, (method, url, response.status_code, response.json)
        schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": self._spec["components"]})
        assert list(validator.iter_errors(response.json)) == []
        return response

    def _operation(self, method: str, path: str) -> dict:
        for template, item in self._spec["paths"].items():
            if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method in item:
                return item[method]
        raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI document")


@pytest.fixture
def as_user(api, client):
    spec = client.get(f"{BASE}/openapi.json").json
    return lambda user: DocumentedClient(api.as_user(user), spec)


@pytest.fixture
def parties(make):
    trust = make.organisation("health_trust")
    supplier = make.user(kind="supplier")
    clinician = make.user(make.organisation("clinical_department", parent_id=trust.id))
    need = make.need(clinician.organisation, title="Night falls on the geriatric ward")
    product = make.capability(supplier.organisation, title="BedWatch")
    return supplier, clinician, need, product


def _propose(client, need, product, **terms) -> dict:
    body = {"need_id": need.id, "capability_id": product.id}
    if terms:
        body["terms"] = terms
    response = client.post(f"{BASE}/collaborations", json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_from_proposal_to_published_result(as_user, parties):
    supplier, clinician, need, product = parties
    as_supplier, as_department = as_user(supplier), as_user(clinician)
    created = as_supplier.post(f"{BASE}/collaborations", json={
        "need_id": need.id, "capability_id": product.id,
        "terms": {"scope": "Three-month pilot of BedWatch on ward 3", "site": "Ward 3", "period_start": "2031-01-05"}})
    assert created.status_code == 201
    url = f"{BASE}/collaborations/{created.json['id']}"
    assert created.headers["Location"].endswith(url)
    assert created.json["stage"] == "proposed" and created.json["proposed_by"] == "supplier"
    assert created.json["current_terms"]["period_start"] == "2031-01-05"
    assert "Each party keeps the rights it brings" in created.json["current_terms"]["ip_terms"]  # from the template
    assert created.json["moves"] == ["stopped"]

    assert as_department.get(url).json["moves"] == ["accepted", "declined", "stopped"]
    assert as_department.post(f"{url}/move", json={"to": "accepted"}).json["stage"] == "accepted"
    assert as_department.post(f"{url}/agree").json["department_agreed_version"] == 1
    agreed = as_supplier.post(f"{url}/agree").json
    assert agreed["stage"] == "agreement" and agreed["moves"] == ["testing", "stopped"]
    assert as_supplier.post(f"{url}/move", json={"to": "testing"}).json["stage"] == "testing"
    verified = as_department.post(f"{url}/move", json={"to": "verified", "note": "All criteria met"}).json
    assert verified["stage"] == "verified" and verified["moves"] == []
    done = as_supplier.post(f"{url}/result", json={"summary": "Falls at night halved."}).json
    assert done["result"]["summary"] == "Falls at night halved."

    stage_events = [e for e in done["events"] if e["kind"] == "stage"]
    assert [(e["from_stage"], e["to_stage"]) for e in stage_events] == [
        ("proposed", "accepted"), ("accepted", "agreement"), ("agreement", "testing"), ("testing", "verified")]
    assert stage_events[-1]["user"]["name"] == clinician.name
    assert stage_events[-1]["organisation"]["id"] == clinician.organisation_id
    assert stage_events[-1]["text"] == "All criteria met" and stage_events[-1]["created_at"]


def test_template_terms_and_a_department_invitation(as_user, make, parties):
    supplier, clinician, need, product = parties
    invited = _propose(as_user(clinician), need, product)
    assert invited["proposed_by"] == "department" and invited["supplier"]["id"] == supplier.organisation_id
    assert "BedWatch" in invited["current_terms"]["scope"]
    assert as_user(supplier).get(f"{BASE}/collaborations/{invited['id']}").json["moves"] == [
        "accepted", "declined", "stopped"]

    without_product = as_user(clinician).post(f"{BASE}/collaborations", json={"need_id": need.id})
    assert without_product.status_code == 422
    assert "capability" in without_product.json["error"]["message"]
    unknown = as_user(supplier).post(f"{BASE}/collaborations", json={"need_id": 999999})
    assert unknown.status_code == 422 and "need_id" in unknown.json["error"]["fields"]
    draft = make.need(clinician.organisation, status="draft")
    hidden = as_user(supplier).post(f"{BASE}/collaborations", json={"need_id": draft.id})
    assert hidden.status_code == 422 and "need_id" in hidden.json["error"]["fields"]
    funder = as_user(make.user(kind="funding_agency")).post(f"{BASE}/collaborations", json={"need_id": need.id})
    assert funder.status_code == 403


def test_a_nested_terms_field_reports_under_its_own_name(as_user, parties):
    supplier, _clinician, need, product = parties
    bad = as_user(supplier).post(f"{BASE}/collaborations", json={
        "need_id": need.id, "capability_id": product.id, "terms": {"period_start": "soon"}})
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"period_start"}


def test_refused_moves_say_why(as_user, parties):
    supplier, clinician, need, product = parties
    as_supplier, as_department = as_user(supplier), as_user(clinician)
    url = f"{BASE}/collaborations/{_propose(as_supplier, need, product)['id']}"

    too_early = as_department.post(f"{url}/move", json={"to": "testing"})
    assert too_early.status_code == 409
    assert "can move to: accepted, declined, stopped" in too_early.json["error"]["message"]
    assert as_supplier.post(f"{url}/move", json={"to": "accepted"}).status_code == 403  # not its own proposal
    assert as_department.post(f"{url}/agree").status_code == 409  # nothing accepted yet
    for stage in ("declined", "stopped"):
        no_reason = as_department.post(f"{url}/move", json={"to": stage, "note": "  "})
        assert no_reason.status_code == 422 and "note" in no_reason.json["error"]["fields"]

    as_department.post(f"{url}/move", json={"to": "accepted"})
    for side in (as_department, as_supplier):
        side.post(f"{url}/agree")
    as_supplier.post(f"{url}/move", json={"to": "testing"})
    wrong_side = as_supplier.post(f"{url}/move", json={"to": "verified"})
    assert wrong_side.status_code == 403 and clinician.organisation.name in wrong_side.json["error"]["message"]
    stopped = as_supplier.post(f"{url}/move", json={"to": "stopped", "note": "The ward closed"})
    assert stopped.json["stage"] == "stopped"
    final = as_department.post(f"{url}/move", json={"to": "testing"})
    assert final.status_code == 409 and "nothing: this is a final stage" in final.json["error"]["message"]


def test_new_terms_are_a_new_version_and_undo_agreement(as_user, parties):
    supplier, clinician, need, product = parties
    as_supplier, as_department = as_user(supplier), as_user(clinician)
    first = _propose(as_supplier, need, product, scope="Three-month pilot", test_type="pilot", site="Ward 3")
    url = f"{BASE}/collaborations/{first['id']}"
    as_department.post(f"{url}/move", json={"to": "accepted"})
    as_department.post(f"{url}/agree")

    changed = as_department.post(f"{url}/terms", json={"scope": "Six-month pilot on two wards"})
    assert changed.status_code == 200
    assert [t["scope"] for t in changed.json["terms"]] == ["Three-month pilot", "Six-month pilot on two wards"]
    assert changed.json["current_terms"]["site"] == "Ward 3"  # left out, so kept
    assert changed.json["current_terms"]["edited_by"]["name"] == clinician.name
    assert changed.json["department_agreed_version"] is None

    backwards = as_department.post(f"{url}/terms", json={"period_start": "2031-05-01", "period_end": "2031-01-01"})
    assert backwards.status_code == 422 and set(backwards.json["error"]["fields"]) == {"period_end"}
    typo = as_department.post(f"{url}/terms", json={"scoep": "x", "test_type": "séance"})
    assert typo.status_code == 422 and {"scoep", "test_type"} <= set(typo.json["error"]["fields"])
    for side in (as_department, as_supplier):
        side.post(f"{url}/agree")
    assert as_supplier.post(f"{url}/terms", json={"scope": "Later"}).status_code == 409


@pytest.mark.parametrize("path", ["/collaborations", "/collaborations/{id}/move", "/collaborations/{id}/comments"])
def test_malformed_body_is_400(as_user, parties, path):
    supplier, _clinician, need, product = parties
    as_supplier = as_user(supplier)
    url = BASE + path.format(id=_propose(as_supplier, need, product)["id"])
    response = as_supplier.post(url, data="{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON object" in response.json["error"]["message"]


def test_a_private_collaboration_does_not_exist_for_others(as_user, make, parties):
    supplier, clinician, need, product = parties
    as_supplier, as_department = as_user(supplier), as_user(clinician)
    collaboration = _propose(as_supplier, need, product)
    url = f"{BASE}/collaborations/{collaboration['id']}"
    as_supplier.post(f"{url}/comments", json={"text": "Our price list is confidential"})
    outsider = as_user(make.user(kind="supplier"))

    assert outsider.get(url).status_code == 404
    for action, body in ACTIONS.items():
        assert outsider.post(f"{url}/{action}", json=body).status_code == 404, action
    assert outsider.get(f"{BASE}/collaborations?listed=1").json["items"] == []
    history = as_department.get(url).json
    assert [c["text"] for c in history["comments"]] == ["Our price list is confidential"]
    assert [e["kind"] for e in history["events"]] == ["created"]  # the outsider changed nothing
    assert as_user(make.user(is_admin=True)).get(url).json["comments"][0]["text"] == "Our price list is confidential"


def test_a_listed_collaboration_is_public_without_its_comments(as_user, make, parties):
    supplier, clinician, need, product = parties
    as_supplier, as_department = as_user(supplier), as_user(clinician)
    url = f"{BASE}/collaborations/{_propose(as_supplier, need, product)['id']}"
    as_supplier.post(f"{url}/comments", json={"text": "Our price list is confidential"})
    assert as_supplier.post(f"{url}/listing", json={"listed": True}).json["listed"] is False  # one side only
    assert as_department.post(f"{url}/listing", json={"listed": True}).json["listed"] is True
    outsider = as_user(make.user(kind="clinical_department"))

    seen = outsider.get(url)
    assert seen.status_code == 200
    assert seen.json["comments"] is None and seen.json["moves"] == []
    assert "confidential" not in str(seen.json)
    assert [c["id"] for c in outsider.get(f"{BASE}/collaborations?listed=1").json["items"]] == [seen.json["id"]]
    assert outsider.get(f"{BASE}/collaborations").json["items"] == []  # not theirs
    assert outsider.post(f"{url}/comments", json={"text": "Nice"}).status_code == 403
    assert outsider.post(f"{url}/listing", json={"listed": False}).status_code == 403
    assert as_supplier.get(url).json["listed"] is True


def test_list_filters_by_stage(as_user, make, parties):
    supplier, clinician, need, product = parties
    as_supplier = as_user(supplier)
    first = _propose(as_supplier, need, product)
    second = _propose(as_supplier, make.need(clinician.organisation), product)
    as_user(clinician).post(f"{BASE}/collaborations/{second['id']}/move", json={"to": "accepted"})

    def ids(query: str) -> list[int]:
        return [item["id"] for item in as_supplier.get(f"{BASE}/collaborations{query}").json["items"]]

    assert set(ids("")) == {first["id"], second["id"]}
    assert ids("?stage=accepted") == [second["id"]]
    assert ids("?stage=proposed") == [first["id"]]
    bad = as_supplier.get(f"{BASE}/collaborations?stage=dreaming")
    assert bad.status_code == 422 and "stage" in bad.json["error"]["fields"]


def test_a_department_of_another_trust_joins_a_need(as_user, make):
    trust_a, trust_b = make.organisation("health_trust"), make.organisation("health_trust")
    owner = make.organisation("clinical_department", parent_id=trust_a.id)
    sister = make.organisation("clinical_department", parent_id=trust_a.id)
    other = make.organisation("clinical_department", parent_id=trust_b.id, name="Stroke unit, Trust B")
    need = make.need(owner, title="Faster stroke imaging")
    url = f"{BASE}/needs/{need.id}"
    joiner = as_user(make.user(other))

    same_trust = as_user(make.user(sister)).post(f"{url}/join", json={"site": "Ward 2"})
    assert same_trust.status_code == 403
    before = joiner.get(f"{url}/co-owners").json
    assert (before["owner"]["id"], before["trusts"], before["sites"]) == (owner.id, 1, 1)
    assert (before["co_owners"], before["can_join"], before["joined"]) == ([], True, False)
    empty = joiner.post(f"{url}/join", json={"site": "  "})
    assert empty.status_code == 422 and "site" in empty.json["error"]["fields"]
    assert joiner.post(f"{url}/join", json={"volume": "lots"}).status_code == 422  # site missing, unknown field
    joined = joiner.post(f"{url}/join", json={"site": "Bergen stroke unit", "patient_volume": "900 a year"})
    assert joined.status_code == 201 and joined.headers["Location"].endswith(f"{url}/co-owners")
    assert (joined.json["trusts"], joined.json["sites"], joined.json["joined"]) == (2, 2, True)
    assert joiner.post(f"{url}/join", json={"site": "Again"}).status_code == 409

    seen = as_user(make.user(kind="supplier")).get(f"{url}/co-owners").json
    assert [(c["organisation"]["name"], c["site"]) for c in seen["co_owners"]] == [
        ("Stroke unit, Trust B", "Bergen stroke unit")]
    assert seen["can_join"] is False
    left = joiner.post(f"{url}/leave")
    assert left.status_code == 200 and left.json["co_owners"] == [] and left.json["trusts"] == 1
    assert joiner.post(f"{url}/leave").status_code == 404


def test_a_hidden_need_has_no_co_owners_to_show(as_user, make):
    draft = make.need(status="draft")
    outsider = as_user(make.user(kind="clinical_department"))
    assert outsider.get(f"{BASE}/needs/{draft.id}/co-owners").status_code == 404
    assert outsider.post(f"{BASE}/needs/{draft.id}/join", json={"site": "Here"}).status_code == 404
