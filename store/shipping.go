package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xiaodian/xiaodian/store/division"
)

// The counting methods of a shipping template.
const (
	ShippingByPiece  = "piece"  // units are pieces
	ShippingByWeight = "weight" // units are grams
)

// Limits of a shipping template.
const (
	MaxShippingRules   = 50            // region rules per template
	MaxShippingUnits   = 1_000_000_000 // first/extra units, free-over pieces
	maxShippingNameLen = 40
	// Bounds of one line as ShippingFee accepts it: with these, units and
	// amounts summed over any number of lines stay far inside int64.
	maxShippingLineQty    = 1_000_000_000
	maxShippingLineWeight = 1_000_000_000
)

// errShippingTooLarge is a fee above MaxPrice: absurd quantities or fees.
var errShippingTooLarge = errors.New("shipping fee too large")

// ShippingLine is one order line as the fee calculation sees it.
type ShippingLine struct {
	TemplateID int64 // the product's template; 0 = the shop's default template
	Qty        int
	WeightG    int  // per unit, grams
	Amount     Fen  // the line's goods amount (for free-over-amount conditions)
	Virtual    bool // virtual lines never ship and are ignored
}

// RegionCodes is the delivery address's division codes, as an Address
// carries them ("44", "4403", "440305"); the 6-digit padded forms
// ("440000", "440300") mean the same (see NormalizeRegionCode).
type RegionCodes struct{ Province, City, District string }

// ShippingRule is the fee rule of a template for some regions (Codes: any
// mix of province, city and district codes in the dataset's form, see
// NormalizeRegionCode), or the template's own default
// rule (no codes). FirstUnits/ExtraUnits count pieces or grams as the
// template's Method says. FreeOverFen / FreeOverPieces: free shipping when
// the goods amount / pieces of the template's lines reach it (0 = no such
// condition). NoDelivery: the regions are not delivered to.
type ShippingRule struct {
	ID                     int64
	Codes                  []string
	FirstUnits, ExtraUnits int
	FirstFen, ExtraFen     Fen
	FreeOverFen            Fen
	FreeOverPieces         int
	NoDelivery             bool
}

// ShippingTemplate is a shipping fee template (运费模板): its own columns are
// the default rule, Rules replace it for the regions they list.
type ShippingTemplate struct {
	ID                     int64
	Name                   string
	Method                 string // ShippingByPiece or ShippingByWeight
	FirstUnits, ExtraUnits int
	FirstFen, ExtraFen     Fen
	FreeOverFen            Fen
	FreeOverPieces         int
	IsDefault              bool
	Rules                  []ShippingRule
	CreatedAt, UpdatedAt   time.Time
}

// DefaultRule is the template's own rule, used where no region rule matches.
func (t *ShippingTemplate) DefaultRule() ShippingRule {
	return ShippingRule{FirstUnits: t.FirstUnits, ExtraUnits: t.ExtraUnits, FirstFen: t.FirstFen, ExtraFen: t.ExtraFen,
		FreeOverFen: t.FreeOverFen, FreeOverPieces: t.FreeOverPieces}
}

// RuleFor is the rule that applies to a delivery into region: the first
// region rule listing the district code, else the first listing the city
// code, else the first listing the province code, else the default rule.
func (t *ShippingTemplate) RuleFor(region RegionCodes) ShippingRule {
	for _, code := range []string{region.District, region.City, region.Province} {
		code = NormalizeRegionCode(code)
		if code == "" {
			continue
		}
		for _, r := range t.Rules {
			if slices.ContainsFunc(r.Codes, func(c string) bool { return NormalizeRegionCode(c) == code }) {
				return r
			}
		}
	}
	return t.DefaultRule()
}

// ShippingFee computes an order's shipping fee. It is a pure function: the
// checkout loads the templates (shippingTemplatesTx) and passes them in.
//
//   - Virtual lines never ship: they are ignored.
//   - The other lines are grouped by template. TemplateID 0, or an id missing
//     from tpls (deleted), means the default template defaultID; when there
//     is no default template at all (defaultID 0 or not in tpls) those lines
//     ship free.
//   - Each group takes one rule, RuleFor(region): the most specific region
//     rule (district, then city, then province code), else the template's
//     default rule.
//   - A NoDelivery rule adds the indexes (into lines) of that group's lines
//     to undeliverable, in ascending order, and costs nothing; the checkout
//     refuses such an order with a message.
//   - A group ships free when the rule's FreeOverFen > 0 and Σ Amount ≥
//     FreeOverFen, or its FreeOverPieces > 0 and Σ Qty ≥ FreeOverPieces.
//   - Otherwise units = Σ Qty (method piece) or Σ Qty×WeightG (weight,
//     grams), and the group's fee = FirstFen + ⌈max(0, units−FirstUnits) /
//     ExtraUnits⌉ × ExtraFen: the first units always cost FirstFen, even a
//     weight of 0.
//   - The order's fee is the sum over the groups.
//
// err is for input no checkout produces: a line with Qty < 1, a negative
// weight or amount, a quantity or weight above a billion, a rule with units
// < 1 or a fee outside 0..MaxPrice, or a fee above MaxPrice.
func ShippingFee(lines []ShippingLine, region RegionCodes, tpls map[int64]*ShippingTemplate, defaultID int64) (fee Fen, undeliverable []int, err error) {
	type group struct {
		tpl    *ShippingTemplate
		idx    []int
		qty    int64
		weight int64
		amount Fen
	}
	var groups []*group
	byID := map[int64]*group{}
	for i, l := range lines {
		if l.Virtual {
			continue
		}
		if l.Qty < 1 || l.Qty > maxShippingLineQty || l.WeightG < 0 || l.WeightG > maxShippingLineWeight || l.Amount < 0 {
			return 0, nil, fmt.Errorf("shipping fee: line %d: qty %d, weight %d, amount %d out of range", i, l.Qty, l.WeightG, l.Amount)
		}
		id := l.TemplateID
		if tpls[id] == nil {
			id = defaultID
		}
		t := tpls[id]
		if t == nil {
			continue // no default template: free
		}
		g := byID[id]
		if g == nil {
			g = &group{tpl: t}
			byID[id] = g
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
		// Each term is at most 10^18 by the bounds above; saturate the sums.
		g.qty = satAdd(g.qty, int64(l.Qty))
		g.weight = satAdd(g.weight, int64(l.Qty)*int64(l.WeightG))
		g.amount = Fen(satAdd(int64(g.amount), int64(l.Amount)))
	}
	for _, g := range groups {
		r := g.tpl.RuleFor(region)
		if err := r.check(); err != nil {
			return 0, nil, fmt.Errorf("shipping fee: template %d: %w", g.tpl.ID, err)
		}
		if r.NoDelivery {
			undeliverable = append(undeliverable, g.idx...)
			continue
		}
		if (r.FreeOverFen > 0 && g.amount >= r.FreeOverFen) || (r.FreeOverPieces > 0 && g.qty >= int64(r.FreeOverPieces)) {
			continue
		}
		units := g.qty
		if g.tpl.Method == ShippingByWeight {
			units = g.weight
		}
		f, err := r.fee(units)
		if err != nil {
			return 0, nil, fmt.Errorf("shipping fee: template %d: %w", g.tpl.ID, err)
		}
		if fee > MaxPrice-f {
			return 0, nil, fmt.Errorf("shipping fee: %w", errShippingTooLarge)
		}
		fee += f
	}
	sort.Ints(undeliverable)
	return fee, undeliverable, nil
}

// check refuses a rule the fee cannot be computed with.
func (r ShippingRule) check() error {
	if r.NoDelivery {
		return nil
	}
	if r.FirstUnits < 1 || r.ExtraUnits < 1 {
		return fmt.Errorf("rule %d: units %d/%d", r.ID, r.FirstUnits, r.ExtraUnits)
	}
	for _, f := range []Fen{r.FirstFen, r.ExtraFen, r.FreeOverFen} {
		if f < 0 || f > MaxPrice {
			return fmt.Errorf("rule %d: amount %d out of range", r.ID, f)
		}
	}
	return nil
}

// fee is FirstFen + ⌈max(0, units−FirstUnits)/ExtraUnits⌉ × ExtraFen, or
// errShippingTooLarge above MaxPrice.
func (r ShippingRule) fee(units int64) (Fen, error) {
	d := units - int64(r.FirstUnits)
	if d <= 0 || r.ExtraFen == 0 {
		return r.FirstFen, nil
	}
	steps := d / int64(r.ExtraUnits)
	if d%int64(r.ExtraUnits) != 0 {
		steps++
	}
	if steps > int64(MaxPrice-r.FirstFen)/int64(r.ExtraFen) {
		return 0, errShippingTooLarge
	}
	return r.FirstFen + Fen(steps)*r.ExtraFen, nil
}

// satAdd adds two non-negative numbers, stopping at 2^62.
func satAdd(a, b int64) int64 {
	const top = 1 << 62
	if a > top-b {
		return top
	}
	return a + b
}

// shippingTemplateCols selects a template and its rules (a JSON array of
// [id, codes, first_units, first_fen, extra_units, extra_fen,
// free_over_fen, free_over_pieces, no_delivery], by position) in one row, so
// a loader needs only QueryRowContext.
const shippingTemplateCols = `t.id, t.name, t.method, t.first_units, t.first_fen, t.extra_units, t.extra_fen,
	t.free_over_fen, t.free_over_pieces, t.is_default, t.created_at, t.updated_at,
	(SELECT json_group_array(json_array(r.id, json(r.codes), r.first_units, r.first_fen, r.extra_units, r.extra_fen,
		r.free_over_fen, r.free_over_pieces, r.no_delivery))
		FROM (SELECT * FROM shipping_template_rules WHERE template_id = t.id ORDER BY position, id) r)`

func scanShippingTemplate(row scanner) (*ShippingTemplate, error) {
	var t ShippingTemplate
	var created, updated int64
	var rules string
	err := row.Scan(&t.ID, &t.Name, &t.Method, &t.FirstUnits, &t.FirstFen, &t.ExtraUnits, &t.ExtraFen,
		&t.FreeOverFen, &t.FreeOverPieces, &t.IsDefault, &created, &updated, &rules)
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	var raw [][]json.RawMessage
	if err := json.Unmarshal([]byte(rules), &raw); err != nil {
		return nil, fmt.Errorf("shipping template %d rules: %w", t.ID, err)
	}
	for _, cols := range raw {
		var r ShippingRule
		var noDelivery int
		dst := []any{&r.ID, &r.Codes, &r.FirstUnits, &r.FirstFen, &r.ExtraUnits, &r.ExtraFen, &r.FreeOverFen, &r.FreeOverPieces, &noDelivery}
		if len(cols) != len(dst) {
			return nil, fmt.Errorf("shipping template %d rules: %d columns", t.ID, len(cols))
		}
		for i, c := range cols {
			if err := json.Unmarshal(c, dst[i]); err != nil {
				return nil, fmt.Errorf("shipping template %d rules: %w", t.ID, err)
			}
		}
		r.NoDelivery = noDelivery != 0
		t.Rules = append(t.Rules, r)
	}
	return &t, nil
}

// shippingTemplatesTx loads the given templates (not deleted) plus the
// default one, and returns the default's id (0 if none). Ids that are 0,
// deleted or unknown are left out of the map; ShippingFee sends their lines
// to the default template.
func shippingTemplatesTx(ctx context.Context, q queryRower, ids []int64) (map[int64]*ShippingTemplate, int64, error) {
	out := map[int64]*ShippingTemplate{}
	var defaultID int64
	t, err := scanShippingTemplate(q.QueryRowContext(ctx, `SELECT `+shippingTemplateCols+`
		FROM shipping_templates t WHERE t.is_default = 1 AND t.deleted_at IS NULL ORDER BY t.id LIMIT 1`))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, 0, fmt.Errorf("shipping templates: %w", err)
	default:
		out[t.ID], defaultID = t, t.ID
	}
	for _, id := range ids {
		if id <= 0 || out[id] != nil {
			continue
		}
		t, err := scanShippingTemplate(q.QueryRowContext(ctx, `SELECT `+shippingTemplateCols+`
			FROM shipping_templates t WHERE t.id = ? AND t.deleted_at IS NULL`, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("shipping templates: %w", err)
		}
		out[id] = t
	}
	return out, defaultID, nil
}

// ShippingTemplates lists the templates not deleted, the default first,
// then by name.
func (db *DB) ShippingTemplates(ctx context.Context) ([]*ShippingTemplate, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+shippingTemplateCols+`
		FROM shipping_templates t WHERE t.deleted_at IS NULL ORDER BY t.is_default DESC, t.name, t.id`)
	if err != nil {
		return nil, fmt.Errorf("shipping templates: %w", err)
	}
	defer rows.Close()
	var out []*ShippingTemplate
	for rows.Next() {
		t, err := scanShippingTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("shipping templates: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ShippingTemplateByID returns a template that is not deleted.
func (db *DB) ShippingTemplateByID(ctx context.Context, id int64) (*ShippingTemplate, error) {
	t, err := scanShippingTemplate(db.r.QueryRowContext(ctx, `SELECT `+shippingTemplateCols+`
		FROM shipping_templates t WHERE t.id = ? AND t.deleted_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("shipping template %d: %w", id, err)
	}
	return t, nil
}

// ShippingTemplateUsage counts the products (not deleted) of each template.
func (db *DB) ShippingTemplateUsage(ctx context.Context) (map[int64]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT shipping_template_id, COUNT(*) FROM products
		WHERE shipping_template_id IS NOT NULL AND deleted_at IS NULL GROUP BY shipping_template_id`)
	if err != nil {
		return nil, fmt.Errorf("shipping template usage: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("shipping template usage: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// ShippingRuleInput is one rule as a form submits it: the numbers as typed
// (fees in yuan), so a refused form shows them again. Empty free-over
// fields mean no such condition.
type ShippingRuleInput struct {
	Codes          []string // region rules only: province, city or district codes
	FirstUnits     string
	FirstFen       string
	ExtraUnits     string
	ExtraFen       string
	FreeOverFen    string
	FreeOverPieces string
	NoDelivery     bool // region rules only; the fee fields are then ignored
}

// ShippingTemplateInput is what the back office submits for a template.
type ShippingTemplateInput struct {
	Name    string
	Method  string
	Default ShippingRuleInput // the template's own rule
	Rules   []ShippingRuleInput
}

// validate parses in into a template (without ids), reporting errors on
// the fields name, method, first_units, first_fen, extra_units, extra_fen,
// free_over_fen, free_over_pieces and rule.N.<field> (N from 0), rule.N.codes.
func (in *ShippingTemplateInput) validate() (*ShippingTemplate, error) {
	var v ValidationErrors
	t := &ShippingTemplate{}
	t.Name = oneLine(in.Name)
	switch n := utf8.RuneCountInString(t.Name); {
	case n == 0:
		v.Add("name", "validation.required")
	case n > maxShippingNameLen:
		v.Add("name", "validation.max_len", "max", maxShippingNameLen)
	}
	t.Method = in.Method
	if t.Method != ShippingByPiece && t.Method != ShippingByWeight {
		v.Add("method", "validation.required")
	}
	def := parseShippingRule(in.Default, "", &v)
	t.FirstUnits, t.ExtraUnits, t.FirstFen, t.ExtraFen = def.FirstUnits, def.ExtraUnits, def.FirstFen, def.ExtraFen
	t.FreeOverFen, t.FreeOverPieces = def.FreeOverFen, def.FreeOverPieces
	if len(in.Rules) > MaxShippingRules {
		v.Add("rules", "shipping.too_many_rules", "max", MaxShippingRules)
	}
	seen := map[string]int{}
	for i, ri := range in.Rules {
		p := "rule." + strconv.Itoa(i) + "."
		var r ShippingRule
		if ri.NoDelivery {
			r.NoDelivery, r.FirstUnits, r.ExtraUnits = true, 1, 1
		} else {
			r = parseShippingRule(ri, p, &v)
		}
		for _, c := range ri.Codes {
			c = NormalizeRegionCode(c)
			if c == "" || slices.Contains(r.Codes, c) {
				continue
			}
			if _, ok := RegionName(c); !ok {
				v.Add(p+"codes", "shipping.unknown_code", "code", c)
				continue
			}
			if j, dup := seen[c]; dup {
				v.Add(p+"codes", "shipping.code_in_two_rules", "name", regionLabel(c), "rule", j+1)
				continue
			}
			seen[c] = i
			r.Codes = append(r.Codes, c)
		}
		if len(r.Codes) == 0 && !slices.ContainsFunc(v, func(e *ValidationError) bool { return e.Field == p+"codes" }) {
			v.Add(p+"codes", "shipping.codes_required")
		}
		t.Rules = append(t.Rules, r)
	}
	return t, v.Err()
}

// parseShippingRule reads the numbers of a rule, adding errors on
// prefix+field.
func parseShippingRule(in ShippingRuleInput, prefix string, v *ValidationErrors) ShippingRule {
	var r ShippingRule
	units := func(s, field string, optional bool) int {
		s = strings.TrimSpace(s)
		if s == "" && optional {
			return 0
		}
		if s == "" {
			v.Add(prefix+field, "validation.required")
			return 0
		}
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			v.Add(prefix+field, "validation.integer")
		case optional && n < 0:
			v.Add(prefix+field, "validation.non_negative")
		case !optional && n < 1:
			v.Add(prefix+field, "shipping.units_positive")
		case n > MaxShippingUnits:
			v.Add(prefix+field, "shipping.units_too_large")
		}
		return n
	}
	money := func(s, field string, optional bool) Fen {
		if strings.TrimSpace(s) == "" {
			if !optional {
				v.Add(prefix+field, "validation.required")
			}
			return 0
		}
		f, err := ParseFen(s)
		if err != nil {
			v.Add(prefix+field, "validation.money")
		}
		return f
	}
	r.FirstUnits = units(in.FirstUnits, "first_units", false)
	r.FirstFen = money(in.FirstFen, "first_fen", false)
	r.ExtraUnits = units(in.ExtraUnits, "extra_units", false)
	r.ExtraFen = money(in.ExtraFen, "extra_fen", false)
	r.FreeOverFen = money(in.FreeOverFen, "free_over_fen", true)
	r.FreeOverPieces = units(in.FreeOverPieces, "free_over_pieces", true)
	return r
}

// NormalizeRegionCode turns a division code into the dataset's own form
// (province "44", city "4403", district "440305"), accepting the 6-digit
// padded forms "440000" and "440300" as well. Other text comes back trimmed.
func NormalizeRegionCode(code string) string {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return code
	}
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// RegionName is the name of a province, city or district code ("广东省",
// "深圳市", "南山区"); ok is false for a code the division data lacks.
func RegionName(code string) (name string, ok bool) {
	code = NormalizeRegionCode(code)
	var list []division.Region
	switch {
	case len(code) == 2:
		list = division.Provinces()
	case len(code) == 4:
		list = division.Cities(code[:2])
	case len(code) > 4:
		list = division.Districts(code[:4])
	}
	for _, r := range list {
		if r.Code == code {
			return r.Name, true
		}
	}
	return "", false
}

// regionLabel is a code's name with its parents for a city or district
// ("广东省 深圳市"), leaving out a municipality's stand-in city level; the
// code itself when unknown.
func regionLabel(code string) string {
	code = NormalizeRegionCode(code)
	name, ok := RegionName(code)
	if !ok {
		return code
	}
	var parts []string
	if len(code) > 2 {
		pn, _ := RegionName(code[:2])
		parts = append(parts, pn)
	}
	if len(code) > 4 {
		if cn, _ := RegionName(code[:4]); !division.StandInCity(cn) {
			parts = append(parts, cn)
		}
	}
	if division.StandInCity(name) {
		return strings.Join(parts, " ")
	}
	return strings.Join(append(parts, name), " ")
}

// regionsByName maps every division name to its codes, built on first use.
var regionsByName = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for _, p := range division.Provinces() {
		m[p.Name] = append(m[p.Name], p.Code)
		for _, c := range division.Cities(p.Code) {
			if !division.StandInCity(c.Name) {
				m[c.Name] = append(m[c.Name], c.Code)
			}
			for _, d := range division.Districts(c.Code) {
				m[d.Name] = append(m[d.Name], d.Code)
			}
		}
	}
	return m
})

// LookupRegion reads one region a person typed: a token holding digits is
// taken as a code (its digits, so "深圳市(4403)" is 4403), else as a name
// ("深圳市", "南山区", or the start of a province's or city's: "深圳",
// "新疆"), which must name exactly one division. ok is
// false for a name that is unknown or ambiguous; the token comes back as is.
func LookupRegion(token string) (code string, ok bool) {
	token = strings.TrimSpace(token)
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, token)
	if digits != "" {
		code = NormalizeRegionCode(digits)
		_, ok = RegionName(code)
		return code, ok
	}
	m := regionsByName()
	if codes := m[token]; len(codes) == 1 {
		return codes[0], true
	} else if len(codes) > 1 {
		return token, false
	}
	// A short form of a province or city: the one such name that starts
	// with it ("深圳", "新疆").
	var found []string
	for name, codes := range m {
		if token == "" || !strings.HasPrefix(name, token) {
			continue
		}
		for _, c := range codes {
			if len(c) <= 4 {
				found = append(found, c)
			}
		}
		if len(found) > 1 {
			return token, false
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return token, false
}

// RegionLabels names codes for display: "广东省", "广东省 深圳市"...
func RegionLabels(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = regionLabel(c)
	}
	return out
}

// CreateShippingTemplate validates and adds a template; the shop's first
// template becomes the default.
func (db *DB) CreateShippingTemplate(ctx context.Context, in ShippingTemplateInput) (int64, error) {
	t, err := in.validate()
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM shipping_templates WHERE is_default = 1 AND deleted_at IS NULL`).Scan(&n); err != nil {
			return err
		}
		now := db.now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO shipping_templates (name, method, first_units, first_fen, extra_units,
			extra_fen, free_over_fen, free_over_pieces, is_default, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Name, t.Method, t.FirstUnits, t.FirstFen, t.ExtraUnits, t.ExtraFen, t.FreeOverFen, t.FreeOverPieces, boolInt(n == 0), now, now)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return insertShippingRules(ctx, tx, id, t.Rules)
	})
	if err != nil {
		return 0, fmt.Errorf("create shipping template: %w", err)
	}
	db.bumpCatalogue()
	return id, nil
}

func insertShippingRules(ctx context.Context, tx *sql.Tx, id int64, rules []ShippingRule) error {
	for i, r := range rules {
		codes, _ := json.Marshal(r.Codes)
		_, err := tx.ExecContext(ctx, `INSERT INTO shipping_template_rules (template_id, codes, first_units, first_fen,
			extra_units, extra_fen, free_over_fen, free_over_pieces, no_delivery, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, string(codes), r.FirstUnits, r.FirstFen, r.ExtraUnits, r.ExtraFen, r.FreeOverFen, r.FreeOverPieces, boolInt(r.NoDelivery), i)
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateShippingTemplate replaces a template's fields and rules. Orders
// keep the fee they were placed with.
func (db *DB) UpdateShippingTemplate(ctx context.Context, id int64, in ShippingTemplateInput) error {
	t, err := in.validate()
	if err != nil {
		return err
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		err := execOne(ctx, tx, `UPDATE shipping_templates SET name = ?, method = ?, first_units = ?, first_fen = ?,
			extra_units = ?, extra_fen = ?, free_over_fen = ?, free_over_pieces = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL`,
			t.Name, t.Method, t.FirstUnits, t.FirstFen, t.ExtraUnits, t.ExtraFen, t.FreeOverFen, t.FreeOverPieces, db.now().Unix(), id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM shipping_template_rules WHERE template_id = ?`, id); err != nil {
			return err
		}
		return insertShippingRules(ctx, tx, id, t.Rules)
	})
	if err != nil {
		return fmt.Errorf("update shipping template %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}

// DeleteShippingTemplate soft-deletes a template; the default one and one
// that products use are refused with a validation error.
func (db *DB) DeleteShippingTemplate(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var isDefault bool
		err := tx.QueryRowContext(ctx, `SELECT is_default FROM shipping_templates WHERE id = ? AND deleted_at IS NULL`, id).Scan(&isDefault)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if isDefault {
			return Invalid("id", "shipping.default_undeletable")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE shipping_template_id = ? AND deleted_at IS NULL`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return Invalid("id", "shipping.template_in_use", "count", n)
		}
		return execOne(ctx, tx, `UPDATE shipping_templates SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, db.now().Unix(), id)
	})
	if err != nil {
		return fmt.Errorf("delete shipping template %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}

// SetDefaultShippingTemplate makes a template the shop's default (the one
// for products without their own).
func (db *DB) SetDefaultShippingTemplate(ctx context.Context, id int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE shipping_templates SET is_default = 0 WHERE is_default = 1 AND id != ?`, id); err != nil {
			return err
		}
		return execOne(ctx, tx, `UPDATE shipping_templates SET is_default = 1 WHERE id = ? AND deleted_at IS NULL`, id)
	})
	if err != nil {
		return fmt.Errorf("set default shipping template %d: %w", id, err)
	}
	db.bumpCatalogue()
	return nil
}
