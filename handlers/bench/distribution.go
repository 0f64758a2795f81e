package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/xiaodian/xiaodian/store"
)

// The distribution scenarios: signed-in distributors of the bench tree
// loading their centre and their team, and referred buyers placing orders
// that snapshot their referrer chain.

// distBuyerPhone is referred bench buyer i's phone number (19910xxxxxx:
// apart from the plain buyers' 19900xxxxxx).
func distBuyerPhone(i int) string { return fmt.Sprintf("1991000%04d", i) }

// distCentrePath is 分销中心.
const distCentrePath = "/distributor"

// teamPaths are what the team scenario's distributors open: the three
// levels of 我的团队 and their next pages.
var teamPaths = []string{
	"/distributor/team", "/distributor/team?level=2", "/distributor/team?level=3",
	"/distributor/team?level=1&page=2", "/distributor/team?level=2&page=2", "/distributor/team?level=3&page=3",
}

// pickDistributors chooses n bench distributors to sign in as and gives
// them the bench password: a quarter with the largest teams (the star
// promoters and the roots above them), a quarter along the deepest chain
// from its root down to the bottom, the rest spread over the mid and deep
// levels among those with a team. The choice depends only on the tree, so
// a reused folder signs the same ones in.
func pickDistributors(ctx context.Context, db *store.DB, n int) ([]buyer, error) {
	var ids []int64
	seen := map[int64]bool{}
	add := func(id int64) {
		if len(ids) < n && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	hash, err := store.HashPassword(buyerPassword)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var out []buyer
	err = db.Write(ctx, func(tx *sql.Tx) error {
		collect := func(limit int, query string, args ...any) error {
			rows, err := tx.QueryContext(ctx, query, append(args, limit)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			var got []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				got = append(got, id)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for _, id := range got {
				add(id)
			}
			return nil
		}
		if err := collect(max(1, n/4), `SELECT d.customer_id FROM distributors d JOIN customers c ON c.id = d.customer_id
			WHERE c.phone >= ? AND c.phone < ? ORDER BY d.team_count DESC, d.customer_id LIMIT ?`, distPhoneFrom, distPhoneTo); err != nil {
			return err
		}
		var deepest int64
		var path string
		if err := tx.QueryRowContext(ctx, `SELECT id, ref_path FROM customers WHERE phone >= ? AND phone < ?
			ORDER BY ref_depth DESC, id LIMIT 1`, distPhoneFrom, distPhoneTo).Scan(&deepest, &path); err != nil {
			return err
		}
		chain := append(pathIDs(path), deepest) // root first
		quarter := max(1, n/4)
		for i := range quarter {
			add(chain[i*(len(chain)-1)/max(1, quarter-1)])
		}
		// A fixed scramble of the ids spreads the rest over the tree.
		if err := collect(n, `SELECT c.id FROM customers c JOIN distributors d ON d.customer_id = c.id
			WHERE c.phone >= ? AND c.phone < ? AND c.ref_depth >= 4 AND d.team_count > 0
			ORDER BY (c.id * 40503) % 65537, c.id LIMIT ?`, distPhoneFrom, distPhoneTo); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET password_hash = ? WHERE id IN (`+inList(len(ids))+`)`,
			append([]any{hash}, int64Args(ids)...)...); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, phone FROM customers WHERE id IN (`+inList(len(ids))+`)`, int64Args(ids)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		phones := map[int64]string{}
		for rows.Next() {
			var id int64
			var phone string
			if err := rows.Scan(&id, &phone); err != nil {
				return err
			}
			phones[id] = phone
		}
		for _, id := range ids {
			out = append(out, buyer{id: id, phone: phones[id]})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("bench: pick distributors: %w", err)
	}
	if len(out) < n {
		return nil, fmt.Errorf("bench: only %d distributors to sign in as, for %d connections: raise --distributors", len(out), n)
	}
	return out, nil
}

// pathIDs are the ids of a ref_path, root first.
func pathIDs(path string) []int64 {
	var out []int64
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// referBuyers binds each referred buyer (already prepared, with an
// address) two levels under bench distributors, through the store's own
// binding so the team counters follow: under a signed-in distributor that
// has a referrer, or under a direct referral of one that has none (a
// root). Buyers bound by an earlier run stay where they are.
func referBuyers(ctx context.Context, db *store.DB, buyers, dists []buyer) error {
	var parents []int64
	for _, d := range dists {
		ds, err := db.DistributorOf(ctx, d.id)
		if err != nil {
			return fmt.Errorf("bench: refer buyers: %w", err)
		}
		if ds.ReferrerID != 0 {
			parents = append(parents, d.id)
			continue
		}
		team, err := db.Team(ctx, d.id, 1, 0, 1)
		if err != nil {
			return fmt.Errorf("bench: refer buyers: %w", err)
		}
		if len(team) == 1 {
			parents = append(parents, team[0].ID)
		}
	}
	if len(parents) == 0 {
		return errors.New("bench: refer buyers: no distributor two levels deep")
	}
	for i, b := range buyers {
		ds, err := db.DistributorOf(ctx, b.id)
		if err != nil {
			return fmt.Errorf("bench: refer buyers: %w", err)
		}
		if ds.ReferrerID != 0 {
			continue
		}
		if err := db.Rebind(ctx, b.id, parents[i%len(parents)], "xiaodian bench", store.StaffActor("bench")); err != nil {
			return fmt.Errorf("bench: refer buyer %s: %w", b.phone, err)
		}
	}
	return nil
}

// earnCommissions has every referred buyer without a paid order buy once
// and pay from a wallet topped up for it, through the store and the order
// hook like a real order: their referrers' centres then show commissions
// to settle.
func earnCommissions(ctx context.Context, db *store.DB, buyers []buyer, skus []int64) (int, error) {
	placed := 0
	for i, b := range buyers {
		var paid int
		if err := db.Write(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE customer_id = ? AND checkout_token LIKE 'bench-earn-%'`, b.id).Scan(&paid)
		}); err != nil {
			return placed, fmt.Errorf("bench: commissions: %w", err)
		}
		if paid > 0 {
			continue
		}
		o, err := db.PlaceOrder(ctx, store.CheckoutInput{CustomerID: b.id, Items: checkoutItems(skus, i, 0),
			Delivery: store.DeliveryExpress, AddressID: b.address, Token: fmt.Sprintf("bench-earn-%d", b.id)})
		if err != nil {
			return placed, fmt.Errorf("bench: commissions: order of %s: %w", b.phone, err)
		}
		if _, err := db.AdjustWallet(ctx, b.id, o.Payable, "bench", "xiaodian bench: pays its own order"); err != nil {
			return placed, fmt.Errorf("bench: commissions: wallet of %s: %w", b.phone, err)
		}
		if err := db.PayWithBalance(ctx, b.id, o.ID); err != nil {
			return placed, fmt.Errorf("bench: commissions: pay order of %s: %w", b.phone, err)
		}
		placed++
	}
	return placed, nil
}

// distLoad is a GET load of paths by the signed-in distributors.
func distLoad(l load, jars []http.CookieJar, paths []string) load {
	l.jars, l.paths = jars, paths
	return l
}
