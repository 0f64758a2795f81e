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

// counter is one item's units in memory.
type counter struct {
	id, skuID    int64
	stock        int64
	starts, ends int64 // the slot's window, unix seconds
	active       bool
	avail        atomic.Int64 // units free to take
	inflight     atomic.Int64 // units taken by checkouts not yet over
	resynced     atomic.Int64 // unix nanoseconds
	syncing      atomic.Bool

	// perUser is the item's limit; holds are the units each customer has
	// taken through this counter (in flight or placed), so a customer's
	// second try is refused here instead of holding a unit others wait
	// for. Units held before the counter was made are the database's to
	// count (the order's transaction checks the limit too).
	perUser int64
	mu      sync.Mutex
	holds   map[int64]int64
}

// hold records n more units for the customer, or reports how many they
// hold when that would pass the limit.
func (c *counter) hold(customer, n int64) (had int64, ok bool) {
	if c.perUser <= 0 || customer <= 0 {
		return 0, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	had = c.holds[customer]
	if had+n > c.perUser {
		return had, false
	}
	c.holds[customer] = had + n
	return had, true
}

// unhold forgets n of the customer's units (not placed, or cancelled).
func (c *counter) unhold(customer, n int64) {
	if c.perUser <= 0 || customer <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.holds[customer] - n; h > 0 {
		c.holds[customer] = h
	} else {
		delete(c.holds, customer)
	}
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

// done ends a checkout that took n units: placed, they are sold (the
// database counts them now); not, they are free again.
func (c *counter) done(n int64, placed bool) {
	c.inflight.Add(-n)
	if !placed {
		c.avail.Add(n)
	}
}

// gate holds the counters of the items checkouts asked for.
type gate struct {
	mu    sync.Mutex
	items map[int64]*counter
}

// gates are the gates of the shops open in this process, by database (a
// test or an in-process benchmark opens several; item ids repeat).
var gates sync.Map // *store.DB → *gate

// gateOf is the shop's gate.
func gateOf(db *store.DB) *gate {
	if g, ok := gates.Load(db); ok {
		return g.(*gate)
	}
	g, _ := gates.LoadOrStore(db, &gate{items: map[int64]*counter{}})
	return g.(*gate)
}

// forgetAll drops every counter of the shop (an admin edit): the next
// checkout reads the item afresh. Checkouts in flight finish on the
// dropped counters; the new ones count from the database, so units those
// commit later are only ever counted as free (which the guarded UPDATE
// refuses), never lost.
func forgetAll(db *store.DB) {
	g := gateOf(db)
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.items)
}

// counter returns the item's counter, reading it from a reader the first
// time; nil when the item does not exist. Two first checkouts at once
// both read, and the second takes the first one's counter.
func (g *gate) counter(ctx context.Context, db *store.DB, id int64) (*counter, error) {
	g.mu.Lock()
	c := g.items[id]
	g.mu.Unlock()
	if c != nil {
		return c, nil
	}
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
	if c = g.items[id]; c != nil {
		return c, nil
	}
	c = &counter{id: id, skuID: it.SKUID, stock: int64(it.Stock), starts: it.StartsAt.Unix(), ends: it.EndsAt.Unix(),
		active: it.SaleStatus == "active", perUser: int64(it.PerUser), holds: map[int64]int64{}}
	c.avail.Store(int64(max(0, it.Stock-it.Sold)))
	c.resynced.Store(time.Now().UnixNano())
	g.items[id] = c
	return c, nil
}

// resync re-reads what is sold of a sold-out item, at most once per
// resyncEvery and by one caller at a time, and only while no checkout of
// it is in flight (before and after the read): a unit then is counted in
// the database's sold or taken again after, never both, so the count can
// only err on the side of admitting.
func (g *gate) resync(ctx context.Context, db *store.DB, c *counter) {
	now := time.Now().UnixNano()
	if now-c.resynced.Load() < int64(resyncEvery) || c.inflight.Load() != 0 || !c.syncing.CompareAndSwap(false, true) {
		return
	}
	defer c.syncing.Store(false)
	c.resynced.Store(now)
	var sold, stock int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT sold, stock FROM flash_items WHERE id = ?`, c.id).Scan(&sold, &stock)
	})
	if err != nil || c.inflight.Load() != 0 {
		return
	}
	c.avail.Store(max(0, stock-sold))
}

// give returns the customer's n units (an unpaid order was cancelled). It runs inside the
// cancelling transaction, before it commits: should that roll back, the
// count errs on the side of admitting, which the guarded UPDATE refuses.
func (g *gate) give(id, customer, n int64) {
	g.mu.Lock()
	c := g.items[id]
	g.mu.Unlock()
	if c != nil {
		c.avail.Add(n)
		c.unhold(customer, n)
	}
}
