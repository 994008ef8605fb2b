"""How many BLAS threads numpy's small products get.

Query-time products and the role network's per-step GRU products are small, memory-bound
matrix products: one BLAS thread is as fast and, on a busy two-core machine, far faster than
several waiting on each other (the role network ran 2x slower with two OpenBLAS threads than
with one). Shared by the index and the summarizer, so it sits below both layers.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import lru_cache

from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager:
    """A context in which BLAS libraries use one thread (restored on exit)."""
    return _controller().limit(limits=1, user_api="blas")
