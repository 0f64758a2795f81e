package handlers

import (
	"context"
	"time"

	"github.com/xiaodian/xiaodian/plugins"
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
	return append([]job{
		{name: "purge-sessions", every: 10 * time.Minute, run: func(ctx context.Context) error {
			n, err := h.db.PurgeSessions(ctx)
			if n > 0 {
				h.log.Info("purged expired sessions", "count", n)
			}
			return err
		}},
		// Unpaid orders past their deadline are cancelled (their stock goes
		// back on sale); shipped orders whose receipt time came without an
		// open after-sale are received.
		{name: "cancel-unpaid", every: time.Minute, run: h.batchJob(h.db.CancelExpiredOrders, "cancelled unpaid orders")},
		{name: "auto-receive", every: 10 * time.Minute, run: h.batchJob(h.db.AutoReceive, "received shipped orders automatically")},
		{name: "reconcile-payments", every: 2 * time.Minute, run: h.reconcileJob},
		// Commissions settle SettleDays after receipt with no after-sale open
		// on the line.
		{name: "settle-commissions", every: 10 * time.Minute, run: h.settleCommissionsJob},
		{name: "payout-withdrawals", every: 2 * time.Minute, run: h.payoutJob},
		// Distributors move up to the levels whose conditions they now meet.
		{name: "upgrade-distributor-levels", every: 10 * time.Minute,
			run: h.batchJob(h.db.UpgradeDistributorLevels, "upgraded distributor levels")},
	}, h.pluginJobs()...)
}

// pluginJobs are the plugins' jobs, each skipped while its plugin is off.
func (h *Handler) pluginJobs() []job {
	var out []job
	h.plugins.Each(func(p plugins.Plugin, _ bool) {
		j, ok := p.(plugins.Jobber)
		if !ok {
			return
		}
		id := p.ID()
		for _, pj := range j.Jobs() {
			out = append(out, job{name: id + "/" + pj.Name, every: pj.Every, run: func(ctx context.Context) error {
				if !h.plugins.Enabled(id) {
					return nil
				}
				return pj.Run(ctx, h.db)
			}})
		}
	})
	return out
}

// batchJob is a job that calls step in batches until it is done, and logs
// done with how many it handled.
func (h *Handler) batchJob(step func(ctx context.Context, limit int) (int, error), done string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n, err := drainBatches(ctx, step)
		if n > 0 {
			h.log.Info(done, "count", n)
		}
		return err
	}
}

// settleCommissionsJob settles the commissions that are due (the job, and
// the tests that move the clock).
func (h *Handler) settleCommissionsJob(ctx context.Context) error {
	return h.batchJob(h.db.SettleCommissions, "settled commissions")(ctx)
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
