package plugins

// Builtin returns the plugins compiled into this binary, in load order. It is the one
// list a forking developer reads and extends, one line per plugin value:
//
//	return []Plugin{
//		&welcomeBadge{}, // any value implementing Plugin
//	}
//
// The list is empty until the built-in plugins (marketing tools, payment and login
// providers) land; the registry and its hooks work the same with no plugins loaded.
func Builtin() []Plugin {
	return []Plugin{}
}

// Load registers ps on r in order and stops at the first failure. The error is the
// one Register returned, which already names the plugin, e.g.
// `plugins: duplicate plugin id "coupon"`.
func Load(r *Registry, ps []Plugin) error {
	for _, p := range ps {
		if err := r.Register(p); err != nil {
			return err
		}
	}
	return nil
}
