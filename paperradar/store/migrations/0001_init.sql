-- paperradar schema v1: papers, their version history, daily listings, summaries, code links.
CREATE TABLE papers (
    arxiv_id         TEXT PRIMARY KEY,
    version          INTEGER,
    title            TEXT NOT NULL,
    authors          TEXT NOT NULL,        -- JSON array, order kept
    abstract         TEXT NOT NULL,
    categories       TEXT NOT NULL,        -- JSON array, order kept
    primary_category TEXT,
    comment          TEXT,
    journal_ref      TEXT,
    doi              TEXT,
    license          TEXT,
    submitted        TEXT,
    updated          TEXT,
    first_seen       TEXT NOT NULL,
    last_changed     TEXT NOT NULL
);
CREATE INDEX papers_primary ON papers(primary_category);

CREATE TABLE paper_history (
    arxiv_id    TEXT NOT NULL,
    version     INTEGER,
    data        TEXT NOT NULL,             -- JSON of the replaced metadata
    replaced_at TEXT NOT NULL
);
CREATE INDEX paper_history_id ON paper_history(arxiv_id);

CREATE TABLE listings (
    date          TEXT NOT NULL,
    category      TEXT NOT NULL,
    arxiv_id      TEXT NOT NULL REFERENCES papers(arxiv_id),
    position      INTEGER NOT NULL,
    announce_type TEXT NOT NULL CHECK (announce_type IN ('new', 'cross-list', 'replacement')),
    PRIMARY KEY (date, category, arxiv_id)
);
CREATE INDEX listings_paper ON listings(arxiv_id);

CREATE TABLE summaries (
    arxiv_id       TEXT NOT NULL REFERENCES papers(arxiv_id),
    source         TEXT NOT NULL CHECK (source IN ('imported', 'extractive', 'llm')),
    model          TEXT NOT NULL,
    language       TEXT NOT NULL,
    prompt_version TEXT NOT NULL DEFAULT '',
    paper_version  INTEGER,
    tldr           TEXT NOT NULL,
    motivation     TEXT NOT NULL,
    method         TEXT NOT NULL,
    result         TEXT NOT NULL,
    conclusion     TEXT NOT NULL,
    created        TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, source, model, language, prompt_version)
);

CREATE TABLE code_links (
    arxiv_id    TEXT PRIMARY KEY REFERENCES papers(arxiv_id),
    url         TEXT NOT NULL,
    stars       INTEGER,
    last_update TEXT
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
