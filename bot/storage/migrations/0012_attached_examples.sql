-- Questions staff attached from the staff chat (/unanswered ➕): real questions that ask for a catalogue entry, or
-- that no entry answers (entry_id 'none', the classifier's out-of-scope class). They live here, in the database
-- (DATA_DIR, backed up with it), never in the code's knowledge/ folder (read-only under systemd and Docker).
-- Numbered 0012 because 0009 and 0011 are reserved by changes on other branches.
CREATE TABLE attached_examples (
    id          INTEGER PRIMARY KEY,
    entry_id    TEXT    NOT NULL,                      -- a catalogue id, or 'none' (out of scope)
    language    TEXT    NOT NULL,                      -- es | en
    text        TEXT    NOT NULL,
    folded      TEXT    NOT NULL UNIQUE,               -- the text folded (case, accents, spacing): one label per question
    staff_id    TEXT,                                  -- who attached it (Telegram user id), NULL when imported
    staff_name  TEXT,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX attached_examples_entry ON attached_examples (entry_id);

-- Files of the old knowledge/examples/ folder imported at start, so each is imported once (a file edited later is
-- imported again: its name and content hash are the key).
CREATE TABLE attached_example_imports (
    file        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    examples    INTEGER NOT NULL,
    imported_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (file, sha256)
);
