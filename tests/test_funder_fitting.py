"""The funder's page of fitting needs: a short card per need (who has it, its clinical area, two
lines of it, why it fits), and every condition either met, not met or unknown, in words."""

from __future__ import annotations

import re
from datetime import date, timedelta

from matchmaker.models import FundingInstrument
from tests.test_funding import embed

INSTRUMENT_TEXT = ("The programme funds pilots of new stroke imaging and triage solutions in Norwegian hospitals, "
                   "with binding participation of several trusts and a supplier. Applications describe the "
                   "patient pathway, the evidence so far, and how the pilot will be evaluated.")
NEED_TEXT = ("Patients with suspected stroke wait too long for a brain scan at night; faster stroke imaging and "
             "triage would save brain tissue. The radiologist on call reads the images from home.")


def _world(app, make, db, **instrument_fields):
    trust = make.organisation("health_trust", name="St. Olavs hospital")
    department = make.organisation("clinical_department", name="Akuttmottaket", parent_id=trust.id)
    need = make.need(department, title="Faster stroke imaging at night", description=NEED_TEXT,
                     clinical_areas=["stroke"])
    need.set_codes("test_type", ["pilot"])
    make._save(need)
    embed(app, db, need)
    agency = make.organisation("funding_agency", name="Innovation Norway")
    values = {"title": "Stroke pilot programme", "description": INSTRUMENT_TEXT, "language": "en",
              "status": "published", "applicants": ["consortium"], "purposes": ["pilot"], "currency": "NOK",
              "deadline": date.today() + timedelta(days=40), "clinical_areas": ["stroke"], "countries": ["SE"],
              "passages": [], "requirements": "", "url": "", "min_trusts": 2}
    make._save(FundingInstrument(organisation_id=agency.id, **{**values, **instrument_fields}))
    return make.user(agency), need


def _card(page: str) -> str:
    start = page.index('<article class="profile-card need-fit">')
    return page[start:page.index("</article>", start)]


def test_a_fitting_need_is_a_short_card(app, client, auth, make, db):
    funder, need = _world(app, make, db)
    auth.login(funder)
    page = client.get("/funding/fitting").get_data(as_text=True)
    card = _card(page)
    assert "Faster stroke imaging at night" in card
    assert "Akuttmottaket, St. Olavs hospital" in card
    assert '<span class="tag">Stroke</span>' in card
    assert 'class="two-lines"' in card and "faster stroke imaging" in card
    assert "Why it fits" in card and "Both are about Stroke." in card
    assert "The programme funds pilots" not in card  # the funder's own text is not shown back to it
    assert re.search(r"\d of \d conditions met", card)


def test_each_condition_is_met_not_met_or_unknown(app, client, auth, make, db):
    funder, _need = _world(app, make, db)
    auth.login(funder)
    card = _card(client.get("/funding/fitting").get_data(as_text=True))
    statuses = re.findall(r'<span class="check-status">([^<]*)</span>', card)
    assert statuses and set(statuses) <= {"met", "not met", "unknown"}
    assert {"met", "not met", "unknown"} <= set(statuses)  # deadline; trusts and country; consortium
    texts = re.findall(r'<span class="check-text">([^<]*)</span>', card)
    assert not [t for t in texts if t.rstrip().endswith((": yes", ": no"))]
    assert "Open to consortia: the trust would apply together with a supplier" in texts
    assert "unknown: yes" not in card.lower() and "Unknown:" not in card


def test_conditions_with_nothing_said_are_unknown(app, client, auth, make, db):
    funder, _need = _world(app, make, db, applicants=[], countries=[], min_trusts=None, deadline=None)
    auth.login(funder)
    card = _card(client.get("/funding/fitting").get_data(as_text=True))
    assert "Who may apply is not said" in card
    assert "Rolling call: apply any time" in card


def test_deadlines_are_written_in_the_readers_language(app, client, auth, make, db):
    deadline = date(2031, 3, 12)
    funder, _need = _world(app, make, db, deadline=deadline)
    auth.login(funder)
    page = client.get("/funding/fitting").get_data(as_text=True)
    assert "Deadline 12 Mar 2031" in page and "2031-03-12" not in page
    client.post("/language", data={"locale": "nb"})
    assert "2031-03-12" not in client.get("/funding/fitting").get_data(as_text=True)
