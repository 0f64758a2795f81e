package handlers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
	"github.com/xiaodian/xiaodian/views/admin"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// adminOrderShip ships one package of an order from its detail page.
func (h *Handler) adminOrderShip(c *gin.Context) error {
	f := admin.ShipForm{
		Carrier:      strings.TrimSpace(c.PostForm("carrier")),
		CarrierOther: strings.TrimSpace(c.PostForm("carrier_other")),
		TrackingNo:   strings.TrimSpace(c.PostForm("tracking_no")),
		Qty:          map[int64]string{},
	}
	return h.orderAction(c, "orders.package_shipped", func(d *admin.OrderDetail) error {
		in := store.ShipInput{Carrier: f.Carrier, TrackingNo: f.TrackingNo}
		if f.Carrier == "other" {
			in.Carrier = f.CarrierOther
		}
		var v store.ValidationErrors
		for _, l := range d.Order.Lines {
			raw, ok := c.GetPostForm("qty_" + strconv.FormatInt(l.ID, 10))
			if !ok {
				continue
			}
			f.Qty[l.ID] = strings.TrimSpace(raw)
			n := formInt(raw, "lines", &v)
			in.Lines = append(in.Lines, store.PackageLine{LineID: l.ID, Qty: n})
		}
		d.Ship = f
		if len(v) > 0 {
			return v.Err()
		}
		if len(in.Lines) > 0 && !slices.ContainsFunc(in.Lines, func(pl store.PackageLine) bool { return pl.Qty > 0 }) {
			return store.Invalid("lines", "order.ship_nothing")
		}
		return h.db.ShipOrder(c.Request.Context(), d.Order.ID, staffActor(c.Request.Context()), in)
	}, func(d *admin.OrderDetail, fe views.FormErrors) { d.Ship.Errors = fe })
}

// Limits of a batch-ship file.
const (
	maxShipCSVBytes = 1 << 20
	maxShipCSVRows  = 2000
)

// shipCSVRow is one data row of a batch-ship file. Err is the i18n key of
// why the row is refused before any order is looked at ("" when it is fine).
type shipCSVRow struct {
	Line       int
	No         string
	Carrier    string
	TrackingNo string
	Err        string
}

// parseShipCSV reads a batch-ship file: UTF-8 (with or without a byte
// order mark), comma separated, columns 订单号, 快递公司, 快递单号 and
// anything after them ignored; a first row that is not an order number is
// the header. It refuses the whole file when it is too large, not UTF-8,
// not CSV or has too many rows, and marks each bad row with its reason.
func parseShipCSV(r io.Reader) ([]shipCSVRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxShipCSVBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxShipCSVBytes {
		return nil, store.Invalid("file", "orders.import_too_large", "max", "1 MB")
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, store.Invalid("file", "orders.import_not_utf8")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	var rows []shipCSVRow
	seen := map[string]bool{}
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, store.Invalid("file", "orders.import_bad_csv", "line", line)
		}
		line, _ := cr.FieldPos(0)
		cells := make([]string, 3)
		blank := true
		for i, s := range rec {
			s = cleanCell(s)
			if s != "" {
				blank = false
			}
			if i < 3 {
				cells[i] = s
			}
		}
		if blank {
			continue
		}
		if first {
			first = false
			if isShipHeader(cells[0]) {
				continue
			}
		}
		if len(rows) >= maxShipCSVRows {
			return nil, store.Invalid("file", "orders.import_too_many_rows", "max", maxShipCSVRows)
		}
		row := shipCSVRow{Line: line, No: clipRunes(cells[0], 40), Carrier: clipRunes(cells[1], 40), TrackingNo: clipRunes(cells[2], 60)}
		switch {
		case len(rec) < 3:
			row.Err = "orders.import_row_columns"
		case row.No == "":
			row.Err = "orders.import_row_no_missing"
		case !validOrderNo(cells[0]):
			row.Err = "orders.import_row_no_invalid"
		case seen[row.No]:
			row.Err = "orders.import_row_duplicate"
		case row.Carrier == "":
			row.Err = "order.carrier_required"
		case row.TrackingNo == "":
			row.Err = "order.tracking_required"
		}
		if row.Err == "" {
			seen[row.No] = true
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, store.Invalid("file", "orders.import_empty")
	}
	return rows, nil
}

// cleanCell trims a cell and undoes what spreadsheets do to long numbers
// kept as text: a leading apostrophe or tab, or the ="..." formula.
func cleanCell(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = s[2 : len(s)-1]
	}
	s = strings.TrimPrefix(s, "'")
	return strings.TrimSpace(s)
}

// isShipHeader reports whether a first cell is a column title rather than
// an order number.
func isShipHeader(s string) bool {
	return strings.Contains(s, "订单") || strings.Contains(strings.ToLower(s), "order")
}

// validOrderNo reports whether s looks like an order number: letters and
// digits, at most 40.
func validOrderNo(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// adminShipImportPage shows the batch-ship upload form.
func (h *Handler) adminShipImportPage(c *gin.Context) error {
	h.render(c, http.StatusOK, admin.ShipImportPage(admin.ShipImport{}))
	return nil
}

// adminShipImport ships every good row of an uploaded file, each order in
// its own transaction with everything it has left to ship, and shows what
// became of each row.
func (h *Handler) adminShipImport(c *gin.Context) error {
	ctx := c.Request.Context()
	refuse := func(err error) error {
		var v store.ValidationErrors
		if !addValidation(&v, err) {
			return err
		}
		h.render(c, http.StatusUnprocessableEntity, admin.ShipImportPage(admin.ShipImport{Errors: formErrors(ctx, v)}))
		return nil
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxShipCSVBytes+64<<10)
	if err := c.Request.ParseMultipartForm(maxShipCSVBytes + 64<<10); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return refuse(store.Invalid("file", "orders.import_too_large", "max", "1 MB"))
		}
		return refuse(store.Invalid("file", "orders.import_no_file"))
	}
	file, _, err := c.Request.FormFile("file")
	if err != nil {
		return refuse(store.Invalid("file", "orders.import_no_file"))
	}
	defer file.Close()
	rows, err := parseShipCSV(file)
	if err != nil {
		return refuse(err)
	}
	actor := staffActor(c.Request.Context())
	p := admin.ShipImport{Done: true}
	for _, r := range rows {
		out := admin.ShipImportRow{Line: r.Line, No: r.No, Carrier: r.Carrier, TrackingNo: r.TrackingNo}
		if r.Err != "" {
			out.Reason = i18n.Tc(ctx, r.Err)
		} else {
			out.Reason = h.shipImported(c, actor, r)
			out.Shipped = out.Reason == ""
		}
		if out.Shipped {
			p.Shipped++
		} else {
			p.Skipped++
		}
		p.Rows = append(p.Rows, out)
	}
	h.render(c, http.StatusOK, admin.ShipImportPage(p))
	return nil
}

// shipImported ships one row of a batch file and returns why it was
// skipped, in words, or "" when it shipped.
func (h *Handler) shipImported(c *gin.Context, actor store.Actor, r shipCSVRow) string {
	ctx := c.Request.Context()
	o, err := h.db.OrderByNo(ctx, r.No)
	if isNotFound(err) {
		return i18n.Tc(ctx, "orders.import_not_found")
	}
	if err == nil && (o.Status != store.StatusToShip || o.Delivery != store.DeliveryExpress) {
		return i18n.Tc(ctx, "orders.import_not_to_ship", "status", admin.OrderStatusLabel(ctx, o.Status))
	}
	if err == nil {
		err = h.db.ShipOrder(ctx, o.ID, actor, store.ShipInput{Carrier: r.Carrier, TrackingNo: r.TrackingNo})
	}
	if err == nil {
		return ""
	}
	if msg, ok := validationMessage(ctx, err); ok {
		return msg
	}
	if isConflict(err) {
		return i18n.Tc(ctx, "orders.import_not_to_ship", "status", "?")
	}
	h.log.Error("batch ship", "order", r.No, "err", err, "request_id", c.GetString("request_id"))
	return i18n.Tc(ctx, "orders.import_failed")
}

// adminShipTemplate downloads the batch-ship file to fill in: one row per
// express order waiting to ship, with the recipient and goods after the
// three columns the import reads. Order numbers start with a tab so a
// spreadsheet keeps them as text instead of rounding them.
func (h *Handler) adminShipTemplate(c *gin.Context) error {
	ctx := c.Request.Context()
	name := "ship-" + time.Now().Format("20060102") + ".csv"
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString("\uFEFF"); err != nil {
		return nil
	}
	w := csv.NewWriter(c.Writer)
	w.UseCRLF = true
	t := func(key string) string { return i18n.Tc(ctx, key) }
	w.Write([]string{t("orders.order_no"), t("orders.carrier"), t("orders.tracking_no"),
		t("orders.recipient_name"), t("orders.phone"), t("orders.address"), t("orders.col_goods")})
	err := h.db.EachOrder(ctx, store.OrderFilter{Status: store.StatusToShip}, func(o *store.Order) error {
		if o.Delivery != store.DeliveryExpress {
			return nil
		}
		var goods []string
		for _, l := range o.Lines {
			if n := l.Unshipped(); n > 0 {
				goods = append(goods, admin.LineSummary(l, n))
			}
		}
		return w.Write([]string{"\t" + o.No, "", "", csvText(o.ShipName), csvText(o.ShipPhone),
			csvText(o.ShipAddress()), csvText(strings.Join(goods, "; "))})
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		h.log.Error("ship template", "err", err, "request_id", c.GetString("request_id"))
	}
	return nil
}
