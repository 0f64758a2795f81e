package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The wallet (余额): a customer's balance, its ledger, recharges (充值, with
// the gift packages 充值送), the payment password (支付密码) that guards
// paying with the balance, and the back office's adjustments. Every change
// of customers.balance_fen goes through creditWalletTx / debitWalletTx, which
// write the wallet_ledger row in the same transaction.

// Recharge limits for a custom amount: ¥1 to ¥50,000.
const (
	MinRecharge Fen = 1_00
	MaxRecharge Fen = 50_000_00
)

// MaxAdjustReason is the longest reason of a staff adjustment, in characters.
const MaxAdjustReason = 100

// PayPasswordLen is the length of a payment password: six digits.
const PayPasswordLen = 6

// payPasswordKey is the limiter key of a customer's payment password.
func payPasswordKey(customerID int64) string { return "paypw:" + strconv.FormatInt(customerID, 10) }

// Recharge statuses.
const (
	RechargePending   = "pending_payment"
	RechargePaid      = "paid"
	RechargeCancelled = "cancelled"
)

// LedgerEntry is one row of a customer's wallet ledger.
type LedgerEntry struct {
	ID        int64
	Kind      string // Ledger*
	Amount    Fen    // + in, − out
	Balance   Fen    // the balance after this row
	RefType   string // "order", "recharge", "staff:NAME"...
	RefID     int64
	Note      string
	CreatedAt time.Time
}

// Wallet returns the customer's balance.
func (db *DB) Wallet(ctx context.Context, customerID int64) (Fen, error) {
	var b Fen
	err := db.r.QueryRowContext(ctx, `SELECT balance_fen FROM customers WHERE id = ?`, customerID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("wallet: %w", err)
	}
	return b, nil
}

// WalletLedger returns a page of the customer's ledger, newest first, and
// the number of rows in all.
func (db *DB) WalletLedger(ctx context.Context, customerID int64, offset, limit int) ([]LedgerEntry, int, error) {
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM wallet_ledger WHERE customer_id = ?`, customerID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("wallet ledger: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, kind, amount_fen, balance_fen, ref_type, ref_id, note, created_at
		FROM wallet_ledger WHERE customer_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, customerID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("wallet ledger: %w", err)
	}
	defer rows.Close()
	var out []LedgerEntry
	for rows.Next() {
		var e LedgerEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.Amount, &e.Balance, &e.RefType, &e.RefID, &e.Note, &at); err != nil {
			return nil, 0, fmt.Errorf("wallet ledger: %w", err)
		}
		e.CreatedAt = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// RechargePackage is a recharge offer (充值送): pay Pay, receive Pay + Bonus.
type RechargePackage struct {
	ID        int64
	Pay       Fen
	Bonus     Fen
	Active    bool
	Sort      int
	CreatedAt time.Time
}

// RechargePackageInput is the back office's form of a package.
type RechargePackageInput struct {
	Pay    Fen
	Bonus  Fen
	Active bool
	Sort   int
}

// Validate checks a package: it pays between MinRecharge and MaxRecharge and
// gives a bonus that is not negative and not more than what is paid.
func (in RechargePackageInput) Validate() error {
	var v ValidationErrors
	switch {
	case in.Pay < MinRecharge:
		v.Add("pay", "wallet.amount_min", "min", MinRecharge.Yuan())
	case in.Pay > MaxRecharge:
		v.Add("pay", "wallet.amount_max", "max", MaxRecharge.Yuan())
	}
	switch {
	case in.Bonus < 0:
		v.Add("bonus", "wallet.bonus_negative")
	case in.Bonus > in.Pay && in.Pay > 0:
		v.Add("bonus", "wallet.bonus_too_large")
	}
	if in.Sort < -9999 || in.Sort > 9999 {
		v.Add("sort", "wallet.sort_range")
	}
	return v.Err()
}

// RechargePackages returns the packages that are not deleted, by sort then
// amount; activeOnly leaves out the switched-off ones (the storefront).
func (db *DB) RechargePackages(ctx context.Context, activeOnly bool) ([]RechargePackage, error) {
	q := `SELECT id, pay_fen, bonus_fen, active, sort, created_at FROM recharge_packages WHERE deleted_at IS NULL`
	if activeOnly {
		q += ` AND active = 1`
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY sort, pay_fen, id`)
	if err != nil {
		return nil, fmt.Errorf("recharge packages: %w", err)
	}
	defer rows.Close()
	var out []RechargePackage
	for rows.Next() {
		var p RechargePackage
		var at int64
		if err := rows.Scan(&p.ID, &p.Pay, &p.Bonus, &p.Active, &p.Sort, &at); err != nil {
			return nil, fmt.Errorf("recharge packages: %w", err)
		}
		p.CreatedAt = time.Unix(at, 0)
		out = append(out, p)
	}
	return out, rows.Err()
}

// RechargePackageByID returns one package that is not deleted.
func (db *DB) RechargePackageByID(ctx context.Context, id int64) (*RechargePackage, error) {
	var p RechargePackage
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT id, pay_fen, bonus_fen, active, sort, created_at FROM recharge_packages
		WHERE id = ? AND deleted_at IS NULL`, id).Scan(&p.ID, &p.Pay, &p.Bonus, &p.Active, &p.Sort, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("recharge package: %w", err)
	}
	p.CreatedAt = time.Unix(at, 0)
	return &p, nil
}

// CreateRechargePackage adds a package and returns its id.
func (db *DB) CreateRechargePackage(ctx context.Context, in RechargePackageInput) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO recharge_packages (pay_fen, bonus_fen, active, sort, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, in.Pay, in.Bonus, in.Active, in.Sort, db.now().Unix()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("create recharge package: %w", err)
	}
	return id, nil
}

// UpdateRechargePackage changes a package. Recharges already created keep
// the amounts they were created with.
func (db *DB) UpdateRechargePackage(ctx context.Context, id int64, in RechargePackageInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE recharge_packages SET pay_fen = ?, bonus_fen = ?, active = ?, sort = ?
			WHERE id = ? AND deleted_at IS NULL`, in.Pay, in.Bonus, in.Active, in.Sort, id)
	})
}

// DeleteRechargePackage hides a package for good; the recharges that
// reference it keep it.
func (db *DB) DeleteRechargePackage(ctx context.Context, id int64) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE recharge_packages SET deleted_at = ?, active = 0
			WHERE id = ? AND deleted_at IS NULL`, db.now().Unix(), id)
	})
}

// Recharge is a customer's top-up, paid through a payment attempt like an
// order.
type Recharge struct {
	ID         int64
	No         string
	CustomerID int64
	PackageID  int64 // 0: a custom amount
	Pay        Fen   // what is paid
	Bonus      Fen   // the package's gift
	Status     string
	PaymentID  int64
	CreatedAt  time.Time
	PaidAt     time.Time
}

// Total is what the balance receives: the amount paid and the gift.
func (r *Recharge) Total() Fen { return r.Pay + r.Bonus }

// newRechargeNo is a recharge number: "R", the date and time, and six random
// digits, e.g. R20261122104502123456.
func newRechargeNo(now time.Time) string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return fmt.Sprintf("R%s%06d", now.Format("20060102150405"), n.Int64())
}

// CreateRecharge starts a recharge of the customer: either the package
// packageID (active, not deleted), or, when packageID is 0, customAmount
// within MinRecharge and MaxRecharge with no gift. It is pending payment.
func (db *DB) CreateRecharge(ctx context.Context, customerID, packageID int64, customAmount Fen) (*Recharge, error) {
	now := db.now()
	r := &Recharge{CustomerID: customerID, PackageID: packageID, Status: RechargePending, CreatedAt: time.Unix(now.Unix(), 0)}
	if packageID == 0 {
		switch {
		case customAmount < MinRecharge:
			return nil, Invalid("amount", "wallet.amount_min", "min", MinRecharge.Yuan())
		case customAmount > MaxRecharge:
			return nil, Invalid("amount", "wallet.amount_max", "max", MaxRecharge.Yuan())
		}
		r.Pay = customAmount
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if packageID != 0 {
			err := tx.QueryRowContext(ctx, `SELECT pay_fen, bonus_fen FROM recharge_packages
				WHERE id = ? AND active = 1 AND deleted_at IS NULL`, packageID).Scan(&r.Pay, &r.Bonus)
			if errors.Is(err, sql.ErrNoRows) {
				return Invalid("package", "wallet.package_gone")
			}
			if err != nil {
				return err
			}
		}
		var pkg any
		if packageID != 0 {
			pkg = packageID
		}
		for range 5 { // a clash of random numbers is rare; try again
			r.No = newRechargeNo(now)
			err := tx.QueryRowContext(ctx, `INSERT INTO recharges (no, customer_id, package_id, pay_fen, bonus_fen, status, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.No, customerID, pkg, r.Pay, r.Bonus, RechargePending, now.Unix()).Scan(&r.ID)
			if isUnique(err) {
				continue
			}
			return err
		}
		return errors.New("no free recharge number")
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, fmt.Errorf("create recharge: %w", err)
	}
	return r, nil
}

const rechargeColumns = `id, no, customer_id, COALESCE(package_id, 0), pay_fen, bonus_fen, status, COALESCE(payment_id, 0), created_at, paid_at`

func scanRecharge(row interface{ Scan(...any) error }) (*Recharge, error) {
	var r Recharge
	var at int64
	var paid sql.NullInt64
	if err := row.Scan(&r.ID, &r.No, &r.CustomerID, &r.PackageID, &r.Pay, &r.Bonus, &r.Status, &r.PaymentID, &at, &paid); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("recharge: %w", err)
	}
	r.CreatedAt = time.Unix(at, 0)
	if paid.Valid {
		r.PaidAt = time.Unix(paid.Int64, 0)
	}
	return &r, nil
}

// RechargeByID returns one recharge.
func (db *DB) RechargeByID(ctx context.Context, id int64) (*Recharge, error) {
	return scanRecharge(db.r.QueryRowContext(ctx, `SELECT `+rechargeColumns+` FROM recharges WHERE id = ?`, id))
}

// RechargeForCustomer returns the customer's recharge numbered no;
// someone else's is ErrNotFound.
func (db *DB) RechargeForCustomer(ctx context.Context, customerID int64, no string) (*Recharge, error) {
	return scanRecharge(db.r.QueryRowContext(ctx, `SELECT `+rechargeColumns+` FROM recharges
		WHERE no = ? AND customer_id = ?`, no, customerID))
}

// A paid recharge is credited by applyRechargeTx (payment.go), called by
// ApplyPayment in the payment's transaction.

// HasPayPassword reports whether the customer has set a payment password.
func (db *DB) HasPayPassword(ctx context.Context, customerID int64) (bool, error) {
	var hash string
	err := db.r.QueryRowContext(ctx, `SELECT pay_password_hash FROM customers WHERE id = ?`, customerID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("pay password: %w", err)
	}
	return hash != "", nil
}

// ValidPayPassword checks the form of a payment password: six digits, not
// all the same and not a run such as 123456 or 654321.
func ValidPayPassword(pw string) error {
	if len(pw) != PayPasswordLen || strings.ContainsFunc(pw, func(r rune) bool { return r < '0' || r > '9' }) {
		return Invalid("pay_password", "wallet.pay_password_format", "n", PayPasswordLen)
	}
	same, up, down := true, true, true
	for i := 1; i < len(pw); i++ {
		d := int(pw[i]) - int(pw[i-1])
		same = same && d == 0
		up = up && d == 1
		down = down && d == -1
	}
	if same || up || down {
		return Invalid("pay_password", "wallet.pay_password_simple")
	}
	return nil
}

// payPasswordBlocked is the limiter's refusal, with the minutes to wait.
func (db *DB) payPasswordBlocked(ctx context.Context, customerID int64, field string) error {
	blocked, wait, err := db.LoginBlocked(ctx, payPasswordKey(customerID), LoginMaxFailures)
	if err != nil {
		return err
	}
	if blocked {
		return Invalid(field, "wallet.pay_password_locked", "minutes", int((wait+time.Minute-1)/time.Minute))
	}
	return nil
}

// SetPayPassword sets or replaces the customer's payment password after
// checking their login password (a wrong one is a validation error on
// "login_password" and counts against the same limit as wrong payment
// passwords).
func (db *DB) SetPayPassword(ctx context.Context, customerID int64, loginPassword, payPassword string) error {
	if err := ValidPayPassword(payPassword); err != nil {
		return err
	}
	if err := db.payPasswordBlocked(ctx, customerID, "login_password"); err != nil {
		return err
	}
	var hash string
	err := db.r.QueryRowContext(ctx, `SELECT password_hash FROM customers WHERE id = ?`, customerID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set pay password: %w", err)
	}
	if !CheckPassword(hash, loginPassword) {
		if err := db.RecordLoginFailure(ctx, payPasswordKey(customerID)); err != nil {
			return err
		}
		return Invalid("login_password", "wallet.login_password_wrong")
	}
	payHash, err := HashPassword(payPassword)
	if err != nil {
		return err
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE customers SET pay_password_hash = ? WHERE id = ?`, payHash, customerID)
	})
	if err != nil {
		return fmt.Errorf("set pay password: %w", err)
	}
	return db.ClearLoginFailures(ctx, payPasswordKey(customerID))
}

// CheckPayPassword checks the customer's payment password. Failures are
// validation errors on "pay_password": none set (wallet.pay_password_unset),
// wrong (wallet.pay_password_wrong, with the attempts left), or locked after
// LoginMaxFailures wrong tries within LoginWindow (wallet.pay_password_locked,
// with the minutes to wait) — a locked password is refused even when right.
func (db *DB) CheckPayPassword(ctx context.Context, customerID int64, pw string) error {
	if err := db.payPasswordBlocked(ctx, customerID, "pay_password"); err != nil {
		return err
	}
	var hash string
	err := db.r.QueryRowContext(ctx, `SELECT pay_password_hash FROM customers WHERE id = ?`, customerID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("check pay password: %w", err)
	}
	if hash == "" {
		return Invalid("pay_password", "wallet.pay_password_unset")
	}
	if CheckPassword(hash, pw) {
		return db.ClearLoginFailures(ctx, payPasswordKey(customerID))
	}
	key := payPasswordKey(customerID)
	if err := db.RecordLoginFailure(ctx, key); err != nil {
		return err
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?`,
		key, db.now().Add(-LoginWindow).Unix()).Scan(&n); err != nil {
		return fmt.Errorf("check pay password: %w", err)
	}
	if left := LoginMaxFailures - n; left > 0 {
		return Invalid("pay_password", "wallet.pay_password_wrong", "left", left)
	}
	return db.payPasswordBlocked(ctx, customerID, "pay_password")
}

// AdjustWallet changes a customer's balance by amount (+ or −) on behalf of
// staff, with a reason the customer sees in the ledger (kind "adjust",
// ref_type "staff:NAME"). A deduction larger than the balance is refused
// (wallet.adjust_insufficient). It returns the balance after.
func (db *DB) AdjustWallet(ctx context.Context, customerID int64, amount Fen, staff, reason string) (Fen, error) {
	var v ValidationErrors
	reason = strings.TrimSpace(reason)
	switch {
	case amount == 0:
		v.Add("amount", "wallet.adjust_zero")
	case amount > MaxPrice || amount < -MaxPrice:
		v.Add("amount", "wallet.amount_max", "max", MaxPrice.Yuan())
	}
	switch {
	case reason == "":
		v.Add("reason", "validation.required")
	case utf8.RuneCountInString(reason) > MaxAdjustReason:
		v.Add("reason", "validation.max_len", "max", MaxAdjustReason)
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var after Fen
	now := db.now().Unix()
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if amount > 0 {
			after, err = creditWalletTx(ctx, tx, customerID, LedgerAdjust, amount, "staff:"+staff, 0, reason, now)
		} else {
			after, err = debitWalletTx(ctx, tx, customerID, LedgerAdjust, -amount, "staff:"+staff, 0, reason, now)
		}
		return err
	})
	if errors.Is(err, ErrInsufficientBalance) {
		return 0, Invalid("amount", "wallet.adjust_insufficient")
	}
	if err != nil {
		return 0, fmt.Errorf("adjust wallet: %w", err)
	}
	return after, nil
}

// CustomerWallet is a row of the back office's customer list.
type CustomerWallet struct {
	ID        int64
	Phone     string
	Nickname  string
	Balance   Fen
	Disabled  bool
	CreatedAt time.Time
}

// CustomerWallets lists customers newest first with their balances; phone,
// when not empty, keeps those whose number contains it.
func (db *DB) CustomerWallets(ctx context.Context, phone string, offset, limit int) ([]CustomerWallet, int, error) {
	return db.CustomerWalletsTagged(ctx, phone, 0, offset, limit)
}

// CustomerWalletsTagged is CustomerWallets keeping, when tagID is not 0,
// only the customers who carry that tag.
func (db *DB) CustomerWalletsTagged(ctx context.Context, phone string, tagID int64, offset, limit int) ([]CustomerWallet, int, error) {
	var conds []string
	args := []any{}
	if phone = strings.TrimSpace(phone); phone != "" {
		conds = append(conds, `instr(phone, ?) > 0`)
		args = append(args, phone)
	}
	if tagID != 0 {
		conds = append(conds, `id IN (SELECT customer_id FROM customer_tag_links WHERE tag_id = ?)`)
		args = append(args, tagID)
	}
	where := ""
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("customers: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, phone, nickname, balance_fen, disabled, created_at FROM customers`+
		where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("customers: %w", err)
	}
	defer rows.Close()
	var out []CustomerWallet
	for rows.Next() {
		var c CustomerWallet
		var at int64
		if err := rows.Scan(&c.ID, &c.Phone, &c.Nickname, &c.Balance, &c.Disabled, &at); err != nil {
			return nil, 0, fmt.Errorf("customers: %w", err)
		}
		c.CreatedAt = time.Unix(at, 0)
		out = append(out, c)
	}
	return out, total, rows.Err()
}
