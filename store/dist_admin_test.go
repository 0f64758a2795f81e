package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDownlineOnALargeTree: 100,000 customers in a tree of fan-out 10; the
// browser's reads use the ref_path index ranges and stay fast.
func TestDownlineOnALargeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("a 100,000-customer tree")
	}
	db := openTest(t)
	ctx := t.Context()
	const n = 100_000
	paths := make([]string, n+1)
	depths := make([]int, n+1)
	paths[1] = "/"
	err := db.Write(ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`INSERT INTO customers (id, phone, password_hash, created_at, referrer_id, ref_path, ref_depth, bound_at)
			VALUES (?, ?, 'x', 1, ?, ?, ?, 1)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for id := 1; id <= n; id++ {
			var ref any
			if id > 1 {
				p := (id-2)/10 + 1
				ref = p
				paths[id] = paths[p] + strconv.Itoa(p) + "/"
				depths[id] = depths[p] + 1
			}
			if _, err := st.Exec(id, fmt.Sprintf("1%010d", id), ref, paths[id], depths[id]); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`INSERT INTO distributors (customer_id, status, created_at, updated_at) VALUES (1, 'active', 1, 1)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	levels, err := db.DownlineLevels(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range levels {
		total += c
	}
	if total != n-1 || levels[0] != 10 || levels[1] != 100 {
		t.Fatalf("levels %v (total %d)", levels, total)
	}
	members, count, err := db.Downline(ctx, 1, 4, 20, 20)
	if err != nil || count != 10_000 || len(members) != 20 || members[0].Depth != 4 {
		t.Fatalf("level 4: %d of %d, %v", len(members), count, err)
	}
	members, count, err = db.Downline(ctx, 12, 1, 0, 20)
	if err != nil || count != 10 || !members[0].HasChildren {
		t.Fatalf("direct referrals of 12: %d, %v", count, err)
	}
	t.Logf("tree reads: %v", time.Since(start))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the tree reads took %v", d)
	}
	// The level query is an index range, not a scan.
	var plan []string
	rows, err := db.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT COUNT(*) FROM customers WHERE ref_depth = ? AND ref_path >= ? AND ref_path < ?`,
		3, "/1/", "/10")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		rows.Scan(&id, &parent, &unused, &detail)
		plan = append(plan, detail)
	}
	rows.Close()
	if p := strings.Join(plan, "; "); !strings.Contains(p, "USING COVERING INDEX customers_ref_level") {
		t.Errorf("plan: %s", p)
	}
}

// TestApplicationReview: approve and reject only pending applications.
func TestApplicationReview(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	a := mustRegister(t, db, "13700137000").ID
	b := mustRegister(t, db, "13600136000").ID
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO distributors (customer_id, status, created_at, updated_at) VALUES (?, 'pending', 1, 1), (?, 'pending', 1, 1)`, a, b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.ApproveApplication(ctx, a, StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	if err := db.ApproveApplication(ctx, a, StaffActor("boss")); err != ErrDistributorState {
		t.Fatalf("approve twice: %v", err)
	}
	if err := db.RejectApplication(ctx, b, "", StaffActor("boss")); err == nil {
		t.Fatal("a reject without a reason")
	}
	if err := db.RejectApplication(ctx, b, "资料不全", StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	if err := db.RejectApplication(ctx, a, "晚了", StaffActor("boss")); err != ErrDistributorState {
		t.Fatalf("reject an active distributor: %v", err)
	}
	da, _ := db.DistributorByID(ctx, a)
	dbb, _ := db.DistributorByID(ctx, b)
	if da.Status != DistributorActive || da.ApprovedAt.IsZero() || dbb.Status != DistributorRejected || dbb.ReviewNote != "资料不全" {
		t.Fatalf("a %+v b %+v", da, dbb)
	}
}
