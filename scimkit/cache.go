package scimkit

import (
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// DefaultCacheTTL is Config.CacheTTL's default.
const DefaultCacheTTL = time.Second

// maxCached bounds each cache of a Server.
const maxCached = 4096

// ttlCache keeps values for a while: what every SCIM request would
// otherwise read again (the token and its directory, the owners of email
// domains), so that a provisioning burst reads each once per TTL.
type ttlCache[V any] struct {
	ttl time.Duration // <= 0: nothing is kept
	mu  sync.Mutex
	m   map[string]cached[V]
	// gen counts drops: a value read from the Store before a drop may be
	// older than the change that caused it, and is not kept (see put).
	gen uint64
}

type cached[V any] struct {
	v  V
	at time.Time
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, m: map[string]cached[V]{}}
}

// get returns the value of k if it was put less than ttl before now.
func (c *ttlCache[V]) get(k string, now time.Time) (V, bool) {
	var zero V
	if c.ttl <= 0 {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return zero, false
	}
	if age := now.Sub(e.at); age < 0 || age >= c.ttl {
		delete(c.m, k)
		return zero, false
	}
	return e.v, true
}

// generation returns the count of drops so far, to pass to put.
func (c *ttlCache[V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps v for k from now, unless a drop happened since gen was taken
// (before v was read). A full cache drops its expired entries, or else all
// of them.
func (c *ttlCache[V]) put(k string, v V, now time.Time, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= maxCached {
		for key, e := range c.m {
			if age := now.Sub(e.at); age < 0 || age >= c.ttl {
				delete(c.m, key)
			}
		}
		if len(c.m) >= maxCached {
			clear(c.m)
		}
	}
	c.m[k] = cached[V]{v, now}
}

// drop forgets the entries whose value matches.
func (c *ttlCache[V]) drop(match func(V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if match(e.v) {
			delete(c.m, k)
		}
	}
}

// authEntry is what a bearer token authenticated to.
type authEntry struct {
	token store.DirectoryToken
	dir   store.Directory
}

// forgetDirectory drops what the Server keeps of the directory's tokens,
// after it changed one of them or the directory itself.
func (s *Server) forgetDirectory(id string) {
	s.auth.drop(func(e authEntry) bool { return e.dir.ID == id })
}
