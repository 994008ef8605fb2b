"""The fine-tuned role tagger and the adapted embedder: inputs, the training path (a tiny random
encoder for a few steps), ONNX export, resuming, combining with the n-gram network."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from paperradar.enrich.roles.sequence import MIN_SENTENCE_TOKENS, RoleModelError, build_inputs, load_tokenizer

ROOT = Path(__file__).resolve().parents[1]
CSABSTRUCT = ROOT.parent / "shared" / "data" / "csabstruct"
SCIFACT = ROOT.parent / "shared" / "data" / "scifact" / "beir_format"
DAYS = ROOT.parent / "shared" / "data" / "arxiv_daily_ai_enhanced" / "days"


def test_windows_cover_every_sentence_once_within_budget() -> None:
    tokenizer = load_tokenizer()
    long_sentence = "We propose " + "a very long method description " * 30
    abstracts = [["We propose a parser.", long_sentence, "It is accurate."], ["One sentence only."],
                 [], [f"Sentence number {i} says something." for i in range(70)]]
    windows = build_inputs(tokenizer, abstracts, max_tokens=64, sentence_tokens=16)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    covered: dict[int, list[int]] = {}
    for w in windows:
        assert len(w.ids) <= 64 and w.ids[0] == cls_id and w.ids[-1] == sep_id
        assert all(w.ids[p] == sep_id for p in w.seps)
        covered.setdefault(w.abstract, []).extend(range(w.first, w.first + len(w.seps)))
        gaps = np.diff([0, *w.seps])  # [CLS] + pieces, then each sentence's pieces + [SEP]
        assert gaps.max() <= 16 + 1
    assert covered == {0: [0, 1, 2], 1: [0], 3: list(range(70))}
    crowded = [w for w in windows if w.abstract == 3]
    assert len(crowded) == 6  # 63 // (4 + 1) = 12 sentences per window
    assert min(np.diff([0, *crowded[0].seps])) >= MIN_SENTENCE_TOKENS
    # the long sentence is cut to its opening pieces, which start with its first words
    first = windows[0]
    assert tokenizer.decode(first.ids[first.seps[0] + 1:first.seps[1]]).startswith("we propose a very")


def _slice(folder: Path, counts: dict[str, int]) -> None:
    for split, count in counts.items():
        lines = (CSABSTRUCT / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()[:count]
        (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_tagger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    pytest.importorskip("torch", reason="the training path needs torch (scripts/install-test-tools.sh)")
    pytest.importorskip("transformers", reason="the training path needs transformers")
    from paperradar.enrich.roles.finetune import FinetuneConfig, train

    folder = tmp_path_factory.mktemp("csabstruct")
    _slice(folder, {"train": 40, "dev": 12})
    work = tmp_path_factory.mktemp("tagger-work")
    log: list[str] = []
    info = train(folder, FinetuneConfig(tiny=True, epochs=2, batch=8, max_tokens=128), work, log=log.append)
    assert [h["epoch"] for h in info["history"]] == [1, 2]
    return folder, Path(info["output"]), log


@pytest.mark.needs_shared
def test_tiny_tagger_trains_exports_and_scores(tiny_tagger: tuple[Path, Path, list[str]]) -> None:
    from paperradar.enrich.roles.inference import RoleClassifier

    _, onnx_file, log = tiny_tagger
    assert any(line.startswith("epoch 2:") for line in log)
    clf = RoleClassifier.load(onnx_file)
    assert clf.net is None and clf.tagger is not None and clf.tagger.meta["max_tokens"] == 128
    probs = clf.predict_proba([["We propose a parser.", "It is accurate."], [], ["Only one."]])
    assert [p.shape for p in probs] == [(2, 5), (0, 5), (1, 5)]
    assert np.allclose(probs[0].sum(axis=1), 1.0, atol=1e-5)
    # a second load scores the same batch the same (no dropout or other randomness at inference;
    # int8 activations are quantised per batch, so only the same batch is comparable)
    again = RoleClassifier.load(onnx_file).predict_proba([["We propose a parser.", "It is accurate."], [],
                                                         ["Only one."]])
    assert np.allclose(probs[0], again[0], atol=1e-5)


@pytest.mark.needs_shared
def test_tagger_rerun_resumes_from_checkpoint(tiny_tagger: tuple[Path, Path, list[str]],
                                              tmp_path: Path) -> None:
    from paperradar.enrich.roles.finetune import FinetuneConfig, train

    folder, onnx_file, _ = tiny_tagger
    log: list[str] = []
    info = train(folder, FinetuneConfig(tiny=True, epochs=2, batch=8, max_tokens=128), onnx_file.parent,
                 log=log.append)
    assert log[0].startswith("resuming after epoch 2 ")
    assert not any(line.startswith("epoch ") for line in log)  # nothing trained twice
    assert len(info["history"]) == 2
    # other settings never resume from a checkpoint made with different ones
    import shutil

    other = tmp_path / "work"
    shutil.copytree(onnx_file.parent, other)
    log.clear()
    train(folder, FinetuneConfig(tiny=True, epochs=1, batch=8, max_tokens=128), other, log=log.append)
    assert "other settings; starting over" in log[0]


@pytest.mark.needs_shared
def test_combine_chooses_weight_on_dev_and_manifest_loads(tiny_tagger: tuple[Path, Path, list[str]],
                                                          tmp_path: Path) -> None:
    from paperradar.cli.cmd_train import command as train_group
    from paperradar.cli.eval_roles import command as eval_roles
    from paperradar.enrich.roles.inference import RoleClassifier
    from paperradar.enrich.roles.train import TrainConfig
    from paperradar.enrich.roles.train import train as train_network

    folder, onnx_file, _ = tiny_tagger
    data, _ = train_network(folder, TrainConfig(hidden=8, gru=4, members=1, epochs=2, minilm_tokens=0),
                            log=lambda m: None)
    network = tmp_path / "net.npz"
    network.write_bytes(data)
    res = CliRunner().invoke(train_group, ["combine", "--csabstruct", str(folder), "--tagger", str(onnx_file),
                                           "--network", str(network), "-o", str(tmp_path / "bundle"),
                                           "--sentence-tokens", "12", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert 0.0 <= out["tagger_weight"] <= 1.0
    manifest = json.loads((tmp_path / "bundle" / "roles.json").read_text())
    assert manifest["tagger"] == onnx_file.name and manifest["network"] == "net.npz"
    clf = RoleClassifier.load(tmp_path / "bundle" / "roles.json")
    assert clf.tagger is not None and clf.net is not None and clf.tagger_weight == out["tagger_weight"]
    # the bundle's tagger reads 12 pieces per sentence; the file it came from is left as trained
    assert clf.tagger.sentence_tokens == 12 and clf.tagger.meta["trained_sentence_tokens"] == 32
    from paperradar.enrich.roles.sequence import SequenceTagger

    assert SequenceTagger(onnx_file).sentence_tokens == 32
    res = CliRunner().invoke(eval_roles, ["--csabstruct", str(folder), "--split", "dev", "--json",
                                          "--weights", str(tmp_path / "bundle" / "roles.json")])
    assert res.exit_code == 0, res.output
    scored = json.loads(res.output)
    # the dev scores the manifest records are the ones `eval roles` reproduces
    assert round(scored["accuracy"], 4) == manifest["dev"]["accuracy"]
    assert scored["model"]["tagger_weight"] == out["tagger_weight"]


def test_bad_manifests_name_file_and_field(tmp_path: Path) -> None:
    from paperradar.enrich.roles.inference import RoleClassifier

    bad = tmp_path / "roles.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(RoleModelError, match="roles.json: not a readable role manifest"):
        RoleClassifier.load(bad)
    bad.write_text(json.dumps({"tagger_weight": 0.5}), encoding="utf-8")
    with pytest.raises(RoleModelError, match="field 'tagger' or 'network' is required"):
        RoleClassifier.load(bad)
    (tmp_path / "t.onnx").write_bytes(b"not onnx")
    bad.write_text(json.dumps({"tagger": "t.onnx"}), encoding="utf-8")
    with pytest.raises(RoleModelError, match="t.onnx: not a loadable ONNX role model"):
        RoleClassifier.load(bad)


def test_onnx_without_metadata_is_refused(tmp_path: Path) -> None:
    """An ONNX file that is not a tagger (here: the bundled embedder) says what is missing."""
    from paperradar.embed import _minilm_files
    from paperradar.enrich.roles.sequence import SequenceTagger

    with pytest.raises(RoleModelError, match="no 'paperradar' metadata"):
        SequenceTagger(_minilm_files()[0])


@pytest.mark.needs_shared
def test_adapt_embedder_tiny_and_load_as_onnx_file(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the training path needs torch (scripts/install-test-tools.sh)")
    pytest.importorskip("transformers", reason="the training path needs transformers")
    from paperradar.embed import make_embedder
    from paperradar.errors import DatasetError
    from paperradar.evaluate.retrieval import load_beir
    from paperradar.index.adapt import AdaptConfig, arxiv_pairs, beir_pairs, train

    pairs = arxiv_pairs(DAYS, 48, seed=3)
    assert len(pairs) == 48 and len({t for t, _ in pairs}) == 48
    assert arxiv_pairs(DAYS, 48, seed=3) == pairs  # the sample is reproducible
    data = load_beir(SCIFACT, "train")
    beir = beir_pairs(data, "train")
    assert len(beir) == sum(len(v) for v in data.qrels.values())
    with pytest.raises(DatasetError, match="test split"):
        beir_pairs(load_beir(SCIFACT, "test"), "test")
    log: list[str] = []
    cfg = AdaptConfig(tiny=True, batch=8, checkpoint_every=3)
    info = train(pairs, beir[:16], cfg, tmp_path, log=log.append)
    assert info["steps"] == 10 and info["loss_first"] is not None  # 48 + 2 x 16 pairs, 8 per step
    embedder = make_embedder(f"onnx-file:{info['output']}")
    vectors = embedder.embed(["graph neural networks", "protein folding"])
    assert vectors.shape == (2, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.space.startswith("onnx:embedder@") and embedder.space.endswith(":256")
    # a finished run resumes at its end: nothing is trained again
    log.clear()
    train(pairs, beir[:16], cfg, tmp_path, log=log.append)
    assert log == ["resuming after step 10 of 10"]


def test_onnx_file_embedder_errors(tmp_path: Path) -> None:
    from paperradar.embed import make_embedder
    from paperradar.errors import EmbeddingError

    with pytest.raises(EmbeddingError, match="embedding model file not found"):
        make_embedder(f"onnx-file:{tmp_path / 'missing.onnx'}")
    (tmp_path / "bad.onnx").write_bytes(b"garbage")
    with pytest.raises(EmbeddingError, match="not a loadable ONNX embedding model"):
        make_embedder(f"onnx-file:{tmp_path / 'bad.onnx'}")


@pytest.mark.needs_shared
def test_distillation_labels_arxiv_abstracts_caches_them_and_trains(tiny_tagger: tuple[Path, Path, list[str]],
                                                                    tmp_path: Path) -> None:
    from paperradar.enrich.roles import default_classifier
    from paperradar.enrich.roles.finetune import FinetuneConfig, distillation_set, train
    from paperradar.enrich.sentences import split_sentences
    from paperradar.errors import DatasetError

    folder, _, _ = tiny_tagger
    days = tmp_path / "days"
    days.mkdir()
    source = sorted(DAYS.glob("*_AI_enhanced_*.jsonl*"))[0]
    import gzip

    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(12)]
    (days / "2026-06-01.jsonl").write_text("".join(lines), encoding="utf-8")
    cache = tmp_path / "work" / "distill.npz"
    sentences, probs = distillation_set(days, 8, default_classifier(), seed=3, cache=cache)
    assert len(sentences) == 8 and cache.is_file()
    abstracts = {split_sentences(json.loads(line)["summary"]).__repr__() for line in lines}
    assert all(repr(s) in abstracts for s in sentences)  # whole abstracts, split as at run time
    assert [p.shape for p in probs] == [(len(s), 5) for s in sentences]
    assert all(np.allclose(p.sum(axis=1), 1.0, atol=1e-4) for p in probs)
    # the second call reads the cache: no teacher needed, the same sentences and probabilities
    again_s, again_p = distillation_set(days, 8, None, seed=3, cache=cache)
    assert again_s == sentences and all(np.array_equal(a, b) for a, b in zip(again_p, probs, strict=True))
    log: list[str] = []
    info = train(folder, FinetuneConfig(tiny=True, epochs=1, batch=8, max_tokens=128, distill=8),
                 tmp_path / "work", log=log.append, extra=(sentences, probs))
    assert "distilling: 8 teacher-labelled abstracts beside 40 gold ones" in log
    assert np.isfinite(info["history"][0]["loss"]) and Path(info["output"]).is_file()
    # a bad listing line is named by file and line
    (days / "2026-06-02.jsonl").write_text(lines[0] + "{not json\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"2026-06-02\.jsonl:2: "):
        distillation_set(days, 8, default_classifier(), seed=3)
