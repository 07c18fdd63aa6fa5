-- Custom attributes: the values a directory sent for the host's custom
-- attributes (a JSON object, '' for none) and the organizations' mappings
-- of each attribute to a SAML attribute, an OIDC claim and a SCIM path
-- (see store.AttributeStore). Mappings go with their organization.
ALTER TABLE directory_users ADD COLUMN custom TEXT NOT NULL DEFAULT '';

CREATE TABLE attribute_mappings (
	org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	field TEXT NOT NULL,
	saml_attribute TEXT NOT NULL DEFAULT '',
	oidc_claim TEXT NOT NULL DEFAULT '',
	scim_path TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (org_id, field)
) WITHOUT ROWID;
