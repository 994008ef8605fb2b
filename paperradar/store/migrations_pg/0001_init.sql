-- paperradar schema v1 for PostgreSQL: the same tables as migrations/0001_init.sql.
-- Differences, all deliberate: every text column sorts byte-wise (COLLATE "C"), so ORDER BY gives
-- the order SQLite gives whatever the database's locale; paper_history has an identity column
-- (SQLite orders it by rowid); code link stars are bigint.
CREATE TABLE papers (
    arxiv_id         TEXT COLLATE "C" PRIMARY KEY,
    version          INTEGER,
    title            TEXT COLLATE "C" NOT NULL,
    authors          TEXT COLLATE "C" NOT NULL,        -- JSON array, order kept
    abstract         TEXT COLLATE "C" NOT NULL,
    categories       TEXT COLLATE "C" NOT NULL,        -- JSON array, order kept
    primary_category TEXT COLLATE "C",
    comment          TEXT COLLATE "C",
    journal_ref      TEXT COLLATE "C",
    doi              TEXT COLLATE "C",
    license          TEXT COLLATE "C",
    submitted        TEXT COLLATE "C",
    updated          TEXT COLLATE "C",
    first_seen       TEXT COLLATE "C" NOT NULL,
    last_changed     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX papers_primary ON papers(primary_category);

CREATE TABLE paper_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arxiv_id    TEXT COLLATE "C" NOT NULL,
    version     INTEGER,
    data        TEXT COLLATE "C" NOT NULL,             -- JSON of the replaced metadata
    replaced_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX paper_history_id ON paper_history(arxiv_id);

CREATE TABLE listings (
    date          TEXT COLLATE "C" NOT NULL,
    category      TEXT COLLATE "C" NOT NULL,
    arxiv_id      TEXT COLLATE "C" NOT NULL REFERENCES papers(arxiv_id),
    position      INTEGER NOT NULL,
    announce_type TEXT COLLATE "C" NOT NULL CHECK (announce_type IN ('new', 'cross-list', 'replacement')),
    PRIMARY KEY (date, category, arxiv_id)
);
CREATE INDEX listings_paper ON listings(arxiv_id);

CREATE TABLE summaries (
    arxiv_id       TEXT COLLATE "C" NOT NULL REFERENCES papers(arxiv_id),
    source         TEXT COLLATE "C" NOT NULL CHECK (source IN ('imported', 'extractive', 'llm')),
    model          TEXT COLLATE "C" NOT NULL,
    language       TEXT COLLATE "C" NOT NULL,
    prompt_version TEXT COLLATE "C" NOT NULL DEFAULT '',
    paper_version  INTEGER,
    tldr           TEXT COLLATE "C" NOT NULL,
    motivation     TEXT COLLATE "C" NOT NULL,
    method         TEXT COLLATE "C" NOT NULL,
    result         TEXT COLLATE "C" NOT NULL,
    conclusion     TEXT COLLATE "C" NOT NULL,
    created        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (arxiv_id, source, model, language, prompt_version)
);

CREATE TABLE code_links (
    arxiv_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES papers(arxiv_id),
    url         TEXT COLLATE "C" NOT NULL,
    stars       BIGINT,
    last_update TEXT COLLATE "C"
);

CREATE TABLE meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
