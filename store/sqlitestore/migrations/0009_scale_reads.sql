-- Reads that stay O(page) at 200,000 users and 100,000 organizations.
--
-- Directory counts: SCIM lists answer totalResults of an unfiltered list
-- from this row instead of counting the directory; triggers keep it in the
-- same writes as the users and groups (one row a directory: SQLite has one
-- writer). changes counts inserts and deletes, the moves of a position in
-- the (created_at, id) order: a remembered page boundary is valid while it
-- stays the same (see listPage in store/internal/sqlstore). The row goes
-- with its directory (trigger on directories); there is no foreign key,
-- so that the deletes a directory's removal cascades to are not counted.
CREATE TABLE directory_counts (
	directory_id TEXT NOT NULL,
	shard INTEGER NOT NULL,
	users INTEGER NOT NULL DEFAULT 0,
	groups INTEGER NOT NULL DEFAULT 0,
	changes INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (directory_id, shard)
) WITHOUT ROWID;
INSERT INTO directory_counts (directory_id, shard, users, groups)
SELECT d.id, 0, (SELECT COUNT(*) FROM directory_users u WHERE u.directory_id = d.id), (SELECT COUNT(*) FROM directory_groups g WHERE g.directory_id = d.id)
FROM directories d;
CREATE TRIGGER directory_users_count_insert AFTER INSERT ON directory_users BEGIN
	INSERT INTO directory_counts (directory_id, shard, users, changes) VALUES (new.directory_id, 0, 1, 1)
	ON CONFLICT (directory_id, shard) DO UPDATE SET users = users + 1, changes = changes + 1; END;
CREATE TRIGGER directory_users_count_delete AFTER DELETE ON directory_users
WHEN EXISTS (SELECT 1 FROM directories WHERE id = old.directory_id) BEGIN
	INSERT INTO directory_counts (directory_id, shard, users, changes) VALUES (old.directory_id, 0, -1, 1)
	ON CONFLICT (directory_id, shard) DO UPDATE SET users = users - 1, changes = changes + 1; END;
CREATE TRIGGER directory_groups_count_insert AFTER INSERT ON directory_groups BEGIN
	INSERT INTO directory_counts (directory_id, shard, groups, changes) VALUES (new.directory_id, 0, 1, 1)
	ON CONFLICT (directory_id, shard) DO UPDATE SET groups = groups + 1, changes = changes + 1; END;
CREATE TRIGGER directory_groups_count_delete AFTER DELETE ON directory_groups
WHEN EXISTS (SELECT 1 FROM directories WHERE id = old.directory_id) BEGIN
	INSERT INTO directory_counts (directory_id, shard, groups, changes) VALUES (old.directory_id, 0, -1, 1)
	ON CONFLICT (directory_id, shard) DO UPDATE SET groups = groups - 1, changes = changes + 1; END;
CREATE TRIGGER directories_counts_forget AFTER DELETE ON directories BEGIN
	DELETE FROM directory_counts WHERE directory_id = old.id; END;

-- Substring search: FTS5 trigram tables, contentless, kept by triggers.
-- Their rowid is the n of the row's id in a table of ids (an INTEGER
-- PRIMARY KEY, which VACUUM keeps; directory_users has no rowid). A search
-- of three ASCII characters or more takes its candidates from them (see
-- trigramMatch in store/internal/sqlstore); shorter or non-ASCII ones
-- compare every row of the organizations or of the directory.
CREATE TABLE organizations_search_ids (
	n INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
INSERT INTO organizations_search_ids (id) SELECT id FROM organizations;
CREATE VIRTUAL TABLE organizations_search USING fts5(name_lower, id_lower, external_id_lower, tokenize = 'trigram', content = '', contentless_delete = 1);
INSERT INTO organizations_search (rowid, name_lower, id_lower, external_id_lower)
SELECT s.n, o.name_lower, o.id_lower, o.external_id_lower FROM organizations o JOIN organizations_search_ids s ON s.id = o.id;
CREATE TRIGGER organizations_search_insert AFTER INSERT ON organizations BEGIN
	INSERT INTO organizations_search_ids (id) VALUES (new.id);
	INSERT INTO organizations_search (rowid, name_lower, id_lower, external_id_lower)
	VALUES ((SELECT n FROM organizations_search_ids WHERE id = new.id), new.name_lower, new.id_lower, new.external_id_lower); END;
CREATE TRIGGER organizations_search_update AFTER UPDATE OF name_lower, external_id_lower ON organizations BEGIN
	DELETE FROM organizations_search WHERE rowid = (SELECT n FROM organizations_search_ids WHERE id = old.id);
	INSERT INTO organizations_search (rowid, name_lower, id_lower, external_id_lower)
	VALUES ((SELECT n FROM organizations_search_ids WHERE id = new.id), new.name_lower, new.id_lower, new.external_id_lower); END;
CREATE TRIGGER organizations_search_delete AFTER DELETE ON organizations BEGIN
	DELETE FROM organizations_search WHERE rowid = (SELECT n FROM organizations_search_ids WHERE id = old.id);
	DELETE FROM organizations_search_ids WHERE id = old.id; END;

-- The emails column holds the user's email values, one a line (the stored
-- emails are a JSON array of objects with a "value").
CREATE TABLE directory_users_search_ids (
	n INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
INSERT INTO directory_users_search_ids (id) SELECT id FROM directory_users;
CREATE VIRTUAL TABLE directory_users_search USING fts5(user_name_lower, display_name_lower, emails, tokenize = 'trigram', content = '', contentless_delete = 1);
INSERT INTO directory_users_search (rowid, user_name_lower, display_name_lower, emails)
SELECT s.n, u.user_name_lower, u.display_name_lower, (SELECT group_concat(json_extract(e.value, '$.value'), char(10)) FROM json_each(CAST(u.emails AS TEXT)) e)
FROM directory_users u JOIN directory_users_search_ids s ON s.id = u.id;
CREATE TRIGGER directory_users_search_insert AFTER INSERT ON directory_users BEGIN
	INSERT INTO directory_users_search_ids (id) VALUES (new.id);
	INSERT INTO directory_users_search (rowid, user_name_lower, display_name_lower, emails)
	VALUES ((SELECT n FROM directory_users_search_ids WHERE id = new.id), new.user_name_lower, new.display_name_lower,
	(SELECT group_concat(json_extract(e.value, '$.value'), char(10)) FROM json_each(CAST(new.emails AS TEXT)) e)); END;
CREATE TRIGGER directory_users_search_update AFTER UPDATE OF user_name_lower, display_name_lower, emails ON directory_users BEGIN
	DELETE FROM directory_users_search WHERE rowid = (SELECT n FROM directory_users_search_ids WHERE id = old.id);
	INSERT INTO directory_users_search (rowid, user_name_lower, display_name_lower, emails)
	VALUES ((SELECT n FROM directory_users_search_ids WHERE id = new.id), new.user_name_lower, new.display_name_lower,
	(SELECT group_concat(json_extract(e.value, '$.value'), char(10)) FROM json_each(CAST(new.emails AS TEXT)) e)); END;
CREATE TRIGGER directory_users_search_delete AFTER DELETE ON directory_users BEGIN
	DELETE FROM directory_users_search WHERE rowid = (SELECT n FROM directory_users_search_ids WHERE id = old.id);
	DELETE FROM directory_users_search_ids WHERE id = old.id; END;
