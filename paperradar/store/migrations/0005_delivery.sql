-- paperradar schema v5: what was delivered to each profile for each day (paperradar/deliver/record.py).
-- One row per (profile, date); the message is stored as built so a retry sends the same bytes
-- (same Message-ID, same Date) and a rerun never builds a second one.
CREATE TABLE deliveries (
    profile    TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    date       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('papers', 'empty', 'late')),
    state      TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    message_id TEXT NOT NULL,
    recipient  TEXT,
    message    TEXT NOT NULL,
    papers     TEXT NOT NULL,               -- JSON array of the ranked entries shown
    reason     TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    created    TEXT NOT NULL,
    updated    TEXT NOT NULL,
    sent_at    TEXT,
    error      TEXT NOT NULL,
    PRIMARY KEY (profile, date)
);
