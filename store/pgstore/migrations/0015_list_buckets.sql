-- startIndex jumps in O(sqrt n): the positions of a directory's users and
-- groups in the default list order, (created_at, id), counted by bucket.
--
-- A bucket is the range of keys from its lower bound (lo_created, lo_id)
-- up to the next bucket's; the sum of n over its rows is the number of
-- rows in it. Each directory has a first bucket per list ('u' users, 'g'
-- groups) whose bound, -infinity, sorts before every key. A trigger keeps
-- the counts in the same writes as the rows. As directory_counts, a count
-- is spread over up to 16 rows (shard: the writing backend's pid modulo
-- 16), so that concurrent writers of a directory, which all insert into
-- its newest bucket, seldom update the same row; the row of shard 0 is
-- the bucket's bound and always exists.
--
-- A writer takes the bucket's bound FOR KEY SHARE (writers do not block
-- one another). A bucket that grows past 1,024 rows is split at its middle
-- row, and one left empty by deletes (not the first) is dropped, by the
-- writer that sees it, under a transaction-level advisory lock of the
-- directory's list (one splitter at a time; a writer that does not get it
-- leaves the split to the next) and with the bound FOR UPDATE, which waits
-- for the bucket's other writers to end: its count is then exact, and a
-- writer that waited for the split looks for its bucket again. A split
-- walks at most 2,050 index entries (it checks the count first: see
-- below), once per 512 inserts at least.
--
-- A jump to offset N reads the counts in order (about n/512 bounds at
-- most), finds the bucket holding row N and walks at most one bucket of
-- index entries inside it (see keyedPageSQL in store/internal/sqlstore).
-- The rows go with their directory (trigger on directories); the deletes
-- a directory's removal cascades to are not counted.
-- Instances still running the previous version keep writing while this
-- runs: their creates and deletes of directories, users and groups wait
-- for it (a row committed between the backfill and the triggers would be
-- counted by neither, and a directory created then would have no bucket).
LOCK TABLE directories, directory_users, directory_groups IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE directory_list_buckets (
	directory_id TEXT COLLATE "C" NOT NULL,
	list TEXT COLLATE "C" NOT NULL,
	lo_created TIMESTAMPTZ NOT NULL,
	lo_id TEXT COLLATE "C" NOT NULL,
	shard INTEGER NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (directory_id, list, lo_created, lo_id, shard)
);

-- Existing directories: a first bucket each, then a bucket from every
-- 512th row on.
INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, shard, n)
SELECT d.id, l.list, '-infinity', '', 0, 0 FROM directories d, (VALUES ('u'), ('g')) l (list);
WITH r AS (
	SELECT directory_id, created_at, id, ROW_NUMBER() OVER (PARTITION BY directory_id ORDER BY created_at, id) - 1 AS i FROM directory_users
), c AS (
	SELECT directory_id, created_at, id, i, COUNT(*) OVER (PARTITION BY directory_id, i / 512) AS n FROM r
)
INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, shard, n)
SELECT directory_id, 'u', CASE WHEN i = 0 THEN '-infinity' ELSE created_at END, CASE WHEN i = 0 THEN '' ELSE id END, 0, n
FROM c WHERE i % 512 = 0
ON CONFLICT (directory_id, list, lo_created, lo_id, shard) DO UPDATE SET n = excluded.n;
WITH r AS (
	SELECT directory_id, created_at, id, ROW_NUMBER() OVER (PARTITION BY directory_id ORDER BY created_at, id) - 1 AS i FROM directory_groups
), c AS (
	SELECT directory_id, created_at, id, i, COUNT(*) OVER (PARTITION BY directory_id, i / 512) AS n FROM r
)
INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, shard, n)
SELECT directory_id, 'g', CASE WHEN i = 0 THEN '-infinity' ELSE created_at END, CASE WHEN i = 0 THEN '' ELSE id END, 0, n
FROM c WHERE i % 512 = 0
ON CONFLICT (directory_id, list, lo_created, lo_id, shard) DO UPDATE SET n = excluded.n;

CREATE FUNCTION directory_list_buckets_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		DELETE FROM directory_list_buckets WHERE directory_id = OLD.id;
	ELSE
		INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, shard, n)
		VALUES (NEW.id, 'u', '-infinity', '', 0, 0), (NEW.id, 'g', '-infinity', '', 0, 0) ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER directories_list_buckets AFTER INSERT OR DELETE ON directories FOR EACH ROW EXECUTE FUNCTION directory_list_buckets_start();

CREATE FUNCTION directory_list_buckets_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	dir TEXT;
	lst TEXT := 'g';
	created TIMESTAMPTZ;
	rid TEXT;
	delta BIGINT := 1;
	b_created TIMESTAMPTZ;
	b_id TEXT;
	total BIGINT;
	k_created TIMESTAMPTZ;
	k_id TEXT;
	n_created TIMESTAMPTZ;
	n_id TEXT;
	visible BIGINT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		dir := OLD.directory_id; created := OLD.created_at; rid := OLD.id; delta := -1;
		-- A directory being removed takes its buckets with it.
		IF NOT EXISTS (SELECT 1 FROM directories WHERE id = dir) THEN
			RETURN NULL;
		END IF;
	ELSE
		dir := NEW.directory_id; created := NEW.created_at; rid := NEW.id;
	END IF;
	IF TG_TABLE_NAME = 'directory_users' THEN
		lst := 'u';
	END IF;
	-- The row's bucket: the last bound at or before its key, held against
	-- a split. A bound split or dropped while this waited is looked for
	-- again (each statement sees what committed before it).
	LOOP
		b_created := NULL;
		SELECT lo_created, lo_id INTO b_created, b_id FROM directory_list_buckets
		WHERE directory_id = dir AND list = lst AND shard = 0 AND (lo_created, lo_id) <= (created, rid)
		ORDER BY lo_created DESC, lo_id DESC LIMIT 1 FOR KEY SHARE;
		EXIT WHEN b_created IS NOT NULL AND NOT EXISTS (SELECT 1 FROM directory_list_buckets
			WHERE directory_id = dir AND list = lst AND shard = 0 AND (lo_created, lo_id) > (b_created, b_id) AND (lo_created, lo_id) <= (created, rid));
		IF b_created IS NULL AND NOT EXISTS (SELECT 1 FROM directory_list_buckets WHERE directory_id = dir AND list = lst AND shard = 0) THEN
			RAISE EXCEPTION 'directory % has no list buckets', dir;
		END IF;
	END LOOP;
	INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, shard, n) VALUES (dir, lst, b_created, b_id, pg_backend_pid() % 16, delta)
	ON CONFLICT (directory_id, list, lo_created, lo_id, shard) DO UPDATE SET n = directory_list_buckets.n + delta;
	SELECT SUM(n) INTO total FROM directory_list_buckets WHERE directory_id = dir AND list = lst AND lo_created = b_created AND lo_id = b_id;
	IF total <= 1024 AND (total > 0 OR b_id = '') THEN
		RETURN NULL;
	END IF;
	-- Past 1,088 rows (a write of many rows in one statement: see below),
	-- a split is tried once per 1,024 rows.
	IF total > 1088 AND total % 1024 <> 0 THEN
		RETURN NULL;
	END IF;
	-- One split of a directory's list at a time; the others leave it to
	-- the next write. The splitter waits for the bucket's writers to end
	-- (none of them waits for it: they do not split).
	IF NOT pg_try_advisory_xact_lock(hashtextextended('directory_list_buckets ' || dir || ' ' || lst, 0)) THEN
		RETURN NULL;
	END IF;
	PERFORM 1 FROM directory_list_buckets WHERE directory_id = dir AND list = lst AND lo_created = b_created AND lo_id = b_id AND shard = 0 FOR UPDATE;
	SELECT SUM(n) INTO total FROM directory_list_buckets WHERE directory_id = dir AND list = lst AND lo_created = b_created AND lo_id = b_id;
	IF total = 0 AND b_id <> '' THEN
		DELETE FROM directory_list_buckets WHERE directory_id = dir AND list = lst AND lo_created = b_created AND lo_id = b_id;
	ELSIF total > 1024 THEN
		-- The triggers of a statement's first rows see all the rows it
		-- writes: a split goes ahead only if the rows in the bucket are
		-- the counted ones (always so for the Store's writes, one row a
		-- statement), else the bucket stays whole for a later write.
		SELECT lo_created, lo_id INTO n_created, n_id FROM directory_list_buckets
		WHERE directory_id = dir AND list = lst AND shard = 0 AND (lo_created, lo_id) > (b_created, b_id)
		ORDER BY lo_created, lo_id LIMIT 1;
		IF n_created IS NULL THEN
			n_created := 'infinity';
			n_id := '';
		END IF;
		EXECUTE format('SELECT COUNT(*) FROM (SELECT 1 FROM %I k WHERE k.directory_id = $1 AND (k.created_at, k.id) >= ($2, $3) AND (k.created_at, k.id) < ($4, $5) LIMIT $6) v', TG_TABLE_NAME)
		INTO visible USING dir, b_created, b_id, n_created, n_id, total + 1;
		IF visible <> total THEN
			RETURN NULL;
		END IF;
		EXECUTE format('SELECT k.created_at, k.id FROM %I k WHERE k.directory_id = $1 AND (k.created_at, k.id) >= ($2, $3) ORDER BY k.created_at, k.id LIMIT 1 OFFSET $4', TG_TABLE_NAME)
		INTO k_created, k_id USING dir, b_created, b_id, total / 2;
		DELETE FROM directory_list_buckets WHERE directory_id = dir AND list = lst AND lo_created = b_created AND lo_id = b_id AND shard <> 0;
		UPDATE directory_list_buckets SET n = total / 2 WHERE directory_id = dir AND list = lst AND lo_created = b_created AND lo_id = b_id AND shard = 0;
		INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, shard, n) VALUES (dir, lst, k_created, k_id, 0, total - total / 2);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER directory_users_list_buckets AFTER INSERT OR DELETE ON directory_users FOR EACH ROW EXECUTE FUNCTION directory_list_buckets_change();
CREATE TRIGGER directory_groups_list_buckets AFTER INSERT OR DELETE ON directory_groups FOR EACH ROW EXECUTE FUNCTION directory_list_buckets_change();
