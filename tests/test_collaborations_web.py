"""Collaborations through the pages: propose from a need, accept, agree to terms, test, verify,
publish the result; and who may see a collaboration."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.models import Collaboration, Notification


def _propose(client, auth, make):
    supplier, clinician = make.user(kind="supplier"), make.user(kind="clinical_department")
    need = make.need(clinician.organisation, title="Night falls on the geriatric ward")
    product = make.capability(supplier.organisation, title="BedWatch")
    auth.login(supplier)
    form = client.get(f"/collaborations/new?need={need.id}").get_data(as_text=True)
    assert "Night falls on the geriatric ward" in form and "Each party keeps the rights it brings" in form
    response = client.post(f"/collaborations/new?need={need.id}", data={
        "need_id": need.id, "capability_id": product.id, "scope": "Three-month pilot of BedWatch on ward 3",
        "test_type": "pilot", "site": "Ward 3", "period_start": "2031-01-05", "period_end": "2031-04-05",
        "ip_terms": "Each keeps its own.", "cost_terms": "Each carries its own costs."})
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    return supplier, clinician, need, product


def test_from_proposal_to_published_result(client, auth, make, db):
    supplier, clinician, need, product = _propose(client, auth, make)
    collaboration = db.scalar(select(Collaboration).where(Collaboration.need_id == need.id))
    url = f"/collaborations/{collaboration.id}"
    assert collaboration.stage == "proposed" and collaboration.current_terms.site == "Ward 3"
    assert db.scalar(select(Notification).where(Notification.user_id == clinician.id)).kind == "collaboration_proposed"

    auth.login(clinician)
    assert "Three-month pilot of BedWatch" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/move", data={"to": "accepted"})
    client.post(f"{url}/agree")
    auth.login(supplier)
    client.post(f"{url}/agree")
    db.refresh(collaboration)
    assert collaboration.stage == "agreement"
    client.post(f"{url}/move", data={"to": "testing"})
    refused = client.post(f"{url}/move", data={"to": "verified"})
    assert refused.status_code == 403  # the department confirms verification
    auth.login(clinician)
    client.post(f"{url}/move", data={"to": "verified"})
    client.post(f"{url}/result", data={"summary": "Falls at night halved during the pilot."})
    db.refresh(collaboration)
    assert collaboration.stage == "verified"
    assert "Falls at night halved" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Falls at night halved" in client.get(f"/capabilities/{product.id}").get_data(as_text=True)
    stages = [(e.from_stage, e.to_stage) for e in collaboration.events if e.kind == "stage"]
    assert stages == [("proposed", "accepted"), ("accepted", "agreement"), ("agreement", "testing"),
                      ("testing", "verified")]


def test_refused_stage_change_says_what_is_possible(client, auth, make, db):
    supplier, clinician, need, _product = _propose(client, auth, make)
    collaboration = db.scalar(select(Collaboration).where(Collaboration.need_id == need.id))
    auth.login(clinician)
    response = client.post(f"/collaborations/{collaboration.id}/move", data={"to": "testing"})
    assert response.status_code == 409
    assert "can move to: accepted, declined, stopped" in response.get_data(as_text=True)
    auth.login(supplier)
    assert client.post(f"/collaborations/{collaboration.id}/move", data={"to": "accepted"}).status_code == 403


def test_new_terms_need_new_agreement_and_keep_history(client, auth, make, db):
    supplier, clinician, need, _product = _propose(client, auth, make)
    collaboration = db.scalar(select(Collaboration).where(Collaboration.need_id == need.id))
    url = f"/collaborations/{collaboration.id}"
    auth.login(clinician)
    client.post(f"{url}/move", data={"to": "accepted"})
    client.post(f"{url}/agree")
    client.post(f"{url}/terms", data={"scope": "Six-month pilot on two wards", "test_type": "pilot"})
    db.refresh(collaboration)
    assert [t.scope for t in collaboration.terms] == ["Three-month pilot of BedWatch on ward 3",
                                                      "Six-month pilot on two wards"]
    assert collaboration.department_agreed_version is None
    page = client.get(f"{url}?version=1").get_data(as_text=True)
    assert "Three-month pilot of BedWatch on ward 3" in page and "an earlier version" in page


def test_private_unless_both_list_it(client, auth, make, db):
    supplier, clinician, need, _product = _propose(client, auth, make)
    collaboration = db.scalar(select(Collaboration).where(Collaboration.need_id == need.id))
    url = f"/collaborations/{collaboration.id}"
    client.post(f"{url}/comment", data={"text": "Our price list is confidential"})
    outsider = make.user(kind="supplier")
    auth.login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/comment", data={"text": "hi"}).status_code == 404
    for user in (supplier, clinician):
        auth.login(user)
        client.post(f"{url}/listing", data={"listed": "1"})
    auth.login(outsider)
    page = client.get(url)
    assert page.status_code == 200
    assert "Our price list is confidential" not in page.get_data(as_text=True)
    assert client.post(f"{url}/move", data={"to": "stopped", "note": "x"}).status_code == 403


def test_a_department_of_another_trust_joins_a_need(client, auth, make, db):
    from matchmaker.models import NeedCoOwner

    trust_a, trust_b = make.organisation("health_trust"), make.organisation("health_trust")
    owner = make.organisation("clinical_department", parent_id=trust_a.id)
    sister = make.organisation("clinical_department", parent_id=trust_a.id)
    other = make.organisation("clinical_department", parent_id=trust_b.id, name="Stroke unit, Trust B")
    need = make.need(owner, title="Faster stroke imaging")
    auth.login(make.user(sister))
    assert client.post(f"/needs/{need.id}/join", data={"site": "Ward 2"}).status_code == 403  # same trust
    joiner = make.user(other)
    auth.login(joiner)
    assert "Join this need" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert client.post(f"/needs/{need.id}/join", data={"site": ""}).status_code == 422
    client.post(f"/needs/{need.id}/join", data={"site": "Bergen stroke unit", "patient_volume": "900 a year"})
    assert client.post(f"/needs/{need.id}/join", data={"site": "Again"}).status_code == 409
    auth.login(make.user(kind="supplier"))
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "A joint need: 2 trusts, 2 sites" in page and "Bergen stroke unit" in page
    auth.login(joiner)
    client.post(f"/needs/{need.id}/leave")
    assert db.scalars(select(NeedCoOwner).where(NeedCoOwner.need_id == need.id)).all() == []


def test_a_held_arena_meeting_leads_to_a_proposal(client, auth, make, db):
    from datetime import timedelta

    from matchmaker.models.types import utcnow

    arena = make.arena(slots=2, tables=1, day=(utcnow() - timedelta(days=1)).date().isoformat())
    supplier_user, clinician = make.user(kind="supplier"), make.user(kind="clinical_department")
    product = make.capability(supplier_user.organisation, title="BedWatch")
    need = make.need(clinician.organisation, title="Night falls on the geriatric ward")
    supplier = make.participant(arena, supplier_user, profile=product)
    department = make.participant(arena, clinician, profile=need)
    meeting = make.meeting(arena, supplier, department)
    auth.login(make.user(arena.organiser))
    client.post(f"/arenas/{arena.id}/schedule/run")
    client.post(f"/arenas/{arena.id}/schedule/publish")
    auth.login(supplier_user)
    agenda = f"/arenas/{arena.id}/agenda"
    assert "Propose a test collaboration" not in client.get(agenda).get_data(as_text=True)  # not held yet
    client.post(f"/arenas/{arena.id}/meetings/{meeting.id}/attendance", data={"attendance": "held"})
    link = f"/collaborations/new?need={need.id}&amp;capability={product.id}&amp;meeting={meeting.id}"
    assert link in client.get(agenda).get_data(as_text=True)
    client.post(link.replace("&amp;", "&"), data={"need_id": need.id, "capability_id": product.id,
                                                   "scope": "Pilot on ward 3", "test_type": "pilot"})
    collaboration = db.scalar(select(Collaboration).where(Collaboration.need_id == need.id))
    assert collaboration.meeting_id == meeting.id and collaboration.capability_id == product.id
