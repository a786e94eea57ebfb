-- Inbox ids must never be reused: the inbox claims rows above the highest id it has seen, and SQLite reuses the
-- highest rowid after a delete (/forget, retention) unless the table is AUTOINCREMENT.
CREATE TABLE inbox_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel      TEXT    NOT NULL,
    update_key   TEXT    NOT NULL,
    chat_key     TEXT,
    user_key     TEXT,
    payload      TEXT,
    status       TEXT    NOT NULL DEFAULT 'pending',
    error        TEXT,
    received_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    handled_at   TEXT,
    UNIQUE (channel, update_key)
);
INSERT INTO inbox_new SELECT id, channel, update_key, chat_key, user_key, payload, status, error, received_at,
       handled_at FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_pending ON inbox (status, id) WHERE status = 'pending';
CREATE INDEX inbox_user ON inbox (channel, user_key);
