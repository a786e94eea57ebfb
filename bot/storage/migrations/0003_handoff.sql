-- Staff takeover: who has each conversation, its staff topic, and every relayed message pair.
CREATE TABLE conversations (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT    NOT NULL DEFAULT 'bot',   -- bot | requested | human
    topic_id         INTEGER,                          -- forum topic (message_thread_id) in the staff chat
    card_message_id  INTEGER,                          -- the context card at the top of the topic
    owner_id         INTEGER,                          -- Telegram id of the staff member who has it
    owner_name       TEXT,
    requested_at     TEXT,
    taken_at         TEXT,
    last_activity_at TEXT,                             -- request or last staff message, for auto-release
    released_at      TEXT
);
CREATE UNIQUE INDEX conversations_topic ON conversations (topic_id) WHERE topic_id IS NOT NULL;

CREATE TABLE message_links (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_chat_id     INTEGER NOT NULL,
    user_message_id  INTEGER NOT NULL,
    staff_chat_id    INTEGER NOT NULL,
    staff_message_id INTEGER NOT NULL,
    direction        TEXT    NOT NULL,                 -- in (user -> staff) | out (staff -> user)
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX message_links_staff ON message_links (staff_chat_id, staff_message_id);
CREATE INDEX message_links_user ON message_links (user_chat_id, user_message_id);
