"""Proposing a test collaboration through the pages: the template's prompt is not terms anyone
wrote, nothing is chosen in the proposer's name, and each answer has its own reason field."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from matchmaker.i18n import when
from matchmaker.models import Collaboration, CollaborationEvent, Notification
from matchmaker.services.collaborations import terms as terms_rules
from matchmaker.services.errors import ValidationFailed

TYPED = {"site": "Ward 3, St. Olavs", "ip_terms": "The supplier keeps its rights; results are shared.",
         "cost_terms": "Each side carries its own costs."}


class _FormReader(HTMLParser):
    """What a browser would submit or show: the selected options, textareas and checkboxes of a
    page, and each POST form's textareas and buttons (for the action panel)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.selected: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}
        self.textareas: dict[str, str] = {}
        self.checked: set[str] = set()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "textareas": [], "buttons": []})
        elif tag == "select":
            self._select = a.get("name")
            self.selected.setdefault(self._select, [])
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a:
                self.selected[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.textareas[self._textarea] = ""
            if self.forms:
                self.forms[-1]["textareas"].append(a)
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.checked.add(a.get("name"))
        elif tag == "button" and self.forms:
            self._button = {"text": ""}
            self.forms[-1]["buttons"].append(self._button)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data
        if self._button is not None:
            self._button["text"] += data.strip()


def read(response) -> _FormReader:
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    return reader


def _parties(make):
    supplier, clinician = make.user(kind="supplier"), make.user(kind="clinical_department")
    need = make.need(clinician.organisation, title="Night falls on the geriatric ward", patient_data=True)
    need.set_codes("test_type", ["pilot"])
    db = make.db
    db.commit()
    product = make.capability(supplier.organisation, title="BedWatch")
    return supplier, clinician, need, product


def _proposed(client, auth, make, db):
    supplier, clinician, need, product = _parties(make)
    auth.login(supplier)
    response = client.post(f"/collaborations/new?need={need.id}&capability={product.id}", data={
        "need_id": need.id, "capability_id": product.id, "scope": "Three-month pilot of BedWatch on ward 3",
        "test_type": "pilot", **TYPED})
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    collaboration = db.scalar(select(Collaboration).where(Collaboration.need_id == need.id))
    return supplier, clinician, collaboration


def test_the_template_scope_is_refused_and_what_was_typed_stays(client, auth, make, db):
    supplier, _clinician, need, product = _parties(make)
    auth.login(supplier)
    url = f"/collaborations/new?need={need.id}&capability={product.id}"
    prompt = read(client.get(url)).textareas["scope"].strip()
    assert "BedWatch" in prompt and "how success is measured" in prompt

    refused = client.post(url, data={"need_id": need.id, "capability_id": product.id, "scope": f"  {prompt}\n",
                                     "test_type": "pilot", **TYPED})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "The scope is still the template&#39;s prompt" in page
    form = read(refused)
    assert form.textareas["scope"].strip() == prompt
    assert form.textareas["ip_terms"].strip() == TYPED["ip_terms"]
    assert TYPED["site"] in page and form.selected["test_type"] == ["pilot"]
    assert db.scalar(select(func.count()).select_from(Collaboration)) == 0

    written = {"scope": f"{prompt} Falls per 1,000 bed days on ward 3, before and after."}
    sent = client.post(url, data={"need_id": need.id, "capability_id": product.id, "test_type": "pilot",
                                  **TYPED, **written})
    assert sent.status_code == 302


def test_the_prompt_is_refused_in_any_interface_language(app, make):
    """The form may have been read in Norwegian and sent after switching to English."""
    _supplier, _clinician, need, product = _parties(make)
    with app.test_request_context():
        with force_locale("nb"):
            norwegian = terms_rules.placeholder_scope(need, product)
        with pytest.raises(ValidationFailed) as refused:
            terms_rules.clean({"scope": norwegian.upper(), "test_type": "pilot"},
                              terms_rules.placeholder_scopes(need, product))
        assert "scope" in refused.value.field_errors
        assert terms_rules.clean({"scope": "Pilot on ward 3", "test_type": "pilot"},
                                 terms_rules.placeholder_scopes(need, product))["scope"] == "Pilot on ward 3"


def test_nothing_is_chosen_in_the_proposers_name(client, auth, make, db):
    supplier, _clinician, need, product = _parties(make)
    auth.login(supplier)
    url = f"/collaborations/new?need={need.id}&capability={product.id}"
    form = read(client.get(url))
    assert form.options["test_type"][0] == "" and form.selected["test_type"] == []
    assert "dpia_needed" not in form.checked  # the need's patient data is said beside it instead
    assert "The need says that patient data is involved." in client.get(url).get_data(as_text=True)

    refused = client.post(url, data={"need_id": need.id, "capability_id": product.id,
                                     "scope": "Three-month pilot of BedWatch on ward 3", **TYPED})
    assert refused.status_code == 422
    assert "Choose a test type." in refused.get_data(as_text=True)
    assert read(refused).textareas["scope"].strip() == "Three-month pilot of BedWatch on ward 3"


def test_a_department_chooses_its_own_need(client, auth, make):
    clinician = make.user(kind="clinical_department")
    make.need(clinician.organisation, title="Falls at night")
    make.need(clinician.organisation, title="Pressure ulcers")
    product = make.capability(make.organisation("supplier"), title="BedWatch")
    auth.login(clinician)
    form = read(client.get(f"/collaborations/new?capability={product.id}"))
    assert form.options["need_id"][0] == "" and form.selected["need_id"] == []
    assert len(form.options["need_id"]) == 3


def _action_forms(response) -> dict[str, dict]:
    """The action panel's forms by their button's text."""
    return {f["buttons"][0]["text"]: f for f in read(response).forms
            if f["buttons"] and ("/move" in f["action"] or "/changes" in f["action"])}


def test_each_answer_has_its_own_reason_field(client, auth, make, db):
    supplier, clinician, collaboration = _proposed(client, auth, make, db)
    url = f"/collaborations/{collaboration.id}"
    auth.login(clinician)
    answers = _action_forms(client.get(url))
    assert list(answers) == ["Accept the proposal", "Ask for changes", "Decline"]
    reasons = {text: form["textareas"] for text, form in answers.items()}
    assert all(len(fields) == 1 and fields[0]["name"] == "note" for fields in reasons.values())
    assert len({fields[0]["id"] for fields in reasons.values()}) == 3
    assert "required" not in reasons["Accept the proposal"][0]
    assert "required" in reasons["Decline"][0] and "required" in reasons["Ask for changes"][0]
    page = client.get(url).get_data(as_text=True)
    for label in ("A note with your acceptance (optional)", "What should change?", "Why do you decline?"):
        assert label in page

    auth.login(supplier)
    assert list(_action_forms(client.get(url))) == ["Withdraw the proposal"]
    assert "Why do you withdraw it?" in client.get(url).get_data(as_text=True)


def test_a_missing_reason_is_shown_at_its_own_button(client, auth, make, db):
    _supplier, clinician, collaboration = _proposed(client, auth, make, db)
    url = f"/collaborations/{collaboration.id}"
    auth.login(clinician)
    refused = client.post(f"{url}/move", data={"to": "declined", "note": "   "})
    assert refused.status_code == 422
    answers = _action_forms(refused)
    assert answers["Decline"]["textareas"][0].get("aria-invalid") == "true"
    assert "aria-invalid" not in answers["Ask for changes"]["textareas"][0]
    assert "Say briefly why." in refused.get_data(as_text=True)
    db.refresh(collaboration)
    assert collaboration.stage == "proposed"


def test_asking_for_changes_tells_the_proposer_and_keeps_the_proposal_open(client, auth, make, db):
    supplier, clinician, collaboration = _proposed(client, auth, make, db)
    url = f"/collaborations/{collaboration.id}"
    auth.login(clinician)
    asked = client.post(f"{url}/changes", data={"note": "Two wards, not one, and six months."})
    assert asked.status_code == 302
    db.refresh(collaboration)
    assert collaboration.stage == "proposed"
    comment = db.scalar(select(CollaborationEvent).where(CollaborationEvent.collaboration_id == collaboration.id,
                                                         CollaborationEvent.kind == "comment"))
    assert comment.text == "Two wards, not one, and six months."
    told = db.scalars(select(Notification.kind).where(Notification.user_id == supplier.id)).all()
    assert "collaboration_comment" in told

    auth.login(supplier)  # the proposer cannot ask itself for changes
    assert client.post(f"{url}/changes", data={"note": "Please"}).status_code == 409


def test_an_acceptance_keeps_its_note(client, auth, make, db):
    _supplier, clinician, collaboration = _proposed(client, auth, make, db)
    auth.login(clinician)
    client.post(f"/collaborations/{collaboration.id}/move", data={"to": "accepted", "note": "Welcome on ward 3."})
    db.refresh(collaboration)
    moved = [e for e in collaboration.events if e.kind == "stage"]
    assert collaboration.stage == "accepted" and moved[-1].text == "Welcome on ward 3."


def test_history_and_terms_are_dated_in_the_readers_zone(client, auth, make, db):
    supplier, clinician, collaboration = _proposed(client, auth, make, db)
    created = collaboration.events[0].created_at
    auth.login(clinician)
    page = client.get(f"/collaborations/{collaboration.id}").get_data(as_text=True)
    assert created.strftime("%Y-%m-%d") not in page  # no ISO dates in the history or the terms
    with client.application.test_request_context():
        assert when(created) in page  # "4 Dec 2026, 19:06" in Europe/Oslo
    assert f"{supplier.name}, {supplier.organisation.name}" in page  # a person with their organisation
