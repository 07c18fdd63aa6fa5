-- onboardkit schema for PostgreSQL. Times are timestamptz (microseconds);
-- optional times are NULL when unset. Text columns use the "C" collation so
-- that comparisons and sorts are by bytes, as in Go, whatever the database's
-- locale, and LIKE prefix patterns can use the indexes. Columns ending in _lower hold the
-- Unicode lower-cased value that case-insensitive lookups, filters and sorts
-- use.

CREATE TABLE organizations (
	id TEXT COLLATE "C" PRIMARY KEY,
	id_lower TEXT COLLATE "C" NOT NULL,
	name TEXT COLLATE "C" NOT NULL,
	name_lower TEXT COLLATE "C" NOT NULL,
	external_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	external_id_lower TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX organizations_external_id ON organizations (external_id) WHERE external_id <> '';
CREATE INDEX organizations_created ON organizations (created_at, id);

CREATE TABLE domains (
	id TEXT COLLATE "C" PRIMARY KEY,
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	name TEXT COLLATE "C" NOT NULL,
	state TEXT COLLATE "C" NOT NULL,
	method TEXT COLLATE "C" NOT NULL,
	challenge TEXT COLLATE "C" NOT NULL DEFAULT '',
	verified_at TIMESTAMPTZ,
	verified_by TEXT COLLATE "C" NOT NULL DEFAULT '',
	checked_at TIMESTAMPTZ,
	next_check_at TIMESTAMPTZ,
	failure TEXT COLLATE "C" NOT NULL DEFAULT '',
	failure_kind TEXT COLLATE "C" NOT NULL DEFAULT '',
	check_failures INTEGER NOT NULL DEFAULT 0,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	UNIQUE (org_id, name)
);
CREATE UNIQUE INDEX domains_verified_name ON domains (name) WHERE state = 'verified';
CREATE INDEX domains_name ON domains (name, created_at);
CREATE INDEX domains_next_check ON domains (next_check_at) WHERE next_check_at IS NOT NULL;

CREATE TABLE connections (
	id TEXT COLLATE "C" PRIMARY KEY,
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	protocol TEXT COLLATE "C" NOT NULL,
	provider TEXT COLLATE "C" NOT NULL DEFAULT '',
	name TEXT COLLATE "C" NOT NULL DEFAULT '',
	state TEXT COLLATE "C" NOT NULL,
	config BYTEA NOT NULL,
	allow_email_outside_domains BOOLEAN NOT NULL DEFAULT FALSE,
	tested_at TIMESTAMPTZ,
	version BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX connections_org ON connections (org_id, created_at, id);
CREATE INDEX connections_protocol ON connections (protocol, id);

CREATE TABLE portal_links (
	id TEXT COLLATE "C" PRIMARY KEY,
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	kind TEXT COLLATE "C" NOT NULL,
	features TEXT COLLATE "C" NOT NULL DEFAULT '',
	digest BYTEA NOT NULL UNIQUE,
	created_by TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	used_at TIMESTAMPTZ,
	revoked_at TIMESTAMPTZ
);
CREATE INDEX portal_links_org ON portal_links (org_id, created_at);
CREATE INDEX portal_links_expires ON portal_links (expires_at);

CREATE TABLE portal_sessions (
	id TEXT COLLATE "C" PRIMARY KEY,
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	link_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	features TEXT COLLATE "C" NOT NULL DEFAULT '',
	embedded BOOLEAN NOT NULL DEFAULT FALSE,
	digest BYTEA NOT NULL UNIQUE,
	csrf TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_sessions_org ON portal_sessions (org_id);
CREATE INDEX portal_sessions_link ON portal_sessions (link_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

CREATE TABLE directories (
	id TEXT COLLATE "C" PRIMARY KEY,
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	provider TEXT COLLATE "C" NOT NULL DEFAULT '',
	name TEXT COLLATE "C" NOT NULL DEFAULT '',
	state TEXT COLLATE "C" NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX directories_org ON directories (org_id, created_at, id);

CREATE TABLE directory_tokens (
	id TEXT COLLATE "C" PRIMARY KEY,
	directory_id TEXT COLLATE "C" NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	digest BYTEA NOT NULL UNIQUE,
	hint TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ,
	revoked_at TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ
);
CREATE INDEX directory_tokens_directory ON directory_tokens (directory_id, created_at);

CREATE TABLE directory_users (
	id TEXT COLLATE "C" PRIMARY KEY,
	directory_id TEXT COLLATE "C" NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	org_id TEXT COLLATE "C" NOT NULL,
	user_name TEXT COLLATE "C" NOT NULL,
	user_name_lower TEXT COLLATE "C" NOT NULL,
	external_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	active BOOLEAN NOT NULL,
	display_name TEXT COLLATE "C" NOT NULL DEFAULT '',
	display_name_lower TEXT COLLATE "C" NOT NULL DEFAULT '',
	given_name TEXT COLLATE "C" NOT NULL DEFAULT '',
	given_name_lower TEXT COLLATE "C" NOT NULL DEFAULT '',
	family_name TEXT COLLATE "C" NOT NULL DEFAULT '',
	family_name_lower TEXT COLLATE "C" NOT NULL DEFAULT '',
	primary_email_lower TEXT COLLATE "C" NOT NULL DEFAULT '',
	emails BYTEA,
	outside_domains BOOLEAN NOT NULL DEFAULT FALSE,
	attributes BYTEA,
	version BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	UNIQUE (directory_id, user_name_lower)
);
CREATE UNIQUE INDEX directory_users_external_id ON directory_users (directory_id, external_id) WHERE external_id <> '';
CREATE INDEX directory_users_created ON directory_users (directory_id, created_at, id);

-- Keyed for lookup: the key serves email filters and login-time lookups by
-- value within a directory; there is no separate index to write. Rows of a
-- user are deleted explicitly, by key, from the user's stored emails.
CREATE TABLE directory_user_emails (
	directory_id TEXT COLLATE "C" NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	value_lower TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL,
	type_lower TEXT COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (directory_id, value_lower, user_id, type_lower)
);

CREATE TABLE directory_groups (
	id TEXT COLLATE "C" PRIMARY KEY,
	directory_id TEXT COLLATE "C" NOT NULL REFERENCES directories (id) ON DELETE CASCADE,
	org_id TEXT COLLATE "C" NOT NULL,
	display_name TEXT COLLATE "C" NOT NULL,
	display_name_lower TEXT COLLATE "C" NOT NULL,
	external_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	attributes BYTEA,
	version BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	UNIQUE (directory_id, display_name_lower)
);
CREATE UNIQUE INDEX directory_groups_external_id ON directory_groups (directory_id, external_id) WHERE external_id <> '';
CREATE INDEX directory_groups_created ON directory_groups (directory_id, created_at, id);

CREATE TABLE group_members (
	group_id TEXT COLLATE "C" NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
	member_id TEXT COLLATE "C" NOT NULL,
	member_type TEXT COLLATE "C" NOT NULL,
	directory_id TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (member_id, directory_id);

-- Event ids are the caller's: the store neither indexes nor checks them, so
-- that a reused id cannot fail the entity write it accompanies.
CREATE TABLE events (
	cursor BIGINT PRIMARY KEY,
	id TEXT COLLATE "C" NOT NULL,
	type TEXT COLLATE "C" NOT NULL,
	org_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	subject TEXT COLLATE "C" NOT NULL DEFAULT '',
	actor TEXT COLLATE "C" NOT NULL DEFAULT '',
	data BYTEA,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_org ON events (org_id, cursor);

-- The single row whose update assigns event cursors; see appendEvents in
-- store/internal/sqlstore.
CREATE TABLE event_counter (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	last_cursor BIGINT NOT NULL
);
INSERT INTO event_counter (id, last_cursor) VALUES (1, 0);

CREATE TABLE consumer_cursors (
	consumer TEXT COLLATE "C" PRIMARY KEY,
	cursor BIGINT NOT NULL
);

CREATE TABLE login_requests (
	id TEXT COLLATE "C" PRIMARY KEY,
	connection_id TEXT COLLATE "C" NOT NULL,
	org_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	protocol TEXT COLLATE "C" NOT NULL,
	binding BYTEA,
	nonce TEXT COLLATE "C" NOT NULL DEFAULT '',
	code_verifier TEXT COLLATE "C" NOT NULL DEFAULT '',
	return_to TEXT COLLATE "C" NOT NULL DEFAULT '',
	test BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_requests_expires ON login_requests (expires_at);

CREATE TABLE assertion_ids (
	connection_id TEXT COLLATE "C" NOT NULL,
	assertion_id TEXT COLLATE "C" NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX assertion_ids_expires ON assertion_ids (expires_at);

CREATE TABLE brandings (
	scope TEXT COLLATE "C" PRIMARY KEY,
	accent_color TEXT COLLATE "C" NOT NULL DEFAULT '',
	logo_type TEXT COLLATE "C",
	logo_data BYTEA,
	favicon_type TEXT COLLATE "C",
	favicon_data BYTEA,
	updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
	id TEXT COLLATE "C" PRIMARY KEY,
	name TEXT COLLATE "C" NOT NULL,
	digest BYTEA NOT NULL UNIQUE,
	hint TEXT COLLATE "C" NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ,
	revoked_at TIMESTAMPTZ
);

CREATE TABLE leases (
	name TEXT COLLATE "C" PRIMARY KEY,
	holder TEXT COLLATE "C" NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
