package plugins

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// Resolver is the interface every hook event satisfies, by embedding [Event].
// The unexported methods let [Hook.Trigger] wire the chain into the event.
type Resolver interface {
	// Next runs the rest of the handler chain and returns its error.
	Next() error

	nextFunc() func() error
	setNextFunc(f func() error)
}

var _ Resolver = (*Event)(nil)

// Event is the base of every hook event: embed it in an event struct and pass
// the struct by pointer.
//
//	type ProductViewEvent struct {
//		plugins.Event
//		ProductID int64
//	}
type Event struct {
	next func() error
}

// Next runs the remaining handlers of the chain and returns their error. A handler
// that returns without calling Next stops the chain. Outside a Trigger, Next does
// nothing and returns nil.
func (e *Event) Next() error {
	if e.next == nil {
		return nil
	}
	return e.next()
}

func (e *Event) nextFunc() func() error { return e.next }

func (e *Event) setNextFunc(f func() error) { e.next = f }

// Handler is one handler bound to a [Hook].
type Handler[T Resolver] struct {
	// ID names the handler for Unbind and in error messages; Bind generates one
	// when it is empty. Binding a second handler with the same ID replaces the first.
	ID string

	// Priority orders the chain: lower runs first; equal priorities run in bind order.
	Priority int

	// Func handles the event. It calls e.Next() to continue the chain and
	// usually returns what Next returned.
	Func func(e T) error
}

// boundHandler is a Handler as the hook stores it, with the sequence number that
// keeps equal priorities in bind order.
type boundHandler[T Resolver] struct {
	id       string
	priority int
	seq      uint64
	fn       func(e T) error
}

// Hook is a chain of handlers for one kind of event. The zero value is an empty hook
// ready to use, and all methods are safe for concurrent use: Trigger runs on a
// snapshot of the handlers, so a handler may Bind or Unbind (even on its own hook)
// without deadlock, and the change applies from the next Trigger.
type Hook[T Resolver] struct {
	mu sync.RWMutex
	// handlers is sorted by (priority, seq) and never modified in place: Bind and
	// Unbind build a new slice, so Trigger can use the slice it read under the lock.
	handlers []boundHandler[T]
	seq      uint64
}

// Bind adds h to the chain, or replaces the handler already bound with the same ID,
// and returns the handler's ID (generated when h.ID is empty). The hook keeps a
// copy of h. Bind panics if h or h.Func is nil: that is a programming error found
// at start-up, like registering a nil http.Handler.
func (hk *Hook[T]) Bind(h *Handler[T]) string {
	if h == nil || h.Func == nil {
		panic("plugins: Bind with a nil handler func")
	}

	hk.mu.Lock()
	defer hk.mu.Unlock()

	id := h.ID
	if id == "" {
		id = hk.newID()
	}

	handlers := make([]boundHandler[T], 0, len(hk.handlers)+1)
	replaced := false
	for _, b := range hk.handlers {
		if b.id == id {
			b.priority, b.fn = h.Priority, h.Func
			replaced = true
		}
		handlers = append(handlers, b)
	}
	if !replaced {
		hk.seq++
		handlers = append(handlers, boundHandler[T]{id: id, priority: h.Priority, seq: hk.seq, fn: h.Func})
	}
	slices.SortFunc(handlers, func(a, b boundHandler[T]) int {
		if c := cmp.Compare(a.priority, b.priority); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	hk.handlers = handlers
	return id
}

// BindFunc binds fn with priority 0 and a generated ID, and returns that ID.
func (hk *Hook[T]) BindFunc(fn func(e T) error) string {
	return hk.Bind(&Handler[T]{Func: fn})
}

// newID returns an ID no bound handler uses. The caller holds hk.mu.
func (hk *Hook[T]) newID() string {
	for n := hk.seq + 1; ; n++ {
		id := "auto-" + strconv.FormatUint(n, 10)
		if !slices.ContainsFunc(hk.handlers, func(b boundHandler[T]) bool { return b.id == id }) {
			return id
		}
	}
}

// Unbind removes the handlers with the given IDs; unknown IDs are ignored.
func (hk *Hook[T]) Unbind(ids ...string) {
	hk.mu.Lock()
	defer hk.mu.Unlock()

	handlers := make([]boundHandler[T], 0, len(hk.handlers))
	for _, b := range hk.handlers {
		if !slices.Contains(ids, b.id) {
			handlers = append(handlers, b)
		}
	}
	hk.handlers = handlers
}

// Length returns the number of bound handlers.
func (hk *Hook[T]) Length() int {
	hk.mu.RLock()
	defer hk.mu.RUnlock()
	return len(hk.handlers)
}

// Trigger runs the chain on e: the bound handlers in priority order, then
// oneOffHandlers in the order given (typically the caller's own final step). It
// returns the first handler's error, which includes whatever the rest of the chain
// returned through Next. A handler that panics does not crash the process: its panic
// becomes the error `plugins: hook handler "ID" panicked: ...`.
//
// e must be a non-nil event that no other goroutine is triggering at the same time.
func (hk *Hook[T]) Trigger(e T, oneOffHandlers ...func(T) error) error {
	hk.mu.RLock()
	chain := hk.handlers
	hk.mu.RUnlock()

	if len(oneOffHandlers) > 0 {
		all := make([]boundHandler[T], 0, len(chain)+len(oneOffHandlers))
		all = append(all, chain...)
		for i, fn := range oneOffHandlers {
			all = append(all, boundHandler[T]{id: "oneoff-" + strconv.Itoa(i), fn: fn})
		}
		chain = all
	}

	// Restore the event's previous Next when done, so an event handed from a
	// handler of one hook to the Trigger of another continues its own chain after.
	prev := e.nextFunc()
	defer e.setNextFunc(prev)
	return runChain(e, chain, 0)
}

// runChain runs chain[i] with e.Next wired to run chain[i+1:]. Next runs the rest at
// most once per step: calling it again returns the first result.
func runChain[T Resolver](e T, chain []boundHandler[T], i int) error {
	if i == len(chain) {
		return nil
	}
	var (
		called bool
		result error
		next   func() error
	)
	next = func() error {
		if !called {
			called = true
			result = runChain(e, chain, i+1)
			// The deeper steps rewired e; point it back at this step.
			e.setNextFunc(next)
		}
		return result
	}
	e.setNextFunc(next)
	return chain[i].call(e)
}

// call runs the handler, turning a panic into an error.
func (b boundHandler[T]) call(e T) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if perr, ok := r.(error); ok {
			err = fmt.Errorf("plugins: hook handler %q panicked: %w", b.id, perr)
			return
		}
		err = fmt.Errorf("plugins: hook handler %q panicked: %v", b.id, r)
	}()
	return b.fn(e)
}

// Refusal is the error a guard returns to refuse: the chain stops and the caller
// shows Message to the user.
type Refusal struct {
	// Code is a stable machine-readable reason, e.g. "coupon.expired".
	Code string
	// Message is user-facing and shown as is, e.g. "优惠券已过期".
	Message string
}

// Error returns the user-facing message.
func (r *Refusal) Error() string { return r.Message }

// Refuse returns a *Refusal; a guard returns it instead of calling Next.
func Refuse(code, msg string) error {
	return &Refusal{Code: code, Message: msg}
}

// IsRefusal reports whether err is or wraps a *Refusal, and returns it.
func IsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	if errors.As(err, &r) {
		return r, true
	}
	return nil, false
}
