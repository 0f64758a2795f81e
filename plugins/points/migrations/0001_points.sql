-- 积分: one account per customer and the ledger every movement goes
-- through; an account's balance is the sum of its ledger rows.
CREATE TABLE points_accounts (
	customer_id INTEGER PRIMARY KEY REFERENCES customers (id),
	balance     INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
	updated_at  INTEGER NOT NULL
);

-- kind: earn (paid order), spend (checkout), return (spent points given
-- back: order cancelled before payment, or refunded), withdraw (earned
-- points taken back by a refund), signin, invite, adjust (staff), expire.
-- ref is what the row is about ("order:12", "signin:2026-12-03",
-- "customer:40", "year:2025"); note is shown to people.
CREATE TABLE points_ledger (
	id            INTEGER PRIMARY KEY,
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	delta         INTEGER NOT NULL CHECK (delta != 0),
	balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
	kind          TEXT    NOT NULL CHECK (kind IN ('earn', 'spend', 'return', 'withdraw', 'signin', 'invite', 'adjust', 'expire')),
	ref           TEXT    NOT NULL DEFAULT '',
	note          TEXT    NOT NULL DEFAULT '',
	at            INTEGER NOT NULL
);
CREATE INDEX points_ledger_customer ON points_ledger (customer_id, id DESC);
CREATE INDEX points_ledger_kind ON points_ledger (kind, at);
-- Once-only movements: an order earns once, spends once, a new customer
-- rewards their inviter once, a year expires once, a day's sign-in once.
CREATE UNIQUE INDEX points_ledger_once ON points_ledger (customer_id, kind, ref)
	WHERE kind IN ('earn', 'spend', 'invite', 'expire', 'signin');

-- What an order did with points, for its later changes: the points spent
-- at checkout, those earned on payment over the goods paid (base_fen,
-- shipping excluded), and how much of both refunds have taken back or
-- given back so far (refunded_fen of base_fen).
CREATE TABLE points_orders (
	order_id      INTEGER PRIMARY KEY REFERENCES orders (id),
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	spent         INTEGER NOT NULL DEFAULT 0,
	spent_back    INTEGER NOT NULL DEFAULT 0, -- spent points given back
	earned        INTEGER NOT NULL DEFAULT 0,
	withdrawn     INTEGER NOT NULL DEFAULT 0, -- earned points due back (taken or short)
	short         INTEGER NOT NULL DEFAULT 0, -- of withdrawn, what the balance could not cover
	base_fen      INTEGER NOT NULL DEFAULT 0,
	refunded_fen  INTEGER NOT NULL DEFAULT 0
);
