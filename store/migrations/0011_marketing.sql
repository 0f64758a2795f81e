-- The price pipeline's plugins keep their own references on what they
-- priced: the customer's coupon on the order's adjustment, the flash sale
-- slot or the group on the order line (marketing plugins, issue 6).
ALTER TABLE order_adjustments ADD COLUMN ref TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN activity_ref TEXT NOT NULL DEFAULT '';
CREATE INDEX order_adjustments_source ON order_adjustments (source, ref) WHERE ref != '';
