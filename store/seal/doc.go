// Package seal keeps the secrets onboardkit must read back (the SP private
// key and OIDC client secret of every connection, the OIDC ID token of an
// end-user session, the Google service-account key of a directory) sealed
// at rest under a key the host provides.
//
// Sealing lives in the Store: every backend (memstore, sqlitestore,
// pgstore) seals a record's secrets as it writes the record and opens them
// as it reads it, with one Sealer. So every writer (the kits, the admin
// service, a host calling the Store directly) gets it without knowing, a
// new backend gets it by calling the same Sealer methods, the re-seal after
// a key rotation is one Store method (Store.ResealSecrets) that knows every
// sealed field, and no kit keeps a key of its own. The kits and surfaces
// see plaintext; they never log, emit or render it (their tests check).
//
// # Envelope
//
// Each value has its own random 256-bit data key. The value is encrypted
// with AES-256-GCM under the data key with a random nonce and, as
// associated data, "<kind>/<record id>/<field>" (see AD): a sealed value
// moved to another record or field does not open. The data key is wrapped
// by the host's Keyring under its primary key, with the same associated
// data. The stored form is text:
//
//	sealed:v1:<host key id>:<wrapped data key>:<nonce and ciphertext>
//
// Opened values are cached by their sealed form, so a warm read (a
// connection read at every login) costs a map lookup and no unwrap.
//
// # Keys and rotation
//
// NewAESKeyring holds host keys in memory (ParseKeys reads them from an
// environment variable); a host with a KMS implements Keyring over it. To
// rotate: generate a new key and configure it first, the old one after it
// (every instance); new values are sealed under the new key and old ones
// still open. Store.ResealSecrets (run in the background by the Resealer)
// moves every stored value to the new key; when it reports none left, drop
// the old key from the configuration.
//
// A store opened without a keyring refuses to start, unless the host sets
// its InsecureUnsealed option (values are then kept as they are, and
// values sealed before do not open).
package seal
