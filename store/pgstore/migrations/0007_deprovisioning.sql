-- Deprovisioning: what a directory does with a user its identity provider
-- deactivates (store.DeprovisionAction), and the records directories leave
-- of the users they deleted (store.Deprovisioned), one per address key,
-- kept until a directory of the organization provisions the address again
-- or the organization is deleted.
ALTER TABLE provisioning_policies ADD COLUMN deprovision TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE TABLE deprovisioned_users (
	org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	address_key TEXT COLLATE "C" NOT NULL,
	directory_id TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL,
	deprovisioned_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (org_id, address_key)
);
