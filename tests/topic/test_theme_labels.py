"""Theme labels (`label_terms`): distinctive, shared by the theme's papers, and coherent.

Synthetic themes with made-up words, so each rule is seen on its own: the counts below are
chosen so that the plain c-TF-IDF order gives a different label than the rule under test.
"""

from __future__ import annotations

from paperradar.digest.topic.themes import label_terms


def _paper(i: int, *words: str) -> str:
    # every paper also has words of its own (support 1: never a label term)
    return " ".join(f"{w} solo{i}x{k}" for k, w in enumerate(words))


def _other_theme() -> list[str]:
    return [_paper(100 + i, "plumtrex", "plumtrex", "wexford") for i in range(6)]


def test_later_label_terms_share_papers_with_the_first() -> None:
    # "zorblax" is in all six papers (twice each): the first term.
    # "gammora" is frequent but in two papers only (4x each = 8); "quintor" once in five papers (5).
    # c-TF-IDF alone ranks gammora second; it describes a third of the theme, quintor five sixths.
    theme = [_paper(i, "zorblax", "zorblax", *(["quintor"] if i < 5 else []),
                    *(["gammora"] * 4 if i >= 4 else [])) for i in range(6)]
    labels = label_terms([theme, _other_theme()], "unrelated query", top=3)
    assert labels[0][:2] == ["zorblax", "quintor"]
    assert "gammora" in labels[0]  # still a term, after the one that shares its papers


def test_a_word_one_paper_repeats_is_no_label() -> None:
    theme = [_paper(0, *["selfname"] * 9, "zorblax")] + [_paper(i, "zorblax", "quintor") for i in range(1, 6)]
    labels = label_terms([theme, _other_theme()], "unrelated query", top=4)
    assert "selfname" not in labels[0]
    assert labels[0][:2] == ["zorblax", "quintor"]


def test_query_words_their_initials_and_generic_words_are_left_out() -> None:
    theme = [_paper(i, "graph", "neural", "gnn", "gnns", "method", "results", "zorblax") for i in range(6)]
    labels = label_terms([theme, _other_theme()], "graph neural networks", top=5)
    assert labels[0] == ["zorblax"]
    assert labels[1] == ["plumtrex", "wexford"]
