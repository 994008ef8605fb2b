-- paperradar schema v4: embedding vectors in the store, so that a new worker or web server builds
-- its local index from them instead of re-embedding. One row per paper and embedding space:
-- float16 little-endian (``dim`` of them), for the paper text whose content hash is ``digest``;
-- ``generation`` is the store-wide vector counter when the row was written (meta
-- ``vectors.generation``), so a local index catches up with the rows written since it last looked.
-- (0002 and 0003 are other features' migrations; the runner applies whichever are missing.)
CREATE TABLE vectors (
    arxiv_id   TEXT NOT NULL REFERENCES papers(arxiv_id),
    space      TEXT NOT NULL,
    digest     TEXT NOT NULL,
    dim        INTEGER NOT NULL,
    data       BLOB NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (arxiv_id, space)
);
CREATE INDEX vectors_since ON vectors(space, generation);
