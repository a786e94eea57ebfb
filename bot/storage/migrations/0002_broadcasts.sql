-- Update broadcasts: who is subscribed to what, and each broadcast as a job with one row per recipient.
CREATE TABLE subscriptions (
    user_id        INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    topics         TEXT    NOT NULL DEFAULT '["all"]',   -- JSON list: all, citas, fees, or catalogue ids
    subscribed_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    status              TEXT    NOT NULL,      -- draft | scheduled | running | paused | cancelled | done
    draft_step          TEXT,                  -- while a draft: text_es | text_en | text_both | media | audience | schedule | preview
    created_by          INTEGER NOT NULL,      -- Telegram id of the staff member
    chat_id             INTEGER NOT NULL,      -- where the draft was started; progress is shown there
    thread_id           INTEGER,
    text_es             TEXT,                  -- HTML, as Telegram renders the staff member's message
    text_en             TEXT,
    media_kind          TEXT,                  -- photo | document | NULL
    media_file_id       TEXT,
    audience            TEXT,                  -- 'subscribers' (everyone subscribed) or a topic
    scheduled_at        TEXT,                  -- UTC ISO time, for scheduled broadcasts
    progress_message_id INTEGER,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at          TEXT,
    finished_at         TEXT
);
CREATE INDEX broadcasts_status ON broadcasts (status);

CREATE TABLE broadcast_recipients (
    id            INTEGER PRIMARY KEY,
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    chat_id       INTEGER NOT NULL,
    language      TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed | blocked
    message_id    INTEGER,                             -- Telegram's id of the delivered message
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (broadcast_id, chat_id)
);
CREATE INDEX broadcast_recipients_pending ON broadcast_recipients (broadcast_id, status, id);
