-- 满减 / 满折 offers (plugins/fullreduce): tiers by goods amount or by pieces
-- over a scope of products and a time window. A product is in at most one
-- active offer at a time; the plugin checks it when an offer is saved.
CREATE TABLE fullreduce_offers (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	kind       TEXT    NOT NULL CHECK (kind IN ('amount', 'pieces')),  -- threshold by goods amount (fen) or pieces
	mode       TEXT    NOT NULL CHECK (mode IN ('reduce', 'discount')), -- 减 value fen off, or 折 value percent (90 = 9折)
	tiers      TEXT    NOT NULL DEFAULT '[]',  -- JSON [{"threshold":..,"value":..}], thresholds increasing
	scope      TEXT    NOT NULL CHECK (scope IN ('all', 'products', 'categories')),
	scope_ids  TEXT    NOT NULL DEFAULT '[]',  -- JSON [product or category id]
	starts_at  INTEGER NOT NULL,               -- unix seconds
	ends_at    INTEGER NOT NULL CHECK (ends_at > starts_at),
	status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX fullreduce_offers_active ON fullreduce_offers (status, ends_at);

-- What each offer brought: the paid orders carrying its adjustment
-- (order_adjustments.source = 'fullreduce', ref = the offer's id; one
-- order-level row per offer and order), what they paid and what it took off.
CREATE VIEW fullreduce_offer_stats AS
SELECT CAST(a.ref AS INTEGER)    AS offer_id,
       COUNT(DISTINCT o.id)      AS orders,
       SUM(o.paid_fen)           AS revenue_fen,
       -SUM(a.amount_fen)        AS discount_fen
FROM order_adjustments a
JOIN orders o ON o.id = a.order_id
WHERE a.source = 'fullreduce' AND a.ref != '' AND o.paid_at IS NOT NULL
GROUP BY a.ref;
