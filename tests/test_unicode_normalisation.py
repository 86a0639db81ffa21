"""Text in Unicode NFC from every edge: profile text and names sent through the API, the web forms
and an import are stored in NFC, and searches find them however either side was typed."""

from __future__ import annotations

import json
import unicodedata

from sqlalchemy import select

from matchmaker.cli import import_profiles
from matchmaker.models import NeedProfile, Organisation, User


def nfd(text: str) -> str:
    """As text pasted from some macOS programs arrives: "å" as "a" and a combining ring."""
    return unicodedata.normalize("NFD", text)


TITLE = "Fallforebygging på sjukeheim for eldre på natta"
DESCRIPTION = "Eldre fell om natta på rommet sitt; vi ønsker å oppdaga fall tidleg og varsla sjukepleiaren."


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text) and text != nfd(text)


def test_profile_text_sent_decomposed_is_stored_composed_and_found(api, make, db):
    assert nfd(TITLE) != TITLE
    client = api.as_user(make.user(kind="clinical_department"))
    created = client.post("/api/v1/needs", json={"title": nfd(TITLE), "description": nfd(DESCRIPTION),
                                                 "language": "nn", "status": "published",
                                                 "test_offer": nfd("Testmiljø på avdelinga")})
    assert created.status_code == 201
    need = db.get(NeedProfile, created.json["id"])
    assert (need.title, need.description) == (TITLE, DESCRIPTION)
    assert is_nfc(need.test_offer)
    # A search typed in NFC finds it, and so does one typed in NFD.
    for query in ("sjukeheim på", nfd("sjukeheim på")):
        found = client.get("/api/v1/needs", query_string={"q": query}).json["items"]
        assert [item["id"] for item in found] == [need.id]


def test_web_forms_store_names_and_profile_text_composed(client, auth, make, db):
    response = client.post("/register", data={
        "name": nfd("Åse Bråten"), "email": "ase@example.org", "password": "a-long-password",
        "organisation_name": nfd("Sjukehuset Førde, akuttmottaket"), "organisation_kind": "clinical_department",
        "country": "NO"})
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.email == "ase@example.org"))
    assert user.name == "Åse Bråten"
    assert user.organisation.name == "Sjukehuset Førde, akuttmottaket"
    need = make.need(title=TITLE)
    auth.login(make.user(kind="supplier"))
    page = client.get("/needs", query_string={"q": nfd("sjukeheim")}).get_data(as_text=True)
    assert f"/needs/{need.id}" in page


def test_import_stores_text_composed(app, db, tmp_path):
    path = tmp_path / "import.jsonl"
    records = [{"kind": "organisation", "id": "org-nfd", "name": nfd("Helse Førde"), "type": "health_trust"},
               {"kind": "need", "id": "need-nfd", "organisation": "org-nfd", "title": nfd(TITLE),
                "description": nfd(DESCRIPTION), "language": "nn"}]
    path.write_text("\n".join(json.dumps(record) for record in records), encoding="utf-8")
    result = app.test_cli_runner().invoke(import_profiles, [str(path)])
    assert result.exit_code == 0, result.output
    assert db.scalar(select(Organisation.name).where(Organisation.external_id == "org-nfd")) == "Helse Førde"
    assert db.scalar(select(NeedProfile.title).where(NeedProfile.external_id == "need-nfd")) == TITLE


def test_free_text_matches_the_same_however_it_was_typed(api, make, index):
    index(make.capability(description="Sensor ved senga som varslar når pasienten prøver å stå opp om natta."))
    client = api.as_user(make.user(kind="clinical_department"))
    text = "Pasientar fell når dei prøver å stå opp åleine om natta"

    def scores(typed: str) -> list[tuple[int, float]]:
        answer = client.post("/api/v1/match", json={"text": typed, "kind": "capability"})
        assert answer.status_code == 200
        return [(item["profile"]["id"], item["score"]) for item in answer.json["items"]]

    assert scores(nfd(text)) == scores(text) != []
