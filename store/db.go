package store

import (
	"context"
	"crypto/cipher"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver, registered as "sqlite3"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// DB is the shop's database: one writer connection and a pool of readers on
// the same SQLite file.
//
// SQLite allows one writer at a time. Funnelling every write through a single
// connection whose transactions start with BEGIN IMMEDIATE means writers queue
// in Go instead of failing with SQLITE_BUSY halfway through a transaction, while
// WAL mode lets the reader pool keep serving pages during a write.
type DB struct {
	w *sql.DB // the writer: exactly one connection
	r *sql.DB // readers: query_only, sized to the cores

	// catalogueVersion increases after every committed write that may change
	// what the storefront shows; page caches key on it.
	catalogueVersion atomic.Int64

	now func() time.Time

	// gate queues writers in arrival order: database/sql hands the single
	// writer connection to a random waiter, which let unlucky requests wait
	// far longer than the rest under load.
	gate chan struct{}

	// orderHook runs inside every order-changing transaction (SetOrderHook).
	orderHook OrderHook
	// pricer runs the price pipeline at checkout (SetPricer).
	pricer Pricer
	// admitter admits a checkout to the writer (SetAdmitter); nil: all.
	admitter Admitter
	// writes counts the write transactions begun (Writes), ended those
	// over (Version).
	writes, ended atomic.Uint64
	// Every request reads its session and its customer: kept in memory
	// until the next write (memo.go).
	sessionMemo  *memo[string, sessionRow]
	customerMemo *memo[int64, Customer]
	// sealer seals secret plugin settings (SetSecretKey); nil: none.
	sealer cipher.AEAD
	// distSettings caches the distribution settings for the readers;
	// SaveDistSettings clears it.
	distSettings atomic.Pointer[DistSettings]
}

// Open opens (creating if needed) the SQLite database at path and applies the
// embedded migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	// _txlock=immediate: every transaction on the writer takes the write lock
	// at BEGIN, so two writers never deadlock upgrading read locks.
	// _busy_timeout: wait up to 5 s for a lock held by another process
	// (backup, a second xiaodian on the same file) instead of failing at once.
	// _journal_mode=WAL: readers do not block the writer, nor the writer readers.
	// _synchronous=NORMAL: safe with WAL (a power cut may lose the last commits,
	// never corrupt the file) and much faster than FULL.
	// _foreign_keys=on: SQLite leaves them off unless asked, per connection.
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_cache_size", "-16000") // 16 MB page cache per connection
	// Keep the compiled statements of each connection: compiling the SQL
	// was a third of the time of placing an order.
	q.Set("_stmt_cache_size", "128")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite3", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	rq := url.Values{}
	for k, v := range q {
		rq[k] = v
	}
	rq.Set("_query_only", "true") // a reader can never write by mistake
	r, err := sql.Open("sqlite3", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open readers: %w", err)
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	r.SetConnMaxLifetime(0)

	db := &DB{w: w, r: r, now: time.Now, gate: make(chan struct{}, 1),
		sessionMemo: newMemo[string, sessionRow](4096), customerMemo: newMemo[int64, Customer](4096)}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.catalogueVersion.Store(time.Now().UnixNano())
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// Now is the store's clock (replaceable in tests).
func (db *DB) Now() time.Time { return db.now() }

// SetClock replaces the store's clock; for tests.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// CatalogueVersion changes whenever a committed write may have changed what
// the storefront shows.
func (db *DB) CatalogueVersion() int64 { return db.catalogueVersion.Load() }

// bumpCatalogue marks storefront-visible data as changed.
func (db *DB) bumpCatalogue() { db.catalogueVersion.Add(1) }

// Write runs fn in one write transaction (BEGIN IMMEDIATE on the single writer
// connection). fn must not call back into db's public methods: helpers used
// inside take the *sql.Tx. The transaction is rolled back if fn returns an
// error or panics.
func (db *DB) Write(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	select {
	case db.gate <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("begin: %w", ctx.Err())
	}
	defer func() { <-db.gate }()
	db.writes.Add(1)
	defer db.ended.Add(1) // after the commit (or rollback), before the next writer
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Writes is how many write transactions the store has begun since it was
// opened: a test (or a benchmark) reads it before and after a load to show
// which requests touched the writer.
func (db *DB) Writes() uint64 { return db.writes.Load() }

// Version changes after every write transaction is over. What is read
// after reading Version reflects every write it counts, so a page drawn
// after reading it may be kept under it: a later write gives a new
// version, and the kept page is never served again. Private page caches
// key on it (see handlers' privateCached).
func (db *DB) Version() uint64 { return db.ended.Load() }

// WithTx is Write under the name the style guide uses.
func (db *DB) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.Write(ctx, fn)
}

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction, in file-name order.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return db.applyMigrations(ctx, "core", migrationsFS, "migrations")
}

// ApplyMigrations applies a plugin's own migrations (numbered .sql files in
// dir of fsys), recorded under "owner/file".
func (db *DB) ApplyMigrations(ctx context.Context, owner string, fsys fs.FS, dir string) error {
	return db.applyMigrations(ctx, owner, fsys, dir)
}

func (db *DB) applyMigrations(ctx context.Context, owner string, fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", owner, err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		id := owner + "/" + name
		body, err := fs.ReadFile(fsys, dir+"/"+name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", id, err)
		}
		err = db.Write(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, id, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", id, err)
		}
	}
	return nil
}

// Migrations lists the applied migrations, oldest first.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY applied_at, name`)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Ping checks that both pools answer; used by /healthz.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// boolInt converts a bool to SQLite's 0/1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// execOne runs a statement that must change exactly one row (an update or
// delete by id); no row changed is ErrNotFound.
func execOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
