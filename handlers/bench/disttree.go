package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/xiaodian/xiaodian/store"
)

// The distribution scenarios' referral tree: distributors customers,
// every one an active distributor, written straight in SQL in one
// transaction (registering them one by one through the store would hash
// 100,000 passwords and take an hour).

// treeDepth is how deep the bench tree goes: its deepest customer has
// treeDepth ancestors (a root distributor's downline is treeDepth levels
// deep).
const treeDepth = 30

// tree is a generated referral forest of n nodes: node i's referrer is
// parent[i] (-1 for a root), and every parent comes before its children.
type tree struct {
	parent []int32
	depth  []int8
	direct []int32 // direct referrals
	team   []int32 // the whole downline
}

// genTree grows a forest of n nodes the way referral trees grow: a few
// roots and a few star promoters (网红, each with thousands of direct
// referrals: the big branches), then every new customer is referred by a
// star one time in ten, else either by someone picked in proportion to the
// referrals they already made or by anyone at all (the long tail); halfway
// through, one long chain of customers each referred by the one before
// reaches treeDepth below a root, and keeps growing side branches. Depth
// is capped at treeDepth. The same n and seed give the same tree.
func genTree(n int, seed uint64) tree {
	t := tree{parent: make([]int32, n), depth: make([]int8, n), direct: make([]int32, n), team: make([]int32, n)}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	roots := min(max(1, n/5000), n)
	const stars = 5
	chain := max(roots+stars, n/2-treeDepth) // the chain's first node
	// urn holds every node once, plus once more per referral it made.
	urn := make([]int32, 0, 2*n)
	for i := range n {
		var p int32 = -1
		switch {
		case i < roots:
		case i < roots+stars:
			p = int32(i % roots)
		case i >= chain && i < chain+treeDepth:
			// The chain: under root 0, then each under the previous one.
			p = int32(i - 1)
			if i == chain {
				p = 0
			}
		case rng.IntN(10) == 0:
			p = int32(roots + rng.IntN(stars))
		case rng.IntN(2) == 0:
			p = urn[rng.IntN(len(urn))]
		default:
			p = int32(rng.IntN(i))
		}
		if p >= 0 && t.depth[p] >= treeDepth {
			p = t.parent[p]
		}
		t.parent[i] = p
		if p >= 0 {
			t.depth[i] = t.depth[p] + 1
			urn = append(urn, p)
		}
		urn = append(urn, int32(i))
	}
	for i := n - 1; i >= 0; i-- {
		if p := t.parent[i]; p >= 0 {
			t.direct[p]++
			t.team[p] += t.team[i] + 1
		}
	}
	return t
}

// distPhone is bench distributor i's phone number: 198 is a real mobile
// prefix, the bench's distributors are 198xxxxxxxx.
func distPhone(i int) string { return fmt.Sprintf("198%08d", i) }

// The bench distributors' phone range, for queries.
const distPhoneFrom, distPhoneTo = "19800000000", "19900000000"

// refAlphabet is store's referral code alphabet (store.ValidRefCode).
const refAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// benchRefCode is bench distributor i's referral code: i scrambled by a
// multiplication modulo 31⁸ (a bijection, so no two are alike), spelt in
// refAlphabet.
func benchRefCode(i int) string {
	const space = 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31
	v := (uint64(i) + 1) * 1_000_003 % space
	b := make([]byte, store.RefCodeLen)
	for j := range b {
		b[j] = refAlphabet[v%31]
		v /= 31
	}
	return string(b)
}

// noPassword is the password hash of the bench distributors nobody signs
// in as: no argon2id hash, so store.CheckPassword refuses every password.
const noPassword = "!"

// prepareTree makes sure the folder holds the bench's n distributors (once:
// a folder that already holds them is reused as it is) and returns the
// tree's depth: the most ancestors any of them has.
func prepareTree(ctx context.Context, db *store.DB, n int, stderr io.Writer) (int, error) {
	count := func() (have, depth int, err error) {
		err = db.Write(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(ref_depth), 0) FROM customers WHERE phone >= ? AND phone < ?`,
				distPhoneFrom, distPhoneTo).Scan(&have, &depth)
		})
		return have, depth, err
	}
	have, depth, err := count()
	switch {
	case err != nil:
		return 0, fmt.Errorf("bench: distributors: %w", err)
	case have == n:
		fmt.Fprintf(stderr, "bench: the folder already holds %d distributors; reusing them\n", n)
		return depth, nil
	case have != 0:
		return 0, fmt.Errorf("bench: the folder holds %d bench distributors, not %d: use another --data folder or --distributors %d", have, n, have)
	}
	start := time.Now()
	if err := writeTree(ctx, db, genTree(n, 1)); err != nil {
		return 0, err
	}
	if _, depth, err = count(); err != nil {
		return 0, fmt.Errorf("bench: distributors: %w", err)
	}
	fmt.Fprintf(stderr, "bench: %d distributors in a tree %d levels deep written in %s\n", n, depth, time.Since(start).Round(time.Millisecond))
	return depth, nil
}

// writeTree inserts the tree's customers and their distributor rows in one
// transaction with prepared statements. Node i is customer base+i, where
// base follows the largest id in use, so paths are known before the rows.
func writeTree(ctx context.Context, db *store.DB, t tree) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var base int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM customers`).Scan(&base); err != nil {
			return err
		}
		cust, err := tx.PrepareContext(ctx, `INSERT INTO customers (id, phone, password_hash, created_at, ref_code,
			referrer_id, ref_path, ref_depth, bound_at, bound_via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer cust.Close()
		dist, err := tx.PrepareContext(ctx, `INSERT INTO distributors (customer_id, status, source, direct_count, team_count,
			created_at, approved_at, updated_at) VALUES (?, 'active', ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer dist.Close()
		n := len(t.parent)
		now := time.Now().Unix()
		paths := make([]string, n)
		for i := range n {
			id := base + int64(i)
			// One customer a minute, the oldest first.
			at := now - int64(n-i)*60
			var referrer, bound any
			via, path := "", "/"
			if p := t.parent[i]; p >= 0 {
				referrer, bound, via = base+int64(p), at, store.BindClick
				path = paths[p] + strconv.FormatInt(base+int64(p), 10) + "/"
			}
			paths[i] = path
			if _, err := cust.ExecContext(ctx, id, distPhone(i), noPassword, at, benchRefCode(i),
				referrer, path, t.depth[i], bound, via); err != nil {
				return fmt.Errorf("customer %d: %w", i, err)
			}
			if _, err := dist.ExecContext(ctx, id, store.DistEveryone, t.direct[i], t.team[i], at, at, at); err != nil {
				return fmt.Errorf("distributor %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bench: write tree: %w", err)
	}
	return nil
}
