package scimkit

import (
	"testing"

	"github.com/onboardkit/onboardkit/internal/teststores"
)

// envMaker makes a test environment on one Store implementation.
type envMaker func(t *testing.T, mod func(*Config)) *testEnv

// testStores are the Stores the replay, security and benchmark code runs
// on (see teststores.All).
func testStores() map[string]teststores.Opener { return teststores.All(testKeyring, "scimkit") }

func forEachStore(t *testing.T, test func(t *testing.T, mk envMaker)) {
	for name, open := range testStores() {
		t.Run(name, func(t *testing.T) {
			test(t, func(t *testing.T, mod func(*Config)) *testEnv {
				return newTestEnvStore(t, open(t), mod)
			})
		})
	}
}
