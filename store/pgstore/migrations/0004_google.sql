-- The configuration and sync state of Google Workspace directories
-- (store.GoogleDirectory), one row per directory of provider "google".
CREATE TABLE google_directories (
	directory_id TEXT COLLATE "C" PRIMARY KEY REFERENCES directories (id) ON DELETE CASCADE,
	customer TEXT COLLATE "C" NOT NULL DEFAULT '',
	domain TEXT COLLATE "C" NOT NULL DEFAULT '',
	admin_email TEXT COLLATE "C" NOT NULL DEFAULT '',
	client_email TEXT COLLATE "C" NOT NULL DEFAULT '',
	client_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	sealed_key BYTEA,
	sync_interval_us BIGINT NOT NULL DEFAULT 0,
	sync_requested_at TIMESTAMPTZ,
	last_sync_at TIMESTAMPTZ,
	last_success_at TIMESTAMPTZ,
	last_error TEXT COLLATE "C" NOT NULL DEFAULT '',
	last_stats BYTEA,
	checkpoint BYTEA,
	updated_at TIMESTAMPTZ NOT NULL
);
