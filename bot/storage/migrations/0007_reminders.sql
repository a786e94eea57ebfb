-- A user's own dates (deadlines) and the reminders scheduled from them (issue 12). /forget cascades to both.
CREATE TABLE deadlines (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entry_id    TEXT NOT NULL,                  -- the catalogue procedure whose window it is
    given_date  TEXT NOT NULL,                  -- YYYY-MM-DD: the date the user gave (expiry, entry, change...)
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, entry_id)
);

CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    entry_id    TEXT NOT NULL,
    given_date  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opens', 'closing', 'last_day')),
    due_at      TEXT NOT NULL,                  -- UTC, the format of every stored moment
    -- scheduled -> sending (committed before the request: never sent twice) -> sent;
    -- or cancelled (by the user), dropped (due while the bot was down and no longer useful, or superseded),
    -- failed (the channel refused it: blocked, unknown user)
    status      TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'sending', 'sent', 'cancelled', 'dropped', 'failed')),
    created_at  TEXT NOT NULL,
    done_at     TEXT,
    UNIQUE (user_id, entry_id, given_date, kind)
);
CREATE INDEX reminders_due ON reminders (status, due_at);
