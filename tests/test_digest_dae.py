"""Acceptance: ``digest daily --format dae-md`` reproduces daily-arXiv-ai-enhanced's .md byte for byte.

For each of the 64 real days: ingest only that day's AI-enhanced file into an
empty store, render with the table of contents' category order, compare bytes.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar.cli import cli
from paperradar.ingest import ingest_records
from paperradar.sources import parse_path
from paperradar.store import open_store

pytestmark = pytest.mark.needs_shared

DAYS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"
DATES = sorted(p.name[:10] for p in DAYS.glob("????-??-??.md.gz"))
TOC_ENTRY = re.compile(rb"^- \[([^\]]+)\]\(#", re.M)


def test_shared_data_present() -> None:
    assert len(DATES) == 64, f"expected the 64 real days in {DAYS}, found {len(DATES)}"


@pytest.mark.both_backends
@pytest.mark.parametrize("date", DATES)
def test_dae_md_matches_published_digest(date: str, tmp_path: Path, new_location) -> None:
    expected = gzip.decompress((DAYS / f"{date}.md.gz").read_bytes())
    order = [c.decode() for c in TOC_ENTRY.findall(expected)]
    db = new_location("store.db")
    store = open_store(db)
    source = DAYS / f"{date}_AI_enhanced_Chinese.jsonl.gz"
    report = ingest_records(store, parse_path(source), str(source))
    store.close()
    assert report.rejected == 0, report.rejections[:3]

    out = tmp_path / f"{date}.md"
    result = CliRunner().invoke(cli, ["--db", db, "-q", "digest", "daily", "--date", date,
                                      "--format", "dae-md", "--category-order", ",".join(order),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    got = out.read_bytes()
    if got != expected:  # show where it first differs instead of two huge blobs
        at = next(i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b) \
            if got[:len(expected)] != expected[:len(got)] else min(len(got), len(expected))
        pytest.fail(f"{date}: first difference at byte {at} (got {len(got)} bytes, expected "
                    f"{len(expected)}):\n got: {got[max(0, at - 80):at + 80]!r}\n"
                    f"want: {expected[max(0, at - 80):at + 80]!r}")


def test_dae_md_default_order_is_first_appearance_and_stdout(tmp_path: Path) -> None:
    """Without -o the bytes go to stdout; without --category-order categories follow first appearance."""
    date = "2026-06-25"  # the small day
    source = DAYS / f"{date}_AI_enhanced_Chinese.jsonl.gz"
    db = tmp_path / "store.db"
    store = open_store(str(db))
    ingest_records(store, parse_path(source), str(source))
    store.close()
    runner = CliRunner()
    default = runner.invoke(cli, ["--db", str(db), "digest", "daily", "--date", date, "--format", "dae-md"])
    assert default.exit_code == 0, default.output
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        first_seen = list(dict.fromkeys(json.loads(line)["categories"][0] for line in handle))
    assert [c.decode() for c in TOC_ENTRY.findall(default.stdout_bytes)] == first_seen
    explicit = runner.invoke(cli, ["--db", str(db), "digest", "daily", "--date", date, "--format", "dae-md",
                                   "--category-order", ",".join(first_seen)])
    assert explicit.stdout_bytes == default.stdout_bytes
    expected = gzip.decompress((DAYS / f"{date}.md.gz").read_bytes())
    assert default.stdout_bytes.count(b"\n### [") == expected.count(b"\n### [") == 26
