-- onboardkit schema for PostgreSQL, migration 3: end-user sessions.
-- End-user sessions of the host application (store.Session). The cookie
-- carries a 256-bit random id; digest is its SHA-256. A session ends by
-- setting ended_at; every way of ending sessions (a user, a connection, an
-- IdP's logout naming NameID, SessionIndex or sid, a domain) selects the
-- active sessions through one of the partial indexes below.

CREATE TABLE user_sessions (
	id TEXT COLLATE "C" PRIMARY KEY,
	digest BYTEA NOT NULL UNIQUE,
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	connection_id TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	subject TEXT COLLATE "C" NOT NULL DEFAULT '',
	email_domain TEXT COLLATE "C" NOT NULL DEFAULT '',
	name_id TEXT COLLATE "C" NOT NULL DEFAULT '',
	session_index TEXT COLLATE "C" NOT NULL DEFAULT '',
	sid TEXT COLLATE "C" NOT NULL DEFAULT '',
	profile BYTEA,
	created_at TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ,
	idle_expires_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	ended_at TIMESTAMPTZ,
	end_reason TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX user_sessions_user ON user_sessions (org_id, user_id) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_domain ON user_sessions (org_id, email_domain) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_subject ON user_sessions (connection_id, subject) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_name_id ON user_sessions (connection_id, name_id) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_session_index ON user_sessions (connection_id, session_index) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_sid ON user_sessions (connection_id, sid) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);
CREATE INDEX user_sessions_idle_expires ON user_sessions (idle_expires_at);
