package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// Settlement of commissions (the settle-commissions job) and regional
// agents (区域代理): who earns on an order delivered into a region.

// SettleCommissions settles up to limit pending commissions whose order was
// completed at least SettleDays ago and whose line has no open after-sale,
// and returns how many it settled. A commission reduced to nothing is
// cancelled instead. Each call is one transaction; the job calls again
// while it gets a full batch.
func (db *DB) SettleCommissions(ctx context.Context, limit int) (int, error) {
	s := db.DistSettings(ctx)
	now := db.now().Unix()
	cutoff := now - int64(s.SettleDays)*86400
	n := 0
	err := db.Write(ctx, func(tx *sql.Tx) error {
		rows, err := commissionRowsTx(ctx, tx, `id IN (SELECT c.id FROM commissions c JOIN orders o ON o.id = c.order_id
			WHERE c.status = 'pending' AND o.status = 'completed' AND o.completed_at <= ? AND NOT EXISTS (SELECT 1 FROM aftersales a
			WHERE a.line_id = c.line_id AND a.status IN ('requested', 'approved', 'awaiting_return', 'returned'))
			ORDER BY c.id LIMIT ?)`, cutoff, limit)
		if err != nil {
			return err
		}
		settled := make(map[int64]Fen)
		var recipients []int64
		for _, c := range rows {
			if err := settleOneTx(ctx, tx, c, now); err != nil {
				return err
			}
			n++
			if c.amount > 0 {
				if _, ok := settled[c.recipientID]; !ok {
					recipients = append(recipients, c.recipientID)
				}
				settled[c.recipientID] += c.amount
			}
		}
		// One message per distributor and run: 佣金到账.
		for _, id := range recipients {
			if _, err := db.sendMessageTx(ctx, tx, id, MessageInput{Kind: MessageCommission, Title: "佣金已到账",
				Body: fmt.Sprintf("¥%s 佣金已结算，可以提现了", settled[id].String()), Link: "/distributor"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("settle commissions: %w", err)
	}
	return n, nil
}

func settleOneTx(ctx context.Context, tx *sql.Tx, c commissionRow, now int64) error {
	if c.amount == 0 {
		return execOne(ctx, tx, `UPDATE commissions SET status = 'cancelled', cancelled_at = ?, updated_at = ?
			WHERE id = ? AND status = 'pending'`, now, now, c.id)
	}
	if err := execOne(ctx, tx, `UPDATE commissions SET status = 'settled', settled_at = ?, updated_at = ?
		WHERE id = ? AND status = 'pending' AND amount_fen = ?`, now, now, c.id, c.amount); err != nil {
		return fmt.Errorf("settle: %w", ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE distributors SET pending_fen = pending_fen - ?1, settled_fen = settled_fen + ?1
		WHERE customer_id = ?2`, c.amount, c.recipientID); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	var no string
	if err := tx.QueryRowContext(ctx, `SELECT no FROM orders WHERE id = ?`, c.orderID).Scan(&no); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	if _, err := moveCommissionTx(ctx, tx, c.recipientID, CLedgerSettle, c.amount, "commission", c.id,
		"订单 "+no+" 佣金结算", SystemActor, now, true); err != nil {
		return err
	}
	return nil
}

// regionAgent is an active agent of one of an order's regions.
type regionAgent struct {
	id, customerID int64
	tierLevel      int // 1 district, 2 city, 3 province
	rate           int
}

// agentRegionCodes returns the district, city and province codes of a
// district code in the division data's form ("440305" → 440305, 4403, 44),
// as agents.region_code keeps them.
func agentRegionCodes(district string) []string {
	d := NormalizeRegionCode(district)
	if len(d) != 6 {
		return nil
	}
	return []string{d, d[:4], d[:2]}
}

// regionAgentsTx returns the active agents of the region, most specific
// first.
func regionAgentsTx(ctx context.Context, tx *sql.Tx, district string, now int64) ([]regionAgent, error) {
	codes := agentRegionCodes(district)
	if len(codes) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, customer_id, tier, rate_bp FROM agents
		WHERE active = 1 AND (expires_at IS NULL OR expires_at > ?) AND region_code IN (`+placeholders(len(codes))+`)`,
		append([]any{now}, stringArgs(codes)...)...)
	if err != nil {
		return nil, fmt.Errorf("region agents: %w", err)
	}
	defer rows.Close()
	var out []regionAgent
	for rows.Next() {
		var a regionAgent
		var tier string
		if err := rows.Scan(&a.id, &a.customerID, &tier, &a.rate); err != nil {
			return nil, fmt.Errorf("region agents: %w", err)
		}
		a.tierLevel = map[string]int{AgentDistrict: 1, AgentCity: 2, AgentProvince: 3}[tier]
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b regionAgent) int { return a.tierLevel - b.tierLevel })
	return out, rows.Err()
}

func stringArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Agent tiers.
const (
	AgentProvince = "province"
	AgentCity     = "city"
	AgentDistrict = "district"
)
