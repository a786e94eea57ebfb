-- Health (python -m bot health, GET /healthz): what another process reads to tell whether the bot is working.
-- Numbered 0010 because 0008 and 0009 are reserved by changes on other branches (schema_migrations records
-- which migrations a database has, so they are applied when they arrive).

-- A loop that proves it is alive by writing here (Telegram polling: after each getUpdates answer).
CREATE TABLE heartbeats (
    name        TEXT    PRIMARY KEY,                   -- 'telegram.polling'
    at          TEXT    NOT NULL,                      -- when it last worked (the bot's clock, UTC)
    state       TEXT    NOT NULL DEFAULT 'running',    -- running | stopped
    detail      TEXT                                   -- the last problem, one line, no secrets, no user text
);

-- The outcome of the latest messages sent on a channel whose account can fail as a whole (WhatsApp: token,
-- billing, templates): accepted, or failed with the channel's error code. Only the latest few hundred are kept.
CREATE TABLE send_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT    NOT NULL,
    message_id  TEXT,                                  -- the channel's id, once it accepted the message
    status      TEXT    NOT NULL,                      -- accepted | failed (later status webhooks may fail it)
    code        INTEGER,                               -- the channel's error code (WhatsApp 131042, 190, ...)
    error       TEXT,
    at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX send_log_message ON send_log (channel, message_id);
