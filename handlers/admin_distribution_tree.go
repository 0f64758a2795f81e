package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
)

// The 推广关系 browser: a distributor's downline level by level, each page
// and each member's direct referrals read through the ref_path index range
// (fast on a tree of any size).

// treeMaxDepth is the deepest level the browser counts and offers.
const treeMaxDepth = 10

// adminDistTree shows the downline of the root (?root=ID or ?phone=).
func (h *Handler) adminDistTree(c *gin.Context) error {
	ctx := c.Request.Context()
	p := admin.TreePage{Phone: strings.TrimSpace(c.Query("phone")), Depth: 1}
	p.RootID = formID(c.Query("root"))
	if p.Phone != "" {
		id, err := h.db.CustomerIDByPhone(ctx, p.Phone, "phone")
		if msg, ok := validationMessage(ctx, err); ok {
			p.Error = msg
			h.render(c, http.StatusOK, admin.DistTreePage(p))
			return nil
		}
		if err != nil {
			return err
		}
		p.RootID = id
	}
	if p.RootID == 0 {
		h.render(c, http.StatusOK, admin.DistTreePage(p))
		return nil
	}
	root, err := h.db.DistributorByID(ctx, p.RootID)
	if isNotFound(err) {
		// A customer who is not a distributor still has a downline.
		cu, err := h.db.CustomerByID(ctx, p.RootID)
		if err != nil {
			return err
		}
		root = &store.Distributor{CustomerID: cu.ID, Phone: cu.Phone, Nickname: cu.Nickname}
	} else if err != nil {
		return err
	}
	p.Root = root
	if p.Phone == "" {
		p.Phone = root.Phone
	}
	if p.Levels, err = h.db.DownlineLevels(ctx, p.RootID, treeMaxDepth); err != nil {
		return err
	}
	if d, err := strconv.Atoi(c.Query("depth")); err == nil && d >= 1 && d <= len(p.Levels) {
		p.Depth = d
	}
	if len(p.Levels) > 0 {
		if p.Members, err = h.treeMembers(c, p.RootID, p.Depth, 0, false); err != nil {
			return err
		}
	}
	h.render(c, http.StatusOK, admin.DistTreePage(p))
	return nil
}

func (h *Handler) treeMembers(c *gin.Context, id int64, depth, offset int, nested bool) (admin.TreeMembers, error) {
	m := admin.TreeMembers{ParentID: id, Depth: depth, Offset: offset, Limit: distPageSize, Nested: nested}
	var err error
	m.Members, m.Total, err = h.db.Downline(c.Request.Context(), id, depth, offset, distPageSize)
	return m, err
}

// adminDistTreeMembers is one page of a member's downline level (htmx: the
// rows alone; without JavaScript the browser page of that member).
func (h *Handler) adminDistTreeMembers(c *gin.Context) error {
	id, err := adminID(c)
	if err != nil {
		return err
	}
	depth, _ := strconv.Atoi(c.Query("depth"))
	offset, _ := strconv.Atoi(c.Query("offset"))
	if c.GetHeader("HX-Request") == "" {
		c.Redirect(http.StatusSeeOther, "/admin/distribution/tree?root="+strconv.FormatInt(id, 10))
		return nil
	}
	m, err := h.treeMembers(c, id, max(depth, 1), max(offset, 0), c.Query("nested") == "1")
	if err != nil {
		return err
	}
	if m.Nested {
		m.Base, _ = strconv.Atoi(c.Query("base"))
		m.Nest, _ = strconv.Atoi(c.Query("nest"))
		m.Base, m.Nest = min(max(m.Base, 0), 1000), min(max(m.Nest, 0), 20)
	}
	c.Header("Vary", "HX-Request")
	h.render(c, http.StatusOK, admin.TreeMemberRows(m))
	return nil
}
