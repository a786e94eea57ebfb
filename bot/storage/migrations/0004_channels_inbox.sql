-- Channel-neutral ids: every chat, user and message id is TEXT and says its channel; the durable inbox.
-- Tables are rebuilt (SQLite cannot change a column's type); migrations run with foreign keys off.

ALTER TABLE users ADD COLUMN last_inbound_at TEXT;     -- the user's last message (WhatsApp's 24-hour window)

CREATE TABLE broadcasts_new (
    id                  INTEGER PRIMARY KEY,
    status              TEXT    NOT NULL,      -- draft | scheduled | running | paused | cancelled | done
    draft_step          TEXT,                  -- while a draft: text_es | text_en | text_both | media | audience | schedule | preview
    created_by          TEXT    NOT NULL,      -- staff member's id on the staff desk (Telegram)
    chat_id             TEXT    NOT NULL,      -- where the draft was written; progress is shown there
    thread_id           TEXT,
    text_es             TEXT,                  -- HTML, as Telegram renders the staff member's message
    text_en             TEXT,
    media_kind          TEXT,                  -- photo | document | NULL
    media_file_id       TEXT,
    audience            TEXT,                  -- 'subscribers' (everyone subscribed) or a topic
    scheduled_at        TEXT,
    progress_message_id TEXT,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    started_at          TEXT,
    finished_at         TEXT
);
INSERT INTO broadcasts_new SELECT id, status, draft_step, CAST(created_by AS TEXT), CAST(chat_id AS TEXT),
       CAST(thread_id AS TEXT), text_es, text_en, media_kind, media_file_id, audience, scheduled_at,
       CAST(progress_message_id AS TEXT), created_at, started_at, finished_at FROM broadcasts;
DROP TABLE broadcasts;
ALTER TABLE broadcasts_new RENAME TO broadcasts;
CREATE INDEX broadcasts_status ON broadcasts (status);

CREATE TABLE broadcast_recipients_new (
    id            INTEGER PRIMARY KEY,
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,   -- /forget removes the row
    channel       TEXT    NOT NULL,
    chat_id       TEXT    NOT NULL,
    language      TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed | blocked
    message_id    TEXT,                                -- the channel's id of the delivered message
    error         TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (broadcast_id, channel, chat_id)
);
INSERT INTO broadcast_recipients_new SELECT r.id, r.broadcast_id, r.user_id, 'telegram', CAST(r.chat_id AS TEXT),
       r.language, r.status, CAST(r.message_id AS TEXT), r.error, r.attempts, r.updated_at
  FROM broadcast_recipients r WHERE r.user_id IS NOT NULL;
DROP TABLE broadcast_recipients;
ALTER TABLE broadcast_recipients_new RENAME TO broadcast_recipients;
CREATE INDEX broadcast_recipients_pending ON broadcast_recipients (broadcast_id, status, id);
CREATE INDEX broadcast_recipients_user ON broadcast_recipients (user_id);
CREATE INDEX broadcast_recipients_message ON broadcast_recipients (channel, message_id);

CREATE TABLE conversations_new (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT    NOT NULL DEFAULT 'bot',   -- bot | requested | human
    topic_id         TEXT,                             -- the user's place on the staff desk (forum topic)
    card_message_id  TEXT,                             -- the context card at the top of the topic
    owner_id         TEXT,                             -- staff member who has it
    owner_name       TEXT,
    requested_at     TEXT,
    taken_at         TEXT,
    last_activity_at TEXT,
    released_at      TEXT
);
INSERT INTO conversations_new SELECT user_id, status, CAST(topic_id AS TEXT), CAST(card_message_id AS TEXT),
       CAST(owner_id AS TEXT), owner_name, requested_at, taken_at, last_activity_at, released_at FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;
CREATE UNIQUE INDEX conversations_topic ON conversations (topic_id) WHERE topic_id IS NOT NULL;

CREATE TABLE message_links_new (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_channel     TEXT    NOT NULL,
    user_chat_id     TEXT    NOT NULL,
    user_message_id  TEXT    NOT NULL,
    staff_chat_id    TEXT    NOT NULL,
    staff_message_id TEXT    NOT NULL,
    direction        TEXT    NOT NULL,                 -- in (user -> staff) | out (staff -> user)
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO message_links_new SELECT id, user_id, 'telegram', CAST(user_chat_id AS TEXT), CAST(user_message_id AS TEXT),
       CAST(staff_chat_id AS TEXT), CAST(staff_message_id AS TEXT), direction, created_at FROM message_links;
DROP TABLE message_links;
ALTER TABLE message_links_new RENAME TO message_links;
CREATE INDEX message_links_staff ON message_links (staff_chat_id, staff_message_id);
CREATE INDEX message_links_user ON message_links (user_channel, user_chat_id, user_message_id);

-- Every incoming update, stored before the channel is told it arrived; handled from here.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    update_key   TEXT    NOT NULL,                 -- Telegram update_id, WhatsApp message id (wamid)
    chat_key     TEXT,                             -- updates of one chat are handled in order
    user_key     TEXT,                             -- the sender, so /forget can delete their updates
    payload      TEXT,                             -- raw JSON; cleared once handled
    status       TEXT    NOT NULL DEFAULT 'pending',   -- pending | done | failed
    error        TEXT,
    received_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    handled_at   TEXT,
    UNIQUE (channel, update_key)
);
CREATE INDEX inbox_pending ON inbox (status, id) WHERE status = 'pending';
CREATE INDEX inbox_user ON inbox (channel, user_key);
CREATE INDEX questions_created ON questions (created_at);
