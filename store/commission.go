package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// The commission engine. It runs on the order events (OrderEvent), inside
// the transaction that changes the order, so commission commits or rolls
// back with it:
//
//   - create: the first_order binding, and the referrer chain snapshotted on
//     the order (a later rebinding never redirects this order's commission);
//   - pay: one pending (冻结) row per recipient per line — the chain's levels
//     and the regional agents of the delivery region;
//   - refund: rows reduced pro rata by what is left of the line, cancelled
//     when nothing is; a settled row is clawed back through the ledger;
//   - completion: distributors by purchase or spend, own-spend counters.
//
// Settlement (SettleCommissions) is the job's: completed, SettleDays after
// receipt, no open after-sale on the line.

// Commission statuses.
const (
	CommissionPending   = "pending"   // 冻结: waiting for settlement
	CommissionSettled   = "settled"   // 可提现: in the balance
	CommissionCancelled = "cancelled" // refunded in full before settlement
)

// Commission kinds.
const (
	CommissionLevel = "level" // a referrer of the chain
	CommissionAgent = "agent" // a regional agent
)

// Commission ledger kinds: why a commission balance moved.
const (
	CLedgerSettle         = "settle"          // a commission settled
	CLedgerClawback       = "clawback"        // a refund after settlement took it back
	CLedgerWithdraw       = "withdraw"        // a withdrawal requested
	CLedgerWithdrawReturn = "withdraw_return" // a rejected or failed withdrawal returned
	CLedgerAdjust         = "adjust"          // a staff adjustment with a reason
)

// DistributionTx applies the distribution rules to an order event. The
// distribution plugin calls it from the registry's order hook.
func (db *DB) DistributionTx(ctx context.Context, tx *sql.Tx, e OrderEvent) error {
	s := distSettingsTx(ctx, tx)
	now := db.now().Unix()
	switch {
	case e.Action == "create":
		if !s.Enabled {
			return nil
		}
		return orderReferralTx(ctx, tx, &s, e, now)
	case e.Action == "refund":
		return commissionRefundTx(ctx, tx, e, now)
	case e.Action == "close":
		if err := commissionCloseTx(ctx, tx, e.OrderID, now); err != nil {
			return err
		}
		return spendRefundTx(ctx, tx, e, now) // a completed order closed is no spend

	}
	if e.From == StatusPendingPayment && e.To.Paid() && s.Enabled {
		if err := db.createCommissionsTx(ctx, tx, &s, e.OrderID, now); err != nil {
			return err
		}
	}
	if e.To == StatusCompleted {
		return orderCompletedTx(ctx, tx, &s, e.CustomerID, now)
	}
	return nil
}

// orderReferralTx binds a first-order customer (BindFirstOrder) and
// snapshots the order's referrer chain.
func orderReferralTx(ctx context.Context, tx *sql.Tx, s *DistSettings, e OrderEvent, now int64) error {
	if s.BindOn == BindFirstOrder {
		if code := ReferralFrom(ctx); code != "" {
			var orders int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE customer_id = ?`, e.CustomerID).Scan(&orders); err != nil {
				return fmt.Errorf("referral: %w", err)
			}
			if orders == 1 {
				if _, err := bindByCodeTx(ctx, tx, s, e.CustomerID, code, BindFirstOrder, now); err != nil {
					return err
				}
			}
		}
	}
	chain, err := referrerChainTx(ctx, tx, s, e.CustomerID)
	if err != nil || len(chain) == 0 {
		return err
	}
	raw, _ := json.Marshal(chain)
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET referrer_chain = ? WHERE id = ?`, string(raw), e.OrderID); err != nil {
		return fmt.Errorf("referrer chain: %w", err)
	}
	return nil
}

// commissionLine is what the engine needs of an order line.
type commissionLine struct {
	id, productID          int64
	qty, refundedQty       int
	unitPrice, paid        Fen
	refunded               Fen
	activity               string
	activityCommission     bool
	mode                   string
	product1, product2, p3 int64
}

func (l commissionLine) productRule(level int) int64 {
	switch level {
	case 1:
		return l.product1
	case 2:
		return l.product2
	}
	return l.p3
}

// base is the line's commission base.
func (l commissionLine) base(s *DistSettings) Fen {
	if s.Base == BasePrice {
		return l.unitPrice * Fen(l.qty)
	}
	return l.paid
}

func commissionLinesTx(ctx context.Context, tx *sql.Tx, where string, arg int64) ([]commissionLine, error) {
	rows, err := tx.QueryContext(ctx, `SELECT l.id, l.product_id, l.qty, l.refunded_qty, l.unit_price_fen, l.paid_fen,
		l.refunded_fen, l.activity, l.activity_commission, p.commission_mode, p.commission1, p.commission2, p.commission3
		FROM order_lines l JOIN products p ON p.id = l.product_id WHERE `+where+` ORDER BY l.id`, arg)
	if err != nil {
		return nil, fmt.Errorf("commission lines: %w", err)
	}
	defer rows.Close()
	var out []commissionLine
	for rows.Next() {
		var l commissionLine
		if err := rows.Scan(&l.id, &l.productID, &l.qty, &l.refundedQty, &l.unitPrice, &l.paid, &l.refunded,
			&l.activity, &l.activityCommission, &l.mode, &l.product1, &l.product2, &l.p3); err != nil {
			return nil, fmt.Errorf("commission lines: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// levelRates are a distributor level's rates, by level id.
type levelRates struct {
	id    int64
	rates [3]int
}

// recipientLevelTx returns the distributor level of the customer, if any.
func recipientLevelTx(ctx context.Context, tx *sql.Tx, id int64) (*levelRates, error) {
	var lr levelRates
	err := tx.QueryRowContext(ctx, `SELECT l.id, l.rate1_bp, l.rate2_bp, l.rate3_bp FROM distributors d
		JOIN distributor_levels l ON l.id = d.level_id AND l.deleted_at IS NULL WHERE d.customer_id = ?`, id).
		Scan(&lr.id, &lr.rates[0], &lr.rates[1], &lr.rates[2])
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("distributor level: %w", err)
	}
	return &lr, nil
}

// CommissionRule is how one level of one line earns: a rate of the base or
// a fixed amount per unit, and where it came from.
type CommissionRule struct {
	RateBP int
	Unit   Fen
	Rule   string // shop, level:ID, product, product_fixed, agent
}

// Amount is what the rule earns on base for qty units, never more than cap.
func (r CommissionRule) Amount(base Fen, qty int, cap Fen) Fen {
	var a Fen
	if r.Unit > 0 {
		a = r.Unit * Fen(qty)
	} else {
		a = base * Fen(r.RateBP) / 10000
	}
	return max(0, min(a, cap))
}

// ruleFor picks the rule of one level: the product's own (fixed or rates),
// else the recipient's distributor level, else the shop's rates.
func ruleFor(s *DistSettings, l commissionLine, level int, lr *levelRates) CommissionRule {
	switch l.mode {
	case "fixed":
		return CommissionRule{Unit: Fen(l.productRule(level)), Rule: "product_fixed"}
	case "rates":
		return CommissionRule{RateBP: int(l.productRule(level)), Rule: "product"}
	}
	if lr != nil {
		return CommissionRule{RateBP: lr.rates[level-1], Rule: "level:" + strconv.FormatInt(lr.id, 10)}
	}
	return CommissionRule{RateBP: s.Rates[level-1], Rule: "shop"}
}

// orderChainTx reads the order's snapshotted referrer chain.
func orderChainTx(ctx context.Context, tx *sql.Tx, orderID int64) (chain []int64, buyer int64, region string, err error) {
	var raw string
	if err = tx.QueryRowContext(ctx, `SELECT referrer_chain, customer_id, ship_region FROM orders WHERE id = ?`, orderID).
		Scan(&raw, &buyer, &region); err != nil {
		return nil, 0, "", fmt.Errorf("referrer chain: %w", err)
	}
	if err = json.Unmarshal([]byte(raw), &chain); err != nil {
		return nil, 0, "", fmt.Errorf("referrer chain: %w", err)
	}
	return chain, buyer, region, nil
}

// createCommissionsTx writes the pending commissions of a paid order.
func (db *DB) createCommissionsTx(ctx context.Context, tx *sql.Tx, s *DistSettings, orderID int64, now int64) error {
	chain, buyer, region, err := orderChainTx(ctx, tx, orderID)
	if err != nil {
		return err
	}
	var agents []regionAgent
	if s.Agents && region != "" {
		if agents, err = regionAgentsTx(ctx, tx, region, now); err != nil {
			return err
		}
	}
	if len(chain) == 0 && len(agents) == 0 {
		return nil
	}
	lines, err := commissionLinesTx(ctx, tx, `l.order_id = ?`, orderID)
	if err != nil {
		return err
	}
	// The recipients who may earn, with their levels, once per order.
	type recipient struct {
		id int64
		lr *levelRates
	}
	var recipients []recipient
	for i, id := range chain {
		if i >= s.Levels {
			break
		}
		ok, err := activeDistributorTx(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if !ok {
			recipients = append(recipients, recipient{}) // this level earns nothing
			continue
		}
		if err := ensureDistributorTx(ctx, tx, s, id, now); err != nil {
			return err
		}
		lr, err := recipientLevelTx(ctx, tx, id)
		if err != nil {
			return err
		}
		recipients = append(recipients, recipient{id: id, lr: lr})
	}
	earned := make(map[int64]Fen)
	var sales Fen
	for _, l := range lines {
		if l.mode == "off" || (l.activity != "" && !l.activityCommission) {
			continue
		}
		base := l.base(s)
		left := base // what the line can still pay: commission never exceeds the base
		for i, r := range recipients {
			if r.id == 0 {
				continue
			}
			rule := ruleFor(s, l, i+1, r.lr)
			amount := rule.Amount(base, l.qty, left)
			if amount <= 0 {
				continue
			}
			left -= amount
			if err := insertCommissionTx(ctx, tx, orderID, l.id, r.id, buyer, CommissionLevel, i+1, 0, base, rule, amount, now); err != nil {
				return err
			}
			earned[r.id] += amount
			if i == 0 {
				// A promoted sale is a line with a level-1 commission: the
				// refunds find the promoter by that row.
				sales += l.paid
			}
		}
		below := 0
		for _, a := range agents {
			diff := a.rate - below
			below = max(below, a.rate)
			if diff <= 0 {
				continue
			}
			rule := CommissionRule{RateBP: diff, Rule: "agent"}
			amount := rule.Amount(base, l.qty, left)
			if amount <= 0 {
				continue
			}
			left -= amount
			// The agent's commission balance lives on a distributors row: an
			// agent the shop appointed who is no distributor yet gets one.
			if err := makeDistributorTx(ctx, tx, a.customerID, "agent", now); err != nil {
				return err
			}
			if err := insertCommissionTx(ctx, tx, orderID, l.id, a.customerID, buyer, CommissionAgent, a.tierLevel, a.id, base, rule, amount, now); err != nil {
				return err
			}
			earned[a.customerID] += amount
		}
	}
	if sales > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE distributors SET sales_fen = sales_fen + ?, updated_at = ? WHERE customer_id = ?`,
			sales, now, recipients[0].id); err != nil {
			return fmt.Errorf("promoted sales: %w", err)
		}
	}
	ids := make([]int64, 0, len(earned))
	for id := range earned {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE distributors SET pending_fen = pending_fen + ?, updated_at = ? WHERE customer_id = ?`,
			earned[id], now, id); err != nil {
			return fmt.Errorf("pending commission: %w", err)
		}
		if _, err := db.sendMessageTx(ctx, tx, id, MessageInput{Kind: MessageCommission, Title: "新佣金待结算",
			Body: fmt.Sprintf("您推广的订单已付款，佣金 ¥%s 待结算（确认收货后结算）", earned[id].String()),
			Link: "/distributor/commissions"}); err != nil {
			return err
		}
	}
	return nil
}

func insertCommissionTx(ctx context.Context, tx *sql.Tx, orderID, lineID, recipientID, buyerID int64, kind string, level int, agentID int64,
	base Fen, rule CommissionRule, amount Fen, now int64) error {
	var agent any
	if agentID > 0 {
		agent = agentID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO commissions (order_id, line_id, recipient_id, buyer_id, kind, level, agent_id,
		base_fen, rate_bp, unit_fen, rule, original_fen, amount_fen, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		orderID, lineID, recipientID, buyerID, kind, level, agent, base, rule.RateBP, rule.Unit, rule.Rule, amount, amount, now, now)
	if err != nil {
		return fmt.Errorf("insert commission: %w", err)
	}
	return nil
}

// commissionRow is a commission as the refund and settlement steps see it.
type commissionRow struct {
	id, recipientID, orderID int64
	kind                     string
	level                    int
	original, amount, clawed Fen
	base                     Fen
	status                   string
}

func commissionRowsTx(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]commissionRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, recipient_id, order_id, kind, level, original_fen, amount_fen, clawed_fen,
		base_fen, status FROM commissions WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("commissions: %w", err)
	}
	defer rows.Close()
	var out []commissionRow
	for rows.Next() {
		var c commissionRow
		if err := rows.Scan(&c.id, &c.recipientID, &c.orderID, &c.kind, &c.level, &c.original, &c.amount, &c.clawed,
			&c.base, &c.status); err != nil {
			return nil, fmt.Errorf("commissions: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// remaining is what a commission of original is worth once refunded of
// paid is refunded (pro rata, rounded down; qty decides a line paid 0).
func remaining(original, paid, refunded Fen, qty, refundedQty int) Fen {
	if paid > 0 {
		if refunded >= paid {
			return 0
		}
		return original * (paid - refunded) / paid
	}
	if refundedQty >= qty {
		return 0
	}
	return original * Fen(qty-refundedQty) / Fen(qty)
}

// commissionRefundTx reduces the commissions of a refunded line.
func commissionRefundTx(ctx context.Context, tx *sql.Tx, e OrderEvent, now int64) error {
	if e.LineID == 0 {
		return nil
	}
	lines, err := commissionLinesTx(ctx, tx, `l.id = ?`, e.LineID)
	if err != nil || len(lines) == 0 {
		return err
	}
	l := lines[0]
	rows, err := commissionRowsTx(ctx, tx, `line_id = ? AND status != 'cancelled'`, e.LineID)
	if err != nil {
		return err
	}
	if e.RefundGoods > 0 {
		// Promoted sales are what the buyers paid, refunds taken off, also
		// once the level-1 commission was cancelled.
		if _, err := tx.ExecContext(ctx, `UPDATE distributors SET sales_fen = sales_fen - ? WHERE customer_id =
			(SELECT recipient_id FROM commissions WHERE line_id = ? AND kind = 'level' AND level = 1)`,
			e.RefundGoods, e.LineID); err != nil {
			return fmt.Errorf("promoted sales: %w", err)
		}
	}
	for _, c := range rows {
		target := remaining(c.original, l.paid, l.refunded, l.qty, l.refundedQty)
		delta := c.amount - target
		if delta <= 0 {
			continue
		}
		switch c.status {
		case CommissionPending:
			status, cancelled := CommissionPending, any(nil)
			if target == 0 {
				status, cancelled = CommissionCancelled, now
			}
			if err := execOne(ctx, tx, `UPDATE commissions SET amount_fen = ?, status = ?, cancelled_at = ?, updated_at = ?
				WHERE id = ? AND status = 'pending' AND amount_fen = ?`, target, status, cancelled, now, c.id, c.amount); err != nil {
				return fmt.Errorf("reduce commission: %w", ErrConflict)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE distributors SET pending_fen = pending_fen - ?, updated_at = ? WHERE customer_id = ?`,
				delta, now, c.recipientID); err != nil {
				return fmt.Errorf("reduce commission: %w", err)
			}
		case CommissionSettled:
			if err := execOne(ctx, tx, `UPDATE commissions SET amount_fen = ?, clawed_fen = clawed_fen + ?, updated_at = ?
				WHERE id = ? AND status = 'settled' AND amount_fen = ?`, target, delta, now, c.id, c.amount); err != nil {
				return fmt.Errorf("claw back commission: %w", ErrConflict)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE distributors SET settled_fen = settled_fen - ? WHERE customer_id = ?`,
				delta, c.recipientID); err != nil {
				return fmt.Errorf("claw back commission: %w", err)
			}
			if _, err := moveCommissionTx(ctx, tx, c.recipientID, CLedgerClawback, -delta, "commission", c.id,
				"退款追回佣金", SystemActor, now, true); err != nil {
				return err
			}
		}
	}
	return spendRefundTx(ctx, tx, e, now)
}

// commissionCloseTx cancels what is still pending on a closed order (every
// piece refunded).
func commissionCloseTx(ctx context.Context, tx *sql.Tx, orderID int64, now int64) error {
	rows, err := commissionRowsTx(ctx, tx, `order_id = ? AND status = 'pending'`, orderID)
	if err != nil {
		return err
	}
	for _, c := range rows {
		if err := execOne(ctx, tx, `UPDATE commissions SET amount_fen = 0, status = 'cancelled', cancelled_at = ?, updated_at = ?
			WHERE id = ? AND status = 'pending'`, now, now, c.id); err != nil {
			return fmt.Errorf("cancel commission: %w", ErrConflict)
		}
		if c.amount > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE distributors SET pending_fen = pending_fen - ?, updated_at = ? WHERE customer_id = ?`,
				c.amount, now, c.recipientID); err != nil {
				return fmt.Errorf("cancel commission: %w", err)
			}
		}
	}
	return nil
}

// orderCompletedTx keeps the buyer's own spend and makes them a distributor
// when the mode says a purchase or a spend does.
func orderCompletedTx(ctx context.Context, tx *sql.Tx, s *DistSettings, buyer int64, now int64) error {
	var spend Fen
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(paid_fen - refunded_fen), 0) FROM orders
		WHERE customer_id = ? AND status = 'completed'`, buyer).Scan(&spend); err != nil {
		return fmt.Errorf("own spend: %w", err)
	}
	if s.Enabled {
		switch {
		case s.Mode == DistAfterPurchase, s.Mode == DistSpend && spend >= s.SpendThreshold:
			if err := makeDistributorTx(ctx, tx, buyer, s.Mode, now); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE distributors SET spend_fen = ?, updated_at = ? WHERE customer_id = ?`, spend, now, buyer); err != nil {
		return fmt.Errorf("own spend: %w", err)
	}
	return nil
}

// spendRefundTx takes a refund of a completed order off the buyer's spend.
func spendRefundTx(ctx context.Context, tx *sql.Tx, e OrderEvent, now int64) error {
	if e.From != StatusCompleted {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE distributors SET spend_fen = (SELECT COALESCE(SUM(paid_fen - refunded_fen), 0)
		FROM orders WHERE customer_id = ?1 AND status = 'completed'), updated_at = ?2 WHERE customer_id = ?1`, e.CustomerID, now)
	if err != nil {
		return fmt.Errorf("own spend: %w", err)
	}
	return nil
}

// moveCommissionTx changes a commission balance by delta and appends the
// ledger row. With mayGoNegative false (withdrawals) a balance that would
// go below zero is ErrInsufficientBalance and changes nothing; claw-backs
// may take it below zero, to be netted against future commission.
func moveCommissionTx(ctx context.Context, tx *sql.Tx, customerID int64, kind string, delta Fen, refType string, refID int64,
	note string, actor Actor, now int64, mayGoNegative bool) (Fen, error) {
	guard := ` AND balance_fen + ?1 >= 0`
	if mayGoNegative || delta >= 0 {
		guard = ``
	}
	var after Fen
	err := tx.QueryRowContext(ctx, `UPDATE distributors SET balance_fen = balance_fen + ?1, updated_at = ?3
		WHERE customer_id = ?2`+guard+` RETURNING balance_fen`, delta, customerID, now).Scan(&after)
	if errors.Is(err, sql.ErrNoRows) {
		st, err := distributorTx(ctx, tx, customerID)
		if err != nil {
			return 0, err
		}
		if st == "" {
			return 0, ErrNotFound
		}
		return 0, ErrInsufficientBalance
	}
	if err != nil {
		return 0, fmt.Errorf("commission balance: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO commission_ledger (customer_id, kind, amount_fen, balance_fen, ref_type, ref_id,
		note, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		customerID, kind, delta, after, refType, refID, note, string(actor), now); err != nil {
		return 0, fmt.Errorf("commission ledger: %w", err)
	}
	return after, nil
}

// LevelDiscountTx gives a distributor buying for themself the own-purchase
// discount of their distributor level (分销等级), on each line at the
// price pipeline's activity stage, recorded under source.
func LevelDiscountTx(ctx context.Context, tx *sql.Tx, q *Quote, source string) error {
	if q.CustomerID == 0 {
		return nil
	}
	s := distSettingsTx(ctx, tx)
	if !s.Enabled {
		return nil
	}
	var bp int
	var name string
	err := tx.QueryRowContext(ctx, `SELECT l.discount_bp, l.name FROM distributors d
		JOIN distributor_levels l ON l.id = d.level_id AND l.deleted_at IS NULL
		WHERE d.customer_id = ? AND d.status = 'active'`, q.CustomerID).Scan(&bp, &name)
	if errors.Is(err, sql.ErrNoRows) || bp <= 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("level discount: %w", err)
	}
	for i, l := range q.Lines {
		if l.Activity != "" {
			continue // an activity's price is already the offer
		}
		q.DiscountLine(i, StageLine, source, name+"折扣", l.Payable()*Fen(bp)/10000)
	}
	return nil
}
