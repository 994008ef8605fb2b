"""Search indexes: BM25 keyword index, dense vectors, hybrid fusion, incremental state."""
