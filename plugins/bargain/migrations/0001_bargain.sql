-- 砍价: an activity on one SKU (start price, floor price, helpers needed,
-- hours a customer's bargain stays open, stock, per-customer limit), the
-- customers' bargains and the helpers' cuts.
CREATE TABLE bargain_activities (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	product_id INTEGER NOT NULL REFERENCES products (id),
	sku_id     INTEGER NOT NULL REFERENCES skus (id),
	start_fen  INTEGER NOT NULL DEFAULT 0 CHECK (start_fen >= 0), -- 0 = the SKU's price when a bargain starts
	floor_fen  INTEGER NOT NULL CHECK (floor_fen >= 1),
	hours      INTEGER NOT NULL CHECK (hours >= 1),
	helpers    INTEGER NOT NULL CHECK (helpers >= 1),  -- cuts to reach the floor
	per_user   INTEGER NOT NULL CHECK (per_user >= 1), -- bargains a customer may start
	stock      INTEGER NOT NULL CHECK (stock >= 0),    -- pieces sold at a bargained price
	sold       INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= stock),
	commission INTEGER NOT NULL DEFAULT 0,             -- distribution commission paid on it
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL,
	status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE INDEX bargain_activities_product ON bargain_activities (product_id, status, ends_at);

-- A customer's bargain: its prices are snapshotted when it starts; price_fen
-- is the current price, lowered by each help with a guarded UPDATE.
CREATE TABLE bargains (
	id          INTEGER PRIMARY KEY,
	activity_id INTEGER NOT NULL REFERENCES bargain_activities (id),
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	sku_id      INTEGER NOT NULL REFERENCES skus (id),
	start_fen   INTEGER NOT NULL,
	floor_fen   INTEGER NOT NULL,
	price_fen   INTEGER NOT NULL,
	helpers     INTEGER NOT NULL,
	helped      INTEGER NOT NULL DEFAULT 0,
	status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'bought')),
	order_id    INTEGER REFERENCES orders (id),
	expires_at  INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	CHECK (price_fen >= floor_fen AND price_fen <= start_fen AND helped <= helpers)
);
CREATE INDEX bargains_customer ON bargains (customer_id, activity_id);
CREATE INDEX bargains_order ON bargains (order_id);

-- One cut per helper per bargain: the unique index decides a double help.
CREATE TABLE bargain_helps (
	id         INTEGER PRIMARY KEY,
	bargain_id INTEGER NOT NULL REFERENCES bargains (id),
	helper_id  INTEGER NOT NULL REFERENCES customers (id),
	cut_fen    INTEGER NOT NULL CHECK (cut_fen >= 1),
	created_at INTEGER NOT NULL,
	UNIQUE (bargain_id, helper_id)
);
