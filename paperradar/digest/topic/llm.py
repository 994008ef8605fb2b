"""The LLM writer of a topic digest: theme paragraphs and outlook from any OpenAI-compatible
endpoint, checked sentence by sentence.

The model sees only the selected papers' titles, TL;DRs and abstracts, each under its short key
(``P1``...), and must cite by key in square brackets. paperradar then keeps a sentence only when

- it cites at least one key, and every key it cites is one of the papers it was shown;
- every number it states (``42``, ``3.5``, ``1,000``) occurs in the cited papers' own text
  (title, abstract, comment, TL;DR);
- every URL it states occurs in the cited papers' text;
- it has at least :data:`MIN_WORDS` words once the keys are taken out.

Every other sentence is dropped and counted (``dropped_sentences``). A section (one theme's
paragraph, or the outlook) where more than half of the sentences were dropped, or none was kept,
or the request failed, keeps its extractive text and is marked as a fallback. Keys become
citations (quoted titles with links) only in the renderers, so a model cannot misquote a title.
Theme papers that no kept sentence cites are listed in a last sentence ("Other papers in this
theme"), so the LLM digest still cites every selected paper.

Requests go through :class:`~paperradar.enrich.llm.client.ChatClient` (retries, back-off) and
the :class:`~paperradar.enrich.llm.cache.ResponseCache` (keyed by a hash of the request, the
model, the prompt version and the language): the same digest is never paid for twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from paperradar.digest.topic.model import Sentence, TopicDigest, TopicPaper
from paperradar.digest.topic.prose import CITE, clean
from paperradar.enrich.sentences import split_sentences
from paperradar.errors import LLMConfigError, LLMError

DEFAULT_PROMPT = "topic_v1.txt"
MIN_WORDS = 4
THEME_SENTENCES = "3 to 6"
OUTLOOK_SENTENCES = 5
MAX_PROMPT_CHARS = 24000  # papers block per request; abstracts are cut to fit
OUTLOOK_PAPERS = 12

_VERSION = re.compile(r"^#\s*prompt-version:\s*(\S+)\s*$")
_KEY = r"P\d{1,4}"
_BRACKET = re.compile(rf"[\[(]\s*{_KEY}(?:\s*(?:,|;|and|&)\s*{_KEY})*\s*[\])]")
_BARE = re.compile(rf"\b{_KEY}(?:\s*(?:,|and|&)\s*{_KEY})*\b")
_ANY_KEY = re.compile(rf"\b({_KEY})\b")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER = re.compile(r"(?<![A-Za-z])\d+(?:\.\d+)?")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|io|ai|net|edu|dev|co)"
                  r"(?:/[^\s)\]]*)?", re.I)


class TopicPromptError(LLMConfigError):
    pass


@dataclass(frozen=True, slots=True)
class TopicPrompt:
    version: str
    system: str
    user: str

    def messages(self, **values: str) -> list[dict[str, str]]:
        def fill(text: str) -> str:
            for name, value in values.items():
                text = text.replace("{" + name + "}", value)
            return text
        return [{"role": "system", "content": fill(self.system)},
                {"role": "user", "content": fill(self.user)}]


def load_topic_prompt(name: str = DEFAULT_PROMPT) -> TopicPrompt:
    """A prompt file: a path, or the name of one shipped in ``paperradar/digest/topic/prompts/``."""
    path = Path(name).expanduser()
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    else:
        shipped = resources.files("paperradar.digest.topic") / "prompts" / name
        if "/" in name or os.sep in name or not shipped.is_file():
            raise TopicPromptError(f"topic prompt {name!r} not found (neither a file nor a shipped prompt)")
        text = shipped.read_text(encoding="utf-8")
    version: str | None = None
    current: list[str] | None = None
    sections: dict[str, list[str]] = {"system": [], "user": []}
    for line in text.splitlines():
        m = _VERSION.match(line)
        if m:
            version = m.group(1)
        elif line.startswith("#"):
            continue
        elif line.strip().lower() in ("[system]", "[user]"):
            current = sections[line.strip().lower()[1:-1]]
        elif current is not None:
            current.append(line)
    if not version:
        raise TopicPromptError(f"{name}: no '# prompt-version: NAME' line")
    system, user = ("\n".join(sections[k]).strip() for k in ("system", "user"))
    if not system or "{papers}" not in user or "{task}" not in user:
        raise TopicPromptError(f"{name}: needs a [system] section and a [user] section with {{task}} and "
                               "{papers}")
    return TopicPrompt(version, system, user)


# -- checks -------------------------------------------------------------------------------------------------

def _numbers(text: str) -> set[str]:
    out = set()
    for n in _NUMBER.findall(_THOUSANDS.sub("", text)):
        out.add(n.rstrip("0").rstrip(".") if "." in n else n.lstrip("0") or "0")
    return out


def _url_core(url: str) -> str:
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip().lower())
    return url.rstrip(".,;:!?)]}'\"/")


def paper_text(p: TopicPaper) -> str:
    return f"{p.text()} {p.claim}"


@dataclass(slots=True)
class Checked:
    kept: list[Sentence] = field(default_factory=list)
    dropped: int = 0
    reasons: list[str] = field(default_factory=list)


def check_paragraph(text: str, shown: dict[str, TopicPaper]) -> Checked:
    """Split the model's ``text`` into sentences and keep those that pass every check.

    ``shown`` maps the keys the model was given to their papers.
    """
    out = Checked()
    for raw in split_sentences(" ".join(text.replace("*", " ").split())):
        sentence = raw.strip()
        if not sentence:
            continue
        keys = list(dict.fromkeys(_ANY_KEY.findall(sentence)))
        problem = None
        if not keys:
            problem = "no citation"
        elif any(k not in shown for k in keys):
            problem = "unknown key " + ", ".join(k for k in keys if k not in shown)
        body = _BRACKET.sub("", sentence.replace("{", "").replace("}", ""))
        bare = _BARE.search(body)
        if bare:  # "P3 shows ..." / "In P3, ...": the key is part of the sentence; cite it there
            keys = list(dict.fromkeys(_ANY_KEY.findall(bare.group(0)) + keys))
            body = body[:bare.start()] + CITE + _BARE.sub("", body[bare.end():])
        body = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(body.split())).strip()
        words = [w for w in body.replace(CITE, " ").split() if any(c.isalnum() for c in w)]
        if problem is None and len(words) < MIN_WORDS:
            problem = "too short"
        if problem is None:
            cited_text = " ".join(paper_text(shown[k]) for k in keys)
            stated = body.replace(CITE, " ")
            urls = [u for u in _URL.findall(stated)]
            low = cited_text.lower()
            bad_url = next((u for u in urls if _url_core(u) not in low), None)
            if bad_url:
                problem = f"URL {bad_url} not in the cited text"
            else:
                without_urls = _URL.sub(" ", stated)
                missing = _numbers(without_urls) - _numbers(cited_text)
                if missing:
                    problem = "number " + ", ".join(sorted(missing)) + " not in the cited text"
        if problem is not None:
            out.dropped += 1
            out.reasons.append(f"{problem}: {sentence[:120]}")
            continue
        if not body.endswith((".", "!", "?", "…")):
            body += "."
        out.kept.append(Sentence(body, tuple(shown[k].arxiv_id for k in keys)))
    return out


def section_fails(checked: Checked) -> bool:
    """Too much lost: nothing kept, or more than half of the sentences dropped."""
    return not checked.kept or checked.dropped > len(checked.kept)


# -- prompts ------------------------------------------------------------------------------------------------

def papers_block(papers: Sequence[TopicPaper], budget: int = MAX_PROMPT_CHARS) -> str:
    """Each paper under its key: title, TL;DR, abstract (cut so that the block fits ``budget``)."""
    if not papers:
        return ""
    heads = [f"[{p.key}] Title: {clean(p.paper.title)}\nSummary: {clean(p.claim)}\nAbstract: "
             for p in papers]
    room = max(0, (budget - sum(len(h) + 2 for h in heads)) // len(papers))
    out = []
    for head, p in zip(heads, papers, strict=True):
        abstract = clean(p.paper.abstract)
        if len(abstract) > room:
            abstract = abstract[:room].rsplit(" ", 1)[0] + " …" if room > 40 else ""
        out.append(head + abstract)
    return "\n\n".join(out)


@dataclass(slots=True)
class Section:
    name: str
    papers: list[TopicPaper]
    task: str


class TopicWriter:
    """Rewrites an extractive :class:`TopicDigest`'s theme paragraphs and outlook with an LLM."""

    def __init__(self, client: object, prompt: TopicPrompt | None = None, *, language: str = "English",
                 cache: object | None = None, max_tokens: int | None = 700, temperature: float | None = 0.2,
                 concurrency: int = 2, max_prompt_chars: int = MAX_PROMPT_CHARS) -> None:
        self.client = client
        self.prompt = prompt or load_topic_prompt()
        self.language = language
        self.cache = cache
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.concurrency = max(1, concurrency)
        self.max_prompt_chars = max_prompt_chars
        self.errors: list[str] = []
        self.reasons: list[str] = []

    @property
    def model(self) -> str:
        return str(getattr(self.client, "model", ""))

    def _ask(self, query: str, section: Section) -> str:
        messages = self.prompt.messages(query=query, language=self.language, task=section.task,
                                        papers=papers_block(section.papers, self.max_prompt_chars))
        key = "topic:" + hashlib.sha256(json.dumps(messages, ensure_ascii=False).encode()).hexdigest()[:40]
        if self.cache is not None:
            hit = self.cache.get(key, None, self.model, self.prompt.version, self.language)  # type: ignore[attr-defined]
            if hit is not None:
                return str(hit[0].get("content", ""))
        reply = self.client.chat(messages, max_tokens=self.max_tokens,  # type: ignore[attr-defined]
                                 temperature=self.temperature)
        if self.cache is not None and reply.content.strip():
            self.cache.put(key, None, self.model, self.prompt.version, self.language,  # type: ignore[attr-defined]
                           {"content": reply.content}, reply.usage)
        return reply.content

    def sections(self, digest: TopicDigest) -> list[Section]:
        by_id = digest.by_id()
        out = [Section(f"theme {n}", [by_id[i] for i in t.papers if i in by_id],
                       f"Write a paragraph of {THEME_SENTENCES} sentences on the theme \"{t.label}\": what "
                       "these papers do, and how they relate to each other.")
               for n, t in enumerate(digest.themes)]
        outlook_ids = digest.outlook_papers() or [t.papers[0] for t in digest.themes if t.papers]
        chosen = [by_id[i] for i in outlook_ids[:OUTLOOK_PAPERS] if i in by_id]
        if chosen:
            out.append(Section("outlook", chosen,
                               f"Write a paragraph of at most {OUTLOOK_SENTENCES} sentences on the impact of "
                               "these papers and the road ahead: the limitations, open problems and next "
                               "steps they state."))
        return out

    def rewrite(self, digest: TopicDigest) -> TopicDigest:
        digest.backend = "llm"
        sections = self.sections(digest)

        def run(section: Section) -> tuple[Section, str | None, str | None]:
            try:
                return section, self._ask(digest.query, section), None
            except LLMError as exc:
                return section, None, str(exc)

        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(sections)))) as pool:
            results = list(pool.map(run, sections))
        for section, text, error in results:
            shown = {p.key: p for p in section.papers}
            if error is not None:
                self.errors.append(f"{section.name}: {error}")
                self._fallback(digest, section)
                continue
            checked = check_paragraph(text or "", shown)
            digest.dropped_sentences += checked.dropped
            self.reasons += [f"{section.name}: {r}" for r in checked.reasons]
            if section_fails(checked):
                self._fallback(digest, section)
                continue
            sentences = checked.kept
            if section.name.startswith("theme "):
                theme = digest.themes[int(section.name.split()[1])]
                cited = {i for s in sentences for i in s.papers}
                rest = tuple(i for i in theme.papers if i not in cited)
                if rest:
                    sentences = [*sentences, Sentence("Other papers in this theme", rest)]
                theme.sentences = sentences
                theme.fallback = False
            else:
                digest.outlook = sentences
                digest.outlook_fallback = False
        if self.errors:
            digest.notes.append(f"{len(self.errors)} LLM request(s) failed; those sections are extractive")
        return digest

    def _fallback(self, digest: TopicDigest, section: Section) -> None:
        if section.name.startswith("theme "):
            digest.themes[int(section.name.split()[1])].fallback = True
        else:
            digest.outlook_fallback = True

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            close()
        if self.cache is not None:
            self.cache.close()  # type: ignore[attr-defined]


def build_writer(*, base_url: str | None = None, model: str | None = None, api_key_env: str | None = None,
                 language: str = "English", cache_path: str | Path | None = None, use_cache: bool = True,
                 timeout: float | None = None, max_retries: int = 4, max_tokens: int | None = 700,
                 prompt: str = DEFAULT_PROMPT, concurrency: int = 2,
                 max_prompt_chars: int = MAX_PROMPT_CHARS, **client_kw: object) -> TopicWriter:
    """The LLM writer from arguments, else the ``[llm]`` settings (as ``paperradar summarize``)."""
    from paperradar import config
    from paperradar.enrich.llm.cache import ResponseCache, default_cache_path
    from paperradar.enrich.llm.client import ChatClient
    from paperradar.errors import ConfigError

    try:
        base_url = base_url or config.get("llm.base_url")
        model = model or config.get("llm.model")
        timeout = timeout if timeout is not None else config.get("llm.timeout")
        key_env = api_key_env or config.get("llm.api_key_env")
    except ConfigError as exc:
        raise LLMConfigError(str(exc)) from exc
    if not base_url:
        raise LLMConfigError("no LLM endpoint: pass --base-url or set $PAPERRADAR_LLM_BASE_URL "
                             "(e.g. http://127.0.0.1:11434/v1 for Ollama)")
    if not base_url.startswith(("http://", "https://")):
        raise LLMConfigError(f"LLM base URL {base_url!r} must start with http:// or https://")
    if not model:
        raise LLMConfigError("no LLM model: pass --model or set $PAPERRADAR_LLM_MODEL")
    template = load_topic_prompt(prompt)
    cache = None
    if use_cache:
        path = cache_path or default_cache_path()
        if path is not None:
            cache = ResponseCache(path)
    client = ChatClient(base_url, model, api_key=os.environ.get(key_env) or None, timeout=timeout,
                        max_retries=max_retries, **client_kw)  # type: ignore[arg-type]
    return TopicWriter(client, template, language=language, cache=cache, max_tokens=max_tokens,
                       concurrency=concurrency, max_prompt_chars=max_prompt_chars)
