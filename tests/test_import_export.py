"""JSON Lines import and export: all-or-nothing, updates by id, lenient about field shapes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from matchmaker.cli import export_profiles, import_profiles
from matchmaker.models import CapabilityProfile, NeedProfile, Organisation, Profile

ORG = {"kind": "organisation", "id": "org-ahus-akutt", "name": "Akuttmottaket, Ahus", "type": "clinical_department",
       "country": "NO"}
NEED = {"kind": "need", "id": "need-1", "organisation": "org-ahus-akutt", "title": "Sepsis oppdages for sent",
        "description": "Pasienter med sepsis blir ikke fanget opp tidlig nok i akuttmottaket.", "language": "nb",
        "clinical_area": "Emergency medicine", "care_setting": ["emergency"], "trl": "5-8"}
CAP = {"kind": "capability", "id": "cap-1", "organisation": {"id": "sup-1"}, "name": "SepsisWatch",
       "description": "Continuous vital-sign monitoring that flags early sepsis in the waiting room.",
       "language": "en", "trl": 7, "pricing_model": "subscription"}
SUPPLIER = {"kind": "organisation", "id": "sup-1", "name": "Watch AS", "type": "supplier", "country": "NO"}


def write(tmp_path, records, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records))
    return path


def run(app, command, *args):
    return app.test_cli_runner().invoke(command, [str(a) for a in args])


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_import_creates_then_updates_without_duplicates(app, db, tmp_path):
    path = write(tmp_path, [ORG, SUPPLIER, NEED, CAP])
    first = run(app, import_profiles, path)
    assert first.exit_code == 0, first.output
    assert "need: 1 created" in first.output
    changed = write(tmp_path, [ORG, SUPPLIER, {**NEED, "title": "Sepsis oppdages altfor sent"}, CAP], "v2.jsonl")
    second = run(app, import_profiles, changed)
    assert "need: 0 created, 1 updated" in second.output
    assert count(db, NeedProfile) == 1
    need = db.scalar(select(NeedProfile))
    assert need.title == "Sepsis oppdages altfor sent"
    assert (need.trl_min, need.trl_max) == (5, 8)
    assert need.clinical_areas == ["emergency_medicine"]
    assert need.status == "published"


def test_unknown_fields_are_kept(app, db, tmp_path):
    run(app, import_profiles, write(tmp_path, [SUPPLIER, CAP]))
    capability = db.scalar(select(CapabilityProfile))
    assert capability.title == "SepsisWatch"
    assert capability.extra["pricing_model"] == "subscription"


def test_one_bad_line_imports_nothing_and_names_the_line(app, db, tmp_path):
    bad = {**NEED, "id": "need-2", "trl": "12"}
    path = write(tmp_path, [ORG, NEED, "{not json", bad, {"kind": "widget", "id": "w"}, {"kind": "need"}])
    result = run(app, import_profiles, path)
    assert result.exit_code == 1
    assert f"{path}:line 3: not valid JSON" in result.output
    assert "line 4: trl must be a number from 1 to 9" in result.output
    assert "line 5: kind must be one of" in result.output
    assert "line 6: id is missing" in result.output
    assert count(db, Profile) == 0
    assert count(db, Organisation) == 0


def test_validation_errors_name_the_field(app, tmp_path):
    result = run(app, import_profiles, write(tmp_path, [ORG, {**NEED, "title": "  "}]))
    assert result.exit_code == 1
    assert "line 2: title:" in result.output


def test_duplicate_id_in_file_is_an_error(app, tmp_path):
    result = run(app, import_profiles, write(tmp_path, [ORG, NEED, NEED]))
    assert "line 3: need id 'need-1' appears twice" in result.output


def test_unknown_parent_is_an_error(app, tmp_path):
    result = run(app, import_profiles, write(tmp_path, [{**ORG, "parent": "no-such-trust"}]))
    assert "parent 'no-such-trust' is not an organisation" in result.output


def test_missing_language_is_guessed_and_reported(app, db, tmp_path):
    record = {key: value for key, value in NEED.items() if key != "language"}
    result = run(app, import_profiles, write(tmp_path, [ORG, record]))
    assert result.exit_code == 0, result.output
    assert "guessed nb" in result.output
    assert db.scalar(select(NeedProfile)).language == "nb"


def test_profile_without_organisation_goes_to_an_unassigned_one(app, db, tmp_path):
    record = {key: value for key, value in CAP.items() if key != "organisation"}
    assert run(app, import_profiles, write(tmp_path, [record])).exit_code == 0
    assert db.scalar(select(CapabilityProfile)).organisation.name == "Unassigned suppliers (import)"


def test_export_round_trips(app, db, tmp_path, make):
    run(app, import_profiles, write(tmp_path, [ORG, SUPPLIER, NEED, CAP]))
    make.need(make.organisation("clinical_department", name="Created on the web"), title="Web need")
    exported = run(app, export_profiles)
    lines = [json.loads(line) for line in exported.output.splitlines()]
    assert {line["kind"] for line in lines} == {"organisation", "need", "capability"}
    assert run(app, import_profiles, write(tmp_path, [json.dumps(x) for x in lines], "export.jsonl")).exit_code == 0
    assert count(db, NeedProfile) == 2
    assert count(db, CapabilityProfile) == 1


@pytest.mark.parametrize("trl", [[4, 7], "TRL 4–7", "4-7"])
def test_trl_range_shapes(app, db, tmp_path, trl):
    run(app, import_profiles, write(tmp_path, [ORG, {**NEED, "trl": trl}]))
    need = db.scalar(select(NeedProfile))
    assert (need.trl_min, need.trl_max) == (4, 7)


def test_demo_data_loads_and_is_rich_enough(app, db):
    from matchmaker.cli import load_demo

    result = run(app, load_demo)
    assert result.exit_code == 0, result.output
    assert "founder@demo.example.org" in result.output
    needs = list(db.scalars(select(NeedProfile)))
    assert len(needs) >= 25
    assert {"nb", "sv", "da", "en"} <= {n.language for n in needs}
    assert count(db, CapabilityProfile) >= 40
    kinds = set(db.scalars(select(Organisation.kind)))
    assert {"funding_agency", "supplier", "clinical_department", "health_trust"} <= kinds
    from matchmaker.models import Collaboration

    stages = list(db.scalars(select(Collaboration.stage)))
    assert set(stages) == {"proposed", "accepted", "agreement", "testing", "verified", "stopped", "declined"}
    assert run(app, load_demo).exit_code == 0  # loading again changes nothing
    assert len(list(db.scalars(select(NeedProfile)))) == len(needs)
    assert len(list(db.scalars(select(Collaboration.stage)))) == len(stages)


def test_organisation_named_not_by_id(app, db, tmp_path, make):
    existing = make.organisation("clinical_department", name="Akuttmottaket, St. Olavs")
    named = {key: value for key, value in NEED.items() if key != "organisation"}
    records = [{**named, "id": "n-a", "organisation": "Akuttmottaket, St. Olavs"},
               {**named, "id": "n-b", "organisation": "A department nobody registered"}]
    result = run(app, import_profiles, write(tmp_path, records))
    assert result.exit_code == 0, result.output
    db.expire_all()
    by_id = {n.external_id: n for n in db.scalars(select(NeedProfile))}
    assert by_id["n-a"].organisation_id == existing.id
    assert by_id["n-b"].organisation.name == "A department nobody registered"
