-- onboardkit schema for SQLite. Times are Unix microseconds (INTEGER);
-- optional times are NULL when unset. Columns ending in _lower hold the
-- Unicode lower-cased value that case-insensitive lookups, filters and sorts
-- use.

CREATE TABLE organizations (
	id TEXT PRIMARY KEY,
	id_lower TEXT NOT NULL,
	name TEXT NOT NULL,
	name_lower TEXT NOT NULL,
	external_id TEXT NOT NULL DEFAULT '',
	external_id_lower TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_external_id ON organizations (external_id) WHERE external_id <> '';
CREATE INDEX organizations_created ON organizations (created_at, id);

CREATE TABLE domains (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	state TEXT NOT NULL,
	method TEXT NOT NULL,
	challenge TEXT NOT NULL DEFAULT '',
	verified_at INTEGER,
	verified_by TEXT NOT NULL DEFAULT '',
	checked_at INTEGER,
	next_check_at INTEGER,
	failure TEXT NOT NULL DEFAULT '',
	failure_kind TEXT NOT NULL DEFAULT '',
	check_failures INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (org_id, name)
);
CREATE UNIQUE INDEX domains_verified_name ON domains (name) WHERE state = 'verified';
CREATE INDEX domains_name ON domains (name, created_at);
CREATE INDEX domains_next_check ON domains (next_check_at) WHERE next_check_at IS NOT NULL;

CREATE TABLE connections (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	protocol TEXT NOT NULL,
	provider TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	config BLOB NOT NULL,
	allow_email_outside_domains INTEGER NOT NULL DEFAULT 0,
	tested_at INTEGER,
	version INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX connections_org ON connections (org_id, created_at, id);
CREATE INDEX connections_protocol ON connections (protocol, id);

CREATE TABLE portal_links (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	features TEXT NOT NULL DEFAULT '',
	digest BLOB NOT NULL UNIQUE,
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at INTEGER,
	revoked_at INTEGER
);
CREATE INDEX portal_links_org ON portal_links (org_id, created_at);
CREATE INDEX portal_links_expires ON portal_links (expires_at);

CREATE TABLE portal_sessions (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	link_id TEXT NOT NULL DEFAULT '',
	features TEXT NOT NULL DEFAULT '',
	embedded INTEGER NOT NULL DEFAULT 0,
	digest BLOB NOT NULL UNIQUE,
	csrf TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX portal_sessions_org ON portal_sessions (org_id);
CREATE INDEX portal_sessions_link ON portal_sessions (link_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

CREATE TABLE directories (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	provider TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX directories_org ON directories (org_id, created_at, id);

CREATE TABLE directory_tokens (
	id TEXT PRIMARY KEY,
	directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	digest BLOB NOT NULL UNIQUE,
	hint TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	revoked_at INTEGER,
	last_used_at INTEGER
);
CREATE INDEX directory_tokens_directory ON directory_tokens (directory_id, created_at);

CREATE TABLE directory_users (
	id TEXT PRIMARY KEY,
	directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	org_id TEXT NOT NULL,
	user_name TEXT NOT NULL,
	user_name_lower TEXT NOT NULL,
	external_id TEXT NOT NULL DEFAULT '',
	active INTEGER NOT NULL,
	display_name TEXT NOT NULL DEFAULT '',
	display_name_lower TEXT NOT NULL DEFAULT '',
	given_name TEXT NOT NULL DEFAULT '',
	given_name_lower TEXT NOT NULL DEFAULT '',
	family_name TEXT NOT NULL DEFAULT '',
	family_name_lower TEXT NOT NULL DEFAULT '',
	primary_email_lower TEXT NOT NULL DEFAULT '',
	emails BLOB,
	outside_domains INTEGER NOT NULL DEFAULT 0,
	attributes BLOB,
	version INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (directory_id, user_name_lower)
) WITHOUT ROWID;
CREATE UNIQUE INDEX directory_users_external_id ON directory_users (directory_id, external_id) WHERE external_id <> '';
CREATE INDEX directory_users_created ON directory_users (directory_id, created_at, id);

-- Keyed for lookup: the key serves email filters and login-time lookups by
-- value within a directory; there is no separate index to write. Rows of a
-- user are deleted explicitly, by key, from the user's stored emails.
CREATE TABLE directory_user_emails (
	directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	value_lower TEXT NOT NULL,
	user_id TEXT NOT NULL,
	type_lower TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (directory_id, value_lower, user_id, type_lower)
) WITHOUT ROWID;

CREATE TABLE directory_groups (
	id TEXT PRIMARY KEY,
	directory_id TEXT NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	org_id TEXT NOT NULL,
	display_name TEXT NOT NULL,
	display_name_lower TEXT NOT NULL,
	external_id TEXT NOT NULL DEFAULT '',
	attributes BLOB,
	version INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (directory_id, display_name_lower)
);
CREATE UNIQUE INDEX directory_groups_external_id ON directory_groups (directory_id, external_id) WHERE external_id <> '';
CREATE INDEX directory_groups_created ON directory_groups (directory_id, created_at, id);

CREATE TABLE group_members (
	group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
	member_id TEXT NOT NULL,
	member_type TEXT NOT NULL,
	directory_id TEXT NOT NULL,
	PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members (member_id, directory_id);

-- Event ids are the caller's: the store neither indexes nor checks them, so
-- that a reused id cannot fail the entity write it accompanies.
CREATE TABLE events (
	cursor INTEGER PRIMARY KEY,
	id TEXT NOT NULL,
	type TEXT NOT NULL,
	org_id TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	actor TEXT NOT NULL DEFAULT '',
	data BLOB,
	created_at INTEGER NOT NULL
);
CREATE INDEX events_org ON events (org_id, cursor);

-- The single row whose update assigns event cursors on databases with
-- concurrent writers (see appendEvents). SQLite's single writer takes
-- MAX(cursor) + 1 instead and leaves it unused.
CREATE TABLE event_counter (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	last_cursor INTEGER NOT NULL
);
INSERT INTO event_counter (id, last_cursor) VALUES (1, 0);

CREATE TABLE consumer_cursors (
	consumer TEXT PRIMARY KEY,
	cursor INTEGER NOT NULL
);

CREATE TABLE login_requests (
	id TEXT PRIMARY KEY,
	connection_id TEXT NOT NULL,
	org_id TEXT NOT NULL DEFAULT '',
	protocol TEXT NOT NULL,
	binding BLOB,
	nonce TEXT NOT NULL DEFAULT '',
	code_verifier TEXT NOT NULL DEFAULT '',
	return_to TEXT NOT NULL DEFAULT '',
	test INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
-- Pending requests live minutes: deleting an organization's scans them
-- rather than keep an index that every login would write twice.
CREATE INDEX login_requests_expires ON login_requests (expires_at);

CREATE TABLE assertion_ids (
	connection_id TEXT NOT NULL,
	assertion_id TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (connection_id, assertion_id)
) WITHOUT ROWID;
CREATE INDEX assertion_ids_expires ON assertion_ids (expires_at);

CREATE TABLE brandings (
	scope TEXT PRIMARY KEY,
	accent_color TEXT NOT NULL DEFAULT '',
	logo_type TEXT,
	logo_data BLOB,
	favicon_type TEXT,
	favicon_data BLOB,
	updated_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	digest BLOB NOT NULL UNIQUE,
	hint TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at INTEGER
);

CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
