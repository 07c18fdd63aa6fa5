-- The trigram index of users keeps userName and displayName only. The
-- emails column 0009 gave it was never searched: emails are compared on
-- directory_user_emails, whose folded values find an address whose case
-- folding changes its length (ß folds to ss), which the index of the
-- addresses as sent would miss. An FTS5 table cannot drop a column, so it
-- is made again from the users, under the same rowids; the insert and
-- update triggers follow, the delete trigger is unchanged.
DROP TRIGGER directory_users_search_insert;
DROP TRIGGER directory_users_search_update;
DROP TABLE directory_users_search;
CREATE VIRTUAL TABLE directory_users_search USING fts5(user_name_lower, display_name_lower, tokenize = 'trigram', content = '', contentless_delete = 1);
INSERT INTO directory_users_search (rowid, user_name_lower, display_name_lower)
SELECT s.n, u.user_name_lower, u.display_name_lower
FROM directory_users u JOIN directory_users_search_ids s ON s.id = u.id;
CREATE TRIGGER directory_users_search_insert AFTER INSERT ON directory_users BEGIN
	INSERT INTO directory_users_search_ids (id) VALUES (new.id);
	INSERT INTO directory_users_search (rowid, user_name_lower, display_name_lower)
	VALUES ((SELECT n FROM directory_users_search_ids WHERE id = new.id), new.user_name_lower, new.display_name_lower); END;
CREATE TRIGGER directory_users_search_update AFTER UPDATE OF user_name_lower, display_name_lower ON directory_users BEGIN
	DELETE FROM directory_users_search WHERE rowid = (SELECT n FROM directory_users_search_ids WHERE id = old.id);
	INSERT INTO directory_users_search (rowid, user_name_lower, display_name_lower)
	VALUES ((SELECT n FROM directory_users_search_ids WHERE id = new.id), new.user_name_lower, new.display_name_lower); END;
