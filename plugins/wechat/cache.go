package wechat

import (
	"context"
	"sync"
	"time"
)

// refreshMargin is how long before WeChat's expiry a cached token or
// ticket is fetched again.
const refreshMargin = 5 * time.Minute

// fetchTimeout bounds one fetch, which runs on its own (see cache.get).
const fetchTimeout = 30 * time.Second

// cache holds one credential (the server access_token or the jsapi_ticket)
// until refreshMargin before it expires. Concurrent callers share one fetch.
type cache struct {
	mu     sync.Mutex
	value  string
	until  time.Time
	flight *flight // the fetch under way, nil when none
}

// flight is one fetch; done is closed when value and err are set.
type flight struct {
	done  chan struct{}
	value string
	err   error
}

// lifetime is how long a credential that WeChat gives expiresIn seconds is
// used: until refreshMargin before the end, or half its life when it is
// shorter than twice the margin.
func lifetime(expiresIn int64) time.Duration {
	d := time.Duration(expiresIn) * time.Second
	if d > 2*refreshMargin {
		return d - refreshMargin
	}
	return d / 2
}

// get returns the cached value while it is fresh; otherwise it starts a
// fetch, unless one is under way, and waits for it. The fetch runs apart
// from the caller's cancellation (so that one caller giving up does not
// fail the others) but within fetchTimeout; each caller stops waiting
// when its own ctx ends.
func (c *cache) get(ctx context.Context, now func() time.Time, fetch func(context.Context) (credential, error)) (string, error) {
	c.mu.Lock()
	if c.value != "" && now().Before(c.until) {
		v := c.value
		c.mu.Unlock()
		return v, nil
	}
	f := c.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.flight = f
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		go func() {
			defer cancel()
			cred, err := fetch(fctx)
			c.mu.Lock()
			if err == nil {
				c.value, c.until = cred.Value, now().Add(lifetime(cred.ExpiresIn))
			}
			c.flight = nil
			f.value, f.err = cred.Value, err
			c.mu.Unlock()
			close(f.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.value, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// invalidate forgets value if it is the one cached (WeChat refused it); a
// newer value fetched meanwhile is kept.
func (c *cache) invalidate(value string) {
	c.mu.Lock()
	if c.value == value {
		c.value, c.until = "", time.Time{}
	}
	c.mu.Unlock()
}

// put stores a freshly fetched credential (TestConnection's token).
func (c *cache) put(cred credential, now time.Time) {
	c.mu.Lock()
	c.value, c.until = cred.Value, now.Add(lifetime(cred.ExpiresIn))
	c.mu.Unlock()
}
