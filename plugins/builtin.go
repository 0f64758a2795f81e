package plugins

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
