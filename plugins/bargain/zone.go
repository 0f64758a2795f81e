package bargain

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The 砍价专区 (/bargains): every live activity with stock left on a
// product on the shelf, and the home page's entry to it while there is one.

const zonePath = "/bargains"

// zoneSize is how many activities a page of the 砍价专区 lists.
const zoneSize = 20

// entryPriority places the 砍价 entry after 拼团's in the home page's row.
const entryPriority = -40

// liveWhere selects the live activities with stock on products on the
// shelf; its arguments are now twice.
const liveWhere = `a.status = 'active' AND a.starts_at <= ? AND a.ends_at > ? AND a.sold < a.stock
	AND p.on_shelf = 1 AND p.deleted_at IS NULL AND s.deleted_at IS NULL`

// Zone is one page (from 1) of the live activities at now, the soonest
// ending first, and whether there is a next page.
func Zone(ctx context.Context, db *store.DB, now time.Time, page int) ([]*Activity, bool, error) {
	page = max(page, 1)
	var out []*Activity
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = activitiesTx(ctx, tx, liveWhere+` ORDER BY a.ends_at, a.id LIMIT ? OFFSET ?`,
			now.Unix(), now.Unix(), zoneSize+1, (page-1)*zoneSize)
		return err
	})
	more := len(out) > zoneSize
	if more {
		out = out[:zoneSize]
	}
	return out, more, err
}

// AnyLive reports whether an activity is live with stock at now.
func AnyLive(ctx context.Context, db *store.DB, now time.Time) (bool, error) {
	var n int
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM bargain_activities a JOIN products p ON p.id = a.product_id
			JOIN skus s ON s.id = a.sku_id WHERE `+liveWhere+` LIMIT 1)`, now.Unix(), now.Unix()).Scan(&n)
	})
	return n > 0, err
}

// entry is the home page's 砍价 tile, while an activity is live.
func (p *Plugin) entry(e *plugins.HomeViewEvent) error {
	if e.Store == nil {
		return e.Next()
	}
	live, err := AnyLive(e.Ctx, e.Store, e.Store.Now())
	if err != nil {
		return err
	}
	if live {
		e.Entries = append(e.Entries, plugins.HomeEntry{ID: "bargains", Title: i18n.Tc(e.Ctx, "bargain.entry.title"),
			Hint: i18n.Tc(e.Ctx, "bargain.entry.hint"), URL: zonePath})
	}
	return e.Next()
}

// zoneView is the 砍价专区 page.
type zoneView struct {
	Items []*Activity
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
	return r.Page(http.StatusOK, plugins.Page{Title: r.T("bargain.zone.title"), BackURL: "/", Class: "page-bgzone", Body: zonePage(vm)})
}
