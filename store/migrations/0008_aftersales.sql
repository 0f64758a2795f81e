-- After-sales: a refund through an external provider that failed may be
-- tried again, so only a pending or succeeded refund counts against the
-- one-refund-per-after-sale rule.
DROP INDEX refunds_aftersale;
CREATE UNIQUE INDEX refunds_aftersale ON refunds (aftersale_id)
	WHERE aftersale_id IS NOT NULL AND status != 'failed';
