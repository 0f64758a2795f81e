package store

import "sync"

// memo keeps what was read at one Version of the database, for the reads
// every request makes (its session, its customer): any write transaction
// gives a new version and empties it, so it never returns what a read now
// would not. A read takes the version before it queries and keeps its
// result under that version only. (A write by another process on the same
// file — a command-line tool while the shop runs — is seen at this
// process's next write, as with the page caches.)
type memo[K comparable, V any] struct {
	mu      sync.Mutex
	version uint64
	m       map[K]V
	max     int
}

func newMemo[K comparable, V any](max int) *memo[K, V] {
	return &memo[K, V]{m: map[K]V{}, max: max}
}

// get returns the value kept for k at version.
func (m *memo[K, V]) get(version uint64, k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.version != version {
		var zero V
		return zero, false
	}
	v, ok := m.m[k]
	return v, ok
}

// put keeps v for k, read at version; a newer version empties the memo
// first, an older one is dropped.
func (m *memo[K, V]) put(version uint64, k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case version < m.version:
		return
	case version > m.version || len(m.m) >= m.max:
		clear(m.m)
		m.version = version
	}
	m.m[k] = v
}
