-- paperradar schema v2 for PostgreSQL: the same tables as migrations/0002_topics.sql, text sorting
-- byte-wise (COLLATE "C") as in 0001.
CREATE TABLE topics (
    name       TEXT COLLATE "C" PRIMARY KEY,
    query      TEXT COLLATE "C" NOT NULL,
    categories TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    every      TEXT COLLATE "C" NOT NULL DEFAULT 'week' CHECK (every IN ('week', 'day')),
    created    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE topic_issues (
    name     TEXT COLLATE "C" NOT NULL REFERENCES topics(name) ON DELETE CASCADE,
    until    TEXT COLLATE "C" NOT NULL,
    since    TEXT COLLATE "C" NOT NULL,
    papers   INTEGER NOT NULL,
    title    TEXT COLLATE "C" NOT NULL,
    created  TEXT COLLATE "C" NOT NULL,
    ids      TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    PRIMARY KEY (name, until)
);
