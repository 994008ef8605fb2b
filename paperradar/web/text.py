"""Text for web pages as lists of plain segments, never markup.

Templates escape every segment, so highlighting a search hit or setting a formula
apart can never turn paper text into HTML: a segment is ``(text, kind)`` and the
template picks the element for ``kind``.
"""

from __future__ import annotations

import re
from functools import lru_cache

Segment = tuple[str, str]  # (text, kind): kind "" plain, "mark" a query hit, "math" a formula

_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\s](?:[^$]*?[^$\s])?)\$(?!\d)", re.S)
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ", "infty": "∞",
    "times": "×", "cdot": "·", "pm": "±", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠",
    "approx": "≈", "sim": "∼", "propto": "∝", "in": "∈", "subset": "⊂", "subseteq": "⊆", "cup": "∪",
    "cap": "∩", "forall": "∀", "exists": "∃", "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏",
    "int": "∫", "sqrt": "√", "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒",
    "mapsto": "↦", "log": "log", "exp": "exp", "ldots": "…", "cdots": "⋯", "dots": "…",
    "circ": "∘", "otimes": "⊗", "oplus": "⊕", "emptyset": "∅", "mathbb": "", "mathcal": "",
    "mathbf": "", "mathrm": "", "textbf": "", "text": "", "mathit": "", "boldsymbol": "",
    "operatorname": "", "widetilde": "", "tilde": "", "hat": "", "bar": "", "left": "", "right": "",
    ",": " ", ";": " ", "!": "", "quad": " ", "qquad": "  ",
}
_SUP = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_COMMAND = re.compile(r"\\([A-Za-z]+|[,;!])")
_SCRIPT = re.compile(r"([_^])(\{([^{}]*)\}|(\\?[A-Za-z0-9+\-=()]))")


def _script(match: re.Match[str]) -> str:
    body = match.group(3) if match.group(3) is not None else match.group(4)
    table = _SUP if match.group(1) == "^" else _SUB
    converted = body.translate(table)
    if all(not c.isascii() or c == " " for c in converted):
        return converted
    return ("^" if match.group(1) == "^" else "_") + body


def latex_to_text(formula: str) -> str:
    """A readable plain-text rendering of simple LaTeX: ``\\alpha^2`` -> ``α²``."""
    text = _COMMAND.sub(lambda m: _SYMBOLS.get(m.group(1), m.group(1)), formula)
    text = _SCRIPT.sub(_script, text)
    return " ".join(text.replace("{", "").replace("}", "").split())


def with_math(text: str) -> list[Segment]:
    """Split ``text`` into plain runs and ``$...$`` formulas made readable."""
    out: list[Segment] = []
    pos = 0
    for m in _MATH.finditer(text):
        if m.start() > pos:
            out.append((text[pos:m.start()], ""))
        out.append((latex_to_text(m.group(1) or m.group(2)), "math"))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], ""))
    return out


@lru_cache(maxsize=4096)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled pattern per set of matched words (results of one query share a few)."""
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def highlight(text: str, matched: list[str]) -> list[Segment]:
    """``text`` with each whole-word occurrence of ``matched`` as a ``mark`` segment."""
    words = tuple(sorted({w for w in matched if w}, key=lambda w: (-len(w), w)))
    if not words or not text:
        return [(text, "")] if text else []
    pattern = _pattern(words)
    out: list[Segment] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos:m.start()], ""))
        out.append((m.group(0), "mark"))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], ""))
    return out
