"""Funding instruments end to end: publishing them, who may change and see them, suggestions
with reasons and condition checks, follows, collaborations seeking an instrument, notifications,
the JSON API and the demo instruments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from matchmaker.models import (
    Collaboration,
    CollaborationTerms,
    Follow,
    FundingInstrument,
    FundingLink,
    MatchView,
    Notification,
)

STROKE_TEXT = ("Patients with suspected stroke wait too long for a brain scan; faster stroke imaging and triage "
               "would save brain tissue.")
INSTRUMENT_FORM = {"title": "Pilot funding for joint stroke projects",
                   "description": "Funds pilots of new stroke imaging and triage solutions in hospitals.",
                   "language": "en", "applicants": ["health_trust", "consortium"], "purposes": ["pilot"],
                   "amount_min": "1000000", "amount_max": "5000000", "currency": "NOK",
                   "deadline": (date.today() + timedelta(days=90)).isoformat(), "min_trusts": "2",
                   "trl_min": "4", "trl_max": "7", "requirements": "Binding letters from each trust.",
                   "url": "https://funder.example.org/pilot", "action": "draft"}


def instrument(make, agency=None, **fields) -> FundingInstrument:
    """A published instrument, stored directly; vectors are made on first use."""
    agency = agency or make.organisation("funding_agency")
    values = {"title": "Stroke pilot programme", "description": STROKE_TEXT, "language": "en",
              "status": "published", "applicants": ["supplier", "health_trust", "consortium"],
              "purposes": ["pilot"], "currency": "NOK", "deadline": date.today() + timedelta(days=96),
              "clinical_areas": [], "countries": [], "passages": [], "requirements": "", "url": ""}
    return make._save(FundingInstrument(organisation_id=agency.id, **{**values, **fields}))


def collaboration(make, need, capability, stage="accepted", test_type="pilot", listed=False) -> Collaboration:
    return make._save(Collaboration(
        need=need, capability=capability, supplier_id=capability.organisation_id, department_id=need.organisation_id,
        proposed_by_id=capability.organisation_id, stage=stage, listed_by_supplier=listed,
        listed_by_department=listed, terms=[CollaborationTerms(version=1, scope="A pilot of the imaging app",
                                                               test_type=test_type)]))


def joint_setup(make):
    """A stroke need at trust A's department, with a supplier's product in a pilot collaboration."""
    trust_a = make.organisation("health_trust")
    department = make.organisation("clinical_department", parent_id=trust_a.id)
    need = make.need(department, title="Faster stroke imaging", description=STROKE_TEXT, clinical_areas=["stroke"])
    need.set_codes("test_type", ["pilot"])
    make._save(need)
    product = make.capability(title="StrokeScan triage", trl=6, clinical_areas=["stroke"])
    return need, product, collaboration(make, need, product)


def embed(app, db, *profiles) -> None:
    """Embeds factory-made profiles into the matching index, as saving through the services would."""
    from matchmaker.matching.runtime import get_encoder
    from matchmaker.matching.store import refresh_profiles

    with app.app_context():
        refresh_profiles(db, list(profiles), get_encoder(app))
    db.commit()


def check_texts(answer: dict, index: int = 0) -> dict[str, tuple[str, str]]:
    return {c["code"]: (c["status"], c["text"]) for c in answer["items"][index]["checks"]}


# Publishing and editing

def test_agency_creates_edits_and_publishes_an_instrument(client, auth, make, db):
    funder = make.user(kind="funding_agency")
    auth.login(funder)
    response = client.post("/funding/new", data=INSTRUMENT_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    saved = db.scalar(select(FundingInstrument).where(FundingInstrument.organisation_id == funder.organisation_id))
    assert (saved.status, saved.min_trusts, saved.amount_max, saved.purposes) == ("draft", 2, 5_000_000, ["pilot"])
    assert saved.vector is not None and saved.dim == 256 and saved.passages
    first_hash = saved.text_hash

    client.post(f"/funding/{saved.id}/edit", data={**INSTRUMENT_FORM, "description": "Funds pilots of home "
                                                   "monitoring after stroke.", "action": "publish"})
    db.refresh(saved)
    assert saved.status == "published" and saved.published_at is not None
    assert saved.text_hash != first_hash
    auth.login(make.user(kind="supplier"))
    listing = client.get("/funding").get_data(as_text=True)
    assert "Pilot funding for joint stroke projects" in listing
    assert "home monitoring after stroke" in client.get(f"/funding/{saved.id}").get_data(as_text=True)


def test_unchanged_text_is_not_embedded_again(app, make, db):
    from matchmaker.services.funding import instruments as service
    from matchmaker.services.funding.embedding import embed_instrument

    funder = make.user(kind="funding_agency")
    with app.test_request_context():
        saved = service.create(db, funder, {k: v for k, v in INSTRUMENT_FORM.items() if k != "action"})
        vector, stored_hash = saved.vector, saved.text_hash
        service.update(db, funder, saved, {"amount_max": 6_000_000})
        assert (saved.vector, saved.text_hash) == (vector, stored_hash)
        assert embed_instrument(db, saved) is False
        service.update(db, funder, saved, {"requirements": "Letters of intent from three trusts."})
        assert saved.text_hash != stored_hash


def test_invalid_fields_are_reported_per_field(client, auth, make, api):
    funder = make.user(kind="funding_agency")
    auth.login(funder)
    missing = client.post("/funding/new", data={**INSTRUMENT_FORM, "purposes": []})
    assert missing.status_code == 422 and "Choose at least one." in missing.get_data(as_text=True)
    bad = {**INSTRUMENT_FORM, "amount_min": "9000000", "amount_max": "1000", "deadline": "", "trl_min": "8",
           "trl_max": "3"}
    response = client.post("/funding/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The highest amount must not be below the lowest amount." in page
    assert "The highest TRL must not be below the lowest TRL." in page
    assert "Give the deadline, or mark the call as rolling." in page

    body = {k: v for k, v in INSTRUMENT_FORM.items() if k != "action"}
    answer = api.as_user(funder).post("/api/v1/instruments", json={**body, "rolling": True})
    assert answer.status_code == 422
    assert "rolling call has no deadline" in answer.get_json()["error"]["fields"]["deadline"]
    past = api.as_user(funder).post("/api/v1/instruments", json={**body, "deadline": "2020-01-01"})
    assert past.status_code == 422 and "deadline" in past.get_json()["error"]["fields"]
    unknown = api.as_user(funder).post("/api/v1/instruments", json={**body, "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["error"]["fields"]


def test_only_agency_members_change_instruments_and_drafts_are_hidden(client, auth, make, api):
    agency = make.organisation("funding_agency")
    draft = instrument(make, agency, status="draft", title="Secret draft call")
    published = instrument(make, agency, title="Open call")
    other_funder = make.user(kind="funding_agency")
    auth.login(other_funder)
    assert client.get(f"/funding/{draft.id}").status_code == 404
    assert "Secret draft call" not in client.get("/funding").get_data(as_text=True)
    assert client.get(f"/funding/{published.id}/edit").status_code == 403
    assert client.post(f"/funding/{published.id}/archive").status_code == 403
    outsider = api.as_user(other_funder)
    assert outsider.get(f"/api/v1/instruments/{draft.id}").status_code == 404
    assert outsider.patch(f"/api/v1/instruments/{published.id}", json={"title": "Mine now"}).status_code == 403
    supplier = make.user(kind="supplier")
    auth.login(supplier)
    assert client.get("/funding/new").status_code == 403
    assert api.as_user(supplier).post("/api/v1/instruments", json={"title": "x"}).status_code == 403
    member = make.user(agency)
    auth.login(member)
    assert "Secret draft call" in client.get(f"/funding/{draft.id}").get_data(as_text=True)


def test_list_filters_by_purpose_and_open_deadline(client, auth, make):
    instrument(make, title="Pre-project grants", purposes=["pre_project"], deadline=None)
    instrument(make, title="Closed pilot call", deadline=date.today() - timedelta(days=1))
    instrument(make, title="Unapproved agency call", agency=make.organisation("funding_agency", approved=False))
    auth.login(make.user(kind="supplier"))
    everything = client.get("/funding").get_data(as_text=True)
    assert "Pre-project grants" in everything and "Closed pilot call" in everything
    assert "Unapproved agency call" not in everything
    pre_projects = client.get("/funding?purpose=pre_project").get_data(as_text=True)
    assert "Pre-project grants" in pre_projects and "Closed pilot call" not in pre_projects
    assert "Closed pilot call" not in client.get("/funding?open=y").get_data(as_text=True)


# Suggestions and condition checks

def test_suggestions_for_a_need_are_ranked_with_reasons_and_logged(client, auth, make, api, db):
    need, _product, _collaboration = joint_setup(make)
    fitting = instrument(make, title="Stroke imaging pilots", clinical_areas=["stroke"])
    instrument(make, title="Dental accounting", description="Invoices and bookkeeping for dental offices.",
               purposes=["rd_contract"])
    instrument(make, title="Expired stroke call", deadline=date.today() - timedelta(days=3))
    owner = make.user(need.organisation)
    answer = api.as_user(owner).get(f"/api/v1/needs/{need.id}/instruments").get_json()
    titles = [item["instrument"]["title"] for item in answer["items"]]
    assert titles == ["Stroke imaging pilots", "Dental accounting"]
    assert answer["items"][0]["score"] > answer["items"][1]["score"]
    assert "brain scan" in answer["items"][0]["reason"][0]["yours"]
    auth.login(owner)
    page = client.get(f"/funding/needs/{need.id}").get_data(as_text=True)
    assert "Stroke imaging pilots" in page and "Expired stroke call" not in page
    assert f"/funding/needs/{need.id}" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    views = db.scalars(select(MatchView).where(MatchView.profile_id == need.id)).all()
    assert sorted((v.mode, v.channel, v.results) for v in views) == [("instruments", "api", 2),
                                                                       ("instruments", "web", 2)]
    assert fitting.id == answer["items"][0]["instrument"]["id"]


def test_trust_condition_turns_met_when_a_department_of_another_trust_joins(client, auth, make, api):
    need, _product, _collaboration = joint_setup(make)
    db_need_id = need.id
    instrument(make, title="Pilot Helse", min_trusts=2, requires_supplier=True)
    owner = api.as_user(make.user(need.organisation))
    checks = check_texts(owner.get(f"/api/v1/needs/{db_need_id}/instruments").get_json())
    assert checks["min_trusts"] == ("not_met", "Requires binding participation of 2 or more trusts: 1 of 2")
    assert checks["applicants"] == ("met", "Open to health trusts")
    other_trust = make.organisation("health_trust")
    joiner = make.user(make.organisation("clinical_department", parent_id=other_trust.id))
    auth.login(joiner)
    assert client.post(f"/needs/{db_need_id}/join", data={"site": "Bergen"}).status_code == 302
    checks = check_texts(owner.get(f"/api/v1/needs/{db_need_id}/instruments").get_json())
    assert checks["min_trusts"] == ("met", "Requires binding participation of 2 or more trusts: 2 of 2")


def test_a_need_without_collaboration_has_no_supplier_yet(make, api):
    trust = make.organisation("health_trust")
    need = make.need(make.organisation("clinical_department", parent_id=trust.id), description=STROKE_TEXT)
    instrument(make, title="Supplier required", requires_supplier=True, trl_min=4, trl_max=7, deadline=None)
    checks = check_texts(api.as_user(make.user(need.organisation)).get(f"/api/v1/needs/{need.id}/instruments")
                         .get_json())
    assert checks["supplier"] == ("not_met", "Requires a supplier: none yet")
    assert checks["trl"] == ("unknown", "TRL 4–7 wanted: no product chosen yet")
    assert checks["deadline"] == ("met", "Rolling call: apply any time")


def test_collaboration_suggestions_check_every_condition(client, auth, make, api):
    need, product, pilot = joint_setup(make)
    instrument(make, title="Supplier pilots", trl_min=4, trl_max=7, requires_supplier=True, countries=["NO"],
               deadline=date.today() + timedelta(days=96))
    supplier = make.user(product.organisation)
    answer = api.as_user(supplier).get(f"/api/v1/collaborations/{pilot.id}/instruments").get_json()
    checks = check_texts(answer)
    assert checks["applicants"] == ("met", "Open to suppliers")
    assert checks["trl"] == ("met", "TRL 4–7 wanted: the product is at TRL 6")
    deadline = format_date(date.today() + timedelta(days=96), "medium", locale="en_GB")  # "10 Mar 2027"
    assert checks["deadline"] == ("met", f"Deadline {deadline}: 96 days left")
    assert checks["purposes"] == ("met", "Funds pilots: the collaboration is a pilot")
    assert checks["supplier"] == ("met", f"Requires a supplier: {product.organisation.name}")
    assert checks["countries"][0] == "met"
    auth.login(supplier)
    page = client.get(f"/collaborations/{pilot.id}").get_data(as_text=True)
    assert "Supplier pilots" in page and "We seek this instrument" in page
    assert "TRL 4–7 wanted: the product is at TRL 6" in page


def test_a_product_outside_the_trl_range_and_a_test_are_not_met(make, api):
    need, product, _pilot = joint_setup(make)
    usability = collaboration(make, need, make.capability(title="Early prototype", trl=2), test_type="usability_test")
    instrument(make, title="Late-stage pilots", trl_min=5, trl_max=8)
    answer = api.as_user(make.user(need.organisation)).get(f"/api/v1/collaborations/{usability.id}/instruments")
    checks = check_texts(answer.get_json())
    assert checks["trl"] == ("not_met", "TRL 5–8 wanted: the product is at TRL 2")
    assert checks["purposes"] == ("not_met", "Funds pilots: the collaboration is a test")


# Funders: fitting needs, following, read-only access through funding links

def test_funder_sees_fitting_needs_and_follows_and_unfollows_one(app, client, auth, make, api, db):
    need, _product, _pilot = joint_setup(make)
    embed(app, db, need, make.need(title="Invoices for dental offices",
                                   description="Bookkeeping of dental invoices takes too long."))
    agency = make.organisation("funding_agency")
    instrument(make, agency, title="Stroke pilots", min_trusts=2)
    funder = make.user(agency)
    auth.login(funder)
    page = client.get("/funding/fitting").get_data(as_text=True)
    assert "Faster stroke imaging" in page and "1 of 2" in page
    assert page.index("Faster stroke imaging") < page.index("Invoices for dental offices")
    client.post("/funding/follow", data={"need_id": need.id})
    followed = db.scalar(select(Follow).where(Follow.user_id == funder.id))
    assert followed.need_id == need.id
    assert "Faster stroke imaging" in client.get("/funding/following").get_data(as_text=True)
    assert client.post("/funding/follow", data={"need_id": need.id}).status_code == 409
    client.post(f"/funding/follows/{followed.id}/delete")
    assert db.scalar(select(Follow).where(Follow.user_id == funder.id)) is None

    as_funder = api.as_user(funder)
    created = as_funder.post("/api/v1/follows", json={"need_id": need.id})
    assert created.status_code == 201
    assert [f["need_id"] for f in as_funder.get("/api/v1/follows").get_json()["items"]] == [need.id]
    assert as_funder.delete(f"/api/v1/follows/{created.get_json()['id']}").status_code == 204
    assert as_funder.get("/api/v1/follows").get_json()["items"] == []
    assert as_funder.post("/api/v1/follows", json={"need_id": need.id, "collaboration_id": 1}).status_code == 422


def test_supplier_is_refused_the_fitting_page(client, auth, make):
    auth.login(make.user(kind="supplier"))
    assert client.get("/funding/fitting").status_code == 403


def test_funders_cannot_see_or_follow_private_collaborations(client, auth, make, api):
    _need, _product, private = joint_setup(make)
    funder = make.user(kind="funding_agency")
    auth.login(funder)
    assert client.get(f"/collaborations/{private.id}").status_code == 404
    assert client.post("/funding/follow", data={"collaboration_id": private.id}).status_code == 404
    as_funder = api.as_user(funder)
    assert as_funder.post("/api/v1/follows", json={"collaboration_id": private.id}).status_code == 404
    assert as_funder.get(f"/api/v1/collaborations/{private.id}/instruments").status_code == 404
    some = instrument(make)
    assert as_funder.post(f"/api/v1/collaborations/{private.id}/funding",
                          json={"instrument_id": some.id}).status_code == 404


def test_seeking_an_instrument_shares_the_collaboration_read_only(client, auth, make, api, db):
    need, product, pilot = joint_setup(make)
    agency = make.organisation("funding_agency", name="Pilot Fund")
    call = instrument(make, agency, title="Stroke pilots")
    funder, clinician = make.user(agency), make.user(need.organisation)
    auth.login(clinician)
    client.post(f"/collaborations/{pilot.id}/comment", data={"text": "Our budget is confidential"})
    response = client.post(f"/funding/collaborations/{pilot.id}/seek", data={"instrument_id": call.id})
    assert response.status_code == 302
    assert client.post(f"/funding/collaborations/{pilot.id}/seek",
                       data={"instrument_id": call.id}).status_code == 409
    told = db.scalar(select(Notification).where(Notification.user_id == funder.id))
    assert told.kind == "collaboration_funding" and told.params["collaboration_id"] == pilot.id

    auth.login(funder)
    page = client.get(f"/collaborations/{pilot.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Faster stroke imaging" in text and "Our budget is confidential" not in text
    assert "We seek this instrument" not in text
    assert client.post(f"/collaborations/{pilot.id}/comment", data={"text": "Hello"}).status_code == 403
    assert client.post(f"/collaborations/{pilot.id}/move", data={"to": "stopped", "note": "x"}).status_code == 403
    assert api.as_user(funder).post("/api/v1/follows", json={"collaboration_id": pilot.id}).status_code == 201
    assert "Stroke pilots" in client.get("/funding/fitting").get_data(as_text=True)

    auth.login(make.user(kind="funding_agency"))
    assert client.get(f"/collaborations/{pilot.id}").status_code == 404


def test_api_seeks_an_instrument_for_parties_only(make, api, db):
    need, product, pilot = joint_setup(make)
    call = instrument(make)
    outsider = make.user(kind="supplier")
    pilot.listed_by_supplier = pilot.listed_by_department = True
    db.commit()
    assert api.as_user(outsider).post(f"/api/v1/collaborations/{pilot.id}/funding",
                                      json={"instrument_id": call.id}).status_code == 403
    assert api.as_user(outsider).get(f"/api/v1/collaborations/{pilot.id}/instruments").status_code == 403
    supplier = api.as_user(make.user(product.organisation))
    answer = supplier.post(f"/api/v1/collaborations/{pilot.id}/funding", json={"instrument_id": call.id})
    assert answer.status_code == 201 and answer.get_json()["instrument"]["id"] == call.id
    assert db.scalar(select(FundingLink).where(FundingLink.collaboration_id == pilot.id)) is not None
    assert supplier.post(f"/api/v1/collaborations/{pilot.id}/funding", json={}).status_code == 422


def test_followers_hear_of_stage_changes_and_new_co_owners(client, auth, make, db):
    need, product, pilot = joint_setup(make)
    pilot.listed_by_supplier = pilot.listed_by_department = True
    pilot.stage, pilot.supplier_agreed_version, pilot.department_agreed_version = "agreement", 1, 1
    db.commit()
    funder = make.user(kind="funding_agency")
    auth.login(funder)
    client.post("/funding/follow", data={"collaboration_id": pilot.id})
    client.post("/funding/follow", data={"need_id": need.id})
    auth.login(make.user(product.organisation))
    assert client.post(f"/collaborations/{pilot.id}/move", data={"to": "testing"}).status_code == 302
    other_trust = make.organisation("health_trust")
    auth.login(make.user(make.organisation("clinical_department", parent_id=other_trust.id, name="Bergen unit")))
    client.post(f"/needs/{need.id}/join", data={"site": "Bergen"})
    auth.login(funder)
    page = client.get("/notifications").get_data(as_text=True)
    assert "The collaboration on &#34;Faster stroke imaging&#34; that you follow is now testing." in page
    assert "Bergen unit joined the need &#34;Faster stroke imaging&#34;, which you follow." in page
    changes = db.scalars(select(Notification).where(Notification.user_id == funder.id)).all()
    assert sorted(n.params["change"] for n in changes) == ["co_owner", "stage"]


# API, escaping, CSRF, demo

def test_instrument_api_round_trip(make, api, app):
    funder = api.as_user(make.user(kind="funding_agency"))
    body = {k: v for k, v in INSTRUMENT_FORM.items() if k != "action"}
    created = funder.post("/api/v1/instruments", json={**body, "status": "published"})
    assert created.status_code == 201
    instrument_id = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/instruments/{instrument_id}")
    changed = funder.patch(f"/api/v1/instruments/{instrument_id}", json={"deadline": None})
    assert changed.status_code == 200 and changed.get_json()["rolling"] is True
    assert funder.patch(f"/api/v1/instruments/{instrument_id}", json={"rolling": False}).status_code == 422
    listed = funder.get("/api/v1/instruments?purpose=pilot&open=true").get_json()["items"]
    assert instrument_id in [item["id"] for item in listed]
    assert funder.post(f"/api/v1/instruments/{instrument_id}/archive").get_json()["status"] == "archived"
    assert funder.post(f"/api/v1/instruments/{instrument_id}/archive").status_code == 409
    assert instrument_id not in [i["id"] for i in funder.get("/api/v1/instruments").get_json()["items"]]
    assert funder.get("/api/v1/instruments?purpose=lunch").status_code == 422
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "/needs/{profile_id}/instruments" in spec["paths"] and "InstrumentInput" in spec["components"]["schemas"]


def test_instrument_text_is_escaped(client, auth, make):
    instrument(make, title="<script>alert(1)</script> call", description="<b>bold</b> claims")
    auth.login(make.user(kind="supplier"))
    page = client.get("/funding").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.csrf
def test_follow_without_csrf_token_is_refused(client, auth, make, db):
    need = make.need()
    funder = make.user(kind="funding_agency")
    with client.session_transaction() as session:
        session["_user_id"] = funder.get_id()
        session["_fresh"] = True
    assert client.post("/funding/follow", data={"need_id": need.id}).status_code == 400
    assert db.scalar(select(Follow).where(Follow.user_id == funder.id)) is None


def test_demo_instruments_load_idempotently(app, make, db):
    from matchmaker.demo.funding import INSTRUMENTS, load_demo_funding

    make.organisation("funding_agency", external_id="org-demo-fund-test")
    with app.app_context():
        load_demo_funding(db, "org-demo-fund-test")
        load_demo_funding(db, "org-demo-fund-test")
    stored = db.scalars(select(FundingInstrument).where(FundingInstrument.external_id.like("fund-demo-%"))).all()
    assert len(stored) == len(INSTRUMENTS) >= 5
    pilot_helse = next(i for i in stored if i.external_id == "fund-demo-pilot-helse")
    assert pilot_helse.min_trusts == 2 and pilot_helse.vector is not None
