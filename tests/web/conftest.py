"""Fixtures for the web tests: one store per module with three real days, a hostile paper
and a small search index, built once (ingest + index take a few seconds)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from paperradar.ingest import ingest_paths, ingest_records
from paperradar.models import CodeLink, Listing, Origin, Paper, Record, Summary
from paperradar.store import open_store

REPO = Path(__file__).resolve().parents[2]
DAYS_DIR = REPO.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"
WEB_DAYS = ("2026-04-27", "2026-04-28", "2026-04-29")
HOSTILE_DAY = "2026-04-30"
HOSTILE_ID = "2604.99001"
HOSTILE_TITLE = "<script>alert('title')</script><img src=x onerror=alert('img')> Robust $\\alpha^2$ parsing"
HOSTILE_AUTHOR = "<svg onload=alert('author')>Mallory"
HOSTILE_CODE = "javascript:alert('code')"


class HashEmbedder:
    """A tiny deterministic embedder (hashed bag of words): the real index code paths, no model."""

    space = "test:hash@1"
    dim = 64

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]{3,}", text.lower()):
                out[i, int(hashlib.blake2b(word.encode(), digest_size=2).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-9, None)


def build_store(root: Path, dense: bool = True) -> tuple[Path, Path]:
    """A store with three real days plus one day holding a hostile paper; returns (db, data_dir)."""
    from paperradar.index.state import catch_up

    db, data = root / "web.db", root / "web.data"
    store = open_store(str(db))
    files = [DAYS_DIR / f"{d}.jsonl.gz" for d in WEB_DAYS]
    files += [DAYS_DIR / f"{d}_AI_enhanced_Chinese.jsonl.gz" for d in WEB_DAYS]
    ingest_paths(store, files)
    hostile = Paper(HOSTILE_ID, HOSTILE_TITLE, (HOSTILE_AUTHOR, "Eve & Bob"),
                    "We parse <b>markup</b> & $x_i$ safely.\n  A second paragraph.", ("cs.CR", "cs.CL"),
                    version=2, comment="<i>comment</i>")
    listing = Listing(HOSTILE_ID, HOSTILE_DAY, "cs.CR", 0)
    ingest_records(store, [Record(hostile, Origin("test"), listing)], "test")
    store.upsert_summaries([
        Summary(HOSTILE_ID, "extractive", "test", "English", "<b>TLDR</b> hostile & fine", "m", "me",
                "r", "c", created="2026-05-01T00:00:00Z"),
        Summary(HOSTILE_ID, "imported", "daily-arXiv-ai-enhanced", "Chinese", "中文摘要", "动机", "方法",
                "结果", "结论", created="2026-05-02T00:00:00Z")])
    store.upsert_code_links([CodeLink(HOSTILE_ID, HOSTILE_CODE, 5)])
    catch_up(store, data / "index", HashEmbedder() if dense else None, spec=None)
    store.close()
    return db, data


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not DAYS_DIR.is_dir():
        pytest.skip(f"{DAYS_DIR} not found: needs ../shared/data")
    return build_store(tmp_path_factory.mktemp("web"))
