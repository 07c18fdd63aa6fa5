-- Roles: the organizations' role mappings, the roles the Store computes
-- for each directory user (a JSON array of strings, '' for none), and the
-- users a mapping change left to recompute (see store.RoleStore).
ALTER TABLE directory_users ADD COLUMN roles TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE TABLE role_mappings (
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	source TEXT COLLATE "C" NOT NULL,
	value TEXT COLLATE "C" NOT NULL,
	role TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (org_id, source, value, role)
);

CREATE TABLE stale_roles (
	org_id TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
	PRIMARY KEY (org_id, user_id)
);
CREATE INDEX stale_roles_user ON stale_roles (user_id);

-- Who of an organization may sign in, and which users its directories
-- may provision (store.ProvisioningPolicy).
CREATE TABLE provisioning_policies (
	org_id TEXT COLLATE "C" PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
	sign_in TEXT COLLATE "C" NOT NULL DEFAULT '',
	outside_domains TEXT COLLATE "C" NOT NULL DEFAULT '',
	updated_at TIMESTAMPTZ
);
