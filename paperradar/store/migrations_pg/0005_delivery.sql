-- paperradar schema v5 for PostgreSQL: migrations/0005_delivery.sql with text sorting byte-wise
-- (COLLATE "C") as in 0001 and 0003.
CREATE TABLE deliveries (
    profile    TEXT COLLATE "C" NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    date       TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('papers', 'empty', 'late')),
    state      TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    message_id TEXT COLLATE "C" NOT NULL,
    recipient  TEXT COLLATE "C",
    message    TEXT COLLATE "C" NOT NULL,
    papers     TEXT COLLATE "C" NOT NULL,
    reason     TEXT COLLATE "C" NOT NULL,
    attempts   INTEGER NOT NULL,
    created    TEXT COLLATE "C" NOT NULL,
    updated    TEXT COLLATE "C" NOT NULL,
    sent_at    TEXT COLLATE "C",
    error      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (profile, date)
);
