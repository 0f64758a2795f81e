// Package plugins is xiaodian's compile-time plugin registry and its typed hooks.
//
// A plugin is a Go value implementing [Plugin]. Plugins are listed explicitly in
// builtin.Plugins (package plugins/builtin: the one list a forking developer
// extends with one line) and loaded at start-up with [Load]; a duplicate id is a start-up error. The shop owner can switch
// each plugin on or off at run time with [Registry.SetEnabled]: handlers bound through
// [Bind] are skipped while their plugin is disabled.
//
// A plugin reaches the rest of the program only through the hooks on [Registry]. Every
// hook is a [Hook], a chain of handlers sorted by priority; each handler receives the
// event and calls e.Next() to hand it on. Hooks come in three kinds:
//
//   - Guards may refuse. A guard that objects returns [Refuse](code, message) without
//     calling Next; the chain stops and the caller shows the message to the user
//     (see [IsRefusal]).
//   - Filters refine a value in a stated order. The event carries the value (a slice, a
//     pointer, an amount); each handler changes it and calls Next so later handlers see
//     the refined value. [Registry.ProductView] is a filter.
//   - Events are notifications. An event fired inside a store transaction and the same
//     event fired after the commit are two separate hooks, so a handler states which one
//     it means: a name without suffix (for example OrderPaid) runs inside the transaction
//     and may fail it, the same name with the suffix Committed (OrderPaidCommitted) runs
//     after the commit and can no longer undo it. [Registry.ProductSaved] is an
//     after-commit event.
//
// A plugin's Register method binds its handlers:
//
//	func (p *Badge) Register(r *plugins.Registry) error {
//		return plugins.Bind(r, r.ProductView, p.ID(), plugins.Handler[*plugins.ProductViewEvent]{
//			Func: func(e *plugins.ProductViewEvent) error {
//				e.Badges = append(e.Badges, "新品")
//				return e.Next()
//			},
//		})
//	}
package plugins
