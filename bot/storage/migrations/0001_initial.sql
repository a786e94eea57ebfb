-- Users of every channel, their conversation state, and every question they asked.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    channel         TEXT    NOT NULL,              -- 'telegram', 'terminal', later 'whatsapp'
    external_id     TEXT    NOT NULL,              -- the channel's own id for the user
    language        TEXT    NOT NULL DEFAULT 'es',
    language_chosen INTEGER NOT NULL DEFAULT 0,    -- 1 once the user picked it with /language
    display_name    TEXT,
    username        TEXT,
    active          INTEGER NOT NULL DEFAULT 1,    -- 0 once the user blocked the bot
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_seen_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (channel, external_id)
);

CREATE TABLE conversation_state (
    user_id         INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    last_entry_id   TEXT,                           -- catalogue id of the last answer, for follow-ups
    pending_choices TEXT,                           -- JSON list of button actions offered last
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text        TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,                   -- procedure | topic | ambiguous | none
    entry_id    TEXT,
    candidates  TEXT    NOT NULL DEFAULT '[]',      -- JSON list of catalogue ids
    confidence  REAL    NOT NULL DEFAULT 0,
    unanswered  INTEGER NOT NULL DEFAULT 0,         -- 1 when the bot could not match it (staff review these)
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX questions_user ON questions (user_id, id);
CREATE INDEX questions_unanswered ON questions (unanswered) WHERE unanswered = 1;
