-- temporal_a_permanente's window used to be counted from the start of temporary residence (issue 12); it is now
-- counted from the expiry of the card the user holds (issue 18). A stored date for that procedure meant the start of
-- residence and would now be read as an expiry: its pending reminders are dropped and the date is forgotten, so the
-- staff's card never shows it as an expiry. The user gets the right window the next time they give their card's date.
UPDATE reminders
   SET status = 'dropped', done_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 WHERE entry_id = 'temporal_a_permanente' AND status = 'scheduled';
DELETE FROM deadlines WHERE entry_id = 'temporal_a_permanente';
