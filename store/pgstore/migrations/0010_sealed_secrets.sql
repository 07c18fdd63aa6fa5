-- Sealed secrets: the OIDC ID token of an end-user session gets a column
-- of its own, sealed by the Store under the host's keyring (see
-- store/seal), instead of riding in the profile JSON. A step in Go moves
-- the tokens of existing sessions out of their profiles; they are stored
-- unsealed until Store.ResealSecrets seals them (the background resealer
-- runs it when the store opens). Connection secrets keep their place in
-- the config document, where the Store now writes them sealed; the same
-- re-seal seals those written before.
ALTER TABLE user_sessions ADD COLUMN id_token TEXT COLLATE "C" NOT NULL DEFAULT '';
