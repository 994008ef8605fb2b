-- paperradar schema v4 for PostgreSQL: the vectors table of migrations/0004_vectors.sql, with
-- BYTEA for the float16 data, BIGINT generations and byte-wise text (COLLATE "C") as in 0001.
CREATE TABLE vectors (
    arxiv_id   TEXT COLLATE "C" NOT NULL REFERENCES papers(arxiv_id),
    space      TEXT COLLATE "C" NOT NULL,
    digest     TEXT COLLATE "C" NOT NULL,
    dim        INTEGER NOT NULL,
    data       BYTEA NOT NULL,
    generation BIGINT NOT NULL,
    PRIMARY KEY (arxiv_id, space)
);
CREATE INDEX vectors_since ON vectors(space, generation);
