package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
)

// adminPickupVerifyPage is the pickup counter's empty form.
func (h *Handler) adminPickupVerifyPage(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.PickupVerifyPage(admin.PickupVerify{}))
	return nil
}

// pickupCode reads a typed or scanned verification code: spaces and dashes
// a scanner or a person adds are dropped.
func pickupCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' || r == '\u3000' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// adminPickupLookup shows the order a code belongs to, with the confirm
// button when it can still be picked up; a wrong or used code is a message
// beside the field.
func (h *Handler) adminPickupLookup(c *gin.Context) error {
	ctx := c.Request.Context()
	p := admin.PickupVerify{Code: pickupCode(c.PostForm("code"))}
	o, err := h.db.OrderByPickupCode(ctx, p.Code)
	if err == nil && o.Status != store.StatusToPickup {
		err = store.Invalid("code", "order.pickup_code_used")
		p.Order = o
	}
	return h.pickupResult(c, p, o, err)
}

// adminPickupConfirm verifies the code and completes its order.
func (h *Handler) adminPickupConfirm(c *gin.Context) error {
	ctx := c.Request.Context()
	p := admin.PickupVerify{Code: pickupCode(c.PostForm("code"))}
	o, err := h.db.VerifyPickup(ctx, staffActor(c.Request.Context()), p.Code)
	if err == nil {
		h.render(c, http.StatusOK, admin.PickupVerifyPage(admin.PickupVerify{Done: o}))
		return nil
	}
	if prev, lerr := h.db.OrderByPickupCode(ctx, p.Code); lerr == nil {
		p.Order = prev
	}
	return h.pickupResult(c, p, nil, err)
}

func (h *Handler) pickupResult(c *gin.Context, p admin.PickupVerify, o *store.Order, err error) error {
	var v store.ValidationErrors
	if err != nil {
		if !addValidation(&v, err) {
			return err
		}
		p.Errors = formErrors(c.Request.Context(), v)
		h.render(c, http.StatusUnprocessableEntity, admin.PickupVerifyPage(p))
		return nil
	}
	p.Order = o
	h.render(c, http.StatusOK, admin.PickupVerifyPage(p))
	return nil
}
