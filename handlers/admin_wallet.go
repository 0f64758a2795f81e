package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// The back office of the wallet: the customer list with balances (search by
// phone), a customer's wallet with the adjustment form, and the recharge
// packages (充值送).

const adminCustomersPerPage = 20

// adminWalletRoutes registers the wallet's back-office pages.
func (h *Handler) adminWalletRoutes(g *gin.RouterGroup) {
	g.GET("/customers", h.wrap(h.adminCustomers))
	h.adminTagRoutes(g)
	g.GET("/customers/:id/wallet", h.wrap(h.adminCustomerWallet))
	g.POST("/customers/:id/wallet", h.wrap(h.adminAdjustWallet))

	pkgs := h.rechargePackageDeletable()
	g.GET("/recharge-packages", h.wrap(h.adminRechargePackages))
	g.GET("/recharge-packages/new", h.wrap(h.adminRechargePackageNew))
	g.POST("/recharge-packages/new", h.wrap(h.adminRechargePackageCreate))
	g.GET("/recharge-packages/:id/edit", h.wrap(h.adminRechargePackageEdit))
	g.POST("/recharge-packages/:id/edit", h.wrap(h.adminRechargePackageUpdate))
	g.GET("/recharge-packages/:id/delete", h.wrap(h.confirmDelete(pkgs)))
	g.POST("/recharge-packages/:id/delete", h.wrap(h.deleteItem(pkgs)))
}

// adminCustomers lists the customers, newest first, with their balances.
func (h *Handler) adminCustomers(c *gin.Context) error {
	page := 1
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		page = p
	}
	l := admin.CustomerList{Phone: strings.TrimSpace(c.Query("phone")), TagID: formID(c.Query("tag")), Page: page}
	var err error
	l.Customers, l.Total, err = h.db.CustomerWalletsTagged(c.Request.Context(), l.Phone, l.TagID, (page-1)*adminCustomersPerPage, adminCustomersPerPage)
	if err != nil {
		return err
	}
	if err := h.customerListTags(c.Request.Context(), &l); err != nil {
		return err
	}
	l.Pages = (l.Total + adminCustomersPerPage - 1) / adminCustomersPerPage
	h.render(c, http.StatusOK, admin.CustomersPage(l))
	return nil
}

// walletAdjustForm loads a customer's wallet for the adjustment page.
func (h *Handler) walletAdjustForm(c *gin.Context) (admin.WalletAdjustForm, error) {
	ctx := c.Request.Context()
	id, err := adminID(c)
	if err != nil {
		return admin.WalletAdjustForm{}, err
	}
	cu, err := h.db.CustomerByID(ctx, id)
	if err != nil {
		return admin.WalletAdjustForm{}, err
	}
	f := admin.WalletAdjustForm{Customer: cu}
	if f.Tags, err = h.db.CustomerTags(ctx, id); err != nil {
		return f, err
	}
	if f.AllTags, err = h.db.Tags(ctx); err != nil {
		return f, err
	}
	if f.Balance, err = h.db.Wallet(ctx, id); err != nil {
		return f, err
	}
	if f.Ledger, f.Total, err = h.db.WalletLedger(ctx, id, 0, 50); err != nil {
		return f, err
	}
	return f, nil
}

// adminCustomerWallet shows a customer's balance, ledger and the form.
func (h *Handler) adminCustomerWallet(c *gin.Context) error {
	f, err := h.walletAdjustForm(c)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.WalletAdjustPage(f))
	return nil
}

// adminAdjustWallet adds to or deducts from a customer's balance, with a
// reason, in the staff member's name.
func (h *Handler) adminAdjustWallet(c *gin.Context) error {
	ctx := c.Request.Context()
	f, err := h.walletAdjustForm(c)
	if err != nil {
		return err
	}
	f.Direction, f.Amount, f.Reason = c.PostForm("direction"), strings.TrimSpace(c.PostForm("amount")), c.PostForm("reason")
	var v store.ValidationErrors
	amount, perr := store.ParseFen(f.Amount)
	if perr != nil || amount == 0 {
		v.Add("amount", "wallet.amount_invalid")
	}
	if f.Direction == "deduct" {
		amount = -amount
	}
	if len(v) == 0 {
		staff := "staff"
		if s := views.Staff(ctx); s != nil {
			staff = s.Username
		}
		if _, err := h.db.AdjustWallet(ctx, f.Customer.ID, amount, staff, f.Reason); err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.WalletAdjustPage(f))
		return nil
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "wallet.admin.adjusted", "amount", views.Money(ctx, amount)))
	redirect(c, "/admin/customers/"+strconv.FormatInt(f.Customer.ID, 10)+"/wallet")
	return nil
}

// adminRechargePackages lists the recharge packages.
func (h *Handler) adminRechargePackages(c *gin.Context) error {
	pkgs, err := h.db.RechargePackages(c.Request.Context(), false)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.RechargePackagesPage(pkgs))
	return nil
}

// adminRechargePackageNew shows an empty package form.
func (h *Handler) adminRechargePackageNew(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.RechargePackageFormPage(admin.RechargePackageForm{Active: true}))
	return nil
}

// adminRechargePackageEdit shows a package's form.
func (h *Handler) adminRechargePackageEdit(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	p, err := h.db.RechargePackageByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.RechargePackageFormPage(admin.RechargePackageForm{
		ID: p.ID, Pay: p.Pay.String(), Bonus: p.Bonus.String(), Sort: strconv.Itoa(p.Sort), Active: p.Active,
	}))
	return nil
}

// adminRechargePackageCreate handles the new package form.
func (h *Handler) adminRechargePackageCreate(c *gin.Context) error {
	return h.submitRechargePackage(c, 0)
}

// adminRechargePackageUpdate handles a package's edit form.
func (h *Handler) adminRechargePackageUpdate(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	if _, err := h.db.RechargePackageByID(c.Request.Context(), id); err != nil {
		return err
	}
	return h.submitRechargePackage(c, id)
}

func (h *Handler) submitRechargePackage(c *gin.Context, id int64) error {
	ctx := c.Request.Context()
	f := admin.RechargePackageForm{
		ID: id, Pay: strings.TrimSpace(c.PostForm("pay")), Bonus: strings.TrimSpace(c.PostForm("bonus")),
		Sort: strings.TrimSpace(c.PostForm("sort")), Active: c.PostForm("active") != "",
	}
	var v store.ValidationErrors
	money := func(s, field string) store.Fen {
		if s == "" && field == "bonus" {
			return 0
		}
		f, err := store.ParseFen(s)
		if err != nil {
			v.Add(field, "wallet.amount_invalid")
		}
		return f
	}
	in := store.RechargePackageInput{Pay: money(f.Pay, "pay"), Bonus: money(f.Bonus, "bonus"), Active: f.Active, Sort: formInt(f.Sort, "sort", &v)}
	if len(v) == 0 {
		var err error
		if id == 0 {
			_, err = h.db.CreateRechargePackage(ctx, in)
		} else {
			err = h.db.UpdateRechargePackage(ctx, id, in)
		}
		if err != nil && !addValidation(&v, err) {
			return err
		}
	}
	if len(v) > 0 {
		f.Errors = formErrors(ctx, v)
		h.render(c, http.StatusUnprocessableEntity, admin.RechargePackageFormPage(f))
		return nil
	}
	h.addFlash(c, "success", i18n.Tc(ctx, "common.saved"))
	redirect(c, "/admin/recharge-packages")
	return nil
}

// rechargePackageDeletable deletes recharge packages (softly: recharges
// keep theirs).
func (h *Handler) rechargePackageDeletable() deletable {
	return deletable{
		list: "/admin/recharge-packages", title: "wallet.admin.package_delete", confirm: "wallet.admin.confirm_delete",
		done: "admin.deleted_named", del: h.db.DeleteRechargePackage,
		name: func(ctx context.Context, id int64) (string, error) {
			p, err := h.db.RechargePackageByID(ctx, id)
			if err != nil {
				return "", err
			}
			if p.Bonus > 0 {
				return i18n.Tc(ctx, "wallet.admin.package_name_bonus", "pay", p.Pay.String(), "bonus", p.Bonus.String()), nil
			}
			return i18n.Tc(ctx, "wallet.admin.package_name", "pay", p.Pay.String()), nil
		},
	}
}
