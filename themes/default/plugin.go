package defaulttheme

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/themes"
)

var _ themes.PluginTheme = Theme{}

// PluginPage renders a plugin's page in the account shell.
func (Theme) PluginPage(vm themes.PluginPage) templ.Component { return PluginShell(vm) }
