"""Language-neutral matching: centering, language detection, specific reasons, one strength word."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.centering import Centering, LanguageMeans
from embeddings.encoders import normalise
from matchmaker.matching import ranking
from matchmaker.matching.calibration import PRECISION, THRESHOLDS, thresholds_for
from matchmaker.services.language import guess_language, language_weights

# Axis 0 is the language (the signal a multilingual encoder adds), axes 1-2 the topics.
NORWEGIAN, ENGLISH = np.array([1.0, 0, 0, 0]), np.array([-1.0, 0, 0, 0])
FALLS, INVOICES = np.array([0, 1.0, 0, 0]), np.array([0, 0, 1.0, 0])


def text(language: np.ndarray, topic: np.ndarray, noise: float = 0.0) -> np.ndarray:
    return normalise(0.8 * language + topic + noise * np.array([0, 0, 0, 1.0]))


def test_centering_lets_the_other_language_win_on_topic():
    need = text(NORWEGIAN, FALLS)
    english_sensor, norwegian_invoices = text(ENGLISH, FALLS), text(NORWEGIAN, INVOICES)
    assert need @ norwegian_invoices > need @ english_sensor  # raw vectors: language wins

    means = LanguageMeans.of(np.stack([text(NORWEGIAN, FALLS), text(NORWEGIAN, INVOICES),
                                       text(ENGLISH, FALLS), text(ENGLISH, INVOICES)]), ["nb", "nb", "en", "en"])
    centering = Centering(means, strength=1.0)
    need_c = centering.apply(need, "nb")
    assert need_c @ centering.apply(english_sensor, "en") > need_c @ centering.apply(norwegian_invoices, "nb")
    assert np.isclose(np.linalg.norm(need_c), 1.0)


def test_a_tiny_language_keeps_mostly_the_reference_mean():
    reference = LanguageMeans({"da": np.array([1.0, 0, 0, 0]), "en": np.array([-1.0, 0, 0, 0])}, {"da": 40, "en": 40})
    five_danish_on_one_topic = LanguageMeans.of(np.tile([1.0, 1.0, 0, 0], (5, 1)), ["da"] * 5)
    blended = reference.blend(five_danish_on_one_topic, prior_weight=40)
    assert blended.means["da"][1] == pytest.approx(5 / 45)  # the topic barely enters the mean
    large = LanguageMeans.of(np.tile([1.0, 1.0, 0, 0], (4000, 1)), ["da"] * 4000)
    assert reference.blend(large, prior_weight=40).means["da"][1] > 0.98  # a large corpus speaks for itself
    assert np.array_equal(blended.means["en"], reference.means["en"])


def test_uncertain_language_gets_a_mix_of_means_and_unknown_gets_the_overall_mean():
    means = LanguageMeans({"nb": np.array([1.0, 0]), "en": np.array([0, 1.0])}, {"nb": 1, "en": 1})
    assert np.allclose(means.mean_for({"nb": 0.75, "en": 0.25}), [0.75, 0.25])
    assert np.allclose(means.mean_for({}), [0.5, 0.5])
    assert np.allclose(means.mean_for("nn"), [0.5, 0.5])


def test_means_survive_a_round_trip_through_arrays():
    means = LanguageMeans.of(np.eye(3, dtype=np.float32), ["sv", "da", "sv"])
    again = LanguageMeans.from_arrays(means.to_arrays())
    assert again.counts == means.counts and all(np.allclose(again.means[k], means.means[k]) for k in means.means)


@pytest.mark.parametrize("sample, language", [
    ("Vi treng eit betre system for å varsle sjukepleiarane når pasientane er urolege om natta.", "nn"),
    ("Vi trenger et bedre system for å varsle sykepleierne når pasientene er urolige om natten.", "nb"),
    ("Vi har brug for et bedre system til at advare sygeplejerskerne, når patienterne er urolige om natten.", "da"),
    ("Vi behöver ett bättre system för att varna sjuksköterskorna när patienterna är oroliga på natten.", "sv"),
    ("We need a better system to alert the nurses when patients are restless at night.", "en"),
])
def test_language_detection_tells_the_close_languages_apart(sample, language):
    assert guess_language(sample) == language


def test_short_or_empty_text_has_no_confident_language():
    assert language_weights("") == {} and guess_language("", default="sv") == "sv"
    weights = language_weights("sensor")
    assert weights and max(weights.values()) < 0.9


def side(passages: list[np.ndarray], kind: str = "need") -> ranking.Side:
    vectors = normalise(np.stack(passages))
    return ranking.Side(kind=kind, vector=normalise(vectors.sum(axis=0)),
                        passages=[f"p{i}" for i in range(len(passages))],
                        passage_vectors=vectors, terms={})


def test_a_reason_that_matches_everyone_is_not_shown():
    generic = np.array([1.0, 0, 0, 0])  # "we are looking for a hospital to pilot with"
    need = side([generic + 0.1 * FALLS, FALLS + 0.2 * generic])
    capability = side([generic, FALLS], kind="capability")
    typical = (generic, generic)
    assert ranking.best_passage_pairs(need, capability)[0] == ("p0", "p0")  # plain similarity picks the generic pair
    assert ranking.best_passage_pairs(need, capability, typical=typical) == [("p1", "p1")]


def test_one_word_per_score_and_no_word_below_possible():
    for source in ("profile", "text"):
        words = THRESHOLDS["e5onnx"][source]
        assert words["strong"] >= words["good"] > words["possible"]
    thresholds = THRESHOLDS["e5onnx"]["profile"]
    assert ranking.strength(thresholds["strong"], thresholds) == "strong"
    assert ranking.strength(thresholds["good"] + 1e-6, thresholds) == "good"
    assert ranking.strength(thresholds["possible"] - 1e-6, thresholds) is None
    assert set(PRECISION) == {"strong", "good", "possible"}
    assert thresholds_for("st:some-model") == thresholds_for("e5onnx")


# --- through the services and the API, on the test encoder --------------------------------------

FALLS_TEXT = "Patients fall at night on the geriatric ward when they get up alone to go to the toilet."


@pytest.fixture
def many_matches(make, index):
    need = index(make.need(title="Night-time falls", description=FALLS_TEXT))
    products = [index(make.capability(title=f"Fall sensor {i}", description=f"{FALLS_TEXT} Sensor model {i}."))
                for i in range(14)]
    return need, products


def test_match_lists_count_and_page_without_repeats(api, make, many_matches):
    need, products = many_matches
    client = api.as_user(make.user(need.organisation))
    first = client.get(f"/api/v1/needs/{need.id}/matches?limit=10").json
    second = client.get(f"/api/v1/needs/{need.id}/matches?limit=10&offset=10").json
    assert first["total"] == second["total"] == 14
    ids = [item["profile"]["id"] for item in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 14 and set(ids) == {p.id for p in products}
    assert second["offset"] == 10 and not first["closest"]


def test_match_page_shows_the_count_and_a_next_page(client, auth, make, many_matches):
    need, _ = many_matches
    auth.login(make.user(need.organisation))
    page = client.get(f"/needs/{need.id}/matches").get_data(as_text=True)
    assert "14 matches" in page and "Page 1 of 2" in page
    assert "Page 2 of 2" in client.get(f"/needs/{need.id}/matches?page=2").get_data(as_text=True)


def test_nothing_below_the_lowest_word_is_labelled(app, db, make, index):
    from matchmaker.matching.runtime import get_engine
    from matchmaker.services.browse import ProfileFilters
    from matchmaker.services.matching import matches_for_profile

    need = index(make.need(title="Night-time falls", description=FALLS_TEXT))
    index(make.capability(title="Invoices", description="Invoice scanning for accounting departments."))
    with app.test_request_context():
        engine = get_engine()
        engine.thresholds = thresholds_for("any", {"strong": 2.0, "good": 1.9, "possible": 1.8})  # none reached
        results = matches_for_profile(db, engine, None, need, ProfileFilters())
    assert results.total == 0 and results.closest
    assert [m.explanation.strength for m in results] == [None]


def test_a_pair_gets_the_same_word_on_every_page(app, db, make, index):
    """The arena's people list, its request page and the match list label a pair alike."""
    from matchmaker.matching.runtime import get_engine
    from matchmaker.services import matching
    from matchmaker.services.browse import ProfileFilters

    need = index(make.need(title="Night-time falls", description=FALLS_TEXT))
    near = index(make.capability(title="Near", description=FALLS_TEXT + " A sensor alerts the nurse."))
    far = index(make.capability(title="Far", description="A sensor that alerts the nurse when a patient falls."))
    with app.test_request_context():
        engine = get_engine()
        engine.thresholds = thresholds_for("any", {"strong": 0.7, "good": 0.0, "possible": -1.0})
        listed = {m.profile.id: m.explanation.strength
                  for m in matching.matches_for_profile(db, engine, None, need, ProfileFilters())}
        among = {m.profile.id: m.explanation.strength
                 for m in matching.matches_among(db, engine, None, need, [near.id, far.id])}
        paired = {p.id: matching.pair_match(db, engine, need, p).explanation.strength for p in (near, far)}
    assert listed == among == paired
    assert set(paired.values()) == {"strong", "good"}  # the two pairs really differ
