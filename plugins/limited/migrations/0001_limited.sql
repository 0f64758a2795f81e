-- 限时折扣: a product at a percent of its price, or so much off each unit,
-- in a time window, with a per-customer limit of discounted pieces.
CREATE TABLE limited_discounts (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	product_id INTEGER NOT NULL REFERENCES products (id),
	mode       TEXT    NOT NULL CHECK (mode IN ('percent', 'off')),
	value      INTEGER NOT NULL CHECK (value > 0), -- percent paid (1–99), or fen off each unit
	per_user   INTEGER NOT NULL DEFAULT 0 CHECK (per_user >= 0), -- discounted pieces per customer, 0 = no limit
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL,
	status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE INDEX limited_discounts_product ON limited_discounts (product_id, status, ends_at);
