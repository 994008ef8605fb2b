"""Building blocks of search: tokenising, BM25, the vector store, embedding backends."""

from __future__ import annotations

import json

import numpy as np
import pytest

from paperradar.embed import (
    EmbeddingError,
    OnnxMiniLM,
    OpenAIEmbedder,
    SentenceTransformersEmbedder,
    make_embedder,
)
from paperradar.index.bm25 import BM25, Vocabulary, count_matrix
from paperradar.index.dense import FlatIndex, IVFIndex, VectorStore, top_k
from paperradar.index.text import query_terms, terms


def test_stemming_keeps_disentanglement_apart_from_entanglement() -> None:
    assert terms("Disentangled representations") == terms("disentanglement representation")
    assert set(terms("disentanglement")).isdisjoint(terms("quantum entanglement"))
    assert "the" not in terms("the model of the year")


@pytest.mark.parametrize("query", [
    "", "   ", "x" * 10_000, '"diffusion" AND (sampler*) -gan title:foo NEAR/3 bar OR',
    "\x00\x07ctrl\x1b[31m chars\u200b", "深度学习 模型", "трансформер внимание", "((((", "***", "-:-:-",
])
def test_query_terms_survive_hostile_input(query: str) -> None:
    out = query_terms(query)
    assert isinstance(out, list)
    assert len(out) <= 64
    assert all(t and len(t) <= 40 for t in out)
    assert "AND" not in out and "and" not in out


def test_query_terms_drop_operators_keep_words() -> None:
    assert query_terms('"diffusion" AND (sampler*) -gan') == ["diffus", "sampler", "gan"]
    assert query_terms("深度学习 模型") == ["深度学习", "模型"]


def test_bm25_ranks_by_term_evidence_and_rebuilds_from_counts() -> None:
    docs = ["diffusion models sample images", "a new sampler for diffusion", "graph neural networks",
            "sampler sampler sampler"]
    vocab = Vocabulary()
    counts = count_matrix(docs, vocab)
    bm25 = BM25(counts, vocab)
    scores = bm25.scores(query_terms("diffusion sampler"))
    assert scores[1] == scores.max()  # the only doc with both terms
    assert scores[2] == 0.0
    # Lucene idf: log(1 + (N - df + .5)/(df + .5)); "graph" occurs in 1 of 4 docs
    assert bm25.idf[vocab.ids["graph"]] == pytest.approx(np.log1p((4 - 1 + 0.5) / 1.5))
    # adding a document only grows counts; ids of old terms never move
    before = dict(vocab.ids)
    more = count_matrix(["graph diffusion transformers"], vocab)
    assert all(vocab.ids[t] == i for t, i in before.items())
    assert len(vocab) == len(before) + 1 and more.shape == (1, len(vocab)) and more.sum() == 3


def test_vector_store_resumes_after_torn_write_and_compacts(tmp_path) -> None:
    store = VectorStore(tmp_path)
    store.reset("space-a", 4)
    v = np.eye(4, dtype=np.float32)
    store.append([("a", "1"), ("b", "1")], v[:2])
    with open(store.vec_path, "ab") as fh:  # an interrupted chunk: bytes without keys
        fh.write(b"\x00" * 5)
    keys, vectors = store.load()
    assert keys == [("a", "1"), ("b", "1")]
    store.append([("c", "1")], v[2:3])
    keys, vectors = store.load()
    assert keys[-1] == ("c", "1") and vectors.dtype == np.float16
    assert np.allclose(vectors[2], v[2])
    store.compact({("a", "1"), ("c", "1")})
    keys, vectors = store.load()
    assert keys == [("a", "1"), ("c", "1")] and np.allclose(vectors[1], v[2])
    store.reset("space-b", 4)
    assert store.load()[0] == [] and store.meta()["space"] == "space-b"


def test_ivf_finds_the_nearest_vectors_like_flat_search() -> None:
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(20, 16))
    data = np.vstack([c + 0.05 * rng.normal(size=(100, 16)) for c in centers]).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    flat, ivf = FlatIndex(data), IVFIndex(data, n_lists=20, nprobe=4)
    recall = []
    for q in data[rng.choice(len(data), 20, replace=False)]:
        exact, _ = flat.search(q, 10)
        approx, scores = ivf.search(q, 10)
        assert np.all(np.diff(scores) <= 1e-6)
        recall.append(len(set(exact) & set(approx)) / 10)
    assert np.mean(recall) >= 0.9
    assert list(top_k(np.array([0.1, 0.9, 0.5]), 2)) == [1, 2]


def test_onnx_minilm_vectors_are_normalised_and_meaningful() -> None:
    model = OnnxMiniLM(threads=1)
    vecs = model.embed(["diffusion models for image generation", "denoising diffusion image synthesis",
                        "tax law in medieval Europe", ""])
    assert vecs.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.3
    # batching pads to the longest text in the batch: the result must not depend on batch mates
    alone = model.embed(["denoising diffusion image synthesis"])[0]
    assert np.allclose(alone, vecs[1], atol=1e-4)
    long_text = "word " * 2000  # truncated at 256 tokens, not an error
    assert model.embed([long_text]).shape == (1, 384)
    assert model.space.startswith("onnx:all-MiniLM-L6-v2-int8@")


def test_openai_backend_against_a_real_http_server(httpserver) -> None:
    def answer(request):
        from werkzeug import Response

        body = json.loads(request.data)
        assert body["model"] == "emb-1"
        data = [{"index": i, "embedding": [float(len(t)), 1.0, 0.0]} for i, t in enumerate(body["input"])]
        return Response(json.dumps({"data": list(reversed(data))}), content_type="application/json")

    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_handler(answer)
    emb = OpenAIEmbedder(httpserver.url_for("/v1"), "emb-1", batch_size=2)
    assert emb.dim == 3 and emb.space == f"openai:emb-1@{httpserver.url_for('/v1')}"
    vecs = emb.embed(["a", "bbb", "cc"])
    assert vecs.shape == (3, 3)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    assert vecs[1, 0] > vecs[2, 0] > vecs[0, 0]  # order kept although the server reversed it


def test_openai_backend_errors_are_clear(httpserver) -> None:
    httpserver.expect_request("/v1/embeddings").respond_with_data("overloaded", status=503)
    with pytest.raises(EmbeddingError, match="503"):
        OpenAIEmbedder(httpserver.url_for("/v1"), "m", dim=3).embed(["x"])
    with pytest.raises(EmbeddingError, match="unreachable"):
        OpenAIEmbedder("http://127.0.0.1:9/v1", "m", dim=3, timeout=2).embed(["x"])


def test_sentence_transformers_backend_is_optional_with_a_clear_error() -> None:
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        with pytest.raises(EmbeddingError, match="pip install sentence-transformers"):
            SentenceTransformersEmbedder("all-MiniLM-L6-v2")
    else:  # installed: the spec must at least reach the library
        with pytest.raises(EmbeddingError):
            SentenceTransformersEmbedder("/nonexistent/model/path")
    with pytest.raises(EmbeddingError, match="unknown embedder"):
        make_embedder("word2vec")
    with pytest.raises(EmbeddingError, match="unknown embedder"):
        make_embedder("onnx:99999")
    assert make_embedder("onnx:128").space.endswith(":128")
