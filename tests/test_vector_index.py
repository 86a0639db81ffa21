"""The vector index: add, replace, remove, filtered search, snapshots, and ANN against exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.encoders import HashingEncoder, normalise
from embeddings.index import VectorIndex

DIM = 16


def vectors(n: int, seed: int = 0) -> np.ndarray:
    return normalise(np.random.default_rng(seed).standard_normal((n, DIM)))


def exact_top(matrix: np.ndarray, ids: list[int], query: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-(matrix @ query), kind="stable")[:k]
    return [ids[i] for i in order]


def test_add_search_replace_remove():
    index = VectorIndex(DIM)
    data = vectors(50)
    index.add(range(100, 150), data)
    assert index.search(data[3], 1)[0][0] == 103
    index.add([103], data[7:8])  # replace 103's vector with 107's
    assert len(index) == 50
    assert {i for i, _ in index.search(data[7], 2)} == {103, 107}
    index.remove([103, 107])
    found = [i for i, _ in index.search(data[7], 50)]
    assert 103 not in found and 107 not in found
    assert len(found) == 48


def test_filter_applies_before_the_cut():
    index = VectorIndex(DIM)
    data = vectors(200)
    index.add(range(200), data)
    allowed = [150, 151, 152]
    result = index.search(data[0], 10, allowed_ids=allowed)
    assert sorted(i for i, _ in result) == allowed  # not an empty top-10 filtered afterwards


def test_scores_are_sorted_cosines():
    index = VectorIndex(DIM)
    data = vectors(30)
    index.add(range(30), data)
    scores = [s for _, s in index.search(data[1], 10)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("threshold", [10**9, 100])
def test_snapshot_round_trip(tmp_path, threshold):
    index = VectorIndex(DIM, ann_threshold=threshold)
    data = vectors(300)
    index.add(range(300), data)
    index.remove([5])
    index.save(tmp_path / "snap")
    loaded = VectorIndex.load(tmp_path / "snap", ann_threshold=threshold)
    assert len(loaded) == 299 and 5 not in loaded
    assert loaded.search(data[9], 3) == index.search(data[9], 3)


def test_corrupt_snapshot_is_refused(tmp_path):
    index = VectorIndex(DIM)
    index.add(range(10), vectors(10))
    index.save(tmp_path / "snap")
    np.save(tmp_path / "snap" / "ids.npy", np.arange(3))
    with pytest.raises(ValueError):
        VectorIndex.load(tmp_path / "snap")


def test_ann_recall_against_exact():
    data = vectors(3000, seed=4)
    index = VectorIndex(DIM, ann_threshold=1000, ef_search=128)
    index.add(range(3000), data)
    assert index.uses_ann
    queries = vectors(50, seed=5)
    hits = sum(len({i for i, _ in index.search(q, 10)} & set(exact_top(data, list(range(3000)), q, 10)))
               for q in queries)
    assert hits / (50 * 10) >= 0.9


def test_removing_many_compacts_and_keeps_answers():
    data = vectors(3000, seed=2)
    index = VectorIndex(DIM, ann_threshold=500)
    index.add(range(3000), data)
    index.remove(range(0, 2500))
    assert len(index) == 500
    assert index.search(data[2600], 1)[0][0] == 2600


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 40)), max_size=60),
       st.lists(st.integers(0, 40), max_size=10), st.integers(1, 8))
def test_search_agrees_with_a_plain_dictionary(operations, allowed, k):
    """Whatever the order of adds, replacements and removals, search answers as exact search
    over what a plain dict holds would, within the allowed ids."""
    index, truth = VectorIndex(DIM), {}
    data = vectors(41, seed=9)
    for step, (op, item) in enumerate(operations):
        if op == "add":
            vector = data[(item + step) % 41]
            index.add([item], vector[None, :])
            truth[item] = vector
        else:
            index.remove([item])
            truth.pop(item, None)
    query = data[0]
    pool = [i for i in truth if not allowed or i in allowed]
    expected = exact_top(np.array([truth[i] for i in pool]).reshape(-1, DIM), pool, query, k) if pool else []
    got = [i for i, _ in index.search(query, k, allowed_ids=allowed or None)]
    assert [round(float(truth[i] @ query), 5) for i in got] == [round(float(truth[i] @ query), 5) for i in expected]


def test_hashing_encoder_is_deterministic_and_normalised():
    encoder = HashingEncoder(64)
    first, second = encoder.encode_passages(["fall prevention at night"]), encoder.encode_queries(
        ["fall prevention at night"])
    assert np.allclose(first, second)
    assert np.linalg.norm(first[0]) == pytest.approx(1.0)
