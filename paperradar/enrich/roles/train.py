"""Reproducing the shipped role-classifier weights (needs torch; inference does not).

The n-gram vocabulary and idf are fitted on CSAbstruct train; the network of
:mod:`paperradar.enrich.roles.model` is trained on train with AdamW, and the
epoch with the best dev score (accuracy + macro-F1) is kept. Test is never
looked at here. With ``minilm_tokens`` > 0 every sentence also gets a frozen MiniLM
vector of its first N word pieces (computed once, before training), concatenated with
its n-gram bag; ``word_drop`` zeroes that share of n-gram entries during training, so
the network cannot lean on rare n-grams alone. The result is an ``.npz`` of plain arrays: the n-gram tables
in int8 with a scale per row (to stay small), the rest float32, the vocabulary
as JSON text.
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from paperradar.enrich.roles.csabstruct import Abstract, load_split, scores
from paperradar.enrich.roles.features import N_POSITION_FEATURES, Vocabulary, position_features
from paperradar.enrich.roles.model import LABELS, RoleNet, sentence_encoder

if TYPE_CHECKING:
    from paperradar.embed import Embedder


@dataclass
class TrainConfig:
    # defaults = the shipped model
    max_terms: int = 15000
    hidden: int = 64
    gru: int = 64
    dropout: float = 0.4
    lr: float = 3e-3
    weight_decay: float = 1e-4
    epochs: int = 10
    batch: int = 8
    seed: int = 1
    members: int = 10  # networks from seeds seed, seed+1, ...; probabilities averaged
    threads: int = 1
    minilm_tokens: int = 8  # frozen MiniLM vector of the first N word pieces; 0 = n-grams only
    word_drop: float = 0.3  # share of n-gram entries zeroed per training batch


def _build_module(cfg: TrainConfig, vocab_size: int, encoded_dim: int = 0):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bag = nn.EmbeddingBag(vocab_size, cfg.hidden, mode="sum")
            self.proj = nn.Linear(cfg.hidden + encoded_dim + N_POSITION_FEATURES, cfg.hidden)
            self.gru = nn.GRU(cfg.hidden, cfg.gru, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * cfg.gru + cfg.hidden, len(LABELS))
            self.drop = nn.Dropout(cfg.dropout)

        def forward(self, ids, weights, offsets, encoded, pos, lengths):
            bag = self.bag(ids, offsets, per_sample_weights=weights)
            parts = [self.drop(bag), pos] if encoded is None else [self.drop(bag), encoded, pos]
            sent = torch.tanh(self.proj(torch.cat(parts, dim=1)))
            seqs = torch.split(self.drop(sent), lengths)
            padded = nn.utils.rnn.pad_sequence(list(seqs), batch_first=True)
            packed = nn.utils.rnn.pack_padded_sequence(padded, torch.tensor(lengths), batch_first=True,
                                                       enforce_sorted=False)
            states, _ = self.gru(packed)
            states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True)
            flat = torch.cat([states[i, :n] for i, n in enumerate(lengths)], dim=0)
            return self.out(self.drop(torch.cat([flat, sent], dim=1)))

    return Net()


def _batch(vocab: Vocabulary, items: Sequence[Abstract], encoded: Sequence[np.ndarray] | None = None):
    import torch

    sentences = [s for a in items for s in a.sentences]
    ids, weights, offsets = vocab.bags(sentences)
    pos = np.concatenate([position_features(len(a.sentences)) for a in items])
    lengths = [len(a.sentences) for a in items]
    enc = torch.from_numpy(np.concatenate(encoded)) if encoded is not None else None
    return (torch.from_numpy(ids), torch.from_numpy(weights), torch.from_numpy(offsets[:-1]), enc,
            torch.from_numpy(pos), lengths)


def _encode(encoder: Embedder | None, abstracts: Sequence[Abstract],
            log: Callable[[str], None]) -> list[np.ndarray] | None:
    """Per abstract, its sentences' frozen encoder vectors (once: the encoder is not trained)."""
    if encoder is None:
        return None
    started = time.monotonic()
    flat = encoder.embed([s for a in abstracts for s in a.sentences])
    log(f"encoded {len(flat)} sentences ({encoder.space}) in {time.monotonic() - started:.0f}s")
    bounds = np.cumsum([0] + [len(a.sentences) for a in abstracts])
    return [flat[b:e] for b, e in zip(bounds[:-1], bounds[1:], strict=True)]


def train(csabstruct: str | Path, cfg: TrainConfig | None = None,
          log: Callable[[str], None] = print) -> tuple[bytes, dict]:
    """Train ``cfg.members`` networks on train, each keeping its best dev epoch; returns
    (npz bytes, {"dev": per-member dev scores, "config": ...}). Test is never read.

    CSAbstruct's per-sentence annotator confidences are not used: every gold label
    weighs 1 (the loss takes per-sentence weights so other sources could weigh less).
    """
    import torch

    cfg = cfg or TrainConfig()
    torch.set_num_threads(cfg.threads)
    train_set = [a for a in load_split(csabstruct, "train") if a.sentences]
    train_set = [Abstract(a.sentences, a.labels, (1.0,) * len(a.labels)) for a in train_set]
    dev_set = [a for a in load_split(csabstruct, "dev") if a.sentences]
    return _ensemble(cfg, train_set, dev_set, log)


def _ensemble(cfg: TrainConfig, train_set: list[Abstract], dev_set: list[Abstract],
              log: Callable[[str], None]) -> tuple[bytes, dict]:
    vocab = Vocabulary.fit((s for a in train_set for s in a.sentences), max_terms=cfg.max_terms)
    encoder = sentence_encoder({"minilm_tokens": cfg.minilm_tokens})
    # what the weights file records so that inference builds the same input
    features = {} if encoder is None else {"minilm_tokens": cfg.minilm_tokens, "dim": encoder.dim,
                                           "space": encoder.space}
    train_enc, dev_enc = _encode(encoder, train_set, log), _encode(encoder, dev_set, log)
    states, devs = [], []
    for member in range(cfg.members):
        log(f"network {member + 1} of {cfg.members}")
        state, dev = _train_one(cfg, cfg.seed + member, vocab, train_set, dev_set, log, train_enc, dev_enc)
        states.append(state)
        devs.append(dev)
    prior = label_prior(train_set)
    data = export(vocab, states, cfg, prior, 0.0, features)
    power, dev = choose_prior_correction(RoleNet.from_bytes(data), dev_set,
                                         np.concatenate(dev_enc) if dev_enc is not None else None)
    log(f"ensemble: prior correction {power}  dev accuracy {dev['accuracy']:.4f}  "
        f"macro-F1 {dev['macro_f1']:.4f}")
    return export(vocab, states, cfg, prior, power, features), {"dev_members": devs, "dev": dev,
                                                      "prior_correction": power, "config": asdict(cfg)}


def label_prior(abstracts: Sequence[Abstract]) -> list[float]:
    counts = {label: 1 for label in LABELS}
    for a in abstracts:
        for label in a.labels:
            counts[label] += 1
    total = sum(counts.values())
    return [counts[label] / total for label in LABELS]


PRIOR_POWERS = (0.0, 0.1, 0.2, 0.3, 0.4)


def choose_prior_correction(net: RoleNet, dev_set: Sequence[Abstract],
                            encoded: np.ndarray | None = None) -> tuple[float, dict]:
    """The power (from PRIOR_POWERS) with the best dev accuracy + macro-F1, and its dev scores."""
    probs = net.predict_proba([list(a.sentences) for a in dev_set], encoded)
    gold = [x for a in dev_set for x in a.labels]
    assert net.prior is not None
    best: tuple[float, float, dict] | None = None
    for power in PRIOR_POWERS:
        factor = net.prior ** -power
        predicted = [LABELS[i] for p in probs for i in (p * factor).argmax(axis=1)]
        dev = scores(gold, predicted)
        if best is None or dev["accuracy"] + dev["macro_f1"] > best[1]:
            best = (power, dev["accuracy"] + dev["macro_f1"], dev)
    assert best is not None
    return best[0], best[2]


def _train_one(cfg: TrainConfig, seed: int, vocab: Vocabulary, train_set: list[Abstract],
               dev_set: list[Abstract], log: Callable[[str], None],
               train_enc: list[np.ndarray] | None = None,
               dev_enc: list[np.ndarray] | None = None) -> tuple[dict, dict]:
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    label_index = {label: i for i, label in enumerate(LABELS)}
    net = _build_module(cfg, len(vocab.terms) + 1, train_enc[0].shape[1] if train_enc else 0)
    optim = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    dev_batches = [_batch(vocab, dev_set[i:i + 64], dev_enc[i:i + 64] if dev_enc else None)
                   for i in range(0, len(dev_set), 64)]
    dev_gold = [x for a in dev_set for x in a.labels]
    best: tuple[float, dict, dict, int] | None = None
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        order = list(range(len(train_set)))
        rng.shuffle(order)
        started = time.monotonic()
        for begin in range(0, len(order), cfg.batch):
            picked = order[begin:begin + cfg.batch]
            chunk = [train_set[i] for i in picked]
            gold = torch.tensor([label_index[x] for a in chunk for x in a.labels])
            weight = torch.tensor([w for a in chunk for w in a.confs], dtype=torch.float32)
            ids, weights, offsets, enc, pos, lengths = _batch(
                vocab, chunk, [train_enc[i] for i in picked] if train_enc else None)
            if cfg.word_drop > 0:
                weights = weights * (torch.rand(len(weights)) >= cfg.word_drop).float()
            logits = net(ids, weights, offsets, enc, pos, lengths)
            loss = torch.nn.functional.cross_entropy(logits, gold, reduction="none")
            loss = (loss * weight).sum() / weight.sum().clamp(min=1.0)
            optim.zero_grad()
            loss.backward()
            optim.step()
        net.eval()
        with torch.no_grad():
            predicted = [LABELS[i] for b in dev_batches for i in net(*b).argmax(dim=1).tolist()]
        dev = scores(dev_gold, predicted)
        log(f"epoch {epoch:2d}  dev accuracy {dev['accuracy']:.4f}  macro-F1 {dev['macro_f1']:.4f}  "
            f"({time.monotonic() - started:.0f}s)")
        score = dev["accuracy"] + dev["macro_f1"]
        if best is None or score > best[0]:
            state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
            best = (score, state, dev, epoch)
    assert best is not None
    _, state, dev, epoch = best
    log(f"kept epoch {epoch}")
    return state, dev | {"epoch": epoch}


def quantize(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows plus one scale per row: a quarter of float32's size, no measurable loss here."""
    scale = np.abs(table).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(table / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def export(vocab: Vocabulary, states: Sequence[dict[str, np.ndarray]], cfg: TrainConfig,
           prior: Sequence[float] | None = None, prior_correction: float = 0.0,
           features: dict | None = None) -> bytes:
    meta = json.dumps({"labels": list(LABELS), "config": asdict(cfg), "prior": list(prior or []),
                       "prior_correction": prior_correction, "features": features or {}}).encode("utf-8")
    terms = json.dumps(vocab.terms, ensure_ascii=False).encode("utf-8")
    arrays: dict[str, np.ndarray] = {}
    for i, state in enumerate(states):
        for k, v in state.items():
            if k == "bag.weight":
                arrays[f"m{i}.{k}_q"], arrays[f"m{i}.{k}_scale"] = quantize(v)
            else:
                arrays[f"m{i}.{k}"] = v.astype(np.float32)
    buffer = io.BytesIO()
    arrays = {"meta": np.frombuffer(meta, dtype=np.uint8), "vocab": np.frombuffer(terms, dtype=np.uint8),
              "idf": vocab.idf.astype(np.float32), **arrays}
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds too narrowly
    data = buffer.getvalue()
    RoleNet.from_bytes(data)  # fail here, not at first use, if the layout is wrong
    return data
