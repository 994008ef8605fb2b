"""Personal ranking: reader profiles, their libraries, a ranking that explains itself, feedback.

- :mod:`profiles`: what a profile is (interests, keywords, excludes, authors, categories, seeds)
  and the add / edit / remove calls the CLI and the web app make.
- :mod:`library`: reading a reference library (BibTeX, RIS, CSL-JSON, Zotero CSV, the Zotero web
  API) into :class:`~paperradar.models.LibraryItem` records or rejections, matched to stored papers.
- :mod:`features`: the vectors and texts the ranker needs, reusing the search index's stored
  MiniLM vectors instead of embedding again.
- :mod:`rank`: the scoring, the calibrated cut and the one-line "why".
- :mod:`feedback`: thumbs up / down / save.
- :mod:`seen`: the one owner of "what has this profile been shown" (``recommend --unseen``).
"""
