-- Coupons (优惠券): what the shop issues, and each customer's copies.
CREATE TABLE coupons (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL,
	kind          TEXT    NOT NULL CHECK (kind IN ('amount', 'percent', 'shipping')),
	threshold_fen INTEGER NOT NULL DEFAULT 0 CHECK (threshold_fen >= 0), -- 满 X (0 = 无门槛)
	amount_fen    INTEGER NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),    -- 减 Y (amount)
	percent       INTEGER NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 99), -- pays N % (percent: 85 = 8.5折)
	cap_fen       INTEGER NOT NULL DEFAULT 0 CHECK (cap_fen >= 0),       -- most a percent coupon takes off, 0 = no cap
	scope         TEXT    NOT NULL DEFAULT 'all' CHECK (scope IN ('all', 'products', 'categories')),
	scope_exclude INTEGER NOT NULL DEFAULT 0,   -- 1: every product except the listed ones
	scope_ids     TEXT    NOT NULL DEFAULT '[]', -- product or category ids (JSON)
	validity      TEXT    NOT NULL CHECK (validity IN ('fixed', 'days')),
	starts_at     INTEGER NOT NULL DEFAULT 0,   -- fixed: valid from (and claimable from)
	ends_at       INTEGER NOT NULL DEFAULT 0,   -- fixed: valid until (and claimable until)
	days          INTEGER NOT NULL DEFAULT 0,   -- days: valid N days after the claim
	total         INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),    -- copies to issue, 0 = unlimited
	issued        INTEGER NOT NULL DEFAULT 0 CHECK (issued >= 0),
	used          INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
	per_user      INTEGER NOT NULL DEFAULT 1 CHECK (per_user >= 1), -- copies one customer may hold in all
	channel       TEXT    NOT NULL DEFAULT 'centre' CHECK (channel IN ('centre', 'grant', 'newuser', 'order')),
	status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	CHECK (total = 0 OR issued <= total)
);
CREATE INDEX coupons_channel ON coupons (channel, status);

CREATE TABLE customer_coupons (
	id          INTEGER PRIMARY KEY,
	coupon_id   INTEGER NOT NULL REFERENCES coupons (id),
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	status      TEXT    NOT NULL DEFAULT 'unused' CHECK (status IN ('unused', 'used')),
	valid_from  INTEGER NOT NULL,
	valid_to    INTEGER NOT NULL,
	source      TEXT    NOT NULL,              -- centre, grant, newuser, order
	order_id    INTEGER REFERENCES orders (id), -- the order that used it
	claimed_at  INTEGER NOT NULL,
	used_at     INTEGER
);
CREATE INDEX customer_coupons_customer ON customer_coupons (customer_id, status, valid_to);
CREATE INDEX customer_coupons_coupon ON customer_coupons (coupon_id, customer_id);
CREATE INDEX customer_coupons_order ON customer_coupons (order_id) WHERE order_id IS NOT NULL;
