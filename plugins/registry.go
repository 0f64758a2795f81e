package plugins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/store"
)

// Plugin is a compile-time plugin. Register binds the plugin's handlers to the
// registry's hooks, through [Bind] so that disabling the plugin skips them.
type Plugin interface {
	// ID is the stable identifier: lowercase letters, digits, '.', '_' and '-',
	// starting with a letter or digit, e.g. "coupon". It keys the enabled switch.
	ID() string
	// Name is the human-readable name shown in the back office.
	Name() string
	// Register binds the plugin's handlers; an error aborts start-up.
	Register(r *Registry) error
}

// Describer is implemented by a plugin that has a one-line description for the
// back office's plugin list.
type Describer interface {
	Description() string
}

// Info describes a registered plugin for the back office.
type Info struct {
	ID          string
	Name        string
	Description string
	Enabled     bool
}

// ProductViewEvent is the filter run when a product page is built. Handlers append
// badge strings (the storefront's product.badges slot) and call Next.
type ProductViewEvent struct {
	Event
	Ctx       context.Context
	ProductID int64
	Badges    []string
	// Blocks are components drawn under the product's title (the
	// product.below_price slot).
	Blocks []templ.Component
	Store  *store.DB
}

// HomeViewEvent is the filter run when the home page is built: handlers
// append their blocks (the home.block slot), drawn after the category
// icons in the order of the chain, and their entries (the home.entries
// slot), drawn as one row of activity tiles between the category icons and
// the blocks.
//
// A plugin adds at most one entry, and only while it has something live
// for the customer to go to (a running 拼团, a coupon to claim): an entry
// to an empty page is a dead end. The home page is cached for visitors
// under the catalogue version, so a plugin whose entry comes and goes with
// time calls db.BumpCatalogue when that happens (a boundary job). Entries
// are drawn in chain order: bind the handler that adds one with a
// Handler.Priority to place it in the row.
type HomeViewEvent struct {
	Event
	Ctx     context.Context
	Blocks  []templ.Component
	Entries []HomeEntry
	Store   *store.DB
}

// HomeEntry is one tile of the home page's row of activity entries.
// Title and Hint are display text, already translated.
type HomeEntry struct {
	ID    string // picks the theme's icon, e.g. "groups", "bargains", "signin"
	Title string // e.g. 拼团
	Hint  string // one short line under the title, e.g. 好友拼团更便宜; "" = none
	URL   string // a storefront path
}

// ProductSavedEvent is the event fired by the back office after the transaction that
// created or updated a product has committed.
type ProductSavedEvent struct {
	Event
	ProductID int64
	Created   bool
}

// RegisteredEvent is the after-commit event of a new customer account
// (phone registration or a WeChat sign-in that made one). An error is
// logged; the registration stands.
type RegisteredEvent struct {
	Event
	Ctx        context.Context
	CustomerID int64
	Store      *store.DB
}

// Registry holds the hooks and the registered plugins. Create it with NewRegistry.
type Registry struct {
	// ProductView is a filter: it refines the badges shown on a product page.
	ProductView *Hook[*ProductViewEvent]
	// HomeView is a filter: it adds blocks to the home page.
	HomeView *Hook[*HomeViewEvent]
	// ProductSaved is an after-commit event: a product was created or updated.
	ProductSaved *Hook[*ProductSavedEvent]
	// Price is the price pipeline, a filter in stage order (see PriceSKU ...
	// PriceAfter); the core SKU-price and shipping filters are always bound.
	Price *Hook[*PriceEvent]
	// Order is an in-transaction event: an order was created or changed.
	Order *Hook[*OrderEvent]
	// Admission is a guard run before an order's transaction: a handler
	// may refuse a checkout from memory (a sold-out flash sale).
	Admission *Hook[*AdmitEvent]
	// Registered is an after-commit event: a customer account was made.
	Registered *Hook[*RegisteredEvent]

	mu      sync.RWMutex
	order   []*registered // registration order, for Plugins
	plugins map[string]*registered

	store atomic.Pointer[store.DB] // SetStore

	payments paymentSet // payment providers (payment.go)
	logins   loginSet   // login providers (login.go)
}

// registered is a plugin with its run-time switch and the undo of what it bound.
type registered struct {
	plugin  Plugin
	enabled atomic.Bool
	unbind  []func() // guarded by Registry.mu
}

// NewRegistry returns a registry with every hook ready and no plugins.
func NewRegistry() *Registry {
	r := &Registry{
		ProductView:  &Hook[*ProductViewEvent]{},
		ProductSaved: &Hook[*ProductSavedEvent]{},
		HomeView:     &Hook[*HomeViewEvent]{},
		Price:        &Hook[*PriceEvent]{},
		Order:        &Hook[*OrderEvent]{},
		Admission:    &Hook[*AdmitEvent]{},
		Registered:   &Hook[*RegisteredEvent]{},
		plugins:      make(map[string]*registered),
	}
	r.bindCore()
	return r
}

// Register adds p, enabled, and calls p.Register. A duplicate or malformed id, or an
// error from p.Register, is returned; in the latter case the handlers p bound are
// removed again and p is not registered.
func (r *Registry) Register(p Plugin) error {
	if p == nil {
		return errors.New("plugins: register nil plugin")
	}
	id := p.ID()
	if !validID(id) {
		return fmt.Errorf("plugins: invalid plugin id %q", id)
	}

	if c, ok := p.(Configurable); ok {
		if err := CheckSchema(c.SettingsSchema()); err != nil {
			return fmt.Errorf("plugins: register %q: %w", id, err)
		}
	}

	reg := &registered{plugin: p}
	reg.enabled.Store(true)

	r.mu.Lock()
	if _, dup := r.plugins[id]; dup {
		r.mu.Unlock()
		return fmt.Errorf("plugins: duplicate plugin id %q", id)
	}
	r.plugins[id] = reg
	r.order = append(r.order, reg)
	r.mu.Unlock()

	// p.Register runs without the lock: it calls Bind, which takes it.
	if err := p.Register(r); err != nil {
		r.remove(reg)
		return fmt.Errorf("plugins: register %q: %w", id, err)
	}
	return nil
}

// remove undoes a failed registration.
func (r *Registry) remove(reg *registered) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, unbind := range reg.unbind {
		unbind()
	}
	delete(r.plugins, reg.plugin.ID())
	for i, o := range r.order {
		if o == reg {
			r.order = append(r.order[:i:i], r.order[i+1:]...)
			break
		}
	}
}

// Plugins returns the registered plugins in registration order.
func (r *Registry) Plugins() []Info {
	r.mu.RLock()
	regs := append([]*registered(nil), r.order...)
	r.mu.RUnlock()

	// Plugin methods run without the lock, so they may call back into r.
	infos := make([]Info, 0, len(regs))
	for _, reg := range regs {
		info := Info{ID: reg.plugin.ID(), Name: reg.plugin.Name(), Enabled: reg.enabled.Load()}
		if d, ok := reg.plugin.(Describer); ok {
			info.Description = d.Description()
		}
		infos = append(infos, info)
	}
	return infos
}

// SetEnabled switches the plugin with the given id on or off; while it is off the
// handlers it bound through Bind are skipped.
func (r *Registry) SetEnabled(id string, on bool) error {
	r.mu.RLock()
	reg, ok := r.plugins[id]
	r.mu.RUnlock()
	if !ok {
		return fmt.Errorf("plugins: unknown plugin id %q", id)
	}
	reg.enabled.Store(on)
	return nil
}

// Enabled reports whether the plugin with the given id is registered and enabled.
func (r *Registry) Enabled(id string) bool {
	r.mu.RLock()
	reg, ok := r.plugins[id]
	r.mu.RUnlock()
	return ok && reg.enabled.Load()
}

// Bind binds handler to hook h on behalf of the registered plugin pluginID. While
// the plugin is disabled the handler is skipped: the chain goes straight on to the
// next handler. The handler is bound under the ID "pluginID/ID", or "pluginID#n"
// (its n-th bind) when handler.ID is empty, so plugins cannot replace each other's
// handlers and a panic names the plugin.
func Bind[T Resolver](r *Registry, h *Hook[T], pluginID string, handler Handler[T]) error {
	if h == nil {
		return fmt.Errorf("plugins: bind for %q: nil hook", pluginID)
	}
	if handler.Func == nil {
		return fmt.Errorf("plugins: bind for %q: nil handler func", pluginID)
	}

	r.mu.Lock()
	defer r.mu.Unlock()

	reg, ok := r.plugins[pluginID]
	if !ok {
		return fmt.Errorf("plugins: bind for unknown plugin %q", pluginID)
	}

	if handler.ID == "" {
		handler.ID = pluginID + "#" + strconv.Itoa(len(reg.unbind)+1)
	} else {
		handler.ID = pluginID + "/" + handler.ID
	}
	fn := handler.Func
	handler.Func = func(e T) error {
		if !reg.enabled.Load() {
			return e.Next()
		}
		return fn(e)
	}

	id := h.Bind(&handler)
	reg.unbind = append(reg.unbind, func() { h.Unbind(id) })
	return nil
}

// validID reports whether id is a well-formed plugin id.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for i, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Each calls fn for every registered plugin in registration order, with
// whether it is enabled now. fn runs without the registry's lock.
func (r *Registry) Each(fn func(p Plugin, enabled bool)) {
	r.mu.RLock()
	regs := append([]*registered(nil), r.order...)
	r.mu.RUnlock()
	for _, reg := range regs {
		fn(reg.plugin, reg.enabled.Load())
	}
}

// CustomerRegistered fires Registered for a new customer.
func (r *Registry) CustomerRegistered(ctx context.Context, customerID int64) error {
	return r.Registered.Trigger(&RegisteredEvent{Ctx: ctx, CustomerID: customerID, Store: r.db()})
}

// ViewProduct runs ProductView for a product page.
func (r *Registry) ViewProduct(ctx context.Context, productID int64) (*ProductViewEvent, error) {
	ev := &ProductViewEvent{Ctx: ctx, ProductID: productID, Store: r.db()}
	return ev, r.ProductView.Trigger(ev)
}

// ViewHome runs HomeView for the home page.
func (r *Registry) ViewHome(ctx context.Context) (*HomeViewEvent, error) {
	ev := &HomeViewEvent{Ctx: ctx, Store: r.db()}
	return ev, r.HomeView.Trigger(ev)
}
