package defaulttheme

import (
	"github.com/a-h/templ"

	"github.com/xiaodian/xiaodian/themes"
)

// AftersaleForm renders the after-sale request form.
func (Theme) AftersaleForm(vm themes.AftersaleFormPage) templ.Component { return AftersaleFormPage(vm) }

// Aftersales renders the customer's list of after-sales.
func (Theme) Aftersales(vm themes.AftersalesPage) templ.Component { return AftersalesPage(vm) }

// Aftersale renders one after-sale.
func (Theme) Aftersale(vm themes.AftersalePage) templ.Component { return AftersalePage(vm) }
