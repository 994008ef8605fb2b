"""The shipped sentence-role classifier: loads without torch, scores well on CSAbstruct test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from paperradar.cli.eval_roles import command as eval_roles
from paperradar.enrich.roles import LABELS, default_classifier
from paperradar.enrich.roles.features import Vocabulary, grams, position_features
from paperradar.evaluate.roles import DatasetError, evaluate, load_split, scores

CSABSTRUCT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "csabstruct"


def test_scores_by_hand() -> None:
    gold = ["method", "method", "result", "background", "other"]
    pred = ["method", "result", "result", "background", "background"]
    s = scores(gold, pred)
    assert s["accuracy"] == pytest.approx(3 / 5)
    # method: tp1 fp0 fn1 -> 2/3; result: tp1 fp1 -> 2/3; background: tp1 fp1 -> 2/3; other 0; objective 0
    assert s["per_label_f1"]["method"] == pytest.approx(2 / 3)
    assert s["per_label_f1"]["objective"] == 0.0
    assert s["macro_f1"] == pytest.approx((2 / 3 * 3) / 5)


def test_features() -> None:
    g = grams("We propose 3 new models.")
    assert "<s> we" in g and "<num>" in g and "propose <num>" in g
    vocab = Vocabulary.fit(["we propose a model", "we propose", "results show"], min_df=2)
    ids, weights, offsets = vocab.bags(["we propose things", "nothing known here"])
    assert offsets.tolist()[0] == 0 and len(offsets) == 3
    first = weights[offsets[0]:offsets[1]]
    assert np.linalg.norm(first) == pytest.approx(1.0, rel=1e-5)
    # only the start marker of the unseen sentence is in the vocabulary
    assert ids[offsets[1]:offsets[2]].tolist() == [vocab.index["<s>"]]
    empty = Vocabulary.fit(["a b"], min_df=5).bags(["anything"])
    assert empty[0].tolist() == [0] and empty[1].tolist() == [0.0]
    pos = position_features(4)
    assert pos.shape == (4, 4) and pos[0, 1] == 1 and pos[3, 2] == 1


@pytest.mark.needs_shared
def test_accuracy_on_test_slice() -> None:
    abstracts = load_split(CSABSTRUCT, "test")[:80]
    result = evaluate(default_classifier(), abstracts)
    # The full test split scores ~0.82 accuracy; a broken model or feature pipeline drops far below.
    assert result["accuracy"] > 0.70
    assert result["macro_f1"] > 0.62


def test_probabilities_are_per_sentence_and_normalised() -> None:
    clf = default_classifier()
    probs = clf.predict_proba([["We propose X.", "It works well."], [], ["Only one."]])
    assert [p.shape for p in probs] == [(2, 5), (0, 5), (1, 5)]
    assert np.allclose(probs[0].sum(axis=1), 1.0)
    assert clf.labels == LABELS


def _random_net(vocab: Vocabulary, encoded_dim: int = 0, features: dict | None = None) -> bytes:
    """A one-member network with random weights in the shipped layout (no torch needed)."""
    from paperradar.enrich.roles.train import TrainConfig, export

    cfg = TrainConfig(hidden=4, gru=3, members=1, minilm_tokens=8 if encoded_dim else 0)
    rng = np.random.default_rng(0)
    shapes = {"bag.weight": (len(vocab.terms) + 1, 4), "proj.weight": (4, 4 + encoded_dim + 4),
              "proj.bias": (4,), "out.weight": (5, 10), "out.bias": (5,)}
    for suffix in ("", "_reverse"):
        shapes |= {f"gru.weight_ih_l0{suffix}": (9, 4), f"gru.weight_hh_l0{suffix}": (9, 3),
                   f"gru.bias_ih_l0{suffix}": (9,), f"gru.bias_hh_l0{suffix}": (9,)}
    state = {k: rng.normal(size=v).astype(np.float32) for k, v in shapes.items()}
    return export(vocab, [state], cfg, [0.2] * 5, 0.0, features)


def test_minilm_feature_path() -> None:
    """Weights that name a sentence encoder get its vectors computed by the classifier itself."""
    from paperradar.enrich.roles.model import RoleNet, sentence_encoder

    probe = sentence_encoder({"minilm_tokens": 8})
    assert probe is not None
    features = {"minilm_tokens": 8, "dim": 384, "space": probe.space}
    vocab = Vocabulary.fit(["we propose a new parser", "it beats the baseline"], min_df=1)
    net = RoleNet.from_bytes(_random_net(vocab, 384, features))
    assert net.features == features
    encoder = net.encoder()
    assert encoder is not None and encoder.space == features["space"]
    enc = encoder.tokenizer.encode(" ".join(["word"] * 50))
    assert len(enc.ids) == 8 and enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
    abstract = ["Parsing is hard.", "We propose a new parser.", "It beats the baseline by 3 points."]
    vectors = encoder.embed(abstract)
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    given = net.predict_proba([abstract], vectors)[0]
    assert np.allclose(given, net.predict_proba([abstract])[0], atol=1e-5)
    # the MiniLM input matters: zeroing it changes the probabilities
    assert not np.allclose(given, net.predict_proba([abstract], np.zeros_like(vectors))[0], atol=1e-3)


def test_weights_without_features_load_as_ngram_only(tmp_path: Path) -> None:
    """Weight files from before the MiniLM feature (no ``features`` in meta) still load and run."""
    import io

    from paperradar.enrich.roles.model import RoleNet
    from paperradar.enrich.roles.train import TrainConfig, export

    vocab = Vocabulary.fit(["we propose a model", "results show gains"], min_df=1)
    cfg = TrainConfig(hidden=4, gru=3, members=1, minilm_tokens=0)
    rng = np.random.default_rng(0)
    shapes = {"bag.weight": (len(vocab.terms) + 1, 4), "proj.weight": (4, 4 + 4), "proj.bias": (4,),
              "out.weight": (5, 10), "out.bias": (5,)}
    for suffix in ("", "_reverse"):
        shapes |= {f"gru.weight_ih_l0{suffix}": (9, 4), f"gru.weight_hh_l0{suffix}": (9, 3),
                   f"gru.bias_ih_l0{suffix}": (9,), f"gru.bias_hh_l0{suffix}": (9,)}
    state = {k: rng.normal(size=v).astype(np.float32) for k, v in shapes.items()}
    data = export(vocab, [state], cfg, [0.2] * 5, 0.0)
    with np.load(io.BytesIO(data)) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    assert meta["features"] == {}
    del meta["features"]  # the layout written before the feature existed
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    net = RoleNet.from_bytes(buffer.getvalue())
    assert net.features == {} and net.encoder() is None
    probs = net.predict_proba([["We propose a model.", "Results show gains."]])
    assert probs[0].shape == (2, 5) and np.allclose(probs[0].sum(axis=1), 1.0)


def test_inference_does_not_need_torch() -> None:
    code = ("import sys; sys.modules['torch'] = None\n"
            "from paperradar.enrich.roles import default_classifier\n"
            "print(default_classifier().predict([['We propose a method.', 'Results show gains.']]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "method" in out.stdout or "objective" in out.stdout


@pytest.mark.needs_shared
def test_eval_roles_json() -> None:
    res = CliRunner().invoke(eval_roles, ["--csabstruct", str(CSABSTRUCT), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) >= {"accuracy", "macro_f1", "per_label_f1"}
    assert set(data["per_label_f1"]) == set(LABELS)
    assert data["macro_f1"] == pytest.approx(sum(data["per_label_f1"].values()) / 5)
    assert data["accuracy"] > 0.72


def test_bad_csabstruct_file_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "test.jsonl").write_text('{"sentences": ["a"], "labels": ["method"]}\n{"sentences": ["a"]}\n')
    with pytest.raises(DatasetError, match=r"test.jsonl:2"):
        load_split(tmp_path, "test")
    res = CliRunner().invoke(eval_roles, ["--csabstruct", str(tmp_path)])
    assert res.exit_code == 1 and "test.jsonl:2" in res.output and "Traceback" not in res.output


@pytest.mark.needs_shared
def test_train_roles_cli_small(tmp_path: Path) -> None:
    """`paperradar train roles` end to end on a small slice (torch is a training-only dependency)."""
    from paperradar.cli.cmd_train import command as train_group

    for split, count in (("train", 60), ("dev", 15)):
        lines = (CSABSTRUCT / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()[:count]
        (tmp_path / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "roles.npz"
    res = CliRunner().invoke(train_group, ["roles", "--csabstruct", str(tmp_path), "-o", str(out),
                                           "--epochs", "2", "--members", "2", "--json"])
    assert res.exit_code == 0, res.output
    from paperradar.enrich.roles.inference import RoleClassifier

    clf = RoleClassifier.load(out)
    assert len(clf.net.members) == 2 and clf.net.features["minilm_tokens"] == 8
    labels = clf.predict([["We propose a parser.", "It is accurate."]])
    assert len(labels[0]) == 2 and set(labels[0]) <= set(LABELS)
    # the trained file is scored by `eval roles --weights`
    res = CliRunner().invoke(eval_roles, ["--csabstruct", str(CSABSTRUCT), "--split", "dev",
                                          "--weights", str(out), "--json"])
    assert res.exit_code == 0 and 0.0 < json.loads(res.output)["accuracy"] < 1.0


def test_train_roles_cli_missing_files(tmp_path: Path) -> None:
    from paperradar.cli.cmd_train import command as train_group

    res = CliRunner().invoke(train_group, ["roles", "--csabstruct", str(tmp_path)])
    assert res.exit_code == 1 and "train.jsonl: not found" in res.output


SHIPPED_PROBE = ["Sentence classification is a core step of summarising papers.",
                 "We study whether a small encoder can label roles.",
                 "We fine-tune MiniLM over whole abstracts and average it with an n-gram network.",
                 "On CSAbstruct it reaches 0.83 accuracy.",
                 "Code is available online."]
# recorded from the shipped bundle (4-layer tagger distilled at k=16 + n-gram BiGRU, weight 0.45)
# when it was committed
SHIPPED_PROBS = [[0.912, 0.049, 0.021, 0.005, 0.013], [0.268, 0.427, 0.247, 0.036, 0.022],
                 [0.074, 0.145, 0.556, 0.212, 0.013], [0.034, 0.027, 0.139, 0.676, 0.124],
                 [0.012, 0.004, 0.020, 0.185, 0.779]]


def test_shipped_bundle_loads_and_scores_as_recorded() -> None:
    """The package's role model is the tagger + network bundle, and it scores a fixed abstract as
    recorded (a swapped, truncated or re-quantised file would not)."""
    clf = default_classifier()
    assert clf.tagger is not None and clf.net is not None
    assert clf.tagger.sentence_tokens == 16 and clf.tagger_weight == 0.45 and clf.net.features == {}
    assert clf.tagger.meta["layers"] == 4
    assert clf.predict([SHIPPED_PROBE]) == [["background", "objective", "method", "result", "other"]]
    assert np.allclose(clf.predict_proba([SHIPPED_PROBE])[0], SHIPPED_PROBS, atol=0.01)


def test_shipped_model_files_within_budget() -> None:
    """Issue 14's budget: the package's model files together stay within 60 MB."""
    package = Path(__file__).resolve().parents[1] / "paperradar"
    sizes = {p.relative_to(package): p.stat().st_size for p in package.rglob("*")
             if p.suffix in {".onnx", ".npz"}}
    assert sizes and sum(sizes.values()) <= 60_000_000, sizes


def test_a_papers_roles_do_not_depend_on_its_batch_mates() -> None:
    """The int8 tagger quantises activations per call: one window per call keeps an abstract's
    probabilities its own (a crash-and-rerun summarizes other batches, and must agree)."""
    clf = default_classifier()
    abstracts = [SHIPPED_PROBE, ["A short one.", "We show it works."],
                 [f"Sentence {i} of a long abstract describes part {i} of the method." for i in range(40)],
                 ["Background on graphs.", "We propose a parser.", "It reaches 91.2 F1 on PTB."]]
    together = clf.predict_proba(abstracts)
    alone = [clf.predict_proba([a])[0] for a in abstracts]
    for t, a in zip(together, alone, strict=True):
        assert np.allclose(t, a, atol=1e-6)
