"""The fine-tuned role tagger: one MiniLM pass reads a whole abstract, one label per sentence.

Cohan et al. (2019) style: the abstract becomes ``[CLS] s1 [SEP] s2 [SEP] ... sn [SEP]`` and
the encoder's output at each sentence's ``[SEP]`` is that sentence's role. Every token can
attend to every sentence, so the context a BiGRU over frozen sentence vectors has to
reconstruct is in the encoder itself. To keep inference within the summarizer's budget
(>= 40 papers/s on two cores) each sentence contributes at most its first
``sentence_tokens`` word pieces: role cues sit at the sentence start ("We propose",
"Results show"). An abstract too long for one pass is cut into windows of whole sentences.

This module is the run-time half (numpy + onnxruntime + tokenizers, no torch); training and
export live in :mod:`paperradar.enrich.roles.finetune`, which builds its inputs with the same
:func:`build_inputs`, so what the model sees in training is exactly what it sees here.
The ONNX file carries its own settings as metadata (labels, token budgets, base model).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperradar.errors import PaperradarError

DEFAULT_MAX_TOKENS = 256
DEFAULT_SENTENCE_TOKENS = 32
MIN_SENTENCE_TOKENS = 4


class RoleModelError(PaperradarError):
    """A role-model file that cannot be loaded or does not say how it was trained."""


@dataclass(frozen=True, slots=True)
class Window:
    """One encoder input: token ids and, per sentence it covers, the position of its [SEP]."""

    abstract: int  # index of the abstract in the batch given to build_inputs
    first: int  # index of the window's first sentence within the abstract
    ids: list[int]
    seps: list[int]


def load_tokenizer(path: str | Path | None = None) -> Any:
    """The bundled MiniLM WordPiece tokenizer, untruncated and unpadded (windows are built here)."""
    from paperradar.embed import load_tokenizer as bundled

    tokenizer = bundled(path)
    tokenizer.no_truncation()
    return tokenizer


def build_inputs(tokenizer: Any, abstracts: Sequence[Sequence[str]], max_tokens: int = DEFAULT_MAX_TOKENS,
                 sentence_tokens: int = DEFAULT_SENTENCE_TOKENS) -> list[Window]:
    """Encoder windows for ``abstracts``; every sentence of every abstract lands in exactly one.

    A window holds as many whole sentences as fit with at least ``MIN_SENTENCE_TOKENS`` word
    pieces each; within it every sentence gets the same cap, ``sentence_tokens`` or less when
    the window is crowded, and a sentence shorter than the cap keeps all its pieces.
    """
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls_id is None or sep_id is None:
        raise RoleModelError("tokenizer has no [CLS]/[SEP] tokens")
    per_window = max(1, (max_tokens - 1) // (MIN_SENTENCE_TOKENS + 1))
    flat = [s if s.strip() else "." for a in abstracts for s in a]
    pieces = [e.ids for e in tokenizer.encode_batch(flat, add_special_tokens=False)] if flat else []
    windows: list[Window] = []
    cursor = 0
    for number, abstract in enumerate(abstracts):
        sentences = pieces[cursor:cursor + len(abstract)]
        cursor += len(abstract)
        for first in range(0, len(sentences), per_window):
            group = sentences[first:first + per_window]
            cap = min(sentence_tokens, (max_tokens - 1) // len(group) - 1)
            ids, seps = [cls_id], []
            for sentence in group:
                ids.extend(sentence[:cap])
                seps.append(len(ids))
                ids.append(sep_id)
            windows.append(Window(number, first, ids, seps))
    return windows


def pad(windows: Sequence[Window]) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask), int64, padded to the longest window given."""
    width = max(len(w.ids) for w in windows)
    ids = np.zeros((len(windows), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, window in enumerate(windows):
        ids[row, :len(window.ids)] = window.ids
        mask[row, :len(window.ids)] = 1
    return ids, mask


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


class SequenceTagger:
    """Scores abstracts with a fine-tuned, exported tagger (an ONNX file with its metadata).

    ``batch_size`` defaults to 1 window per call, on purpose: the int8 model quantises its
    activations with one scale per call, computed over everything in the batch, so a batch
    mate could tip a borderline sentence's role. One window per call makes a paper's summary
    depend on its own abstract only (a rerun after a crash, or a paper summarized alone,
    gets the same fields), and skips the padding: 49.2 papers/s against 44.9 with 16.
    """

    def __init__(self, path: str | Path, threads: int | None = None, batch_size: int = 1) -> None:
        from paperradar.embed import onnx_session

        self.path = Path(path)
        try:
            self.session = onnx_session(self.path, threads)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise RoleModelError(f"{self.path}: not a loadable ONNX role model ({exc})") from exc
        raw = self.session.get_modelmeta().custom_metadata_map.get("paperradar")
        if not raw:
            raise RoleModelError(f"{self.path}: no 'paperradar' metadata (labels, token budgets)")
        try:
            self.meta: dict[str, Any] = json.loads(raw)
            self.labels: tuple[str, ...] = tuple(self.meta["labels"])
            self.max_tokens = int(self.meta["max_tokens"])
            self.sentence_tokens = int(self.meta["sentence_tokens"])
        except (ValueError, KeyError, TypeError) as exc:
            raise RoleModelError(f"{self.path}: metadata field missing or bad ({exc})") from exc
        self.batch_size = batch_size
        self.tokenizer = load_tokenizer()

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def predict_proba(self, abstracts: Sequence[Sequence[str]]) -> list[np.ndarray]:
        out = [np.zeros((len(a), len(self.labels)), dtype=np.float32) for a in abstracts]
        windows = build_inputs(self.tokenizer, abstracts, self.max_tokens, self.sentence_tokens)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        for start in range(0, len(order), self.batch_size):
            batch = [windows[i] for i in order[start:start + self.batch_size]]
            ids, mask = pad(batch)
            probs = softmax(self.logits(ids, mask).astype(np.float32))
            for row, window in enumerate(batch):
                rows = slice(window.first, window.first + len(window.seps))
                out[window.abstract][rows] = probs[row, window.seps]
        return out
