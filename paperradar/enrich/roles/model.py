"""The role classifier's forward pass in numpy (no torch at inference; MiniLM runs in onnxruntime).

Network, per abstract:

1. sentence vector = tanh(W [sum of n-gram rows weighted by TF-IDF ; MiniLM vector ; position]);
   the MiniLM part is there only when the weights name a sentence encoder (``features`` in the
   meta): a frozen all-MiniLM-L6-v2 vector of the sentence's first few word pieces, because
   role cues sit at the sentence start ("We propose", "Results show") and a short input keeps
   the encoder cheap. Weight files without ``features`` are n-gram only and load as before;
2. a bidirectional GRU runs over the abstract's sentence vectors, so each
   sentence's role is decided with the whole abstract in view;
3. softmax(W [forward state ; backward state ; sentence vector]) over the five roles.

Several such networks (trained from different seeds) may ship together, keys
prefixed ``m0.``, ``m1.`` ...; their probabilities are averaged. The average may
then be divided by the training label prior raised to ``prior_correction``
(a power chosen on dev), which trades a little of the frequent labels' recall
for the rare ones' (objective, other).

Weights live in one ``.npz`` of plain arrays (no pickles): the n-gram
vocabulary as JSON text, the n-gram tables as int8 with a float scale per row
(``<name>_q``, ``<name>_scale``), everything else float32, parameter names as
in the torch module of :mod:`paperradar.enrich.roles.train`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from paperradar.blas import one_blas_thread
from paperradar.enrich.roles.features import Vocabulary, position_features

if TYPE_CHECKING:
    from paperradar.embed import Embedder

LABELS: tuple[str, ...] = ("background", "objective", "method", "result", "other")


def sentence_encoder(features: dict | None) -> Embedder | None:
    """The frozen sentence encoder a weights file asks for (``{"minilm_tokens": N}``), else None.

    It is the index's own MiniLM (:class:`paperradar.embed.OnnxMiniLM`), cut at N word
    pieces ([CLS] and [SEP] included); batches of 32 sentences amortise onnxruntime's per-call cost.
    """
    if not features or not features.get("minilm_tokens"):
        return None
    from paperradar.embed import OnnxMiniLM

    return OnnxMiniLM(batch_size=32, max_tokens=int(features["minilm_tokens"]))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


@dataclass
class RoleNet:
    vocab: Vocabulary
    members: list[dict[str, np.ndarray]]
    labels: tuple[str, ...] = LABELS
    prior: np.ndarray | None = None  # training label frequencies
    prior_correction: float = 0.0
    features: dict = field(default_factory=dict)  # {"minilm_tokens": N, "space": ...}; {} = n-grams only
    _encoder: Embedder | None = field(default=None, repr=False)

    def encoder(self) -> Embedder | None:
        """The sentence encoder these weights were trained with, built on first use."""
        if self._encoder is None:
            self._encoder = sentence_encoder(self.features)
        return self._encoder

    @classmethod
    def from_bytes(cls, data: bytes) -> RoleNet:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
        terms = json.loads(bytes(arrays.pop("vocab")).decode("utf-8"))
        vocab = Vocabulary(terms, arrays.pop("idf").astype(np.float32))
        members: dict[str, dict[str, np.ndarray]] = {}
        for key, value in arrays.items():
            member, name = key.split(".", 1)
            if name.endswith("_scale"):
                continue
            if name.endswith("_q"):  # int8 rows with one float scale per row
                scale = arrays[f"{member}.{name[:-2]}_scale"].astype(np.float32)
                members.setdefault(member, {})[name[:-2]] = value.astype(np.float32) * scale[:, None]
            else:
                members.setdefault(member, {})[name] = value.astype(np.float32)
        ordered = [members[k] for k in sorted(members, key=lambda m: int(m[1:]))]
        prior = np.asarray(meta["prior"], dtype=np.float32) if meta.get("prior") else None
        return cls(vocab=vocab, members=ordered, labels=tuple(meta["labels"]), prior=prior,
                   prior_correction=float(meta.get("prior_correction", 0.0)),
                   features=dict(meta.get("features") or {}))

    @staticmethod
    def sentence_vectors(p: dict[str, np.ndarray], bags: tuple, pos: np.ndarray,
                         encoded: np.ndarray | None = None) -> np.ndarray:
        ids, weights, offsets = bags
        rows = p["bag.weight"][ids] * weights[:, None]
        bag = np.add.reduceat(rows, offsets[:-1], axis=0)
        parts = [bag, pos] if encoded is None else [bag, encoded, pos]
        return np.tanh(np.concatenate(parts, axis=1) @ p["proj.weight"].T + p["proj.bias"])

    @staticmethod
    def _gru(p: dict[str, np.ndarray], seqs: Sequence[np.ndarray], suffix: str,
             reverse: bool) -> list[np.ndarray]:
        """One GRU direction over every abstract of a batch at once, hidden states per sentence.

        Abstracts run side by side, longest first, so at step ``t`` the still-running ones are
        the first rows: one (rows, H) product per step instead of one vector product per
        sentence per abstract, which is what made the network a tenth of the summarizer's time.
        Each row only ever sees its own sentences, so padding changes nothing.
        """
        w_ih, w_hh = p[f"gru.weight_ih_l0{suffix}"], p[f"gru.weight_hh_l0{suffix}"]
        b_ih, b_hh = p[f"gru.bias_ih_l0{suffix}"], p[f"gru.bias_hh_l0{suffix}"]
        hidden = w_hh.shape[1]
        order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
        lengths = np.array([len(seqs[i]) for i in order], dtype=np.int64)
        steps = int(lengths[0]) if len(lengths) else 0
        xs = np.zeros((len(seqs), steps, seqs[order[0]].shape[1] if steps else 0), dtype=np.float32)
        for row, i in enumerate(order):
            xs[row, :len(seqs[i])] = seqs[i][::-1] if reverse else seqs[i]
        gi = xs @ w_ih.T + b_ih  # (B, T, 3H), gates in torch order r, z, n
        h = np.zeros((len(seqs), hidden), dtype=np.float32)
        out = np.zeros((len(seqs), steps, hidden), dtype=np.float32)
        for t in range(steps):
            m = int(np.count_nonzero(lengths > t))  # lengths are sorted: the first m rows run
            gh = h[:m] @ w_hh.T + b_hh
            g = gi[:m, t]
            r = _sigmoid(g[:, :hidden] + gh[:, :hidden])
            z = _sigmoid(g[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
            n = np.tanh(g[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
            h[:m] = (1.0 - z) * n + z * h[:m]
            out[:m, t] = h[:m]
        result: list[np.ndarray] = [np.zeros((0, hidden), dtype=np.float32)] * len(seqs)
        for row, i in enumerate(order):
            states = out[row, :len(seqs[i])]
            result[i] = states[::-1] if reverse else states
        return result

    def predict_proba(self, abstracts: Sequence[Sequence[str]],
                      encoded: np.ndarray | None = None) -> list[np.ndarray]:
        """Role probabilities (n_sentences, 5) per abstract.

        ``encoded``: the sentences' encoder vectors, in order, if the caller already has them
        (training scores dev every epoch); else they are computed here when the weights need them.
        """
        flat = [s for a in abstracts for s in a]
        if not flat:
            return [np.zeros((0, len(self.labels)), dtype=np.float32) for _ in abstracts]
        pos = np.concatenate([position_features(len(a)) for a in abstracts if len(a)], axis=0)
        bags = self.vocab.bags(flat)
        if encoded is None:
            encoder = self.encoder()
            encoded = encoder.embed(flat) if encoder is not None else None
        total = [np.zeros((len(a), len(self.labels)), dtype=np.float32) for a in abstracts]
        spans = [(k, len(a)) for k, a in enumerate(abstracts) if len(a)]
        with one_blas_thread():  # small per-step products: one thread is faster
            for p in self.members:
                vecs = self.sentence_vectors(p, bags, pos, encoded)
                starts = np.cumsum([0] + [n for _, n in spans])
                seqs = [vecs[starts[j]:starts[j + 1]] for j in range(len(spans))]
                forward, backward = self._gru(p, seqs, "", False), self._gru(p, seqs, "_reverse", True)
                h = np.concatenate([np.concatenate(forward), np.concatenate(backward), vecs], axis=1)
                logits = h @ p["out.weight"].T + p["out.bias"]
                logits -= logits.max(axis=1, keepdims=True)
                e = np.exp(logits)
                probs = e / e.sum(axis=1, keepdims=True)
                for j, (k, _) in enumerate(spans):
                    total[k] += probs[starts[j]:starts[j + 1]]
        out = [t / len(self.members) for t in total]
        if self.prior is not None and self.prior_correction:
            factor = self.prior ** -self.prior_correction
            out = [p * factor / (p * factor).sum(axis=1, keepdims=True) if len(p) else p for p in out]
        return out
