-- What the user told us about themselves (document held, arrival, a Mexican spouse, the dates they gave), so a
-- follow-up is answered from it and nothing is asked twice (issue 17). JSON, read with the conversation state.
ALTER TABLE conversation_state ADD COLUMN facts TEXT NOT NULL DEFAULT '{}';
