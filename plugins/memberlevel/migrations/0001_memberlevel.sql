-- 会员等级: levels by growth threshold, each customer's growth and level,
-- the growth ledger, what each order credited, and the log of levels set by hand.
CREATE TABLE memberlevel_levels (
	id           INTEGER PRIMARY KEY,
	name         TEXT    NOT NULL,
	threshold    INTEGER NOT NULL UNIQUE CHECK (threshold >= 0), -- growth needed
	discount_pct INTEGER NOT NULL DEFAULT 100 CHECK (discount_pct BETWEEN 1 AND 100), -- percent paid of goods, 100 = none
	perks        TEXT    NOT NULL DEFAULT '', -- one perk per line, shown
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);

CREATE TABLE memberlevel_members (
	customer_id INTEGER PRIMARY KEY REFERENCES customers (id),
	growth      INTEGER NOT NULL DEFAULT 0, -- = Σ memberlevel_ledger.delta
	level_id    INTEGER REFERENCES memberlevel_levels (id), -- NULL = the lowest level
	updated_at  INTEGER NOT NULL
);
CREATE INDEX memberlevel_members_level ON memberlevel_members (level_id);

CREATE TABLE memberlevel_ledger (
	id            INTEGER PRIMARY KEY,
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	delta         INTEGER NOT NULL,
	balance_after INTEGER NOT NULL,
	kind          TEXT    NOT NULL, -- order, refund, manual
	ref           TEXT    NOT NULL DEFAULT '', -- the order id for order and refund
	note          TEXT    NOT NULL DEFAULT '',
	actor         TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL
);
CREATE INDEX memberlevel_ledger_customer ON memberlevel_ledger (customer_id, id);

-- One row per order that earned growth: the base it was computed on, what
-- it credited and what refunds have withdrawn since.
CREATE TABLE memberlevel_orders (
	order_id     INTEGER PRIMARY KEY REFERENCES orders (id),
	customer_id  INTEGER NOT NULL REFERENCES customers (id),
	base_fen     INTEGER NOT NULL,
	growth       INTEGER NOT NULL,
	refunded_fen INTEGER NOT NULL DEFAULT 0,
	withdrawn    INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn <= growth),
	created_at   INTEGER NOT NULL
);

-- Every change of a customer's level: automatic upgrades and by hand.
CREATE TABLE memberlevel_level_log (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	from_level  TEXT    NOT NULL DEFAULT '',
	to_level    TEXT    NOT NULL DEFAULT '',
	reason      TEXT    NOT NULL,
	actor       TEXT    NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX memberlevel_level_log_customer ON memberlevel_level_log (customer_id, id);
