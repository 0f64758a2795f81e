package groupbuy

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The 拼团专区 (/groups): every live activity on a product on the shelf,
// and the home page's entry to it while there is one.

const zonePath = "/groups"

// zoneSize is how many activities a page of the 拼团专区 lists.
const zoneSize = 20

// entryPriority places the 拼团 entry first in the home page's row.
const entryPriority = -50

// ZoneItem is one live activity of the 拼团专区.
type ZoneItem struct {
	Activity *Activity
	Image    string    // the product's cover
	SKU      int64     // the cheapest SKU
	SKUs     int       // how many SKUs the product has
	Full     store.Fen // the cheapest SKU's price
	Price    store.Fen // its group price
	Joined   int       // seats taken in the activity's groups
	Done     int       // groups that succeeded
}

// liveWhere selects the live activities on products on the shelf; its
// arguments are now twice.
const liveWhere = `a.status = 'active' AND a.starts_at <= ? AND a.ends_at > ? AND p.on_shelf = 1 AND p.deleted_at IS NULL`

// Zone is one page (from 1) of the live activities at now, the soonest
// ending first, and whether there is a next page.
func Zone(ctx context.Context, db *store.DB, now time.Time, page int) ([]ZoneItem, bool, error) {
	page = max(page, 1)
	var out []ZoneItem
	more := false
	err := db.Read(ctx, func(tx *sql.Tx) error {
		as, err := activitiesTx(ctx, tx, liveWhere+` ORDER BY a.ends_at, a.id LIMIT ? OFFSET ?`,
			now.Unix(), now.Unix(), zoneSize+1, (page-1)*zoneSize)
		if err != nil {
			return err
		}
		if len(as) > zoneSize {
			as, more = as[:zoneSize], true
		}
		for _, a := range as {
			it := ZoneItem{Activity: a}
			if err := tx.QueryRowContext(ctx, `SELECT p.cover, COALESCE((SELECT id FROM skus WHERE product_id = p.id AND deleted_at IS NULL
				ORDER BY price_fen, id LIMIT 1), 0), (SELECT COUNT(*) FROM skus WHERE product_id = p.id AND deleted_at IS NULL),
				COALESCE((SELECT MIN(price_fen) FROM skus WHERE product_id = p.id AND deleted_at IS NULL), 0)
				FROM products p WHERE p.id = ?`, a.ProductID).Scan(&it.Image, &it.SKU, &it.SKUs, &it.Full); err != nil {
				return err
			}
			if it.SKU == 0 {
				continue // nothing to buy
			}
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(members) FILTER (WHERE status != 'failed'), 0),
				COUNT(*) FILTER (WHERE status = 'succeeded') FROM groupbuy_groups WHERE activity_id = ?`, a.ID).Scan(&it.Joined, &it.Done); err != nil {
				return err
			}
			it.Price = a.Price(it.Full)
			out = append(out, it)
		}
		return nil
	})
	return out, more, err
}

// AnyLive reports whether an activity is live at now.
func AnyLive(ctx context.Context, db *store.DB, now time.Time) (bool, error) {
	var n int
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM groupbuy_activities a JOIN products p ON p.id = a.product_id
			WHERE `+liveWhere+` LIMIT 1)`, now.Unix(), now.Unix()).Scan(&n)
	})
	return n > 0, err
}

// entry is the home page's 拼团 tile, while an activity is live.
func (p *Plugin) entry(e *plugins.HomeViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	live, err := AnyLive(e.Ctx, e.Store, e.Store.Now())
	if err != nil {
		return err
	}
	if live {
		e.Entries = append(e.Entries, plugins.HomeEntry{ID: "groups", Title: i18n.Tc(e.Ctx, "groupbuy.entry.title"),
			Hint: i18n.Tc(e.Ctx, "groupbuy.entry.hint"), URL: zonePath})
	}
	return e.Next()
}

// zoneView is the 拼团专区 page.
type zoneView struct {
	Items []ZoneItem
	Next  string // the next page, "" = none
}

func (p *Plugin) zone(r plugins.Request) error {
	page := 1
	if s := r.Query().Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return plugins.ErrNotFound
		}
		page = n
	}
	items, more, err := Zone(r.Context(), r.Store(), r.Store().Now(), page)
	if err != nil {
		return err
	}
	vm := zoneView{Items: items}
	if more {
		vm.Next = zonePath + "?page=" + strconv.Itoa(page+1)
	}
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("groupbuy.zone.title"), BackURL: "/", Class: "page-gbzone", Body: zonePage(vm)})
}

// lastEdge is the last time the boundary job looked.
var lastEdge atomic.Int64

// boundaries refreshes cached pages (the home page's entry, the product
// pages' 拼团 card) when an activity starts or ends.
func boundaries(ctx context.Context, db *store.DB) error {
	now := db.Now().Unix()
	from := lastEdge.Swap(now)
	if from == 0 {
		return nil
	}
	var n int
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM groupbuy_activities WHERE status = 'active'
			AND ((starts_at > ? AND starts_at <= ?) OR (ends_at > ? AND ends_at <= ?))`, from, now, from, now).Scan(&n)
	})
	if err == nil && n > 0 {
		db.BumpCatalogue()
	}
	return err
}
