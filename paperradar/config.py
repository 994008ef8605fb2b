"""Settings: one place that reads the environment and the optional config file.

Precedence, highest first: a command-line flag (the caller passes it in), an
environment variable, the config file, the built-in default. The config file
is TOML, ``--config FILE`` or ``$PAPERRADAR_CONFIG``, else
``~/.config/paperradar/paperradar.toml`` when it exists::

    db = "~/papers.db"
    categories = ["cs.CL", "cs.LG"]
    language = "English"

    [llm]
    base_url = "http://127.0.0.1:8080/v1"
    model = "smollm2"

daily-arXiv-ai-enhanced users' variables (``CATEGORIES``, ``LANGUAGE``,
``OPENAI_BASE_URL``, ``MODEL_NAME``; the key stays in ``OPENAI_API_KEY``)
are honoured when the ``PAPERRADAR_*`` one is unset, so an existing workflow
moves over without edits. Values are read fresh on every call: tests and
long-running processes see a changed environment at once.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperradar.errors import ConfigError

ENV_CONFIG = "PAPERRADAR_CONFIG"
DEFAULT_CONFIG = Path("~/.config/paperradar/paperradar.toml")
DEFAULT_DB = Path("~/.local/share/paperradar/paperradar.db")
DEFAULT_DATA_DIR = Path("~/.local/share/paperradar")


@dataclass(frozen=True, slots=True)
class Setting:
    key: str  # dotted: "llm.model" is [llm] model in the file
    env: str
    kind: type
    default: Any
    help: str
    fallback_env: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "PAPERRADAR_DB", str, str(DEFAULT_DB),
            "store: a SQLite file path or a postgresql://user@host/dbname URL"),
    Setting("data_dir", "PAPERRADAR_DATA_DIR", str, None,
            "folder for the search index and caches; default: beside a SQLite file "
            "(papers.db -> papers.data/), else ~/.local/share/paperradar/DBNAME-HASH/ for a URL"),
    Setting("categories", "PAPERRADAR_CATEGORIES", list, [],
            "arXiv categories the daily job fetches, e.g. cs.CL,cs.LG", ("CATEGORIES",)),
    Setting("language", "PAPERRADAR_LANGUAGE", str, "English",
            "language of summaries and digests", ("LANGUAGE",)),
    Setting("contact", "PAPERRADAR_CONTACT", str, "",
            "e-mail address sent in the User-Agent so arXiv can reach you"),
    Setting("rss_url", "PAPERRADAR_RSS_URL", str, None, "announcement feed base URL"),
    Setting("http.max_bytes", "PAPERRADAR_HTTP_MAX_BYTES", int, 100_000_000,
            "largest response body read, in bytes (decompressed); past it a fetch stops with an error"),
    Setting("http.deadline", "PAPERRADAR_HTTP_DEADLINE", float, 300.0,
            "seconds one HTTP request may take in all (connect, headers, body), however fast bytes trickle"),
    Setting("signals.github_api", "PAPERRADAR_GITHUB_API", str, "https://api.github.com",
            "GitHub REST API base URL for `trending --signals github`"),
    Setting("signals.github_token_env", "PAPERRADAR_GITHUB_TOKEN_ENV", str, "GITHUB_TOKEN",
            "name of the environment variable holding a GitHub token (optional; never the token itself)"),
    Setting("signals.hf_url", "PAPERRADAR_HF_URL", str, "https://huggingface.co",
            "Hugging Face base URL for `trending --signals hf` (daily papers upvotes)"),
    Setting("embedder", "PAPERRADAR_EMBEDDER", str, None,
            "embedding backend: onnx, onnx:N, st:MODEL or openai:MODEL@BASE_URL"),
    Setting("threads", "PAPERRADAR_THREADS", int, None, "threads for local model inference"),
    Setting("llm.base_url", "PAPERRADAR_LLM_BASE_URL", str, None,
            "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1", ("OPENAI_BASE_URL",)),
    Setting("llm.model", "PAPERRADAR_LLM_MODEL", str, None, "model name the endpoint knows",
            ("MODEL_NAME",)),
    Setting("llm.api_key_env", "PAPERRADAR_LLM_API_KEY_ENV", str, "OPENAI_API_KEY",
            "name of the environment variable holding the API key (never the key itself)"),
    Setting("llm.timeout", "PAPERRADAR_LLM_TIMEOUT", float, 120.0, "seconds per LLM request"),
    Setting("llm.field_max_chars", "PAPERRADAR_LLM_FIELD_MAX_CHARS", int, 300,
            "per-field bound where a grammar enforces it"),
    Setting("llm.cache", "PAPERRADAR_LLM_CACHE", str, None,
            "LLM response cache file; default: llm-cache.sqlite in the data folder"),
    Setting("llm.price_in", "PAPERRADAR_LLM_PRICE_IN", float, 0.0, "US$ per 1M prompt tokens"),
    Setting("llm.price_out", "PAPERRADAR_LLM_PRICE_OUT", float, 0.0, "US$ per 1M completion tokens"),
    Setting("web.host", "PAPERRADAR_WEB_HOST", str, "127.0.0.1",
            "address `paperradar serve` binds to (loopback: only this machine)"),
    Setting("web.port", "PAPERRADAR_WEB_PORT", int, 8000, "port `paperradar serve` listens on"),
    Setting("web.workers", "PAPERRADAR_WEB_WORKERS", int, 1,
            "worker processes of `paperradar serve` (they share the store and the on-disk index)"),
    Setting("web.base_url", "PAPERRADAR_WEB_BASE_URL", str, None,
            "public URL of the static site (e.g. https://me.github.io/papers/), for absolute feed links"),
    Setting("web.auth", "PAPERRADAR_WEB_AUTH", str, "auto",
            "who may use `paperradar serve`: auto (none on loopback, else password), password, proxy, none"),
    Setting("web.proxy_header", "PAPERRADAR_WEB_PROXY_HEADER", str, "X-Forwarded-User",
            "header naming the signed-in user when web.auth is proxy"),
    Setting("web.trusted_proxies", "PAPERRADAR_WEB_TRUSTED_PROXIES", list, ["127.0.0.1", "::1"],
            "addresses (or CIDR ranges) whose web.proxy_header and X-Forwarded-Proto are believed"),
    Setting("web.session_hours", "PAPERRADAR_WEB_SESSION_HOURS", float, 168.0,
            "how long a web login lasts, in hours"),
    # input limits (docs/sources.md "Input limits and sanitising"): a record over one is rejected
    Setting("limits.title_chars", "PAPERRADAR_MAX_TITLE_CHARS", int, 2_000, "longest accepted title"),
    Setting("limits.abstract_chars", "PAPERRADAR_MAX_ABSTRACT_CHARS", int, 100_000,
            "longest accepted abstract"),
    Setting("limits.comment_chars", "PAPERRADAR_MAX_COMMENT_CHARS", int, 10_000,
            "longest accepted comment"),
    Setting("limits.authors", "PAPERRADAR_MAX_AUTHORS", int, 5_000, "most author names in one record"),
    Setting("limits.authors_chars", "PAPERRADAR_MAX_AUTHORS_CHARS", int, 200_000,
            "most characters of author names in one record"),
    Setting("limits.field_chars", "PAPERRADAR_MAX_FIELD_CHARS", int, 10_000,
            "longest accepted other text field (journal ref, DOI, license, categories, imported summaries)"),
    Setting("limits.record_bytes", "PAPERRADAR_MAX_RECORD_BYTES", int, 1024 * 1024,
            "longest accepted JSONL line in bytes; a longer one is skipped unread"),
    # personal ranking (paperradar.radar, docs/radar.md)
    Setting("zotero.base_url", "PAPERRADAR_ZOTERO_BASE_URL", str, "https://api.zotero.org",
            "Zotero web API base URL read by `profile add --zotero-user`"),
    # e-mail delivery (paperradar.deliver, docs/deliver.md)
    Setting("smtp.host", "PAPERRADAR_SMTP_HOST", str, None, "SMTP server `paperradar deliver` sends through"),
    Setting("smtp.port", "PAPERRADAR_SMTP_PORT", int, None,
            "SMTP port; default 587 for starttls, 465 for tls, 25 for none"),
    Setting("smtp.security", "PAPERRADAR_SMTP_SECURITY", str, "starttls",
            "starttls (upgrade a plain connection), tls (implicit TLS) or none (loopback relays only)"),
    Setting("smtp.user", "PAPERRADAR_SMTP_USER", str, None, "SMTP login name; no login when unset"),
    Setting("smtp.password_env", "PAPERRADAR_SMTP_PASSWORD_ENV", str, "PAPERRADAR_SMTP_PASSWORD",
            "name of the environment variable holding the SMTP password (never the password itself)"),
    Setting("smtp.sender", "PAPERRADAR_SMTP_SENDER", str, None,
            "From address of the e-mails, e.g. paperradar@lab.example"),
    Setting("smtp.timeout", "PAPERRADAR_SMTP_TIMEOUT", float, 30.0, "seconds per SMTP connection step"),
    Setting("smtp.retries", "PAPERRADAR_SMTP_RETRIES", int, 3,
            "attempts per message on a temporary failure (4xx reply, server unreachable)"),
    Setting("smtp.ca_file", "PAPERRADAR_SMTP_CA_FILE", str, None,
            "CA certificates (PEM) that verify the SMTP server, for a private CA; default: the system's"),
)
BY_KEY = {s.key: s for s in SETTINGS}

_active_file: Path | None = None
_file_cache: dict[tuple[str, float], dict[str, Any]] = {}


def use_config_file(path: str | Path | None) -> None:
    """Make ``path`` the config file later :func:`get` calls read (the CLI's ``--config``),
    and check it whole now, so a mistake is reported before any work starts. A named file
    must exist; ``None`` goes back to ``$PAPERRADAR_CONFIG`` or the default file."""
    global _active_file
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
    in_force = path if path is not None else config_file_from_env()
    if in_force is not None:
        read_file(in_force)
    _active_file = path


def config_file(env: Mapping[str, str] | None = None) -> Path | None:
    """The config file in force, or ``None`` when there is none."""
    if _active_file is not None:
        return _active_file
    return config_file_from_env(env)


def config_file_from_env(env: Mapping[str, str] | None = None) -> Path | None:
    """``$PAPERRADAR_CONFIG`` (which must exist), else the default file if it exists."""
    env = os.environ if env is None else env
    named = env.get(ENV_CONFIG)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"${ENV_CONFIG} names {path}, which does not exist")
        return path
    default = DEFAULT_CONFIG.expanduser()
    return default if default.is_file() else None


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, key + "."))
        else:
            out[key] = value
    return out


def read_file(path: Path) -> dict[str, Any]:
    """The file's settings by dotted key, checked: unknown keys and wrong types are errors
    that name the file and the key."""
    try:
        stamp = path.stat().st_mtime
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read ({exc.strerror or exc})") from exc
    cached = _file_cache.get((str(path), stamp))
    if cached is not None:
        return cached
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read ({exc.strerror or exc})") from exc
    values = {}
    for key, value in _flatten(raw).items():
        setting = BY_KEY.get(key)
        if setting is None:
            known = ", ".join(sorted(BY_KEY))
            raise ConfigError(f"config file {path}: unknown setting {key!r} (known: {known})")
        values[key] = _coerce(setting, value, f"config file {path}: setting {key!r}")
    _file_cache[(str(path), stamp)] = values
    return values


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    kind = setting.kind
    if kind is list:
        if isinstance(value, str):
            return [part for part in value.replace(" ", ",").split(",") if part]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
        raise ConfigError(f"{where}: expected a list of strings or a comma-separated string")
    if kind is str:
        if isinstance(value, str):
            return value.strip()
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: expected a number, got {value!r}") from exc


def get(key: str, env: Mapping[str, str] | None = None) -> Any:
    """The value of setting ``key``: environment, else config file, else default."""
    return _lookup(key, env)[0]


def where(key: str, env: Mapping[str, str] | None = None) -> str:
    """Where :func:`get` takes ``key`` from: ``$NAME``, the file's path, or ``default``."""
    return _lookup(key, env)[1]


def _lookup(key: str, env: Mapping[str, str] | None) -> tuple[Any, str]:
    setting = BY_KEY[key]
    env = os.environ if env is None else env
    for name in (setting.env, *setting.fallback_env):
        raw = env.get(name)
        if raw is not None and raw.strip() != "":
            return _coerce(setting, raw, f"${name}"), f"${name}"
    path = config_file(env)
    if path is not None:
        values = read_file(path)
        if key in values:
            return values[key], str(path)
    default = list(setting.default) if isinstance(setting.default, list) else setting.default
    return default, "default"


def data_dir_for(location: str, explicit: str | Path | None = None) -> Path | None:
    """The data folder (search index, caches) that goes with the store at ``location``.

    ``explicit`` (the flag), else ``data_dir`` from the environment or config file;
    else beside a SQLite file (``papers.db`` -> ``papers.data/``); else, for a
    database URL, a folder of its own under ``~/.local/share/paperradar/``
    (named by database and a hash of the URL without its password, so two
    databases never share an index). An in-memory store has none.
    """
    chosen = explicit if explicit is not None else get("data_dir")
    if chosen:
        return Path(chosen).expanduser()
    if location == ":memory:":
        return None
    if "://" in location:
        return DEFAULT_DATA_DIR.expanduser() / _url_folder(location)
    db = Path(location).expanduser()
    return db.with_name(db.stem + ".data")


def _url_folder(url: str) -> str:
    """``DBNAME-HASH`` for a database URL: readable, unique per server, database and options,
    unchanged when only the password changes."""
    import hashlib
    import re
    from urllib.parse import urlsplit

    bare = re.sub(r"^([a-z]+://[^/?#@:]*):[^/?#@]*@", r"\1@", url)
    bare = re.sub(r"(?i)([?&])password=[^&]*&?", r"\1", bare)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", urlsplit(bare).path.strip("/")) or "db"
    return f"{name}-{hashlib.sha1(bare.encode()).hexdigest()[:10]}"


def adopt_legacy(data_dir: Path, location: str) -> None:
    """Move files older versions kept beside the store file (``<db>.index``,
    ``<db>.llm-cache.sqlite``) into the data folder once, so nothing is rebuilt."""
    if "://" in location or location == ":memory:":
        return
    db = Path(location).expanduser()
    moves = [(db.with_name(db.name + ".index"), data_dir / "index")]
    for suffix in ("", "-wal", "-shm"):
        name = f"llm-cache.sqlite{suffix}"
        moves.append((db.with_name(f"{db.name}.{name}"), data_dir / name))
    for old, new in moves:
        if old.exists() and not new.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            old.rename(new)
