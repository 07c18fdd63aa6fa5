package startup

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/onboardkit/onboardkit/store/seal"
)

// KeysEnv names the environment variable holding the host keys that seal
// the Store's secrets: "id:base64" keys separated by commas, the primary
// first (see seal.ParseKeys).
const KeysEnv = "ONBOARDKIT_KEYS"

// Keyring returns the keyring that seals the Store's secrets: the keys of
// KeysEnv when it is set, as a production host would pass them. Otherwise
// it is a development key kept in the file devPath (made on the first run,
// readable only by its owner) and says so in the log: a file beside the
// database protects nothing against whoever can copy both.
func Keyring(devPath string, logger *slog.Logger) (seal.Keyring, error) {
	if v := os.Getenv(KeysEnv); v != "" {
		keys, err := seal.ParseKeys(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeysEnv, err)
		}
		return seal.NewAESKeyring(keys...)
	}
	b, err := os.ReadFile(devPath)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := seal.GenerateKey("dev", nil)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(devPath, []byte(k.Encode()+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("writing the development key: %w", err)
		}
		logger.Warn("generated a development key to seal the store's secrets; a production host passes its own keys in "+KeysEnv,
			"path", devPath)
		return seal.NewAESKeyring(k)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the development key: %w", err)
	}
	keys, err := seal.ParseKeys(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", devPath, err)
	}
	logger.Warn("sealing the store's secrets with the development key; a production host passes its own keys in "+KeysEnv,
		"path", devPath)
	return seal.NewAESKeyring(keys...)
}
