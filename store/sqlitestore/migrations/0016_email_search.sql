-- Substring filters on SQLite through indexes.
--
-- displayName sw: a range of this index (LIKE 'x%' on a column of the
-- BINARY collation with case_sensitive_like on), instead of candidates
-- from the trigram index, whose trigrams are shared by every name with the
-- same start.
CREATE INDEX directory_users_display_name ON directory_users (directory_id, display_name_lower);

-- emails co and ew: candidates from a trigram index of the folded values
-- of directory_user_emails (store.MatchKey, what the filter compares), then
-- the exact comparison on the same row. The folded value is indexed, not
-- the address as sent: folding can change a value's length (ß folds to
-- ss), and the filter's needle is folded too, so a folded needle is a
-- substring of a folded value exactly when the filter matches. The rowid of
-- the index is the n of the email row's copy in
-- directory_user_emails_search_ids (directory_user_emails has no rowid).
CREATE TABLE directory_user_emails_search_ids (
	n INTEGER PRIMARY KEY,
	directory_id TEXT NOT NULL,
	value_lower TEXT NOT NULL,
	user_id TEXT NOT NULL,
	type_lower TEXT NOT NULL,
	UNIQUE (directory_id, value_lower, user_id, type_lower)
);
INSERT INTO directory_user_emails_search_ids (directory_id, value_lower, user_id, type_lower)
SELECT directory_id, value_lower, user_id, type_lower FROM directory_user_emails;
CREATE VIRTUAL TABLE directory_user_emails_search USING fts5(value_lower, tokenize = 'trigram', content = '', contentless_delete = 1);
INSERT INTO directory_user_emails_search (rowid, value_lower) SELECT n, value_lower FROM directory_user_emails_search_ids;
CREATE TRIGGER directory_user_emails_search_insert AFTER INSERT ON directory_user_emails BEGIN
	INSERT INTO directory_user_emails_search_ids (directory_id, value_lower, user_id, type_lower)
	VALUES (new.directory_id, new.value_lower, new.user_id, new.type_lower);
	INSERT INTO directory_user_emails_search (rowid, value_lower)
	VALUES ((SELECT n FROM directory_user_emails_search_ids WHERE directory_id = new.directory_id AND value_lower = new.value_lower
	AND user_id = new.user_id AND type_lower = new.type_lower), new.value_lower); END;
CREATE TRIGGER directory_user_emails_search_delete AFTER DELETE ON directory_user_emails BEGIN
	DELETE FROM directory_user_emails_search WHERE rowid = (SELECT n FROM directory_user_emails_search_ids WHERE directory_id = old.directory_id
	AND value_lower = old.value_lower AND user_id = old.user_id AND type_lower = old.type_lower);
	DELETE FROM directory_user_emails_search_ids WHERE directory_id = old.directory_id AND value_lower = old.value_lower
	AND user_id = old.user_id AND type_lower = old.type_lower; END;
