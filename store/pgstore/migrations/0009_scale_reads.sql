-- Reads that stay O(page) at a million users and 100,000 organizations.
--
-- Directory counts: SCIM lists answer totalResults of an unfiltered list
-- from these rows instead of counting the directory. Triggers keep them in
-- the same writes as the users and groups. Each directory has up to 16
-- rows (shard: the writing backend's pid modulo 16), whose sums are the
-- counts, so that concurrent writers of one directory seldom update the
-- same row. changes counts inserts and deletes, the moves of a position in
-- the (created_at, id) order: a remembered page boundary is valid while it
-- stays the same (see listPage in store/internal/sqlstore). The rows go
-- with their directory (trigger on directories); there is no foreign key,
-- so that the deletes a directory's removal cascades to are not counted.
CREATE TABLE directory_counts (
	directory_id TEXT COLLATE "C" NOT NULL,
	shard INTEGER NOT NULL,
	users BIGINT NOT NULL DEFAULT 0,
	groups BIGINT NOT NULL DEFAULT 0,
	changes BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (directory_id, shard)
);
INSERT INTO directory_counts (directory_id, shard, users, groups)
SELECT d.id, 0, (SELECT COUNT(*) FROM directory_users u WHERE u.directory_id = d.id), (SELECT COUNT(*) FROM directory_groups g WHERE g.directory_id = d.id)
FROM directories d;

CREATE FUNCTION directory_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	dir TEXT;
	delta BIGINT := 1;
BEGIN
	IF TG_OP = 'DELETE' THEN
		dir := OLD.directory_id;
		delta := -1;
		-- A directory being removed takes its counts with it.
		IF NOT EXISTS (SELECT 1 FROM directories WHERE id = dir) THEN
			RETURN NULL;
		END IF;
	ELSE
		dir := NEW.directory_id;
	END IF;
	IF TG_TABLE_NAME = 'directory_users' THEN
		INSERT INTO directory_counts (directory_id, shard, users, changes) VALUES (dir, pg_backend_pid() % 16, delta, 1)
		ON CONFLICT (directory_id, shard) DO UPDATE SET users = directory_counts.users + delta, changes = directory_counts.changes + 1;
	ELSE
		INSERT INTO directory_counts (directory_id, shard, groups, changes) VALUES (dir, pg_backend_pid() % 16, delta, 1)
		ON CONFLICT (directory_id, shard) DO UPDATE SET groups = directory_counts.groups + delta, changes = directory_counts.changes + 1;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER directory_users_count AFTER INSERT OR DELETE ON directory_users FOR EACH ROW EXECUTE FUNCTION directory_counts_change();
CREATE TRIGGER directory_groups_count AFTER INSERT OR DELETE ON directory_groups FOR EACH ROW EXECUTE FUNCTION directory_counts_change();

CREATE FUNCTION directory_counts_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM directory_counts WHERE directory_id = OLD.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER directories_counts_forget AFTER DELETE ON directories FOR EACH ROW EXECUTE FUNCTION directory_counts_forget();

-- Substring search (organizations; SCIM co, sw and ew on userName,
-- displayName and emails) goes through trigram GIN indexes of the pg_trgm
-- extension, which this migration's Go step creates, with the extension
-- if missing (see trigramIndexes in store/internal/sqlstore).
