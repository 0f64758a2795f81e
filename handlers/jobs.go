package handlers

import (
	"context"
	"time"
)

// job is one idempotent background task of the in-process scheduler. Each
// run works in small transactions and may be killed at any point.
type job struct {
	name  string
	every time.Duration
	run   func(ctx context.Context) error
}

// jobBatch is how many orders an order job handles per store call; it calls
// again until a call comes back with fewer.
const jobBatch = 100

func (h *Handler) jobs() []job {
	return []job{
		{name: "purge-sessions", every: 10 * time.Minute, run: func(ctx context.Context) error {
			n, err := h.db.PurgeSessions(ctx)
			if n > 0 {
				h.log.Info("purged expired sessions", "count", n)
			}
			return err
		}},
		{name: "cancel-unpaid", every: time.Minute, run: h.cancelUnpaidJob},
		{name: "auto-receive", every: 10 * time.Minute, run: h.autoReceiveJob},
		{name: "reconcile-payments", every: 2 * time.Minute, run: h.reconcileJob},
		{name: "settle-commissions", every: 10 * time.Minute, run: h.settleCommissionsJob},
		{name: "payout-withdrawals", every: 2 * time.Minute, run: h.payoutJob},
		{name: "upgrade-distributor-levels", every: 10 * time.Minute, run: h.upgradeLevelsJob},
	}
}

// cancelUnpaidJob cancels the unpaid orders whose payment deadline passed
// (their stock goes back on sale).
func (h *Handler) cancelUnpaidJob(ctx context.Context) error {
	n, err := drainBatches(ctx, h.db.CancelExpiredOrders)
	if n > 0 {
		h.log.Info("cancelled unpaid orders", "count", n)
	}
	return err
}

// autoReceiveJob confirms receipt of the shipped orders whose receipt time
// came without an open after-sale.
func (h *Handler) autoReceiveJob(ctx context.Context) error {
	n, err := drainBatches(ctx, h.db.AutoReceive)
	if n > 0 {
		h.log.Info("received shipped orders automatically", "count", n)
	}
	return err
}

// settleCommissionsJob settles the commissions whose order was completed
// SettleDays ago with no after-sale open on the line.
func (h *Handler) settleCommissionsJob(ctx context.Context) error {
	n, err := drainBatches(ctx, h.db.SettleCommissions)
	if n > 0 {
		h.log.Info("settled commissions", "count", n)
	}
	return err
}

// upgradeLevelsJob moves distributors up to the levels whose upgrade
// conditions they now meet.
func (h *Handler) upgradeLevelsJob(ctx context.Context) error {
	n, err := drainBatches(ctx, h.db.UpgradeDistributorLevels)
	if n > 0 {
		h.log.Info("upgraded distributor levels", "count", n)
	}
	return err
}

// drainBatches calls step with jobBatch until a call handles fewer (or
// fails, or ctx ends) and returns how many were handled in all.
func drainBatches(ctx context.Context, step func(ctx context.Context, limit int) (int, error)) (int, error) {
	total := 0
	for {
		n, err := step(ctx, jobBatch)
		total += n
		if err != nil || n < jobBatch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// RunJobs runs the background jobs until ctx ends; each job runs once at
// start and then on its own interval.
func (h *Handler) RunJobs(ctx context.Context) {
	for _, j := range h.jobs() {
		go func(j job) {
			t := time.NewTicker(j.every)
			defer t.Stop()
			for {
				if err := j.run(ctx); err != nil && ctx.Err() == nil {
					h.log.Error("job failed", "job", j.name, "err", err)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}(j)
	}
}
