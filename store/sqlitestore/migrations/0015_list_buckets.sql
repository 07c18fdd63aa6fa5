-- startIndex jumps in O(sqrt n): the positions of a directory's users and
-- groups in the default list order, (created_at, id), counted by bucket.
--
-- A bucket is the range of keys from its lower bound (lo_created, lo_id)
-- up to the next bucket's; n is the number of rows in it. Each directory
-- has a first bucket per list ('u' users, 'g' groups) whose bound sorts
-- before every key. Triggers keep n in the same writes as the rows; a
-- bucket that grows past 1,024 rows is split at its middle row (a walk of
-- at most 1,025 index entries, once per 512 inserts at least), and one
-- left empty by deletes is dropped. A jump to offset N reads the counts
-- in order (about n/512 rows for rows created in order), finds the
-- bucket holding row N and walks at most 1,024 index entries inside it (see
-- keyedPageSQL in store/internal/sqlstore). The rows go with their
-- directory (trigger on directories); the deletes a directory's removal
-- cascades to are not counted.
CREATE TABLE directory_list_buckets (
	directory_id TEXT NOT NULL,
	list TEXT NOT NULL,
	lo_created INTEGER NOT NULL,
	lo_id TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (directory_id, list, lo_created, lo_id)
) WITHOUT ROWID;

-- Existing directories: a first bucket each, then a bucket from every
-- 512th row on.
INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, n)
SELECT d.id, l.list, -9223372036854775807, '', 0 FROM directories d, (SELECT 'u' AS list UNION ALL SELECT 'g') l;
WITH r AS (
	SELECT directory_id, created_at, id, ROW_NUMBER() OVER (PARTITION BY directory_id ORDER BY created_at, id) - 1 AS i FROM directory_users
), c AS (
	SELECT directory_id, created_at, id, i, COUNT(*) OVER (PARTITION BY directory_id, i / 512) AS n FROM r
)
INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, n)
SELECT directory_id, 'u', CASE WHEN i = 0 THEN -9223372036854775807 ELSE created_at END, CASE WHEN i = 0 THEN '' ELSE id END, n
FROM c WHERE i % 512 = 0
ON CONFLICT (directory_id, list, lo_created, lo_id) DO UPDATE SET n = excluded.n;
WITH r AS (
	SELECT directory_id, created_at, id, ROW_NUMBER() OVER (PARTITION BY directory_id ORDER BY created_at, id) - 1 AS i FROM directory_groups
), c AS (
	SELECT directory_id, created_at, id, i, COUNT(*) OVER (PARTITION BY directory_id, i / 512) AS n FROM r
)
INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, n)
SELECT directory_id, 'g', CASE WHEN i = 0 THEN -9223372036854775807 ELSE created_at END, CASE WHEN i = 0 THEN '' ELSE id END, n
FROM c WHERE i % 512 = 0
ON CONFLICT (directory_id, list, lo_created, lo_id) DO UPDATE SET n = excluded.n;

CREATE TRIGGER directories_list_buckets_start AFTER INSERT ON directories BEGIN
	INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, n)
	VALUES (new.id, 'u', -9223372036854775807, '', 0), (new.id, 'g', -9223372036854775807, '', 0)
	ON CONFLICT DO NOTHING; END;
CREATE TRIGGER directories_list_buckets_forget AFTER DELETE ON directories BEGIN
	DELETE FROM directory_list_buckets WHERE directory_id = old.id; END;

-- A row's bucket: the last whose bound is at or before its key.
CREATE TRIGGER directory_users_bucket_insert AFTER INSERT ON directory_users BEGIN
	UPDATE directory_list_buckets SET n = n + 1 WHERE directory_id = new.directory_id AND list = 'u' AND (lo_created, lo_id) = (
		SELECT lo_created, lo_id FROM directory_list_buckets WHERE directory_id = new.directory_id AND list = 'u' AND (lo_created, lo_id) <= (new.created_at, new.id)
		ORDER BY lo_created DESC, lo_id DESC LIMIT 1); END;
CREATE TRIGGER directory_users_bucket_delete AFTER DELETE ON directory_users
WHEN EXISTS (SELECT 1 FROM directories WHERE id = old.directory_id) BEGIN
	UPDATE directory_list_buckets SET n = n - 1 WHERE directory_id = old.directory_id AND list = 'u' AND (lo_created, lo_id) = (
		SELECT lo_created, lo_id FROM directory_list_buckets WHERE directory_id = old.directory_id AND list = 'u' AND (lo_created, lo_id) <= (old.created_at, old.id)
		ORDER BY lo_created DESC, lo_id DESC LIMIT 1); END;
CREATE TRIGGER directory_groups_bucket_insert AFTER INSERT ON directory_groups BEGIN
	UPDATE directory_list_buckets SET n = n + 1 WHERE directory_id = new.directory_id AND list = 'g' AND (lo_created, lo_id) = (
		SELECT lo_created, lo_id FROM directory_list_buckets WHERE directory_id = new.directory_id AND list = 'g' AND (lo_created, lo_id) <= (new.created_at, new.id)
		ORDER BY lo_created DESC, lo_id DESC LIMIT 1); END;
CREATE TRIGGER directory_groups_bucket_delete AFTER DELETE ON directory_groups
WHEN EXISTS (SELECT 1 FROM directories WHERE id = old.directory_id) BEGIN
	UPDATE directory_list_buckets SET n = n - 1 WHERE directory_id = old.directory_id AND list = 'g' AND (lo_created, lo_id) = (
		SELECT lo_created, lo_id FROM directory_list_buckets WHERE directory_id = old.directory_id AND list = 'g' AND (lo_created, lo_id) <= (old.created_at, old.id)
		ORDER BY lo_created DESC, lo_id DESC LIMIT 1); END;

-- A full bucket splits at its middle row; an empty one (not the first)
-- goes, its range joining the bucket before it.
CREATE TRIGGER directory_list_buckets_split_users AFTER UPDATE OF n ON directory_list_buckets
WHEN new.n > 1024 AND new.list = 'u' BEGIN
	INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, n)
	SELECT new.directory_id, 'u', k.created_at, k.id, new.n - new.n / 2 FROM directory_users k
	WHERE k.directory_id = new.directory_id AND (k.created_at, k.id) >= (new.lo_created, new.lo_id)
	ORDER BY k.created_at, k.id LIMIT 1 OFFSET new.n / 2;
	UPDATE directory_list_buckets SET n = new.n / 2
	WHERE directory_id = new.directory_id AND list = 'u' AND lo_created = new.lo_created AND lo_id = new.lo_id; END;
CREATE TRIGGER directory_list_buckets_split_groups AFTER UPDATE OF n ON directory_list_buckets
WHEN new.n > 1024 AND new.list = 'g' BEGIN
	INSERT INTO directory_list_buckets (directory_id, list, lo_created, lo_id, n)
	SELECT new.directory_id, 'g', k.created_at, k.id, new.n - new.n / 2 FROM directory_groups k
	WHERE k.directory_id = new.directory_id AND (k.created_at, k.id) >= (new.lo_created, new.lo_id)
	ORDER BY k.created_at, k.id LIMIT 1 OFFSET new.n / 2;
	UPDATE directory_list_buckets SET n = new.n / 2
	WHERE directory_id = new.directory_id AND list = 'g' AND lo_created = new.lo_created AND lo_id = new.lo_id; END;
CREATE TRIGGER directory_list_buckets_drop AFTER UPDATE OF n ON directory_list_buckets
WHEN new.n = 0 AND new.lo_id <> '' BEGIN
	DELETE FROM directory_list_buckets
	WHERE directory_id = new.directory_id AND list = new.list AND lo_created = new.lo_created AND lo_id = new.lo_id; END;
