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

func (h *Handler) jobs() []job {
	return []job{
		{name: "purge-sessions", every: 10 * time.Minute, run: func(ctx context.Context) error {
			n, err := h.db.PurgeSessions(ctx)
			if n > 0 {
				h.log.Info("purged expired sessions", "count", n)
			}
			return err
		}},
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
