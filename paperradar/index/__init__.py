"""Search indexes: BM25 keyword index, dense vectors, hybrid fusion, incremental state.

This package's ``__init__`` stays import-light (no numpy): the CLI reads
:data:`MODES` for its option lists without loading the index code.
"""

MODES = ("bm25", "dense", "hybrid")
