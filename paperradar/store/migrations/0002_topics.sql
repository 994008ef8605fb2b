-- paperradar schema v2: saved topics (`paperradar topic add`) and the issues `run` rendered.
CREATE TABLE topics (
    name       TEXT PRIMARY KEY,
    query      TEXT NOT NULL,
    categories TEXT NOT NULL DEFAULT '[]',   -- JSON array
    every      TEXT NOT NULL DEFAULT 'week' CHECK (every IN ('week', 'day')),
    created    TEXT NOT NULL
);

CREATE TABLE topic_issues (
    name     TEXT NOT NULL REFERENCES topics(name) ON DELETE CASCADE,
    until    TEXT NOT NULL,                  -- last listing date the issue covers
    since    TEXT NOT NULL,
    papers   INTEGER NOT NULL,
    title    TEXT NOT NULL,
    created  TEXT NOT NULL,
    ids      TEXT NOT NULL DEFAULT '[]',  -- JSON array: the issue's papers, in digest order
    PRIMARY KEY (name, until)
);
