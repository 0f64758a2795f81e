-- Shopping carts of signed-in customers. A guest's cart lives in their
-- session and is merged into this table at sign-in.

CREATE TABLE cart_items (
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	sku_id      INTEGER NOT NULL REFERENCES skus (id),
	qty         INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 999),
	selected    INTEGER NOT NULL DEFAULT 1,
	added_at    INTEGER NOT NULL,
	PRIMARY KEY (customer_id, sku_id)
) WITHOUT ROWID;
