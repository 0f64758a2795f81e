package handlers

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/xiaodian/xiaodian/handlers/poster"
	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// Promotion tools for distributors: a QR code of any page of the shop with
// the customer's referral code (/qr), a product's share poster
// (/p/:id/poster.png) and the distributor's shop page (/s/:code).

// promoRoutes registers the promotion tools.
func (h *Handler) promoRoutes(r *gin.Engine) {
	r.GET("/qr", h.wrap(h.qrCode))
	r.GET("/p/:id/poster.png", h.requireCustomer, h.wrap(h.productPoster))
	r.GET("/s/:code", h.wrap(h.distributorShop))
	r.HEAD("/s/:code", h.wrap(h.distributorShop))
}

// Sizes of /qr?s=.
const (
	qrDefaultSize = 320
	qrMinSize     = 128
	qrMaxSize     = 1024
	maxQRPathLen  = 512 // a longer link makes a QR code too dense to scan
)

// qrCode answers a PNG QR code of a page of this shop: u is a path of the
// shop ("/p/12?s0=红") or an absolute URL on the shop's own host; any other
// host or scheme is refused, so this never becomes a QR generator for other
// sites. A signed-in customer's code gets their ref=; a visitor's carries
// none.
func (h *Handler) qrCode(c *gin.Context) error {
	path, ok := h.shopPath(c, c.Query("u"))
	if !ok {
		c.String(http.StatusBadRequest, "400 bad url / 只能为本店页面生成二维码")
		return nil
	}
	size := qrDefaultSize
	if s := c.Query("s"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < qrMinSize || n > qrMaxSize {
			c.String(http.StatusBadRequest, "400 bad size")
			return nil
		}
		size = n
	}
	link := stripRef(h.absURL(c, path))
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	cacheControl := "public, max-age=86400"
	if cu != nil {
		code, err := h.db.RefCode(c.Request.Context(), cu.ID)
		if err != nil {
			return err
		}
		link = withRef(link, code)
		cacheControl = "private, max-age=86400"
	}
	b, err := qrcode.Encode(link, qrcode.Medium, size)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	c.Header("Cache-Control", cacheControl)
	c.Header("Vary", "Cookie")
	c.Data(http.StatusOK, "image/png", b)
	return nil
}

// shopPath turns u (a path of the shop, or an absolute URL of its own
// host) into the path and query of a storefront page; ok is false for
// another host or scheme, a back-office page, or anything odd.
func (h *Handler) shopPath(c *gin.Context, u string) (string, bool) {
	if u == "" || len(u) > maxQRPathLen || !utf8.ValidString(u) || strings.ContainsAny(u, "\\\x00\r\n\t") {
		return "", false
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Fragment != "" || pu.Opaque != "" || pu.User != nil {
		return "", false
	}
	if pu.Scheme != "" || pu.Host != "" {
		if !h.ownPageURL(c, u) {
			return "", false
		}
	} else if !strings.HasPrefix(pu.Path, "/") || strings.HasPrefix(u, "//") {
		return "", false
	}
	if strings.HasPrefix(pu.Path, "/admin") || strings.HasPrefix(pu.Path, "//") || strings.Contains(pu.Path, "/../") ||
		strings.HasSuffix(pu.Path, "/..") {
		return "", false
	}
	out := pu.EscapedPath()
	if out == "" {
		out = "/"
	}
	if pu.RawQuery != "" {
		out += "?" + pu.RawQuery
	}
	return out, true
}

// stripRef is u without a ref parameter.
func stripRef(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	if !q.Has("ref") {
		return u
	}
	q.Del("ref")
	pu.RawQuery = q.Encode()
	return pu.String()
}

// posterCache is the handler's poster cache under <data>/cache/posters,
// opened on first use; nil without a data folder (or when it cannot be
// made: posters are then drawn every time).
func (h *Handler) posterCache() *poster.Cache {
	h.posterOnce.Do(func() {
		if h.opts.DataDir == "" {
			return
		}
		pc, err := poster.NewCache(filepath.Join(h.opts.DataDir, "cache", "posters"), 0)
		if err != nil {
			h.log.Warn("poster cache unavailable", "err", err)
			return
		}
		h.posters = pc
	})
	return h.posters
}

// posterOptions are where the poster font is looked for.
func (h *Handler) posterOptions() []poster.Option {
	opts := []poster.Option{poster.WithDataDir(h.opts.DataDir)}
	if h.opts.PosterFont != "" {
		opts = append(opts, poster.WithFont(h.opts.PosterFont))
	}
	return opts
}

// PosterFontStatus reports the font share posters are drawn with, or why
// there is none, for the back office to warn about.
func (h *Handler) PosterFontStatus() poster.Status { return poster.FontStatus(h.posterOptions()...) }

// productPoster answers the share poster of an on-shelf product for the
// signed-in customer: their avatar and name, and a QR code of the product
// page with their ref=. Without a CJK font it is a page saying so, never a
// broken picture.
func (h *Handler) productPoster(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := h.shelfProduct(c)
	if err != nil {
		return err
	}
	cu := currentCustomer(c)
	code, err := h.db.RefCode(ctx, cu.ID)
	if err != nil {
		return err
	}
	r, err := poster.New(h.posterOptions()...)
	if errors.Is(err, poster.ErrNoFont) {
		h.log.Warn("share poster unavailable", "err", err)
		msg := i18n.Tc(ctx, "promo.poster_no_font")
		c.Header("Cache-Control", "no-store")
		h.render(c, http.StatusServiceUnavailable, views.ErrorPage(http.StatusServiceUnavailable, msg))
		return nil
	}
	if err != nil {
		return err
	}
	shop, err := h.shopName(ctx)
	if err != nil {
		return err
	}
	in := poster.Input{
		Title: p.Title, Subtitle: p.Subtitle, Price: p.Price, ListPrice: p.ListPrice,
		URL:     withRef(h.absURL(c, productURL(p.ID)), code),
		Name:    cu.DisplayName(),
		Tagline: i18n.Tc(ctx, "promo.poster_tagline"),
		Hint:    i18n.Tc(ctx, "promo.poster_hint"),
		SubHint: i18n.Tc(ctx, "promo.poster_subhint"),
		Shop:    shop,
	}
	key := poster.Key{
		ProductID: p.ID, Updated: p.UpdatedAt, Image: p.Cover, Title: in.Title, Subtitle: in.Subtitle, Price: in.Price, ListPrice: in.ListPrice,
		Code: code, Name: in.Name, Avatar: cu.Avatar, URL: in.URL,
		Texts: strings.Join([]string{in.Tagline, in.Hint, in.SubHint, in.Shop}, "\x00"), Font: r.Font().ID(),
	}
	etag := `"` + key.Hash() + `"`
	c.Header("Cache-Control", "private, max-age=3600")
	c.Header("Vary", "Cookie") // another customer on this browser gets their own
	c.Header("ETag", etag)
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return nil
	}
	draw := func() ([]byte, error) {
		in.Image = h.mediaImage(p.Cover, themes.ImageLarge)
		in.Avatar = h.mediaImage(cu.Avatar, themes.ImageSmall)
		return r.Render(in)
	}
	var b []byte
	if pc := h.posterCache(); pc != nil {
		b, err = pc.Get(key, draw)
	} else {
		b, err = draw()
	}
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "image/png", b)
	return nil
}

// mediaImage decodes the stored image key at width (a thumbnail); nil for
// no key or an image that cannot be read, which the poster draws without.
func (h *Handler) mediaImage(key string, width int) image.Image {
	if key == "" || h.media == nil {
		return nil
	}
	f, err := h.media.Open(key, width)
	if err != nil {
		h.log.Warn("poster image", "key", key, "err", err)
		return nil
	}
	defer f.Close()
	var img image.Image
	switch strings.ToLower(filepath.Ext(f.Name())) {
	case ".jpg", ".jpeg":
		img, err = jpeg.Decode(io.LimitReader(f, 32<<20))
	case ".png":
		img, err = png.Decode(io.LimitReader(f, 32<<20))
	default:
		err = fmt.Errorf("unknown image type %s", filepath.Ext(f.Name()))
	}
	if err != nil {
		h.log.Warn("poster image", "key", key, "err", err)
		return nil
	}
	return img
}

// shopOwnerByCode returns the owner of the shop page /s/<code>: an
// active distributor; store.ErrNotFound for anyone else. It is the one
// place that decides who has a shop page.
func (h *Handler) shopOwnerByCode(ctx context.Context, code string) (*store.Customer, error) {
	cu, err := h.db.CustomerByRefCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if cu.Disabled {
		return nil, store.ErrNotFound
	}
	// Only an active distributor has a shop: a disabled one, a pending
	// application or anyone while distribution is off has none.
	d, err := h.db.DistributorOf(ctx, cu.ID)
	if err != nil {
		return nil, err
	}
	if !d.Active {
		return nil, store.ErrNotFound
	}
	return cu, nil
}

// distributorShop is the distributor's shop page (微店): the shop's
// catalogue under their avatar and name, with sort tabs and "load more",
// every product link carrying their ref=. An htmx request gets the next
// cards only; an unknown code is the friendly 404 page.
func (h *Handler) distributorShop(c *gin.Context) error {
	ctx := c.Request.Context()
	code := c.Param("code")
	owner, err := h.shopOwnerByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return h.shopNotFound(c, i18n.Tc(ctx, "promo.shop_gone"))
	}
	if err != nil {
		return err
	}
	lq := parseListQuery(c)
	lq.q, lq.tag = "", ""
	path := "/s/" + code
	f, priceErr := lq.filter(ctx)
	l, err := h.productList(ctx, path, lq, f, i18n.Tc(ctx, "promo.shop_empty"))
	if err != nil {
		return err
	}
	for i := range l.Cards {
		l.Cards[i].URL = withRef(l.Cards[i].URL, code)
	}
	if isHTMX(c) {
		h.render(c, http.StatusOK, h.themes.Theme().ProductList(l))
		return nil
	}
	name := owner.DisplayName()
	title := i18n.Tc(ctx, "promo.shop_title", "name", name)
	page, err := h.shopPage(c, title, themes.TabHome)
	if err != nil {
		return err
	}
	// The home tab stays in this shop.
	for i := range page.TabBar.Items {
		if page.TabBar.Items[i].ID == themes.TabHome {
			page.TabBar.Items[i].URL = path
		}
	}
	page.Description = i18n.Tc(ctx, "promo.shop_share", "name", name, "shop", page.ShopName)
	page.Share = themes.ShareCard{Title: title, Description: page.Description}
	switch {
	case owner.Avatar != "":
		page.Share.Image = h.absURL(c, views.ImageURL(owner.Avatar, themes.ImageMedium))
	case len(l.Cards) > 0 && l.Cards[0].Image != "":
		page.Share.Image = h.absURL(c, views.ImageURL(l.Cards[0].Image, themes.ImageMedium))
	}
	brands, err := h.db.Brands(ctx)
	if err != nil {
		return err
	}
	vm := themes.DistributorShopPage{
		Page:    page,
		Owner:   themes.ShopOwner{Name: name, Avatar: owner.Avatar, Code: code},
		Title:   title,
		Tagline: i18n.Tc(ctx, "promo.shop_tagline", "shop", page.ShopName),
		Filters: listFilters(path, lq, brands, priceErr),
		List:    l,
	}
	if r, _ := utf8.DecodeRuneInString(name); r != utf8.RuneError {
		vm.Owner.Initial = strings.ToUpper(string(r))
	}
	h.render(c, http.StatusOK, h.themes.Theme().DistributorShop(vm))
	return nil
}
