-- Roles: the organizations' role mappings, the roles the Store computes
-- for each directory user (a JSON array of strings, '' for none), and the
-- users a mapping change left to recompute (see store.RoleStore).
ALTER TABLE directory_users ADD COLUMN roles TEXT NOT NULL DEFAULT '';

CREATE TABLE role_mappings (
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	source TEXT NOT NULL,
	value TEXT NOT NULL,
	role TEXT NOT NULL,
	PRIMARY KEY (org_id, source, value, role)
) WITHOUT ROWID;

CREATE TABLE stale_roles (
	org_id TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
	PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX stale_roles_user ON stale_roles (user_id);

-- Who of an organization may sign in, and which users its directories
-- may provision (store.ProvisioningPolicy).
CREATE TABLE provisioning_policies (
	org_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
	sign_in TEXT NOT NULL DEFAULT '',
	outside_domains TEXT NOT NULL DEFAULT '',
	updated_at INTEGER
) WITHOUT ROWID;
