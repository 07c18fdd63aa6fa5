-- onboardkit schema for SQLite, migration 3: end-user sessions. Times are Unix microseconds.
-- End-user sessions of the host application (store.Session). The cookie
-- carries a 256-bit random id; digest is its SHA-256. A session ends by
-- setting ended_at; every way of ending sessions (a user, a connection, an
-- IdP's logout naming NameID, SessionIndex or sid, a domain) selects the
-- active sessions through one of the partial indexes below.

CREATE TABLE user_sessions (
	id TEXT PRIMARY KEY,
	digest BLOB NOT NULL UNIQUE,
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	connection_id TEXT NOT NULL,
	user_id TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	email_domain TEXT NOT NULL DEFAULT '',
	name_id TEXT NOT NULL DEFAULT '',
	session_index TEXT NOT NULL DEFAULT '',
	sid TEXT NOT NULL DEFAULT '',
	profile BLOB,
	created_at INTEGER NOT NULL,
	last_seen_at INTEGER,
	idle_expires_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	ended_at INTEGER,
	end_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX user_sessions_user ON user_sessions (org_id, user_id) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_domain ON user_sessions (org_id, email_domain) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_subject ON user_sessions (connection_id, subject) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_name_id ON user_sessions (connection_id, name_id) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_session_index ON user_sessions (connection_id, session_index) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_sid ON user_sessions (connection_id, sid) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);
CREATE INDEX user_sessions_idle_expires ON user_sessions (idle_expires_at);
