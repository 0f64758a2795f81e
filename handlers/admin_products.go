package handlers

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminPageSize is the number of products on one page of the list.
const adminPageSize = 20

// productQuery reads the list's filter from the query string, dropping
// values the list does not offer.
func productQuery(c *gin.Context) admin.ProductQuery {
	q := admin.ProductQuery{Q: strings.TrimSpace(c.Query("q")), Page: 1}
	if id := formID(c.Query("category")); id > 0 {
		q.Category = strconv.FormatInt(id, 10)
	}
	if id := formID(c.Query("brand")); id > 0 {
		q.Brand = strconv.FormatInt(id, 10)
	}
	if s := c.Query("shelf"); s == "on" || s == "off" {
		q.Shelf = s
	}
	if t := c.Query("tag"); slices.Contains(store.Tags, t) {
		q.Tag = t
	}
	if c.Query("stock") == "out" {
		q.Stock = "out"
	}
	switch s := c.Query("sort"); s {
	case store.SortSales, store.SortPriceAsc, store.SortPriceDesc, store.SortNewest:
		q.Sort = s
	}
	if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 1 {
		q.Page = p
	}
	return q
}

// productFilter is the store filter of a list query (one page of it).
func productFilter(q admin.ProductQuery) store.ProductFilter {
	return store.ProductFilter{
		Query:      q.Q,
		CategoryID: formID(q.Category),
		BrandID:    formID(q.Brand),
		Shelf:      q.Shelf,
		Tag:        q.Tag,
		OutOfStock: q.Stock == "out",
		Sort:       q.Sort,
		Offset:     (max(q.Page, 1) - 1) * adminPageSize,
		Limit:      adminPageSize,
	}
}

// adminProducts is the product list.
func (h *Handler) adminProducts(c *gin.Context) error {
	ctx := c.Request.Context()
	q := productQuery(c)
	products, total, err := h.db.Products(ctx, productFilter(q))
	if err != nil {
		return err
	}
	pages := (total + adminPageSize - 1) / adminPageSize
	if len(products) == 0 && q.Page > pages && pages > 0 {
		// A page past the end (the last rows were just deleted): show the last one.
		c.Redirect(http.StatusSeeOther, q.PageURL(pages))
		return nil
	}
	cats, err := h.db.Categories(ctx, true)
	if err != nil {
		return err
	}
	brands, err := h.db.Brands(ctx)
	if err != nil {
		return err
	}
	h.render(c, http.StatusOK, admin.ProductListPage(admin.ProductList{
		Query: q, Products: products, Total: total, Pages: pages,
		Categories: cats, Brands: brands,
	}))
	return nil
}

// postedIDs reads the ticked product ids, posted as ids or ids[].
func postedIDs(c *gin.Context) []int64 {
	var ids []int64
	for _, s := range append(c.PostFormArray("ids"), c.PostFormArray("ids[]")...) {
		if id := formID(s); id > 0 && !slices.Contains(ids, id) && len(ids) < 1000 {
			ids = append(ids, id)
		}
	}
	return ids
}

// adminProductsShelf puts the ticked products on (on=1) or off (on=0) the
// shelf. The single-row toggle, sent by htmx with row=1, gets the row back;
// everyone else a flash and the list they came from.
func (h *Handler) adminProductsShelf(c *gin.Context) error {
	ctx := c.Request.Context()
	var on bool
	switch c.PostForm("on") {
	case "1":
		on = true
	case "0":
	default:
		return ErrBadRequest
	}
	back := adminBack(c, "/admin/products")
	ids := postedIDs(c)
	if len(ids) == 0 {
		h.addFlash(c, "warning", i18n.Tc(ctx, "product.none_selected"))
		redirect(c, back)
		return nil
	}
	n, err := h.db.SetOnShelf(ctx, ids, on)
	if err != nil {
		return err
	}
	if c.PostForm("row") == "1" && len(ids) == 1 && isHTMX(c) {
		p, err := h.db.ProductByID(ctx, ids[0])
		if err != nil {
			return err
		}
		h.render(c, http.StatusOK, admin.ProductRow(*p, back))
		return nil
	}
	key := "product.batch_off_shelf_done"
	if on {
		key = "product.batch_on_shelf_done"
	}
	h.addFlash(c, "success", i18n.Tc(ctx, key, "count", n))
	redirect(c, back)
	return nil
}

// adminProductsCSV streams the products matching the list's filter, one row
// per SKU. It starts with a UTF-8 byte order mark: without it Excel reads
// the file in the system code page and garbles Chinese.
func (h *Handler) adminProductsCSV(c *gin.Context) error {
	ctx := c.Request.Context()
	f := productFilter(productQuery(c))
	name := "products-" + time.Now().Format("20060102") + ".csv"
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString("\uFEFF"); err != nil {
		return nil // the client went away
	}
	w := csv.NewWriter(c.Writer)
	w.UseCRLF = true
	t := func(key string) string { return i18n.Tc(ctx, key) }
	w.Write([]string{
		t("admin.csv_product_id"), t("product.field.title"), t("product.field.category"), t("product.field.brand"),
		t("product.field.specs"), t("admin.csv_sku_code"), t("admin.csv_price_yuan"), t("admin.csv_list_price_yuan"),
		t("product.field.stock"), t("product.field.weight_g"), t("admin.csv_on_shelf"),
	})
	yes, no := t("common.yes"), t("common.no")
	err := h.db.EachProductSKU(ctx, f, func(p *store.Product, s store.SKU) error {
		list := ""
		if s.ListPrice > 0 {
			list = s.ListPrice.String()
		}
		shelf := no
		if p.OnShelf {
			shelf = yes
		}
		return w.Write([]string{
			strconv.FormatInt(p.ID, 10), csvText(p.Title), csvText(p.CategoryName), csvText(p.BrandName),
			csvText(s.Label()), csvText(s.Code), s.Price.String(), list,
			strconv.Itoa(s.Stock), strconv.Itoa(s.WeightG), shelf,
		})
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		// The status line is gone already: log it, and the file ends short.
		h.log.Error("product export", "err", err, "request_id", c.GetString("request_id"))
	}
	return nil
}

// csvText defuses text a spreadsheet would run as a formula (=, +, -, @ at
// the start) by prefixing an apostrophe, which the spreadsheet hides.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
