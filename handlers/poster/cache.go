package poster

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/xiaodian/xiaodian/store"
)

// Key is every input of a poster; two posters with the same key are the
// same picture.
type Key struct {
	ProductID int64
	Updated   time.Time // the product's UpdatedAt: title, picture...
	Image     string    // the picture's media key
	Title     string
	Subtitle  string
	Price     store.Fen
	ListPrice store.Fen
	Code      string // the sharer's referral code
	Name      string
	Avatar    string // the avatar's media key, "" = the initial disc
	URL       string // the QR code's link
	Texts     string // the tagline and hints, joined (they follow the locale)
	Font      string // Font.ID()
}

// Hash is the key's file name in the cache.
func (k Key) Hash() string {
	b, _ := json.Marshal(struct {
		V int
		K Key
	}{Version, k})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Cache keeps drawn posters as files named by their key's hash under one
// folder (<data>/cache/posters), at most MaxBytes of them: past that the
// least recently used are removed. One poster is drawn at a time per key;
// Get is safe for concurrent use.
type Cache struct {
	dir      string
	maxBytes int64
	group    singleflight.Group
	mu       sync.Mutex // guards size and the eviction scan
	size     int64
}

// DefaultCacheBytes bounds a cache made with NewCache(dir, 0).
const DefaultCacheBytes = 256 << 20

// NewCache opens (creating) the cache folder dir holding at most maxBytes
// (0: DefaultCacheBytes).
func NewCache(dir string, maxBytes int64) (*Cache, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("poster cache: %w", err)
	}
	c := &Cache{dir: dir, maxBytes: maxBytes}
	files, err := c.files()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		c.size += f.size
	}
	return c, nil
}

// Get returns the poster of key: the cached file, or what render draws,
// which is then stored. Concurrent calls for one key wait for one render.
func (c *Cache) Get(key Key, render func() ([]byte, error)) ([]byte, error) {
	name := key.Hash() + ".png"
	path := filepath.Join(c.dir, name)
	if b, err := os.ReadFile(path); err == nil {
		now := time.Now()
		_ = os.Chtimes(path, now, now) // recently used: evicted last
		return b, nil
	}
	v, err, _ := c.group.Do(name, func() (any, error) {
		if b, err := os.ReadFile(path); err == nil {
			return b, nil // drawn by the call we waited behind
		}
		b, err := render()
		if err != nil {
			return nil, err
		}
		if err := c.store(name, b); err != nil {
			return nil, err
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// store writes b atomically (a temporary file renamed into place) and
// evicts the oldest files past the bound.
func (c *Cache) store(name string, b []byte) error {
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("poster cache: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("poster cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(c.dir, name)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("poster cache: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.size += int64(len(b))
	if c.size > c.maxBytes {
		return c.evict()
	}
	return nil
}

type cached struct {
	path string
	size int64
	used time.Time
}

func (c *Cache) files() ([]cached, error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("poster cache: %w", err)
	}
	var out []cached
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".png") {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("poster cache: %w", err)
		}
		out = append(out, cached{filepath.Join(c.dir, e.Name()), info.Size(), info.ModTime()})
	}
	return out, nil
}

// evict removes the least recently used files until the cache holds at
// most three quarters of its bound. c.mu is held.
func (c *Cache) evict() error {
	files, err := c.files()
	if err != nil {
		return err
	}
	slices.SortFunc(files, func(a, b cached) int { return a.used.Compare(b.used) })
	c.size = 0
	for _, f := range files {
		c.size += f.size
	}
	for _, f := range files {
		if c.size <= c.maxBytes*3/4 {
			break
		}
		if err := os.Remove(f.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			c.size -= f.size
		}
	}
	return nil
}
