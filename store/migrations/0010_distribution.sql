-- Distribution (分销, issue 5): the referral tree, distributors and their
-- levels, commissions per recipient per order line, the commission ledger,
-- withdrawals and regional agents. Rules: docs/distribution.md.

-- The referral tree (上下级) lives on customers: anyone may be bound, a
-- distributor or not. ref_path lists the customer's ancestors from the root
-- to the referrer, each followed by '/': "/12/40/" means 40 is the referrer
-- and 12 the referrer's referrer (a customer with no referrer has "/").
-- ref_depth is the number of ancestors. The whole downline of customer X
-- whose path is P is every path that starts with P || X || '/', an index
-- range; a binding that would put a customer under their own downline is
-- seen in one look at the new referrer's path.
ALTER TABLE customers ADD COLUMN referrer_id INTEGER REFERENCES customers (id);
ALTER TABLE customers ADD COLUMN ref_path TEXT NOT NULL DEFAULT '/';
ALTER TABLE customers ADD COLUMN ref_depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN bound_at INTEGER;
ALTER TABLE customers ADD COLUMN bound_via TEXT NOT NULL DEFAULT ''; -- click, register, first_order, staff
CREATE INDEX customers_referrer ON customers (referrer_id, id DESC) WHERE referrer_id IS NOT NULL;
CREATE INDEX customers_ref_tree ON customers (ref_path, ref_depth);
CREATE INDEX customers_ref_level ON customers (ref_depth, ref_path);

-- Every binding and rebinding, with who made it and why (the audit of the
-- tree; a staff rebind needs a reason).
CREATE TABLE referral_log (
	id            INTEGER PRIMARY KEY,
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	from_referrer INTEGER REFERENCES customers (id),
	to_referrer   INTEGER REFERENCES customers (id),
	via           TEXT    NOT NULL,  -- click, register, first_order, staff
	actor         TEXT    NOT NULL,  -- "customer:ID", "staff:NAME", "system"
	reason        TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL
);
CREATE INDEX referral_log_customer ON referral_log (customer_id, id DESC);

-- Distributor levels (分销等级): rates that replace the shop's for their
-- members, an own-purchase discount and upgrade conditions (0 = no
-- condition; cond_all: every condition set must hold, else any one).
CREATE TABLE distributor_levels (
	id               INTEGER PRIMARY KEY,
	name             TEXT    NOT NULL,
	weight           INTEGER NOT NULL,             -- higher is better; the default level is 0
	rate1_bp         INTEGER NOT NULL DEFAULT 0 CHECK (rate1_bp BETWEEN 0 AND 10000),
	rate2_bp         INTEGER NOT NULL DEFAULT 0 CHECK (rate2_bp BETWEEN 0 AND 10000),
	rate3_bp         INTEGER NOT NULL DEFAULT 0 CHECK (rate3_bp BETWEEN 0 AND 10000),
	discount_bp      INTEGER NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000), -- off own purchases
	cond_sales_fen   INTEGER NOT NULL DEFAULT 0,   -- promoted sales ≥
	cond_direct      INTEGER NOT NULL DEFAULT 0,   -- direct referrals ≥
	cond_team        INTEGER NOT NULL DEFAULT 0,   -- team size ≥
	cond_spend_fen   INTEGER NOT NULL DEFAULT 0,   -- own spend ≥
	cond_all         INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	deleted_at       INTEGER
);
CREATE UNIQUE INDEX distributor_levels_weight ON distributor_levels (weight) WHERE deleted_at IS NULL;

-- Distributors: one row per customer who is, was or asked to be one.
-- balance_fen is the commission balance (可提现), Σ commission_ledger; it may
-- go below zero when a refund claws back settled commission. The counters
-- are kept in the transactions that change them, for the distributor
-- centre and the upgrade job.
CREATE TABLE distributors (
	customer_id     INTEGER PRIMARY KEY REFERENCES customers (id),
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'rejected', 'disabled')),
	level_id        INTEGER REFERENCES distributor_levels (id),
	level_manual    INTEGER NOT NULL DEFAULT 0,  -- set by hand: the upgrade job keeps off
	real_name       TEXT    NOT NULL DEFAULT '', -- from the application form
	apply_phone     TEXT    NOT NULL DEFAULT '',
	apply_note      TEXT    NOT NULL DEFAULT '',
	review_note     TEXT    NOT NULL DEFAULT '', -- the reason of a rejection or a disabling
	balance_fen     INTEGER NOT NULL DEFAULT 0,
	pending_fen     INTEGER NOT NULL DEFAULT 0,  -- Σ amount of pending commissions
	settled_fen     INTEGER NOT NULL DEFAULT 0,  -- Σ ever settled, claw-backs subtracted
	withdrawn_fen   INTEGER NOT NULL DEFAULT 0,  -- Σ paid withdrawals
	sales_fen       INTEGER NOT NULL DEFAULT 0,  -- promoted sales: level-1 base of paid orders, refunds subtracted
	spend_fen       INTEGER NOT NULL DEFAULT 0,  -- own completed spend, refunds subtracted
	direct_count    INTEGER NOT NULL DEFAULT 0,  -- direct referrals (level 1 of the team)
	team_count      INTEGER NOT NULL DEFAULT 0,  -- the whole downline, every depth
	source          TEXT    NOT NULL DEFAULT '', -- everyone, after_purchase, spend, apply, manual
	created_at      INTEGER NOT NULL,
	approved_at     INTEGER,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX distributors_status ON distributors (status, customer_id DESC);
CREATE INDEX distributors_settled ON distributors (settled_fen DESC);

-- Commissions: one row per recipient per order line (kind 'level' for the
-- referrer chain, 'agent' for regional agents). amount_fen is what the
-- recipient earns now; original_fen what it was at payment. Refunds reduce
-- amount_fen pro rata (cancelled when nothing is left); after settlement the
-- reduction is clawed_fen, taken back through the ledger.
CREATE TABLE commissions (
	id           INTEGER PRIMARY KEY,
	order_id     INTEGER NOT NULL REFERENCES orders (id),
	line_id      INTEGER NOT NULL REFERENCES order_lines (id),
	recipient_id INTEGER NOT NULL REFERENCES customers (id),
	buyer_id     INTEGER NOT NULL REFERENCES customers (id),
	kind         TEXT    NOT NULL CHECK (kind IN ('level', 'agent')),
	level        INTEGER NOT NULL,           -- 1..3 for 'level'; 1 district, 2 city, 3 province for 'agent'
	agent_id     INTEGER REFERENCES agents (id),
	base_fen     INTEGER NOT NULL,
	rate_bp      INTEGER NOT NULL DEFAULT 0, -- 0 when a fixed amount per unit
	unit_fen     INTEGER NOT NULL DEFAULT 0, -- the fixed amount per unit, if any
	rule         TEXT    NOT NULL,           -- where the rate came from: shop, level:ID, product, product_fixed, agent
	original_fen INTEGER NOT NULL CHECK (original_fen >= 0),
	amount_fen   INTEGER NOT NULL CHECK (amount_fen >= 0 AND amount_fen <= original_fen),
	clawed_fen   INTEGER NOT NULL DEFAULT 0 CHECK (clawed_fen >= 0),
	status       TEXT    NOT NULL CHECK (status IN ('pending', 'settled', 'cancelled')),
	created_at   INTEGER NOT NULL,
	settled_at   INTEGER,
	cancelled_at INTEGER,
	updated_at   INTEGER NOT NULL,
	UNIQUE (line_id, kind, level)
);
CREATE INDEX commissions_recipient ON commissions (recipient_id, id DESC);
CREATE INDEX commissions_recipient_day ON commissions (recipient_id, created_at);
CREATE INDEX commissions_order ON commissions (order_id);
CREATE INDEX commissions_pending ON commissions (order_id) WHERE status = 'pending';

-- The commission ledger: append-only; Σ amount_fen per customer =
-- distributors.balance_fen.
CREATE TABLE commission_ledger (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	kind        TEXT    NOT NULL,  -- settle, clawback, withdraw, withdraw_return, adjust
	amount_fen  INTEGER NOT NULL,
	balance_fen INTEGER NOT NULL,  -- balance after this row
	ref_type    TEXT    NOT NULL DEFAULT '',
	ref_id      INTEGER NOT NULL DEFAULT 0,
	note        TEXT    NOT NULL DEFAULT '',
	actor       TEXT    NOT NULL DEFAULT 'system',
	created_at  INTEGER NOT NULL
);
CREATE INDEX commission_ledger_customer ON commission_ledger (customer_id, id DESC);

-- Withdrawals (提现). amount_fen leaves the commission balance when the
-- request is made; fee_fen is kept by the shop, net_fen is paid out. A
-- rejected (or failed) withdrawal returns amount_fen to the balance.
CREATE TABLE withdrawals (
	id            INTEGER PRIMARY KEY,
	no            TEXT    NOT NULL UNIQUE,
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	method        TEXT    NOT NULL CHECK (method IN ('wallet', 'wechat', 'alipay', 'bank')),
	amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
	fee_fen       INTEGER NOT NULL DEFAULT 0 CHECK (fee_fen >= 0),
	net_fen       INTEGER NOT NULL CHECK (net_fen >= 0),
	account_name  TEXT    NOT NULL DEFAULT '',
	account_no    TEXT    NOT NULL DEFAULT '',
	bank_name     TEXT    NOT NULL DEFAULT '',
	status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'paying', 'paid', 'rejected', 'failed')),
	review_note   TEXT    NOT NULL DEFAULT '',
	payout_ref    TEXT    NOT NULL DEFAULT '', -- the provider's bill id, or the bank's transfer reference
	payout_info   TEXT    NOT NULL DEFAULT '', -- WeChat's package for the buyer's confirmation
	created_at    INTEGER NOT NULL,
	reviewed_at   INTEGER,
	reviewed_by   TEXT    NOT NULL DEFAULT '',
	paid_at       INTEGER,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX withdrawals_customer ON withdrawals (customer_id, id DESC);
CREATE INDEX withdrawals_status ON withdrawals (status, id);
CREATE INDEX withdrawals_day ON withdrawals (customer_id, created_at);

-- Regional agents (区域代理): a customer appointed for a province, city or
-- district (a division code) with a rate and an expiry (NULL: none).
CREATE TABLE agents (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	tier        TEXT    NOT NULL CHECK (tier IN ('province', 'city', 'district')),
	region_code TEXT    NOT NULL,
	region_name TEXT    NOT NULL DEFAULT '',
	rate_bp     INTEGER NOT NULL CHECK (rate_bp BETWEEN 1 AND 10000),
	expires_at  INTEGER,
	active      INTEGER NOT NULL DEFAULT 1,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
-- One active agent per region.
CREATE UNIQUE INDEX agents_region ON agents (region_code) WHERE active = 1;
CREATE INDEX agents_customer ON agents (customer_id);

-- A product's own commission rule: '' (the shop's or the level's rates),
-- 'off' (no commission), 'rates' (own rates in bp) or 'fixed' (fen per unit
-- per level).
ALTER TABLE products ADD COLUMN commission_mode TEXT NOT NULL DEFAULT ''
	CHECK (commission_mode IN ('', 'off', 'rates', 'fixed'));
ALTER TABLE products ADD COLUMN commission1 INTEGER NOT NULL DEFAULT 0 CHECK (commission1 >= 0);
ALTER TABLE products ADD COLUMN commission2 INTEGER NOT NULL DEFAULT 0 CHECK (commission2 >= 0);
ALTER TABLE products ADD COLUMN commission3 INTEGER NOT NULL DEFAULT 0 CHECK (commission3 >= 0);

-- The activity that priced an order line (flash sale, group buy, bargain...:
-- a marketing plugin's id) and whether that activity pays commission.
ALTER TABLE order_lines ADD COLUMN activity TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN activity_commission INTEGER NOT NULL DEFAULT 1;
