-- Buying: shipping templates, pickup stores, orders and their lines, logs and
-- packages, payments, the wallet ledger, recharge packages, after-sales and
-- refunds. Nothing that money passed through is ever deleted.

-- Shipping fee templates (运费模板). method 'piece' counts pieces, 'weight'
-- counts grams. The template's own columns are the default rule; a region
-- rule replaces it for the listed division codes (a province, city or
-- district code; the most specific match wins). free_over_fen /
-- free_over_pieces: shipping is free when the goods amount or the pieces of
-- the template's lines reach the threshold (0 = no such condition).
CREATE TABLE shipping_templates (
	id               INTEGER PRIMARY KEY,
	name             TEXT    NOT NULL,
	method           TEXT    NOT NULL CHECK (method IN ('piece', 'weight')),
	first_units      INTEGER NOT NULL CHECK (first_units > 0),
	first_fen        INTEGER NOT NULL CHECK (first_fen >= 0),
	extra_units      INTEGER NOT NULL CHECK (extra_units > 0),
	extra_fen        INTEGER NOT NULL CHECK (extra_fen >= 0),
	free_over_fen    INTEGER NOT NULL DEFAULT 0 CHECK (free_over_fen >= 0),
	free_over_pieces INTEGER NOT NULL DEFAULT 0 CHECK (free_over_pieces >= 0),
	is_default       INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	deleted_at       INTEGER
);

CREATE TABLE shipping_template_rules (
	id               INTEGER PRIMARY KEY,
	template_id      INTEGER NOT NULL REFERENCES shipping_templates (id),
	codes            TEXT    NOT NULL,          -- JSON ["110000","320500"]
	first_units      INTEGER NOT NULL CHECK (first_units > 0),
	first_fen        INTEGER NOT NULL CHECK (first_fen >= 0),
	extra_units      INTEGER NOT NULL CHECK (extra_units > 0),
	extra_fen        INTEGER NOT NULL CHECK (extra_fen >= 0),
	free_over_fen    INTEGER NOT NULL DEFAULT 0 CHECK (free_over_fen >= 0),
	free_over_pieces INTEGER NOT NULL DEFAULT 0 CHECK (free_over_pieces >= 0),
	no_delivery      INTEGER NOT NULL DEFAULT 0, -- 1: the region is not delivered to
	position         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shipping_template_rules_template ON shipping_template_rules (template_id, position);

-- NULL: the shop's default template.
ALTER TABLE products ADD COLUMN shipping_template_id INTEGER REFERENCES shipping_templates (id);

-- Pickup stores (门店自提).
CREATE TABLE pickup_stores (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL,
	phone         TEXT    NOT NULL DEFAULT '',
	province      TEXT    NOT NULL DEFAULT '',
	city          TEXT    NOT NULL DEFAULT '',
	district      TEXT    NOT NULL DEFAULT '',
	detail        TEXT    NOT NULL,
	hours         TEXT    NOT NULL DEFAULT '', -- e.g. "09:00-21:00"
	active        INTEGER NOT NULL DEFAULT 1,
	sort          INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	deleted_at    INTEGER
);

-- Wallet balance (余额) and payment password on the customer; every change
-- of balance_fen is a wallet_ledger row in the same transaction.
ALTER TABLE customers ADD COLUMN balance_fen INTEGER NOT NULL DEFAULT 0 CHECK (balance_fen >= 0);
ALTER TABLE customers ADD COLUMN pay_password_hash TEXT NOT NULL DEFAULT '';

-- Orders. status follows the transition table in store/order.go.
CREATE TABLE orders (
	id              INTEGER PRIMARY KEY,
	no              TEXT    NOT NULL UNIQUE,       -- order number shown to people
	customer_id     INTEGER NOT NULL REFERENCES customers (id),
	status          TEXT    NOT NULL CHECK (status IN ('pending_payment', 'to_ship', 'shipped',
	                    'to_pickup', 'grouping', 'completed', 'cancelled', 'closed')),
	delivery        TEXT    NOT NULL CHECK (delivery IN ('express', 'pickup', 'virtual')),
	checkout_token  TEXT    NOT NULL,
	pieces          INTEGER NOT NULL,
	goods_fen       INTEGER NOT NULL,              -- Σ unit price × qty
	discount_fen    INTEGER NOT NULL DEFAULT 0,    -- Σ order-level and line discounts (≥ 0)
	shipping_fen    INTEGER NOT NULL DEFAULT 0,
	adjust_fen      INTEGER NOT NULL DEFAULT 0,    -- admin price change (改价), + or −
	payable_fen     INTEGER NOT NULL CHECK (payable_fen >= 0),
	paid_fen        INTEGER NOT NULL DEFAULT 0,
	refunded_fen    INTEGER NOT NULL DEFAULT 0,
	note            TEXT    NOT NULL DEFAULT '',   -- buyer's note
	remark          TEXT    NOT NULL DEFAULT '',   -- staff remark, never shown to the buyer
	-- address snapshot (express) or pickup store snapshot (pickup)
	ship_name       TEXT    NOT NULL DEFAULT '',
	ship_phone      TEXT    NOT NULL DEFAULT '',
	ship_province   TEXT    NOT NULL DEFAULT '',
	ship_city       TEXT    NOT NULL DEFAULT '',
	ship_district   TEXT    NOT NULL DEFAULT '',
	ship_detail     TEXT    NOT NULL DEFAULT '',
	ship_region     TEXT    NOT NULL DEFAULT '',   -- district code, for region rules and agents
	pickup_store_id INTEGER REFERENCES pickup_stores (id),
	pickup_code     TEXT UNIQUE,                   -- 核销码, set on payment of a pickup order
	referrer_chain  TEXT    NOT NULL DEFAULT '[]', -- JSON [level1 customer id, level2, level3]
	payment_id      INTEGER,                       -- the successful payment
	pay_provider    TEXT    NOT NULL DEFAULT '',
	pay_deadline    INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	paid_at         INTEGER,
	shipped_at      INTEGER,
	auto_receive_at INTEGER,                       -- when the receipt job confirms, unless paused
	open_aftersales INTEGER NOT NULL DEFAULT 0,    -- > 0 pauses automatic receipt
	completed_at    INTEGER,
	cancelled_at    INTEGER,
	closed_at       INTEGER,
	UNIQUE (customer_id, checkout_token)
);
CREATE INDEX orders_customer ON orders (customer_id, status, id DESC);
CREATE INDEX orders_status ON orders (status, id DESC);
CREATE INDEX orders_deadline ON orders (pay_deadline) WHERE status = 'pending_payment';
CREATE INDEX orders_receive ON orders (auto_receive_at) WHERE status = 'shipped';
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE order_lines (
	id             INTEGER PRIMARY KEY,
	order_id       INTEGER NOT NULL REFERENCES orders (id),
	product_id     INTEGER NOT NULL REFERENCES products (id),
	sku_id         INTEGER NOT NULL REFERENCES skus (id),
	title          TEXT    NOT NULL,
	label          TEXT    NOT NULL DEFAULT '',
	image          TEXT    NOT NULL DEFAULT '',
	code           TEXT    NOT NULL DEFAULT '',
	unit_price_fen INTEGER NOT NULL,
	qty            INTEGER NOT NULL CHECK (qty > 0),
	weight_g       INTEGER NOT NULL DEFAULT 0,     -- per unit
	is_virtual     INTEGER NOT NULL DEFAULT 0,
	discount_fen   INTEGER NOT NULL DEFAULT 0,     -- this line's share of all discounts
	paid_fen       INTEGER NOT NULL,               -- unit price × qty − discount (+ its share of 改价); no shipping
	shipped_qty    INTEGER NOT NULL DEFAULT 0 CHECK (shipped_qty <= qty),
	refunded_qty   INTEGER NOT NULL DEFAULT 0 CHECK (refunded_qty <= qty),
	refunded_fen   INTEGER NOT NULL DEFAULT 0 CHECK (refunded_fen <= paid_fen),
	restocked_qty  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_product ON order_lines (product_id);

-- Every step of the price pipeline that changed the amount, with its source
-- (the plugin or "core"). line_id is NULL for order-level adjustments.
CREATE TABLE order_adjustments (
	id         INTEGER PRIMARY KEY,
	order_id   INTEGER NOT NULL REFERENCES orders (id),
	line_id    INTEGER REFERENCES order_lines (id),
	stage      TEXT    NOT NULL,   -- line, activity, discount, points, shipping, after, manual
	source     TEXT    NOT NULL,   -- "core", a plugin id, or "staff:NAME"
	label      TEXT    NOT NULL,
	amount_fen INTEGER NOT NULL    -- negative lowers the price
);
CREATE INDEX order_adjustments_order ON order_adjustments (order_id);

-- Every state change and every notable action on an order.
CREATE TABLE order_logs (
	id          INTEGER PRIMARY KEY,
	order_id    INTEGER NOT NULL REFERENCES orders (id),
	actor       TEXT    NOT NULL,  -- "customer:ID", "staff:NAME", "system"
	action      TEXT    NOT NULL,  -- create, pay, cancel, timeout, reprice, ship, receive, ...
	from_status TEXT    NOT NULL DEFAULT '',
	to_status   TEXT    NOT NULL DEFAULT '',
	note        TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX order_logs_order ON order_logs (order_id, id);

CREATE TABLE packages (
	id          INTEGER PRIMARY KEY,
	order_id    INTEGER NOT NULL REFERENCES orders (id),
	carrier     TEXT    NOT NULL,
	tracking_no TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	created_by  TEXT    NOT NULL
);
CREATE INDEX packages_order ON packages (order_id);

CREATE TABLE package_lines (
	package_id INTEGER NOT NULL REFERENCES packages (id),
	line_id    INTEGER NOT NULL REFERENCES order_lines (id),
	qty        INTEGER NOT NULL CHECK (qty > 0),
	PRIMARY KEY (package_id, line_id)
);

-- Recharge packages (充值送): pay pay_fen, receive pay_fen + bonus_fen.
CREATE TABLE recharge_packages (
	id         INTEGER PRIMARY KEY,
	pay_fen    INTEGER NOT NULL CHECK (pay_fen > 0),
	bonus_fen  INTEGER NOT NULL DEFAULT 0 CHECK (bonus_fen >= 0),
	active     INTEGER NOT NULL DEFAULT 1,
	sort       INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	deleted_at INTEGER
);

-- A recharge is paid like an order, through a payment attempt.
CREATE TABLE recharges (
	id          INTEGER PRIMARY KEY,
	no          TEXT    NOT NULL UNIQUE,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	package_id  INTEGER REFERENCES recharge_packages (id),
	pay_fen     INTEGER NOT NULL CHECK (pay_fen > 0),
	bonus_fen   INTEGER NOT NULL DEFAULT 0,
	status      TEXT    NOT NULL CHECK (status IN ('pending_payment', 'paid', 'cancelled')),
	payment_id  INTEGER,
	created_at  INTEGER NOT NULL,
	paid_at     INTEGER
);
CREATE INDEX recharges_customer ON recharges (customer_id, id DESC);

-- Payment attempts: one per (order or recharge, provider, try). At most one
-- per order succeeds (the order's guarded status change decides).
CREATE TABLE payments (
	id              INTEGER PRIMARY KEY,
	out_trade_no    TEXT    NOT NULL UNIQUE,       -- our number sent to the provider
	purpose         TEXT    NOT NULL CHECK (purpose IN ('order', 'recharge')),
	order_id        INTEGER REFERENCES orders (id),
	recharge_id     INTEGER REFERENCES recharges (id),
	customer_id     INTEGER NOT NULL REFERENCES customers (id),
	provider        TEXT    NOT NULL,              -- balance, sandbox, wechatpay, alipay
	channel         TEXT    NOT NULL DEFAULT '',   -- jsapi, h5, native, wap, page
	amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
	currency        TEXT    NOT NULL DEFAULT 'CNY',
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'paid', 'closed', 'refunded_late')),
	provider_txn_id TEXT UNIQUE,                   -- the provider's transaction id, once paid
	refunded_fen    INTEGER NOT NULL DEFAULT 0 CHECK (refunded_fen <= amount_fen),
	created_at      INTEGER NOT NULL,
	paid_at         INTEGER,
	raw             TEXT    NOT NULL DEFAULT ''    -- the verified notification, for audit
);
CREATE INDEX payments_order ON payments (order_id);
CREATE INDEX payments_pending ON payments (status, created_at);

-- The wallet ledger: append-only; Σ amount_fen per customer = balance_fen.
CREATE TABLE wallet_ledger (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	kind        TEXT    NOT NULL,  -- recharge, recharge_bonus, payment, refund, adjust, commission, withdrawal
	amount_fen  INTEGER NOT NULL,
	balance_fen INTEGER NOT NULL,  -- balance after this row
	ref_type    TEXT    NOT NULL DEFAULT '',
	ref_id      INTEGER NOT NULL DEFAULT 0,
	note        TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX wallet_ledger_customer ON wallet_ledger (customer_id, id DESC);

-- After-sales (售后), per order line and quantity.
CREATE TABLE aftersales (
	id              INTEGER PRIMARY KEY,
	no              TEXT    NOT NULL UNIQUE,
	order_id        INTEGER NOT NULL REFERENCES orders (id),
	line_id         INTEGER NOT NULL REFERENCES order_lines (id),
	customer_id     INTEGER NOT NULL REFERENCES customers (id),
	kind            TEXT    NOT NULL CHECK (kind IN ('refund_only', 'return_refund')),
	status          TEXT    NOT NULL CHECK (status IN ('requested', 'approved', 'awaiting_return',
	                    'returned', 'refunded', 'rejected', 'withdrawn')),
	qty             INTEGER NOT NULL CHECK (qty > 0),
	amount_fen      INTEGER NOT NULL CHECK (amount_fen >= 0), -- asked for, incl. shipping if any
	shipping_fen    INTEGER NOT NULL DEFAULT 0,               -- the part of amount_fen that is shipping
	reason          TEXT    NOT NULL,
	description     TEXT    NOT NULL DEFAULT '',
	photos          TEXT    NOT NULL DEFAULT '[]',            -- JSON media keys
	return_name     TEXT    NOT NULL DEFAULT '',              -- the shop's return address, set at approval
	return_phone    TEXT    NOT NULL DEFAULT '',
	return_address  TEXT    NOT NULL DEFAULT '',
	return_carrier  TEXT    NOT NULL DEFAULT '',
	return_tracking TEXT    NOT NULL DEFAULT '',
	reject_reason   TEXT    NOT NULL DEFAULT '',
	restock         INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	closed_at       INTEGER
);
CREATE INDEX aftersales_order ON aftersales (order_id);
CREATE INDEX aftersales_customer ON aftersales (customer_id, id DESC);
CREATE INDEX aftersales_status ON aftersales (status, id DESC);
-- At most one open after-sale per order line.
CREATE UNIQUE INDEX aftersales_open_line ON aftersales (line_id)
	WHERE status IN ('requested', 'approved', 'awaiting_return', 'returned');

CREATE TABLE aftersale_logs (
	id           INTEGER PRIMARY KEY,
	aftersale_id INTEGER NOT NULL REFERENCES aftersales (id),
	actor        TEXT    NOT NULL,
	action       TEXT    NOT NULL,
	from_status  TEXT    NOT NULL DEFAULT '',
	to_status    TEXT    NOT NULL DEFAULT '',
	note         TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL
);
CREATE INDEX aftersale_logs_aftersale ON aftersale_logs (aftersale_id, id);

-- Refunds: money going back through the payment's provider.
CREATE TABLE refunds (
	id                 INTEGER PRIMARY KEY,
	out_refund_no      TEXT    NOT NULL UNIQUE,
	payment_id         INTEGER NOT NULL REFERENCES payments (id),
	order_id           INTEGER REFERENCES orders (id),
	aftersale_id       INTEGER REFERENCES aftersales (id),
	amount_fen         INTEGER NOT NULL CHECK (amount_fen > 0),
	status             TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
	provider_refund_id TEXT    NOT NULL DEFAULT '',
	reason             TEXT    NOT NULL DEFAULT '',
	created_at         INTEGER NOT NULL,
	done_at            INTEGER
);
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE UNIQUE INDEX refunds_aftersale ON refunds (aftersale_id) WHERE aftersale_id IS NOT NULL;
