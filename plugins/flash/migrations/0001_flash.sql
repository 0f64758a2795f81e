-- 秒杀: time slots (场次) with SKUs at a flash price, their own flash stock
-- and a per-customer limit. sold counts the units of orders not cancelled;
-- the CHECK is the last guard against overselling.
CREATE TABLE flash_sales (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL,
	status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE INDEX flash_sales_window ON flash_sales (status, ends_at);

CREATE TABLE flash_items (
	id         INTEGER PRIMARY KEY,
	sale_id    INTEGER NOT NULL REFERENCES flash_sales (id),
	product_id INTEGER NOT NULL REFERENCES products (id),
	sku_id     INTEGER NOT NULL REFERENCES skus (id),
	price_fen  INTEGER NOT NULL CHECK (price_fen > 0),
	stock      INTEGER NOT NULL CHECK (stock > 0),
	sold       INTEGER NOT NULL DEFAULT 0,
	per_user   INTEGER NOT NULL DEFAULT 1 CHECK (per_user >= 0), -- 0 = no limit
	commission INTEGER NOT NULL DEFAULT 0 CHECK (commission IN (0, 1)), -- pays distribution commission
	created_at INTEGER NOT NULL,
	CHECK (sold >= 0 AND sold <= stock),
	UNIQUE (sale_id, sku_id)
);
CREATE INDEX flash_items_product ON flash_items (product_id);
CREATE INDEX flash_items_sku ON flash_items (sku_id);

-- What each order holds of each item: held until the unpaid order is
-- cancelled (released), counted against the per-customer limit.
CREATE TABLE flash_buys (
	order_id    INTEGER NOT NULL REFERENCES orders (id),
	item_id     INTEGER NOT NULL REFERENCES flash_items (id),
	customer_id INTEGER NOT NULL,
	qty         INTEGER NOT NULL CHECK (qty > 0),
	status      TEXT    NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released')),
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (order_id, item_id)
);
CREATE INDEX flash_buys_customer ON flash_buys (item_id, customer_id, status);
