"""Under the Hood: the named models, methods, datasets and benchmarks of a selection,
and the code, model and data links the papers give.

Every name is a token of the paper's own title, abstract or comment, so it can be
found there verbatim; a paper counts as *introducing* a name only when the title opens
with it ("FooNet: ...") or a sentence with "we propose / introduce / present / release
..." names it. The kind comes from the words around the name (benchmark, dataset,
model, ...), else from well-known model families. Links are the URLs the papers write
(``https://github.com/...``, ``huggingface.co/...``, project pages, arXiv comments'
"Code: ..."), attached to the name a paper introduces when it introduces one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from paperradar.digest.topic.model import Entity, TopicPaper
from paperradar.enrich.sentences import split_sentences

_URL = re.compile(r"(?:https?://|(?<![\w./])(?:www\.|github\.com/|huggingface\.co/))[^\s<>\"'{}|\\^`\]]+",
                  re.I)
_NAME = re.compile(r"(?<![\w-])([A-Z][A-Za-z0-9]*(?:[-.+][A-Za-z0-9]+)*)(?![\w-])")
_INTRO = re.compile(r"\b(?:we|this (?:paper|work)|our (?:work|paper))\s+(?:\w+ly\s+)?"
                    r"(?:propose|introduce|present|release|develop|construct|build|curate|contribute|design|create|collect|open-source)[sd]?\b",
                    re.I)
KIND_WORDS = (
    ("benchmark", re.compile(r"\b(?:benchmarks?|leaderboards?|test suites?|evaluation suites?)\b", re.I)),
    ("dataset", re.compile(r"\b(?:datasets?|corpus|corpora|collections?|data ?sets?)\b", re.I)),
    ("model", re.compile(r"\b(?:models?|LLMs?|VLMs?|MLLMs?|transformers?|networks?|encoders?|decoders?|"
                         r"agents?|checkpoints?)\b", re.I)),
    ("method", re.compile(r"\b(?:methods?|frameworks?|algorithms?|approach(?:es)?|techniques?|pipelines?|"
                          r"architectures?|systems?|strateg(?:y|ies)|losses|loss|schemes?|modules?)\b",
                          re.I)),
)
MODEL_FAMILIES = re.compile(
    r"^(?:GPT|Llama|LLaMA|Qwen|DeepSeek|Claude|Gemini|Gemma|Mistral|Mixtral|Phi|BERT|RoBERTa|T5|CLIP|ViT|"
    r"ResNet|SAM|DINO|DINOv2|Whisper|Stable|SDXL|YOLO|o1|o3|o4|Kimi|GLM|InternVL|LLaVA|Pythia|OPT|BLOOM)"
    r"(?:[-.0-9A-Za-z]*)$")
# acronyms of a field, not names of a thing
_GENERIC_NAMES = """
AI ML NLP CV LLM LLMs VLM VLMs MLLM MLLMs LM LMs RL DL DNN DNNs CNN CNNs RNN RNNs GNN GNNs GAN GANs VAE VAEs
MLP MLPs API APIs GPU GPUs CPU CPUs TPU SOTA IoT 2D 3D 4D RGB RGB-D QA VQA OCR ASR TTS MT NER SQL PDE PDEs
ODE ODEs SDE MDP MDPs POMDP KL IID OOD UAV UAVs EEG ECG MRI CT fMRI PET LiDAR DoF FLOPs ROC AUC MSE RMSE MAE
F1 BLEU US EU UK USA COVID-19 HTML JSON XML PDF URL AR VR XR SGD Adam LoRA RAG CoT SFT RLHF DPO PPO GRPO MoE
KV ReLU IoU mAP PSNR SSIM FID LPIPS I II III IV Our We The This These In On For With Code Project GUI GUIs
UI UX NL KG KGs LVLM LVLMs VLA VLAs MAS IR SR ViTs LLM-based MLLM-based AI-generated
"""
GENERIC = frozenset(_GENERIC_NAMES.split())
_GENERIC_SUFFIX = re.compile(r"-(?:based|oriented|aware|driven|guided|generated|like|style|level|free|"
                             r"specific|"
                             r"agnostic|centric|grounded|conditioned|powered|enabled|scale|wise|only)$", re.I)
SUFFIX_KINDS = (
    ("benchmark", re.compile(r"(?:Bench|Benchmark|Eval|Arena|Gym|Leaderboard)(?:[-.0-9][A-Za-z0-9.-]*)?$")),
    ("dataset", re.compile(r"(?:Data|DB|Corpus|Set|QA|1[Kk]|[0-9]+[Kk]|[0-9]+M)(?:[-.0-9][A-Za-z0-9.-]*)?$")),
    ("model", re.compile(r"(?:Net|Former|GPT|LM|BERT|LLM|VLM|Diffusion|-[0-9.]+[BM])$")),
)
MAX_NAME = 40


def urls(text: str) -> list[str]:
    """URLs as written in ``text``, trailing punctuation cut."""
    out = []
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:)]")
        if url.count("(") < url.count(")"):
            url = url.rstrip(")")
        if len(url) > 12:
            out.append(url)
    return list(dict.fromkeys(out))


def link_kind(url: str) -> str:
    low = url.lower()
    if "huggingface.co/datasets" in low or any(h in low for h in ("zenodo.org", "kaggle.com", "figshare",
                                                                  "osf.io", "dataverse", "physionet")):
        return "data"
    if "huggingface.co/" in low:
        return "model"
    return "code"


def link_name(url: str) -> str:
    """A short name that is part of the URL as written: ``owner/repo`` for repositories."""
    bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.I).rstrip("/")
    parts = bare.split("/")
    host = parts[0].lower()
    if host in ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org") and len(parts) >= 3:
        return "/".join(parts[1:3])
    if host == "huggingface.co" and len(parts) >= 3:
        if parts[1] in ("datasets", "spaces") and len(parts) >= 4:
            return "/".join(parts[2:4])
        return "/".join(parts[1:3])
    return bare if len(bare) <= 60 else bare[:60]


def is_name(token: str) -> bool:
    """A token that names a thing: capitalised and with a second capital or a digit
    ("ImageNet", "GPT-4o", "MMLU", "Qwen2.5-7B"), not a field's acronym."""
    if token in GENERIC or token.rstrip("s") in GENERIC or len(token) < 2 or len(token) > MAX_NAME:
        return False
    if token.isdigit() or re.fullmatch(r"[0-9.]+[A-Za-z]?", token):
        return False
    if _GENERIC_SUFFIX.search(token) or token.split("-")[0] in GENERIC:
        return False
    # title case ("Self-Evolving", "Mixture-of-Experts") is not a name: some part needs an inner
    # capital or a digit
    inner = "".join(part[1:] for part in re.split(r"[-.+]", token))
    return any(c.isupper() or c.isdigit() for c in inner) or bool(MODEL_FAMILIES.match(token))


def suffix_kind(token: str) -> str | None:
    for kind, pattern in SUFFIX_KINDS:
        if pattern.search(token):
            return kind
    return None


def _kind_near(sentence: str, start: int, end: int) -> str | None:
    after = sentence[end:end + 60]
    before = sentence[max(0, start - 40):start]
    for kind, pattern in KIND_WORDS:
        m = pattern.search(after)
        if m and m.start() <= 25:
            return kind
    for kind, pattern in KIND_WORDS:
        if pattern.search(before[-25:]):
            return kind
    return None


def _description(name: str, paper: TopicPaper) -> str:
    title = " ".join(paper.paper.title.split())
    m = re.match(rf"^\s*{re.escape(name)}\s*[:：]\s*(.+)$", title)
    if m:
        return m.group(1).strip()
    text = " ".join(paper.paper.abstract.split())
    m = re.search(rf"(?<![\w-]){re.escape(name)}\s*(?:\([^)]*\))?,\s+((?:a|an|the)\s+[^,;.]{{8,140}})", text)
    if m:
        return m.group(1).strip()
    return ""


def _introduces(sentence: str, start: int, end: int) -> bool:
    """The name at ``start:end`` is what the sentence says it introduces: within 12 words
    after "we propose / introduce ...", or in parentheses right after a phrase."""
    if sentence[max(0, start - 1):start] == "(" and sentence[end:end + 1] == ")":
        return _INTRO.search(sentence[:start]) is not None
    return any(len(sentence[m.end():start].split()) <= 12 for m in _INTRO.finditer(sentence[:start]))


def paper_entities(p: TopicPaper) -> list[tuple[str, str, bool]]:
    """(name, kind, introduced) found in one paper."""
    title = " ".join(p.paper.title.split())
    votes: dict[str, Counter[str]] = {}
    introduced: set[str] = set()
    head = re.match(r"^\s*([^:：]{2,40})\s*[:：]", title)
    if head:
        names = [w for w in head.group(1).split() if is_name(w)]
        if len(head.group(1).split()) <= 3 and names:
            introduced.add(names[0])
            votes.setdefault(names[0], Counter())
            kind = _kind_near(title, len(head.group(0)) - 1, len(head.group(0)))
            if kind:
                votes[names[0]][kind] += 1
    sentences = split_sentences(" ".join(p.paper.abstract.split()))
    for sentence in [title, *sentences]:
        for m in _NAME.finditer(sentence):
            token = m.group(1).rstrip(".")
            if not is_name(token):
                continue
            intro_here = _introduces(sentence, m.start(), m.start() + len(token))
            kind = _kind_near(sentence, m.start(), m.start() + len(token))
            if kind is None and not intro_here and not MODEL_FAMILIES.match(token) and token not in votes:
                continue
            votes.setdefault(token, Counter())
            if kind:
                votes[token][kind] += 1
            if intro_here:
                introduced.add(token)
    text = p.text()
    out = []
    for name, counter in votes.items():
        if name not in text:
            continue
        kind = suffix_kind(name) or (counter.most_common(1)[0][0] if counter else None)
        if kind is None:
            kind = "model" if MODEL_FAMILIES.match(name) else "method"
        out.append((name, kind, name in introduced))
    return out


def extract(papers: Sequence[TopicPaper]) -> list[Entity]:
    """Entities of the selection, introduced ones first, then by how many papers use them."""
    kinds: dict[str, Counter[str]] = {}
    where: dict[str, list[str]] = {}
    intro: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    links: list[Entity] = []
    for p in papers:
        own = paper_entities(p)
        introduced_here = [name for name, _, is_intro in own if is_intro]
        for name, kind, is_intro in own:
            key = name  # exact spelling: "LLaMA" and "Llama" stay apart, each found in its papers
            spelled.setdefault(key, name)
            kinds.setdefault(key, Counter())[kind] += 1
            where.setdefault(key, [])
            if p.arxiv_id not in where[key]:
                where[key].append(p.arxiv_id)
            if is_intro and p.arxiv_id not in intro.setdefault(key, []):
                intro[key].append(p.arxiv_id)
        for url in urls(p.text()):
            links.append(Entity(link_name(url), link_kind(url), url, [p.arxiv_id], [],
                                _attach_hint(introduced_here, url)))
    by_key: dict[str, Entity] = {}
    by_id = {p.arxiv_id: p for p in papers}
    for key, ids in where.items():
        first_intro = intro.get(key, [])
        name = spelled[key]
        description = _description(name, by_id[first_intro[0]]) if first_intro else ""
        by_key[key] = Entity(name, kinds[key].most_common(1)[0][0], None, ids, first_intro, description)
    kept_links = []
    for link in links:
        target = link.description  # the introduced name the link belongs to, if any
        entity = by_key.get(target.lower()) if target else None  # noqa: SIM401
        if entity is not None and entity.url is None and link.papers[0] in entity.introduced_in:
            entity.url = link.url
        else:
            link.description = ""
            kept_links.append(link)
    named = sorted(by_key.values(), key=lambda e: (not e.introduced, -len(e.papers), e.name.lower()))
    # a name used in a single paper without being introduced there is rarely worth a bullet
    named = [e for e in named if e.introduced or len(e.papers) >= 2 or e.kind in ("dataset", "benchmark")]
    merged: dict[str, Entity] = {}
    for link in kept_links:
        key = link.url or link.name
        if key in merged:
            merged[key].papers.extend(i for i in link.papers if i not in merged[key].papers)
        else:
            merged[key] = link
    return named + list(merged.values())


def _attach_hint(introduced: list[str], url: str) -> str:
    """The introduced name a link belongs to: the one the URL spells, else the only one."""
    low = url.lower()
    for name in introduced:
        if re.sub(r"[^a-z0-9]", "", name.lower()) in re.sub(r"[^a-z0-9]", "", low):
            return name
    return introduced[0] if len(introduced) == 1 and link_kind(url) == "code" else ""
