package store

import (
	"fmt"
	"strconv"
	"testing"
)

// checkTree fails unless the referral tree is a forest consistent with
// itself (see treeError).
func checkTree(t testing.TB, db *DB) {
	t.Helper()
	if err := treeError(db); err != nil {
		t.Fatal(err)
	}
}

// treeError walks referrer_id from every customer to its root: no cycle,
// ref_path and ref_depth are the walk, and every distributor's direct_count
// and team_count are the real counts.
func treeError(db *DB) error {
	rows, err := db.r.Query(`SELECT id, COALESCE(referrer_id, 0), ref_path, ref_depth FROM customers`)
	if err != nil {
		return err
	}
	type node struct {
		ref   int64
		path  string
		depth int
	}
	nodes := map[int64]node{}
	for rows.Next() {
		var id int64
		var n node
		if err := rows.Scan(&id, &n.ref, &n.path, &n.depth); err != nil {
			rows.Close()
			return err
		}
		nodes[id] = n
	}
	rows.Close()
	direct, team := map[int64]int{}, map[int64]int{}
	for id, n := range nodes {
		seen := map[int64]bool{id: true}
		path := "/"
		depth := 0
		for up := n.ref; up != 0; up = nodes[up].ref {
			if seen[up] {
				return fmt.Errorf("customer %d: a cycle through %d", id, up)
			}
			if _, ok := nodes[up]; !ok {
				return fmt.Errorf("customer %d: referrer %d does not exist", id, up)
			}
			seen[up] = true
			path = "/" + strconv.FormatInt(up, 10) + path
			depth++
			team[up]++
		}
		if n.ref != 0 {
			direct[n.ref]++
		}
		if n.path != path || n.depth != depth {
			return fmt.Errorf("customer %d: ref_path %q depth %d, the walk gives %q depth %d", id, n.path, n.depth, path, depth)
		}
	}
	drows, err := db.r.Query(`SELECT customer_id, direct_count, team_count FROM distributors`)
	if err != nil {
		return err
	}
	defer drows.Close()
	for drows.Next() {
		var id int64
		var d, tm int
		if err := drows.Scan(&id, &d, &tm); err != nil {
			return err
		}
		if d != direct[id] || tm != team[id] {
			return fmt.Errorf("distributor %d: direct %d team %d, real %d and %d", id, d, tm, direct[id], team[id])
		}
	}
	return drows.Err()
}
