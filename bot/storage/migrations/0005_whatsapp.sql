-- WhatsApp: the phone id as received beside the business-scoped id, each sent message's delivery status, and
-- staff replies kept until the user's 24-hour window opens again.
ALTER TABLE users ADD COLUMN phone TEXT;          -- WhatsApp wa_id as received (never rewritten)

CREATE TABLE sent_messages (
    channel     TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,                  -- wamid
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status      TEXT    NOT NULL DEFAULT 'accepted',   -- accepted | sent | delivered | read | failed
    error       TEXT,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX sent_messages_user ON sent_messages (user_id);

CREATE TABLE pending_relays (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    staff_chat_id    TEXT    NOT NULL,
    staff_message_id TEXT    NOT NULL,
    thread           TEXT,
    text             TEXT,
    media_kind       TEXT,
    file_ref         TEXT,
    mime_type        TEXT,
    file_name        TEXT,
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX pending_relays_user ON pending_relays (user_id, id);
