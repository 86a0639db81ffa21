"""The ONNX graph of multilingual-e5-small: exported from the Hugging Face model, fused for
onnxruntime, its outlier channels moved to a float32 path, and quantised to int8.

Part of the conversion in ``embeddings.e5_convert``; only the conversion needs torch, onnx and
onnxruntime's tools, never the encoder at run time."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections import Counter
from pathlib import Path

import numpy as np

# The operators the manifest counts, one of each per layer (LayerNormalization: two per layer and
# the embeddings').
FUSED_COUNTED = ("Attention", "BiasGelu", "LayerNormalization", "SkipLayerNormalization")
# onnxruntime's own fusions it must not apply when it opens the model (see split_skip_layer_norms).
RUNTIME_DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)


def export_onnx(hf, path: Path) -> None:
    """The float32 graph. Eager attention and the TorchScript exporter give the plain
    MatMul/Softmax/Erf patterns onnxruntime's transformer optimizer fuses (the SDPA or dynamo
    graphs keep attention unfused, most of the run time after quantisation)."""
    import warnings

    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 33600, 31, 8, 2], [0, 6, 2, 1, 1]], dtype=torch.int64)
    mask = (ids != 1).to(torch.int64)
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Encoder(hf).eval(), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes})


def fuse(source: Path, target: Path, heads: int, hidden: int) -> dict[str, int]:
    """Attention (one op per layer, QKV in one matrix), BiasGelu and LayerNormalization; returns
    the operators' counts in the written graph.

    The optimizer also fuses each residual Add with its LayerNorm into SkipLayerNormalization;
    that is split again here (see ``split_skip_layer_norms``)."""
    from onnxruntime.transformers.optimizer import optimize_model

    with contextlib.redirect_stdout(sys.stderr):
        optimised = optimize_model(str(source), model_type="bert", num_heads=heads, hidden_size=hidden,
                                   opt_level=0)
    graph = optimised.model.graph
    split_skip_layer_norms(graph)
    optimised.save_model_to_file(str(target))
    return dict(sorted(Counter(node.op_type for node in graph.node
                               if node.op_type in FUSED_COUNTED).items()))


def split_skip_layer_norms(graph) -> int:
    """SkipLayerNormalization(x, skip, gamma, beta, bias) becomes Add(x, bias), Add(skip) and
    LayerNormalization: the same values, and about a quarter less time per run, because
    onnxruntime's CPU kernel for the fused op takes about three times as long as the two plain
    ones (47 against 15 microseconds on an 18-token query, 24 times per run). The encoder opens
    the model with ``RUNTIME_DISABLED_OPTIMIZERS`` so the runtime does not fuse them back.
    Returns how many were split."""
    from onnx import helper

    nodes, split = [], 0
    for node in graph.node:
        if node.op_type != "SkipLayerNormalization":
            nodes.append(node)
            continue
        if len([name for name in node.output if name]) != 1:
            raise ValueError(f"{node.name}: only the normalised output can be split off")
        x, skip, gamma, beta = node.input[:4]
        bias = node.input[4] if len(node.input) > 4 else ""
        epsilon = next(attr.f for attr in node.attribute if attr.name == "epsilon")
        if bias:
            nodes.append(helper.make_node("Add", [x, bias], [node.name + "_biased"], name=node.name + "_bias"))
            x = node.name + "_biased"
        nodes += [helper.make_node("Add", [x, skip], [node.name + "_sum"], name=node.name + "_residual"),
                  helper.make_node("LayerNormalization", [node.name + "_sum", gamma, beta], [node.output[0]],
                                   name=node.name + "_norm", axis=-1, epsilon=epsilon)]
        split += 1
    del graph.node[:]
    graph.node.extend(nodes)
    return split


def split_outliers(source: Path, target: Path, tokenizer, texts: list[str], ratio: float = 2.0) -> int:
    """Move the GELU channels with outlier activations to a float32 side path; returns their count.

    In a few layers one channel of the FFN's intermediate activation reaches 10-70 on <s> or </s>
    while the rest stay below 5. quantize_dynamic scales a whole activation tensor at once, so such
    a channel makes every other value of the FFN output's input coarse (cosine 0.994 to the engine
    with all matrices int8). Each channel whose largest activation on ``texts`` exceeds ``ratio``
    times the 99th percentile of the channels' largest is zeroed in the int8 path (its input column
    and bias in the FFN's first matrix, its row in the second) and computed beside it instead:
    (x @ W1[:, c] + b1[c]) -> GELU -> @ W2[c, :], added to the FFN's output."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    producer = {output: node for node in graph.node for output in node.output}
    ffn_out = [node for node in graph.node if node.op_type == "MatMul" and node.input[1] in inits
               and producer.get(node.input[0]) is not None and producer[node.input[0]].op_type == "BiasGelu"]
    names = [node.input[0] for node in ffn_out]

    probe = onnx.load(str(source))
    for name in names:
        probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    del probe
    peaks = {name: np.zeros(0, dtype=np.float32) for name in names}
    for text in texts:
        for prefix in ("query: ", "passage: "):
            ids = np.array([tokenizer.encode(prefix + text).ids], dtype=np.int64)
            for name, value in zip(names, session.run(names, {"input_ids": ids, "attention_mask": np.ones_like(ids)}),
                                   strict=True):
                peak = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
                peaks[name] = np.maximum(peaks[name], peak) if peaks[name].size else peak
    del session

    def array(name: str) -> np.ndarray:
        return numpy_helper.to_array(inits[name]).copy()

    def store(name: str, value: np.ndarray) -> None:
        inits[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))

    moved = 0
    for node in ffn_out:
        peak = peaks[node.input[0]]
        channels = np.nonzero(peak > ratio * np.percentile(peak, 99))[0].astype(np.int64)
        if not channels.size:
            continue
        moved += channels.size
        gelu = producer[node.input[0]]
        first = producer[gelu.input[0]]
        if first.op_type != "MatMul" or first.input[1] not in inits or gelu.input[1] not in inits:
            raise ValueError(f"unexpected FFN before {node.name}")
        w1, b1, w2 = array(first.input[1]), array(gelu.input[1]), array(node.input[1])
        side = node.name.replace("/", "_") + "_outliers"
        graph.initializer.extend([numpy_helper.from_array(np.ascontiguousarray(w1[:, channels]), side + "_w1"),
                                  numpy_helper.from_array(b1[channels], side + "_b1"),
                                  numpy_helper.from_array(np.ascontiguousarray(w2[channels]), side + "_w2")])
        w1[:, channels], b1[channels], w2[channels] = 0.0, 0.0, 0.0
        store(first.input[1], w1)
        store(gelu.input[1], b1)
        store(node.input[1], w2)
        output = node.output[0]
        node.output[0] = output + "_int8"
        at = list(graph.node).index(node) + 1
        for offset, new in enumerate([
                helper.make_node("MatMul", [first.input[0], side + "_w1"], [side + "_h"], name=side + "_matmul1"),
                helper.make_node("BiasGelu", [side + "_h", side + "_b1"], [side + "_g"], name=side + "_gelu",
                                 domain="com.microsoft"),
                helper.make_node("MatMul", [side + "_g", side + "_w2"], [side + "_y"], name=side + "_matmul2"),
                helper.make_node("Add", [output + "_int8", side + "_y"], [output], name=side + "_add")]):
            graph.node.insert(at + offset, new)
    onnx.save(model, str(target))
    return moved


def quantise(source: Path, target: Path) -> None:
    """int8 weights per output channel, activations quantised per run, word embeddings int8; the
    outlier side paths stay float32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    keep = [node.name for node in graph.node if node.name.endswith(("_outliers_matmul1", "_outliers_matmul2"))]
    logging.disable(logging.WARNING)  # its advice to pre-process the model first, once per build
    try:
        # The fused operators are outside ONNX's shape inference; their outputs are float32.
        # reduce_range keeps weights to 7 bits: on x86 CPUs without VNNI (AVX2 only) onnxruntime
        # multiplies u8 by s8 with VPMADDUBSW, whose 16-bit pair sums saturate with 8-bit weights;
        # there the vectors fell to a cosine of 0.995 to the engine's, with 7 bits they stay at 0.998.
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                         nodes_to_exclude=keep, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        logging.disable(logging.NOTSET)
