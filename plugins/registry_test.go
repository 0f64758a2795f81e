package plugins

import (
	"errors"
	"slices"
	"testing"
)

// testPlugin is a Plugin whose Register is a func.
type testPlugin struct {
	id, name string
	register func(r *Registry) error
}

func (p *testPlugin) ID() string   { return p.id }
func (p *testPlugin) Name() string { return p.name }
func (p *testPlugin) Register(r *Registry) error {
	if p.register == nil {
		return nil
	}
	return p.register(r)
}

// describedPlugin adds a description to testPlugin.
type describedPlugin struct {
	testPlugin
	description string
}

func (p *describedPlugin) Description() string { return p.description }

// badgePlugin returns a plugin that adds badge to every product page.
func badgePlugin(id, badge string, priority int) *testPlugin {
	return &testPlugin{id: id, name: "Badge " + badge, register: func(r *Registry) error {
		return Bind(r, r.ProductView, id, Handler[*ProductViewEvent]{
			Priority: priority,
			Func: func(e *ProductViewEvent) error {
				e.Badges = append(e.Badges, badge)
				return e.Next()
			},
		})
	}}
}

// badges triggers ProductView on a fresh event and returns the badges.
func badges(t *testing.T, r *Registry) []string {
	t.Helper()
	e := &ProductViewEvent{ProductID: 7}
	if err := r.ProductView.Trigger(e); err != nil {
		t.Fatalf("ProductView.Trigger: %v", err)
	}
	return e.Badges
}

func TestRegisterDuplicateID(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(badgePlugin("hot", "热卖", 0)); err != nil {
		t.Fatalf("first Register: %v", err)
	}
	err := r.Register(badgePlugin("hot", "again", 0))
	if err == nil || err.Error() != `plugins: duplicate plugin id "hot"` {
		t.Fatalf("second Register error = %v, want duplicate plugin id", err)
	}
	if got, want := badges(t, r), []string{"热卖"}; !slices.Equal(got, want) {
		t.Errorf("badges = %v, want %v: the duplicate must not bind", got, want)
	}
	if n := len(r.Plugins()); n != 1 {
		t.Errorf("%d plugins registered, want 1", n)
	}
}

func TestRegisterInvalid(t *testing.T) {
	tests := []struct {
		name    string
		plugin  Plugin
		wantErr string
	}{
		{"nil", nil, "plugins: register nil plugin"},
		{"empty id", &testPlugin{id: ""}, `plugins: invalid plugin id ""`},
		{"upper case", &testPlugin{id: "Coupon"}, `plugins: invalid plugin id "Coupon"`},
		{"space", &testPlugin{id: "full reduce"}, `plugins: invalid plugin id "full reduce"`},
		{"leading dash", &testPlugin{id: "-x"}, `plugins: invalid plugin id "-x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewRegistry().Register(tt.plugin)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Register error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRegisterFailureRollsBack(t *testing.T) {
	r := NewRegistry()
	errSetup := errors.New("missing setting")
	failing := &testPlugin{id: "half", register: func(r *Registry) error {
		if err := Bind(r, r.ProductView, "half", Handler[*ProductViewEvent]{Func: func(e *ProductViewEvent) error {
			e.Badges = append(e.Badges, "half")
			return e.Next()
		}}); err != nil {
			return err
		}
		return errSetup
	}}

	err := r.Register(failing)
	if !errors.Is(err, errSetup) || err.Error() != `plugins: register "half": missing setting` {
		t.Fatalf("Register error = %v, want the wrapped setup error", err)
	}
	if r.ProductView.Length() != 0 || len(r.Plugins()) != 0 || r.Enabled("half") {
		t.Errorf("failed plugin left state: %d handlers, plugins %v", r.ProductView.Length(), r.Plugins())
	}
	if err := r.Register(badgePlugin("half", "ok", 0)); err != nil {
		t.Errorf("re-registering the id after a failure: %v", err)
	}
}

func TestDisabledPluginSkippedAtRunTime(t *testing.T) {
	r := NewRegistry()
	if err := Load(r, []Plugin{
		badgePlugin("new", "新品", 10),
		badgePlugin("hot", "热卖", 20),
		badgePlugin("free-ship", "包邮", 30),
	}); err != nil {
		t.Fatalf("Load: %v", err)
	}

	steps := []struct {
		id   string
		on   bool
		want []string
	}{
		{"hot", false, []string{"新品", "包邮"}},
		{"new", false, []string{"包邮"}},
		{"free-ship", false, nil},
		{"hot", true, []string{"热卖"}},
		{"new", true, []string{"新品", "热卖"}},
	}
	for _, s := range steps {
		if err := r.SetEnabled(s.id, s.on); err != nil {
			t.Fatalf("SetEnabled(%q, %v): %v", s.id, s.on, err)
		}
		if r.Enabled(s.id) != s.on {
			t.Errorf("Enabled(%q) = %v, want %v", s.id, !s.on, s.on)
		}
		if got := badges(t, r); !slices.Equal(got, s.want) {
			t.Errorf("after SetEnabled(%q, %v): badges = %v, want %v", s.id, s.on, got, s.want)
		}
	}
}

func TestSetEnabledUnknown(t *testing.T) {
	r := NewRegistry()
	err := r.SetEnabled("ghost", true)
	if err == nil || err.Error() != `plugins: unknown plugin id "ghost"` {
		t.Errorf("SetEnabled error = %v, want unknown plugin id", err)
	}
	if r.Enabled("ghost") {
		t.Error("Enabled(ghost) = true for an unregistered plugin")
	}
}

func TestPluginsInfo(t *testing.T) {
	r := NewRegistry()
	described := &describedPlugin{testPlugin: testPlugin{id: "points", name: "积分"}, description: "下单送积分"}
	if err := Load(r, []Plugin{described, &testPlugin{id: "signin", name: "签到"}}); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := r.SetEnabled("signin", false); err != nil {
		t.Fatalf("SetEnabled: %v", err)
	}
	want := []Info{
		{ID: "points", Name: "积分", Description: "下单送积分", Enabled: true},
		{ID: "signin", Name: "签到", Enabled: false},
	}
	if got := r.Plugins(); !slices.Equal(got, want) {
		t.Errorf("Plugins = %+v, want %+v", got, want)
	}
}

func TestBindErrors(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(&testPlugin{id: "known"}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	pass := func(e *ProductViewEvent) error { return e.Next() }
	tests := []struct {
		name    string
		hook    *Hook[*ProductViewEvent]
		plugin  string
		fn      func(*ProductViewEvent) error
		wantErr string
	}{
		{"unknown plugin", r.ProductView, "ghost", pass, `plugins: bind for unknown plugin "ghost"`},
		{"nil hook", nil, "known", pass, `plugins: bind for "known": nil hook`},
		{"nil func", r.ProductView, "known", nil, `plugins: bind for "known": nil handler func`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Bind(r, tt.hook, tt.plugin, Handler[*ProductViewEvent]{Func: tt.fn})
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Bind error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if r.ProductView.Length() != 0 {
		t.Errorf("failed binds left %d handlers", r.ProductView.Length())
	}
}

func TestBindNamespacesHandlerIDs(t *testing.T) {
	r := NewRegistry()
	record := func(e *ProductSavedEvent) error { return e.Next() }
	for _, id := range []string{"a", "b"} {
		p := &testPlugin{id: id, register: func(r *Registry) error {
			// Both plugins use handler ID "sync": neither may replace the other's.
			for _, hid := range []string{"sync", ""} {
				if err := Bind(r, r.ProductSaved, id, Handler[*ProductSavedEvent]{ID: hid, Func: record}); err != nil {
					return err
				}
			}
			return nil
		}}
		if err := r.Register(p); err != nil {
			t.Fatalf("Register(%q): %v", id, err)
		}
	}
	if n := r.ProductSaved.Length(); n != 4 {
		t.Fatalf("ProductSaved has %d handlers, want 4", n)
	}
	// The namespaced IDs are what Unbind takes.
	r.ProductSaved.Unbind("a/sync", "a#2", "b/sync", "b#2")
	if n := r.ProductSaved.Length(); n != 0 {
		t.Errorf("after Unbind of the namespaced ids %d handlers remain", n)
	}
}

func TestBindPanicNamesPlugin(t *testing.T) {
	r := NewRegistry()
	p := &testPlugin{id: "crashy", register: func(r *Registry) error {
		return Bind(r, r.ProductSaved, "crashy", Handler[*ProductSavedEvent]{ID: "notify", Func: func(e *ProductSavedEvent) error {
			panic("nil map")
		}})
	}}
	if err := r.Register(p); err != nil {
		t.Fatalf("Register: %v", err)
	}
	err := r.ProductSaved.Trigger(&ProductSavedEvent{ProductID: 1, Created: true})
	if want := `plugins: hook handler "crashy/notify" panicked: nil map`; err == nil || err.Error() != want {
		t.Errorf("Trigger error = %v, want %q", err, want)
	}
}

func TestLoadStopsAtFirstError(t *testing.T) {
	r := NewRegistry()
	err := Load(r, []Plugin{
		badgePlugin("one", "1", 0),
		badgePlugin("one", "dup", 0),
		badgePlugin("three", "3", 0),
	})
	if err == nil || err.Error() != `plugins: duplicate plugin id "one"` {
		t.Fatalf("Load error = %v, want duplicate plugin id", err)
	}
	if r.Enabled("three") {
		t.Error("Load went on after the error")
	}
}
