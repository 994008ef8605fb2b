-- paperradar schema v3: reader profiles, their libraries, feedback and what each was shown.
-- (0002 is the topics migration; the runner applies whatever numbered files exist, in order.)
CREATE TABLE profiles (
    name     TEXT PRIMARY KEY,
    settings TEXT NOT NULL,               -- JSON object, see paperradar/radar/profiles.py
    created  TEXT NOT NULL,
    updated  TEXT NOT NULL
);

CREATE TABLE profile_items (
    profile  TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    key      TEXT NOT NULL,               -- arxiv:ID, doi:DOI or text:HASH
    arxiv_id TEXT,
    doi      TEXT,
    title    TEXT NOT NULL,
    abstract TEXT NOT NULL,
    authors  TEXT NOT NULL,               -- JSON array
    date     TEXT,
    source   TEXT NOT NULL,
    added    TEXT NOT NULL,
    PRIMARY KEY (profile, key)
);

CREATE TABLE profile_feedback (
    profile  TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    arxiv_id TEXT NOT NULL,
    verdict  TEXT NOT NULL CHECK (verdict IN ('up', 'down', 'save')),
    at       TEXT NOT NULL,
    PRIMARY KEY (profile, arxiv_id)
);

CREATE TABLE profile_seen (
    profile       TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    arxiv_id      TEXT NOT NULL,
    version       INTEGER,
    abstract_hash TEXT NOT NULL,
    shown_at      TEXT NOT NULL,
    PRIMARY KEY (profile, arxiv_id)
);
