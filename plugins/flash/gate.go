package flash

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// The admission gate counts each item's flash units in memory. A checkout
// takes its units here before it may queue for the writer; when none are
// left it is refused at once, without a database write (and without a
// read, but for a resync at most once a second per item). The order's
// guarded UPDATE stays the truth: the counts may only ever err on the side
// of admitting (which the UPDATE then refuses), never of refusing units
// that are free for longer than a resync.

// resyncEvery is how often a sold-out item re-reads what is free, so units
// given back by a cancelled order (or an edit) are offered again.
const resyncEvery = time.Second

// cacheFor is how long an item's slot and stock are trusted before they
// are read again.
const cacheFor = 30 * time.Second

// counter is one item's units in memory.
type counter struct {
	id, skuID        int64
	stock            int64
	starts, ends     int64 // the slot's window, unix seconds
	active           bool
	avail            atomic.Int64 // units free to take
	inflight         atomic.Int64 // units taken by checkouts not yet over
	loaded, resynced atomic.Int64 // unix nanoseconds
	syncing          atomic.Bool
}

// live reports whether the item's slot is on at now.
func (c *counter) live(now time.Time) bool {
	return c.active && now.Unix() >= c.starts && now.Unix() < c.ends
}

// take takes n units if that many are free.
func (c *counter) take(n int64) bool {
	for {
		a := c.avail.Load()
		if a < n {
			return false
		}
		if c.avail.CompareAndSwap(a, a-n) {
			c.inflight.Add(n)
			return true
		}
	}
}

// gate holds the counters of the items checkouts asked for.
type gate struct {
	mu    sync.Mutex
	items map[int64]*counter
}

// theGate is the plugin's gate: one shop per process.
var theGate = &gate{items: map[int64]*counter{}}

// forgetAll drops every counter (an admin edit): the next checkout reads
// the item again. Units in flight are carried over by the reload.
func forgetAll() { theGate.forget() }

func (g *gate) forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.items {
		c.loaded.Store(0)
	}
}

// counter returns the item's counter, loading it from a reader when it is
// new or stale; nil when the item does not exist.
func (g *gate) counter(ctx context.Context, db *store.DB, id int64) (*counter, error) {
	now := time.Now().UnixNano()
	g.mu.Lock()
	c := g.items[id]
	if c != nil && now-c.loaded.Load() < int64(cacheFor) {
		g.mu.Unlock()
		return c, nil
	}
	g.mu.Unlock()

	var it *Item
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		it, err = itemTx(ctx, tx, id)
		return err
	})
	if err == store.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c = g.items[id]; c == nil || c.skuID != it.SKUID || c.stock != int64(it.Stock) ||
		c.starts != it.StartsAt.Unix() || c.ends != it.EndsAt.Unix() || c.active != (it.SaleStatus == "active") {
		old := c
		c = &counter{id: id, skuID: it.SKUID, stock: int64(it.Stock), starts: it.StartsAt.Unix(), ends: it.EndsAt.Unix(),
			active: it.SaleStatus == "active"}
		if old != nil {
			c.inflight.Store(old.inflight.Load())
		}
		g.items[id] = c
	}
	c.avail.Store(max(0, int64(it.Stock-it.Sold)-c.inflight.Load()))
	c.loaded.Store(now)
	c.resynced.Store(now)
	return c, nil
}

// resync re-reads what is sold of a sold-out item, at most once per
// resyncEvery, by one caller at a time; the others go on with the count
// they have.
func (g *gate) resync(ctx context.Context, db *store.DB, c *counter) {
	now := time.Now().UnixNano()
	if now-c.resynced.Load() < int64(resyncEvery) || !c.syncing.CompareAndSwap(false, true) {
		return
	}
	defer c.syncing.Store(false)
	c.resynced.Store(now)
	var sold, stock int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT sold, stock FROM flash_items WHERE id = ?`, c.id).Scan(&sold, &stock)
	})
	if err != nil || stock != c.stock {
		c.loaded.Store(0) // gone or edited: reload on the next checkout
		return
	}
	c.avail.Store(max(0, stock-sold-c.inflight.Load()))
}

// give returns n units (an unpaid order was cancelled). It runs inside the
// cancelling transaction, before it commits: should that roll back, the
// count errs on the side of admitting, which the guarded UPDATE refuses.
func (g *gate) give(id, n int64) {
	g.mu.Lock()
	c := g.items[id]
	g.mu.Unlock()
	if c != nil {
		c.avail.Add(n)
	}
}
