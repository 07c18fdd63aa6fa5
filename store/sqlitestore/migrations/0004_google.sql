-- The configuration and sync state of Google Workspace directories
-- (store.GoogleDirectory), one row per directory of provider "google".
CREATE TABLE google_directories (
	directory_id TEXT PRIMARY KEY REFERENCES directories (id) ON DELETE CASCADE,
	customer TEXT NOT NULL DEFAULT '',
	domain TEXT NOT NULL DEFAULT '',
	admin_email TEXT NOT NULL DEFAULT '',
	client_email TEXT NOT NULL DEFAULT '',
	client_id TEXT NOT NULL DEFAULT '',
	sealed_key BLOB,
	sync_interval_us INTEGER NOT NULL DEFAULT 0,
	sync_requested_at INTEGER,
	last_sync_at INTEGER,
	last_success_at INTEGER,
	last_error TEXT NOT NULL DEFAULT '',
	last_stats BLOB,
	checkpoint BLOB,
	updated_at INTEGER NOT NULL
);
