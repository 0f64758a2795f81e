package plugins

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// testEvent records which handlers ran, in order.
type testEvent struct {
	Event
	Trace []string
}

// tracer returns a handler func that records name and continues the chain.
func tracer(name string) func(*testEvent) error {
	return func(e *testEvent) error {
		e.Trace = append(e.Trace, name)
		return e.Next()
	}
}

// trigger runs h on a fresh event and returns the trace, failing on error.
func trigger(t *testing.T, h *Hook[*testEvent]) []string {
	t.Helper()
	e := &testEvent{}
	if err := h.Trigger(e); err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	return e.Trace
}

func TestHookPriorityOrder(t *testing.T) {
	type bind struct {
		id       string
		priority int
	}
	tests := []struct {
		name  string
		binds []bind
		want  []string
	}{
		{"empty", nil, nil},
		{"lower first", []bind{{"b", 20}, {"a", 10}, {"c", 30}}, []string{"a", "b", "c"}},
		{"negative before zero", []bind{{"zero", 0}, {"neg", -5}}, []string{"neg", "zero"}},
		{"equal keeps bind order", []bind{{"x", 1}, {"y", 1}, {"z", 1}, {"w", 0}}, []string{"w", "x", "y", "z"}},
		{"rebind replaces and moves", []bind{{"a", 1}, {"b", 2}, {"a", 3}}, []string{"b", "a"}},
		{"rebind same priority keeps place", []bind{{"a", 1}, {"b", 1}, {"a", 1}}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Hook[*testEvent]
			for _, b := range tt.binds {
				if got := h.Bind(&Handler[*testEvent]{ID: b.id, Priority: b.priority, Func: tracer(b.id)}); got != b.id {
					t.Fatalf("Bind returned %q, want %q", got, b.id)
				}
			}
			if got := trigger(t, &h); !slices.Equal(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
			if h.Length() != len(tt.want) {
				t.Errorf("Length = %d, want %d", h.Length(), len(tt.want))
			}
		})
	}
}

func TestHookOneOffHandlersRunLast(t *testing.T) {
	var h Hook[*testEvent]
	h.Bind(&Handler[*testEvent]{ID: "late", Priority: 100, Func: tracer("late")})
	h.BindFunc(tracer("zero"))

	e := &testEvent{}
	if err := h.Trigger(e, tracer("once-1"), tracer("once-2")); err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if want := []string{"zero", "late", "once-1", "once-2"}; !slices.Equal(e.Trace, want) {
		t.Errorf("order = %v, want %v", e.Trace, want)
	}
	if h.Length() != 2 {
		t.Errorf("one-off handlers stayed bound: Length = %d, want 2", h.Length())
	}
}

func TestHookGuardRefusalStopsChain(t *testing.T) {
	var h Hook[*testEvent]
	h.Bind(&Handler[*testEvent]{ID: "first", Priority: 0, Func: tracer("first")})
	h.Bind(&Handler[*testEvent]{ID: "guard", Priority: 1, Func: func(e *testEvent) error {
		e.Trace = append(e.Trace, "guard")
		return Refuse("stock.short", "库存不足")
	}})
	h.Bind(&Handler[*testEvent]{ID: "after", Priority: 2, Func: tracer("after")})

	e := &testEvent{}
	err := h.Trigger(e, tracer("final"))
	r, ok := IsRefusal(err)
	if !ok {
		t.Fatalf("Trigger error = %v, want a refusal", err)
	}
	if r.Code != "stock.short" || r.Message != "库存不足" || err.Error() != "库存不足" {
		t.Errorf("refusal = %+v (%q), want code stock.short, message 库存不足", r, err.Error())
	}
	if want := []string{"first", "guard"}; !slices.Equal(e.Trace, want) {
		t.Errorf("ran %v, want %v", e.Trace, want)
	}
}

func TestHookHandlerWithoutNextStopsChain(t *testing.T) {
	var h Hook[*testEvent]
	h.BindFunc(func(e *testEvent) error {
		e.Trace = append(e.Trace, "stop")
		return nil
	})
	h.BindFunc(tracer("never"))

	if got, want := trigger(t, &h), []string{"stop"}; !slices.Equal(got, want) {
		t.Errorf("ran %v, want %v", got, want)
	}
}

func TestHookFilterMutation(t *testing.T) {
	type priceEvent struct {
		Event
		Fen int64
	}
	var h Hook[*priceEvent]
	// Bound out of order: priority decides that the discount applies before shipping.
	h.Bind(&Handler[*priceEvent]{ID: "shipping", Priority: 20, Func: func(e *priceEvent) error {
		e.Fen += 800
		return e.Next()
	}})
	h.Bind(&Handler[*priceEvent]{ID: "discount", Priority: 10, Func: func(e *priceEvent) error {
		e.Fen = e.Fen * 90 / 100
		return e.Next()
	}})

	e := &priceEvent{Fen: 10000}
	if err := h.Trigger(e); err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if e.Fen != 9800 {
		t.Errorf("Fen = %d, want 9800 (10000 * 90%% + 800)", e.Fen)
	}
}

func TestHookPanicRecovery(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		value    any
		wantMsg  string
		wantBoom bool
	}{
		{"string", "bad index", `plugins: hook handler "bad" panicked: bad index`, false},
		{"error", errBoom, `plugins: hook handler "bad" panicked: boom`, true},
		{"nil", nil, `plugins: hook handler "bad" panicked: panic called with nil argument`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Hook[*testEvent]
			var sawErr error
			h.Bind(&Handler[*testEvent]{ID: "outer", Priority: 0, Func: func(e *testEvent) error {
				sawErr = e.Next()
				return sawErr
			}})
			h.Bind(&Handler[*testEvent]{ID: "bad", Priority: 1, Func: func(e *testEvent) error {
				panic(tt.value)
			}})
			h.Bind(&Handler[*testEvent]{ID: "after", Priority: 2, Func: tracer("after")})

			e := &testEvent{}
			err := h.Trigger(e)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Fatalf("Trigger error = %v, want %q", err, tt.wantMsg)
			}
			if !errors.Is(sawErr, err) {
				t.Errorf("outer handler's Next returned %v, want the panic error", sawErr)
			}
			if got := errors.Is(err, errBoom); got != tt.wantBoom {
				t.Errorf("errors.Is(err, errBoom) = %v, want %v", got, tt.wantBoom)
			}
			if len(e.Trace) != 0 {
				t.Errorf("handlers after the panic ran: %v", e.Trace)
			}
		})
	}
}

func TestHookUnbind(t *testing.T) {
	tests := []struct {
		name   string
		unbind []string
		want   []string
	}{
		{"none", nil, []string{"a", "b", "c"}},
		{"one", []string{"b"}, []string{"a", "c"}},
		{"several", []string{"a", "c"}, []string{"b"}},
		{"unknown ignored", []string{"nope"}, []string{"a", "b", "c"}},
		{"all", []string{"c", "b", "a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Hook[*testEvent]
			for i, id := range []string{"a", "b", "c"} {
				h.Bind(&Handler[*testEvent]{ID: id, Priority: i, Func: tracer(id)})
			}
			h.Unbind(tt.unbind...)
			if got := trigger(t, &h); !slices.Equal(got, tt.want) {
				t.Errorf("ran %v, want %v", got, tt.want)
			}
			if h.Length() != len(tt.want) {
				t.Errorf("Length = %d, want %d", h.Length(), len(tt.want))
			}
		})
	}
}

func TestHookBindFuncGeneratesUniqueIDs(t *testing.T) {
	var h Hook[*testEvent]
	// An explicit ID that looks generated must not be replaced by a later BindFunc.
	h.Bind(&Handler[*testEvent]{ID: "auto-2", Func: tracer("explicit")})
	first := h.BindFunc(tracer("first"))
	second := h.BindFunc(tracer("second"))
	if first == "" || second == "" || first == second || first == "auto-2" || second == "auto-2" {
		t.Fatalf("generated ids %q, %q clash with each other or with auto-2", first, second)
	}
	if h.Length() != 3 {
		t.Fatalf("Length = %d, want 3", h.Length())
	}
	h.Unbind(first)
	if got, want := trigger(t, &h), []string{"explicit", "second"}; !slices.Equal(got, want) {
		t.Errorf("after Unbind(%q) ran %v, want %v", first, got, want)
	}
}

func TestHookBindNilPanics(t *testing.T) {
	tests := []struct {
		name string
		h    *Handler[*testEvent]
	}{
		{"nil handler", nil},
		{"nil func", &Handler[*testEvent]{ID: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Bind did not panic")
				}
			}()
			var h Hook[*testEvent]
			h.Bind(tt.h)
		})
	}
}

func TestHookNextRunsRestOnce(t *testing.T) {
	var h Hook[*testEvent]
	var errs []error
	h.BindFunc(func(e *testEvent) error {
		errs = append(errs, e.Next(), e.Next())
		return nil
	})
	h.BindFunc(func(e *testEvent) error {
		e.Trace = append(e.Trace, "second")
		return errors.New("second failed")
	})

	e := &testEvent{}
	if err := h.Trigger(e); err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if want := []string{"second"}; !slices.Equal(e.Trace, want) {
		t.Errorf("ran %v, want %v", e.Trace, want)
	}
	if len(errs) != 2 || errs[0] == nil || errs[0] != errs[1] {
		t.Errorf("Next results = %v, want the same error twice", errs)
	}
}

func TestHookNestedTriggerOnSameEvent(t *testing.T) {
	var inner, outer Hook[*testEvent]
	inner.BindFunc(tracer("inner"))
	outer.BindFunc(func(e *testEvent) error {
		e.Trace = append(e.Trace, "outer-1")
		if err := inner.Trigger(e); err != nil {
			return fmt.Errorf("inner: %w", err)
		}
		return e.Next()
	})
	outer.BindFunc(tracer("outer-2"))

	e := &testEvent{}
	if err := outer.Trigger(e); err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if want := []string{"outer-1", "inner", "outer-2"}; !slices.Equal(e.Trace, want) {
		t.Errorf("ran %v, want %v", e.Trace, want)
	}
	// After Trigger the event is detached from the chain.
	if err := e.Next(); err != nil || len(e.Trace) != 3 {
		t.Errorf("Next after Trigger = %v and ran %v, want nil and nothing", err, e.Trace[3:])
	}
}

func TestHookConcurrentBindTrigger(t *testing.T) {
	var h Hook[*testEvent]
	h.Bind(&Handler[*testEvent]{ID: "base", Priority: -1, Func: tracer("base")})

	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range rounds {
				id := fmt.Sprintf("w%d-%d", w, i)
				h.Bind(&Handler[*testEvent]{ID: id, Priority: i % 7, Func: tracer(id)})
				if i%2 == 0 {
					h.Unbind(id)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range rounds {
				e := &testEvent{}
				if err := h.Trigger(e, tracer("end")); err != nil {
					errs <- err
					continue
				}
				if e.Trace[0] != "base" || e.Trace[len(e.Trace)-1] != "end" {
					errs <- fmt.Errorf("trace %v does not start with base and end with end", e.Trace)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if want := 1 + workers*rounds/2; h.Length() != want {
		t.Errorf("Length = %d, want %d", h.Length(), want)
	}
}

func TestIsRefusal(t *testing.T) {
	refusal := Refuse("coupon.expired", "优惠券已过期")
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantOK   bool
	}{
		{"nil", nil, "", false},
		{"plain error", errors.New("disk full"), "", false},
		{"refusal", refusal, "coupon.expired", true},
		{"wrapped", fmt.Errorf("checkout: %w", refusal), "coupon.expired", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := IsRefusal(tt.err)
			if ok != tt.wantOK {
				t.Fatalf("IsRefusal ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && r.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", r.Code, tt.wantCode)
			}
			if !ok && r != nil {
				t.Errorf("IsRefusal returned %v with ok false", r)
			}
		})
	}
}
