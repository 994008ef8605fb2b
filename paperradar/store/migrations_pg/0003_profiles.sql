-- paperradar schema v3 for PostgreSQL: the same tables as migrations/0003_profiles.sql, text sorting
-- byte-wise (COLLATE "C") as in 0001, and an identity column on profile_items (SQLite keeps the
-- import order by rowid).
CREATE TABLE profiles (
    name     TEXT COLLATE "C" PRIMARY KEY,
    settings TEXT COLLATE "C" NOT NULL,
    created  TEXT COLLATE "C" NOT NULL,
    updated  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE profile_items (
    id       BIGINT GENERATED ALWAYS AS IDENTITY,
    profile  TEXT COLLATE "C" NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    key      TEXT COLLATE "C" NOT NULL,
    arxiv_id TEXT COLLATE "C",
    doi      TEXT COLLATE "C",
    title    TEXT COLLATE "C" NOT NULL,
    abstract TEXT COLLATE "C" NOT NULL,
    authors  TEXT COLLATE "C" NOT NULL,
    date     TEXT COLLATE "C",
    source   TEXT COLLATE "C" NOT NULL,
    added    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (profile, key)
);

CREATE TABLE profile_feedback (
    profile  TEXT COLLATE "C" NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    arxiv_id TEXT COLLATE "C" NOT NULL,
    verdict  TEXT COLLATE "C" NOT NULL CHECK (verdict IN ('up', 'down', 'save')),
    at       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (profile, arxiv_id)
);

CREATE TABLE profile_seen (
    profile       TEXT COLLATE "C" NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    arxiv_id      TEXT COLLATE "C" NOT NULL,
    version       INTEGER,
    abstract_hash TEXT COLLATE "C" NOT NULL,
    shown_at      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (profile, arxiv_id)
);
