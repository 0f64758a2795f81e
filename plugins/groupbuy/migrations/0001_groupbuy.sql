-- 拼团: activities on a product, the groups customers open and the seats
-- their paid orders take (plugins/groupbuy).
CREATE TABLE groupbuy_activities (
	id             INTEGER PRIMARY KEY,
	name           TEXT    NOT NULL,
	product_id     INTEGER NOT NULL REFERENCES products (id),
	percent        INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 99), -- the group price, % of each SKU's price
	size           INTEGER NOT NULL CHECK (size BETWEEN 2 AND 50),
	hours          INTEGER NOT NULL CHECK (hours BETWEEN 1 AND 720),  -- how long a group stays open
	per_user       INTEGER NOT NULL DEFAULT 0,                         -- pieces per customer, 0 = no limit
	fill_at_expiry INTEGER NOT NULL DEFAULT 0,                         -- 模拟成团: the shop fills the group at expiry
	commission     INTEGER NOT NULL DEFAULT 0,                         -- pays distribution commission
	starts_at      INTEGER NOT NULL,
	ends_at        INTEGER NOT NULL,
	status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE INDEX groupbuy_activities_product ON groupbuy_activities (product_id, status);

-- members counts the seats taken; the guarded UPDATE that takes one keeps
-- it at most size.
CREATE TABLE groupbuy_groups (
	id             INTEGER PRIMARY KEY,
	activity_id    INTEGER NOT NULL REFERENCES groupbuy_activities (id),
	leader_id      INTEGER NOT NULL REFERENCES customers (id),
	size           INTEGER NOT NULL,
	members        INTEGER NOT NULL DEFAULT 1 CHECK (members BETWEEN 0 AND size),
	status         TEXT    NOT NULL CHECK (status IN ('open', 'succeeded', 'failed')),
	filled_by_shop INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	done_at        INTEGER
);
CREATE INDEX groupbuy_groups_open ON groupbuy_groups (status, expires_at);
CREATE INDEX groupbuy_groups_activity ON groupbuy_groups (activity_id, status);

-- One row per group order: pending (placed, unpaid), joined (paid, a
-- seat in group_id), refund (paid without a seat, or its group failed:
-- the job refunds it), refunded, cancelled (never paid).
CREATE TABLE groupbuy_members (
	id          INTEGER PRIMARY KEY,
	order_id    INTEGER NOT NULL UNIQUE REFERENCES orders (id),
	activity_id INTEGER NOT NULL REFERENCES groupbuy_activities (id),
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	want_group  INTEGER NOT NULL DEFAULT 0, -- the group to join, 0 = open a new one
	group_id    INTEGER REFERENCES groupbuy_groups (id),
	qty         INTEGER NOT NULL,
	amount_fen  INTEGER NOT NULL DEFAULT 0, -- what the line cost at the group price
	status      TEXT    NOT NULL CHECK (status IN ('pending', 'joined', 'refund', 'refunded', 'cancelled')),
	created_at  INTEGER NOT NULL,
	joined_at   INTEGER
);
CREATE INDEX groupbuy_members_group ON groupbuy_members (group_id, status);
CREATE INDEX groupbuy_members_customer ON groupbuy_members (customer_id, activity_id, status);
CREATE INDEX groupbuy_members_refund ON groupbuy_members (status) WHERE status = 'refund';
