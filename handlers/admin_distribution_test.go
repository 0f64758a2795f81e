package handlers

import (
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// distFx is the order fixture with alice bound under bo (the shop's
// default mode: everyone is a distributor), through the real router.
type distFx struct {
	*orderFx
}

func newDistFx(t *testing.T) distFx {
	t.Helper()
	f := distFx{newOrderFx(t)}
	ctx := t.Context()
	code, err := f.a.DB.RefCode(ctx, f.bo)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := f.a.DB.BindByCode(ctx, f.alice, code, store.BindClick); !ok || err != nil {
		t.Fatalf("bind alice under bo: %v %v", ok, err)
	}
	return f
}

func (f distFx) distributor(t *testing.T, id int64) *store.Distributor {
	t.Helper()
	d, err := f.a.DB.DistributorByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f distFx) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := f.a.DB.Write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec(q, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func wantStatus(t *testing.T, what string, resp *http.Response, body string, status int) {
	t.Helper()
	if resp.StatusCode != status {
		if len(body) > 600 {
			body = body[:600]
		}
		t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, status, body)
	}
}

func distSettingsForm() url.Values {
	return url.Values{"enabled": {"1"}, "levels": {"2"}, "mode": {store.DistApply}, "spend_threshold": {"100"},
		"bind_on": {store.BindRegister}, "protect_days": {"30"}, "rebind": {"1"}, "base": {store.BasePrice},
		"rate1": {"12.5"}, "rate2": {"5"}, "rate3": {"0"}, "settle_days": {"10"}, "withdraw_min": {"20"},
		"withdraw_fee_bp": {"0.6"}, "withdraw_daily": {"2"}, "withdraw_via": {store.WithdrawWallet, store.WithdrawBank},
		"agents": {"1"}}
}

func TestDistSettingsSaveAndInvalid(t *testing.T) {
	a := newTestApp(t)
	a.setupOwner(t)
	ctx := t.Context()
	resp, body := a.get(t, "/admin/distribution/settings")
	wantStatus(t, "GET", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-testid="levels-warning"`) || !strings.Contains(body, "微信只允许两级分销") {
		t.Fatal("the two-level warning is missing")
	}
	before := a.DB.DistSettings(ctx)
	for field, bad := range map[string]string{"rate1": "abc", "levels": "4", "protect_days": "-1", "withdraw_min": "0",
		"withdraw_fee_bp": "60", "withdraw_via": "", "mode": "bribe"} {
		form := distSettingsForm()
		form.Set(field, bad)
		if bad == "" {
			form.Del(field)
		}
		resp, body := a.postForm(t, "/admin/distribution/settings", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-`+field+`"`) {
			t.Errorf("%s=%q: status %d, no message beside the field", field, bad, resp.StatusCode)
		}
	}
	form := distSettingsForm()
	form.Set("rate1", "60")
	form.Set("rate2", "50")
	resp, body = a.postForm(t, "/admin/distribution/settings", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "各级佣金比例之和不能超过 100%") {
		t.Errorf("rates over 100%%: status %d", resp.StatusCode)
	}
	if got := a.DB.DistSettings(ctx); got.Mode != before.Mode || got.Rates != before.Rates {
		t.Fatalf("refused forms changed the settings: %+v", got)
	}
	resp, body = a.postForm(t, "/admin/distribution/settings", distSettingsForm())
	wantStatus(t, "save", resp, body, http.StatusSeeOther)
	got := a.DB.DistSettings(ctx)
	if got.Mode != store.DistApply || got.Rates != [3]int{1250, 500, 0} || got.WithdrawFeeBP != 60 || got.WithdrawMin != 2000 ||
		got.BindOn != store.BindRegister || got.ProtectDays != 30 || !got.Rebind || got.Base != store.BasePrice || !got.Agents {
		t.Fatalf("saved settings = %+v", got)
	}
}

func TestDistApplications(t *testing.T) {
	f := newDistFx(t)
	ctx := t.Context()
	for _, id := range []int64{f.alice, f.bo} {
		f.exec(t, `INSERT INTO distributors (customer_id, status, real_name, apply_phone, apply_note, source, created_at, updated_at)
			VALUES (?, 'pending', '王五', '13800000000', '我想推广', 'apply', 1, 1)
			ON CONFLICT (customer_id) DO UPDATE SET status = 'pending', real_name = excluded.real_name,
				apply_note = excluded.apply_note, direct_count = 0, team_count = 0`, id)
	}
	resp, body := f.a.get(t, "/admin/distribution/applications")
	wantStatus(t, "list", resp, body, http.StatusOK)
	if strings.Count(body, `data-testid="application-row"`) != 2 || !strings.Contains(body, "我想推广") {
		t.Fatal("the applications are not listed")
	}
	resp, body = f.a.postForm(t, "/admin/distribution/applications/"+strconv.FormatInt(f.bo, 10)+"/approve", nil)
	wantStatus(t, "approve", resp, body, http.StatusSeeOther)
	d := f.distributor(t, f.bo)
	if d.Status != store.DistributorActive || d.ApprovedAt.IsZero() || d.DirectCount != 1 || d.TeamCount != 1 {
		t.Fatalf("approved: %+v", d)
	}
	msgs, _, err := f.a.DB.Messages(ctx, f.bo, 0, 10)
	if err != nil || len(msgs) == 0 || msgs[0].Title != "分销申请已通过" {
		t.Fatalf("approval message: %v %v", msgs, err)
	}
	// Approving twice is a conflict, not a second approval.
	resp, _ = f.a.postForm(t, "/admin/distribution/applications/"+strconv.FormatInt(f.bo, 10)+"/approve", nil)
	wantStatus(t, "approve again", resp, "", http.StatusSeeOther)

	alice := strconv.FormatInt(f.alice, 10)
	resp, body = f.a.postForm(t, "/admin/distribution/applications/"+alice+"/reject", url.Values{"reason": {" "}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-reason"`) {
		t.Fatalf("reject without a reason: status %d", resp.StatusCode)
	}
	if f.distributor(t, f.alice).Status != store.DistributorPending {
		t.Fatal("a refused reject changed the application")
	}
	resp, _ = f.a.postForm(t, "/admin/distribution/applications/"+alice+"/reject", url.Values{"reason": {"资料不全"}})
	wantStatus(t, "reject", resp, "", http.StatusSeeOther)
	if d := f.distributor(t, f.alice); d.Status != store.DistributorRejected || d.ReviewNote != "资料不全" {
		t.Fatalf("rejected: %+v", d)
	}
	msgs, _, _ = f.a.DB.Messages(ctx, f.alice, 0, 10)
	if len(msgs) == 0 || !strings.Contains(msgs[0].Body, "资料不全") {
		t.Fatalf("rejection message: %v", msgs)
	}
}

func TestDistAdjustRebindStatus(t *testing.T) {
	f := newDistFx(t)
	ctx := t.Context()
	bo := "/admin/distribution/distributors/" + strconv.FormatInt(f.bo, 10)
	resp, body := f.a.get(t, bo)
	wantStatus(t, "detail", resp, body, http.StatusOK)

	resp, _ = f.a.postForm(t, bo+"/adjust", url.Values{"direction": {"add"}, "amount": {"50"}, "reason": {"活动奖励"}})
	wantStatus(t, "adjust +", resp, "", http.StatusSeeOther)
	resp, body = f.a.postForm(t, bo+"/adjust", url.Values{"direction": {"deduct"}, "amount": {"80"}, "reason": {"误发"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "可提现佣金不足") {
		t.Fatalf("deduct over the balance: status %d", resp.StatusCode)
	}
	resp, body = f.a.postForm(t, bo+"/adjust", url.Values{"direction": {"deduct"}, "amount": {"20"}, "reason": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-adjust_reason"`) {
		t.Fatalf("adjust without a reason: status %d", resp.StatusCode)
	}
	resp, _ = f.a.postForm(t, bo+"/adjust", url.Values{"direction": {"deduct"}, "amount": {"20"}, "reason": {"误发"}})
	wantStatus(t, "adjust −", resp, "", http.StatusSeeOther)
	if d := f.distributor(t, f.bo); d.Balance != 3000 {
		t.Fatalf("balance %d, want 3000", d.Balance)
	}
	ledger, err := f.a.DB.CommissionLedger(ctx, f.bo, 10)
	if err != nil || len(ledger) != 2 || ledger[0].Kind != store.CLedgerAdjust || ledger[0].Amount != -2000 ||
		ledger[0].Actor != store.StaffActor(testOwner) || ledger[0].Note != "误发" {
		t.Fatalf("ledger %+v %v", ledger, err)
	}

	// bo under alice, who is bo's own referral: a cycle.
	resp, body = f.a.postForm(t, bo+"/rebind", url.Values{"referrer": {f.aliceP}, "reason": {"客户要求"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "不能绑定到自己的下级") {
		t.Fatalf("rebind into a cycle: status %d", resp.StatusCode)
	}
	alice := "/admin/distribution/distributors/" + strconv.FormatInt(f.alice, 10)
	// In the everyone mode alice has no row until one is needed.
	if err := f.a.DB.DesignateDistributor(ctx, f.alice, store.StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	resp, body = f.a.postForm(t, alice+"/rebind", url.Values{"referrer": {""}, "reason": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-rebind_reason"`) {
		t.Fatalf("rebind without a reason: status %d", resp.StatusCode)
	}
	resp, _ = f.a.postForm(t, alice+"/rebind", url.Values{"referrer": {""}, "reason": {"解除关系"}})
	wantStatus(t, "unbind", resp, "", http.StatusSeeOther)
	log, _ := f.a.DB.ReferralLog(ctx, f.alice)
	if len(log) != 2 || log[0].Via != store.BindStaff || log[0].Reason != "解除关系" || log[0].Actor != store.StaffActor(testOwner) {
		t.Fatalf("referral log %+v", log)
	}
	if d := f.distributor(t, f.bo); d.DirectCount != 0 || d.TeamCount != 0 {
		t.Fatalf("bo's team after the unbinding: %+v", d)
	}

	resp, body = f.a.postForm(t, bo+"/status", url.Values{"disabled": {"1"}, "reason": {""}})
	wantStatus(t, "disable without reason", resp, body, http.StatusUnprocessableEntity)
	resp, _ = f.a.postForm(t, bo+"/status", url.Values{"disabled": {"1"}, "reason": {"违规推广"}})
	wantStatus(t, "disable", resp, "", http.StatusSeeOther)
	if d := f.distributor(t, f.bo); d.Status != store.DistributorDisabled || !strings.Contains(d.ReviewNote, "违规推广") {
		t.Fatalf("disabled: %+v", d)
	}
	resp, _ = f.a.postForm(t, bo+"/status", url.Values{})
	wantStatus(t, "enable", resp, "", http.StatusSeeOther)
	if d := f.distributor(t, f.bo); d.Status != store.DistributorActive {
		t.Fatalf("enabled: %+v", d)
	}

	// Designation of a customer with no row, by phone.
	carol, err := f.a.DB.RegisterCustomer(ctx, "13700137000", custPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp, body = f.a.postForm(t, "/admin/distribution/distributors/designate", url.Values{"phone": {"13700137001"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "没有这个手机号的客户") {
		t.Fatalf("designate an unknown phone: status %d", resp.StatusCode)
	}
	resp, _ = f.a.postForm(t, "/admin/distribution/distributors/designate", url.Values{"phone": {"13700137000"}})
	wantStatus(t, "designate", resp, "", http.StatusSeeOther)
	if d := f.distributor(t, carol.ID); d.Status != store.DistributorActive || d.Source != store.DistManual {
		t.Fatalf("designated: %+v", d)
	}
}

func TestDistWithdrawalQueue(t *testing.T) {
	f := newDistFx(t)
	ctx := t.Context()
	if _, err := f.a.DB.AdjustCommission(ctx, f.bo, 30000, "开户", store.StaffActor("boss")); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, amount := range []store.Fen{10000, 5000} {
		w, err := f.a.DB.RequestWithdrawal(ctx, store.WithdrawalInput{CustomerID: f.bo, Method: store.WithdrawBank, Amount: amount,
			AccountName: "李四", AccountNo: "6222020202020202", BankName: "工商银行"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, w.ID)
	}
	resp, body := f.a.get(t, "/admin/distribution/withdrawals?status=pending")
	wantStatus(t, "queue", resp, body, http.StatusOK)
	if strings.Count(body, `data-testid="withdrawal-row"`) != 2 {
		t.Fatal("the pending withdrawals are not listed")
	}
	resp, _ = f.a.postForm(t, "/admin/distribution/withdrawals/approve", url.Values{"ids": {strconv.FormatInt(ids[0], 10), strconv.FormatInt(ids[1], 10)}})
	wantStatus(t, "batch approve", resp, "", http.StatusSeeOther)
	for _, id := range ids {
		if w, _ := f.a.DB.WithdrawalByID(ctx, id); w.Status != store.WithdrawalApproved || w.ReviewedBy != string(store.StaffActor(testOwner)) {
			t.Fatalf("approved: %+v", w)
		}
	}
	resp, body = f.a.get(t, "/admin/distribution/withdrawals.csv?status=approved")
	wantStatus(t, "csv", resp, body, http.StatusOK)
	if !strings.Contains(body, "李四,\"\t6222020202020202\",工商银行,100.00,") {
		t.Fatalf("payout CSV: %q", body)
	}
	if strings.Count(body, "\r\n") != 3 {
		t.Fatalf("payout CSV rows: %q", body)
	}
	w0 := "/admin/distribution/withdrawals/" + strconv.FormatInt(ids[0], 10)
	resp, _ = f.a.postForm(t, w0+"/paid", url.Values{"ref": {"BANK-REF-1"}})
	wantStatus(t, "mark paid", resp, "", http.StatusSeeOther)
	if w, _ := f.a.DB.WithdrawalByID(ctx, ids[0]); w.Status != store.WithdrawalPaid || w.PayoutRef != "BANK-REF-1" {
		t.Fatalf("paid: %+v", w)
	}
	w1 := "/admin/distribution/withdrawals/" + strconv.FormatInt(ids[1], 10)
	resp, body = f.a.postForm(t, w1+"/reject", url.Values{"reason": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-reason"`) {
		t.Fatalf("reject without a reason: status %d", resp.StatusCode)
	}
	before := f.distributor(t, f.bo).Balance
	resp, _ = f.a.postForm(t, w1+"/reject", url.Values{"reason": {"卡号有误"}})
	wantStatus(t, "reject", resp, "", http.StatusSeeOther)
	d := f.distributor(t, f.bo)
	if d.Balance != before+5000 || d.Withdrawn != 10000 {
		t.Fatalf("after reject: balance %d (before %d), withdrawn %d", d.Balance, before, d.Withdrawn)
	}
	// Paying a rejected one is a conflict: a flash, nothing changes.
	resp, _ = f.a.postForm(t, w1+"/paid", url.Values{"ref": {"X"}})
	wantStatus(t, "pay a rejected one", resp, "", http.StatusSeeOther)
	if w, _ := f.a.DB.WithdrawalByID(ctx, ids[1]); w.Status != store.WithdrawalRejected {
		t.Fatalf("rejected withdrawal became %s", w.Status)
	}
}

func TestDistLevelsAndUpgrade(t *testing.T) {
	f := newDistFx(t)
	ctx := t.Context()
	// bo has one direct referral (alice).
	if err := f.a.DB.DesignateDistributor(ctx, f.bo, store.StaffActor("x")); err == nil {
		t.Fatal("bo is already a distributor: designation should be refused")
	}
	level := url.Values{"name": {"银牌"}, "weight": {"10"}, "rate1": {"15"}, "rate2": {"6"}, "rate3": {"0"},
		"discount": {"5"}, "cond_direct": {"1"}, "cond_team": {"0"}, "cond_sales": {""}, "cond_spend": {""}, "cond_all": {"0"}}
	resp, body := f.a.postForm(t, "/admin/distribution/levels/new", level)
	wantStatus(t, "create", resp, body, http.StatusSeeOther)
	dup := url.Values{}
	for k, v := range level {
		dup[k] = v
	}
	dup.Set("name", "金牌")
	resp, body = f.a.postForm(t, "/admin/distribution/levels/new", dup)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-weight"`) {
		t.Fatalf("duplicate weight: status %d", resp.StatusCode)
	}
	dup.Set("weight", "20")
	dup.Set("rate1", "120")
	resp, body = f.a.postForm(t, "/admin/distribution/levels/new", dup)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-rate1"`) {
		t.Fatalf("rate over 100%%: status %d", resp.StatusCode)
	}
	dup.Set("rate1", "20")
	dup.Set("cond_direct", "5")
	resp, _ = f.a.postForm(t, "/admin/distribution/levels/new", dup)
	wantStatus(t, "create gold", resp, "", http.StatusSeeOther)
	levels, err := f.a.DB.DistributorLevels(ctx)
	if err != nil || len(levels) != 2 || levels[0].Name != "银牌" || levels[0].Rates != [3]int{1500, 600, 0} || levels[0].DiscountBP != 500 {
		t.Fatalf("levels %+v %v", levels, err)
	}
	silver, gold := levels[0], levels[1]

	// A manual row is left alone; bo (1 direct) reaches silver, not gold.
	carol, _ := f.a.DB.RegisterCustomer(ctx, "13700137000", custPassword)
	f.a.DB.DesignateDistributor(ctx, carol.ID, store.StaffActor("boss"))
	f.exec(t, `UPDATE distributors SET direct_count = 9, level_manual = 1 WHERE customer_id = ?`, carol.ID)
	n, err := f.a.DB.UpgradeDistributorLevels(ctx, 100)
	if err != nil || n != 1 {
		t.Fatalf("upgrade = %d, %v", n, err)
	}
	if d := f.distributor(t, f.bo); d.LevelID != silver.ID {
		t.Fatalf("bo's level %d, want silver %d", d.LevelID, silver.ID)
	}
	if d := f.distributor(t, carol.ID); d.LevelID != 0 {
		t.Fatal("the upgrade job touched a manual row")
	}
	if n, _ := f.a.DB.UpgradeDistributorLevels(ctx, 100); n != 0 {
		t.Fatal("a second run upgraded again")
	}
	// Set by hand to gold, then the job never moves bo down.
	resp, _ = f.a.postForm(t, "/admin/distribution/distributors/"+strconv.FormatInt(f.bo, 10)+"/level",
		url.Values{"level_id": {strconv.FormatInt(gold.ID, 10)}})
	wantStatus(t, "set level", resp, "", http.StatusSeeOther)
	if d := f.distributor(t, f.bo); d.LevelID != gold.ID || !d.LevelManual {
		t.Fatalf("set by hand: %+v", d)
	}
	f.exec(t, `UPDATE distributors SET level_manual = 0`)
	f.a.DB.UpgradeDistributorLevels(ctx, 100)
	if d := f.distributor(t, f.bo); d.LevelID != gold.ID {
		t.Fatal("the upgrade job moved bo down")
	}
	// The job is scheduled.
	found := false
	for _, j := range f.a.Handler.jobs() {
		found = found || j.name == "upgrade-distributor-levels"
	}
	if !found {
		t.Fatal("the upgrade job is not scheduled")
	}

	edit := "/admin/distribution/levels/" + strconv.FormatInt(silver.ID, 10)
	resp, body = f.a.get(t, edit+"/edit")
	wantStatus(t, "edit form", resp, body, http.StatusOK)
	if !strings.Contains(body, `value="15"`) {
		t.Fatal("the edit form does not show the rate in %")
	}
	level.Set("name", "白银")
	resp, _ = f.a.postForm(t, edit+"/edit", level)
	wantStatus(t, "update", resp, "", http.StatusSeeOther)
	resp, _ = f.a.postForm(t, "/admin/distribution/levels/"+strconv.FormatInt(gold.ID, 10)+"/delete", nil)
	wantStatus(t, "delete", resp, "", http.StatusSeeOther)
	levels, _ = f.a.DB.DistributorLevels(ctx)
	if len(levels) != 1 || levels[0].Name != "白银" {
		t.Fatalf("after update and delete: %+v", levels)
	}
	if d := f.distributor(t, f.bo); d.LevelID != 0 {
		t.Fatal("a deleted level's member kept it")
	}
	resp, body = f.a.get(t, "/admin/distribution/levels")
	wantStatus(t, "list", resp, body, http.StatusOK)
	if !strings.Contains(body, "白银") || !strings.Contains(body, "直推满 1 人") {
		t.Fatal("the level list does not show the level and its condition")
	}
}

func TestDistAgents(t *testing.T) {
	f := newDistFx(t)
	ctx := t.Context()
	resp, body := f.a.get(t, "/admin/distribution/agents/new")
	wantStatus(t, "new", resp, body, http.StatusOK)
	resp, body = f.a.get(t, "/admin/distribution/agents/region?tier=district&province=44&city=4403")
	wantStatus(t, "picker", resp, body, http.StatusOK)
	if !strings.Contains(body, "南山区") {
		t.Fatal("the picker does not list Shenzhen's districts")
	}
	carol, _ := f.a.DB.RegisterCustomer(ctx, "13700137000", custPassword)
	form := url.Values{"phone": {"13700137000"}, "tier": {store.AgentCity}, "province": {"44"}, "city": {"4403"},
		"rate": {"2"}, "expires": {"2030-12-31"}, "active": {"1"}, "action": {"save"}}
	resp, body = f.a.postForm(t, "/admin/distribution/agents/new", form)
	wantStatus(t, "appoint", resp, body, http.StatusSeeOther)
	agents, total, err := f.a.DB.Agents(ctx, store.AgentFilter{})
	if err != nil || total != 1 || agents[0].RegionCode != "4403" || agents[0].RegionName != "广东省 深圳市" || agents[0].RateBP != 200 ||
		agents[0].ExpiresAt.Format("2006-01-02") != "2031-01-01" {
		t.Fatalf("agents %+v %v", agents, err)
	}
	if d := f.distributor(t, carol.ID); d.Status != store.DistributorActive {
		t.Fatal("the agent is not a distributor")
	}
	form.Set("phone", f.aliceP)
	resp, body = f.a.postForm(t, "/admin/distribution/agents/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "该区域已有生效的代理") {
		t.Fatalf("second agent for the region: status %d", resp.StatusCode)
	}
	form.Set("tier", store.AgentDistrict)
	form.Set("rate", "0")
	resp, body = f.a.postForm(t, "/admin/distribution/agents/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-region"`) ||
		!strings.Contains(body, `data-testid="error-rate"`) {
		t.Fatalf("no district, rate 0: status %d", resp.StatusCode)
	}
	edit := "/admin/distribution/agents/" + strconv.FormatInt(agents[0].ID, 10) + "/edit"
	resp, body = f.a.get(t, edit)
	wantStatus(t, "edit form", resp, body, http.StatusOK)
	if !strings.Contains(body, `value="2030-12-31"`) {
		t.Fatal("the edit form does not show the expiry date")
	}
	resp, _ = f.a.postForm(t, edit, url.Values{"phone": {"13700137000"}, "tier": {store.AgentDistrict}, "province": {"44"},
		"city": {"4403"}, "district": {"440305"}, "rate": {"1.5"}, "expires": {""}, "action": {"save"}})
	wantStatus(t, "update", resp, "", http.StatusSeeOther)
	a, _ := f.a.DB.AgentByID(ctx, agents[0].ID)
	if a.RegionCode != "440305" || a.Active || !a.ExpiresAt.IsZero() || a.RateBP != 150 {
		t.Fatalf("updated agent %+v", a)
	}
	resp, body = f.a.get(t, "/admin/distribution/agents")
	wantStatus(t, "list", resp, body, http.StatusOK)
	if !strings.Contains(body, "广东省 深圳市 南山区") {
		t.Fatal("the list does not show the region")
	}
}

func TestProductCommissionRule(t *testing.T) {
	f := newDistFx(t)
	ctx := t.Context()
	cat, _ := f.a.DB.CreateCategory(ctx, store.CategoryInput{Name: "家居", Visible: true})
	form := skuForm(cat, "香薰蜡烛", "", [][]string{{}}, "59")
	form.Set("commission_mode", store.CommissionRates)
	form.Set("commission1", "60")
	form.Set("commission2", "50")
	resp, body := f.a.postForm(t, "/admin/products/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-commission1"`) {
		t.Fatalf("rates over 100%%: status %d", resp.StatusCode)
	}
	form.Set("commission_mode", store.CommissionFixed)
	form.Set("commission1", "5")
	form.Set("commission2", "2.5")
	resp, body = f.a.postForm(t, "/admin/products/new", form)
	wantStatus(t, "create", resp, body, http.StatusSeeOther)
	list, _, err := f.a.DB.Products(ctx, store.ProductFilter{Query: "香薰"})
	if err != nil || len(list) != 1 {
		t.Fatalf("products %v %v", list, err)
	}
	p, _ := f.a.DB.ProductByID(ctx, list[0].ID)
	if p.CommissionMode != store.CommissionFixed || p.Commission != [3]int64{500, 250, 0} {
		t.Fatalf("saved rule %q %v", p.CommissionMode, p.Commission)
	}
	edit := "/admin/products/" + strconv.FormatInt(p.ID, 10) + "/edit"
	resp, body = f.a.get(t, edit)
	wantStatus(t, "edit", resp, body, http.StatusOK)
	if !strings.Contains(body, `value="2.50"`) {
		t.Fatal("the edit form does not show the fixed amount")
	}
	form.Set("commission_mode", store.CommissionOff)
	resp, _ = f.a.postForm(t, edit, form)
	wantStatus(t, "update", resp, "", http.StatusSeeOther)
	p, _ = f.a.DB.ProductByID(ctx, p.ID)
	if p.CommissionMode != store.CommissionOff || p.Commission != [3]int64{} {
		t.Fatalf("updated rule %q %v", p.CommissionMode, p.Commission)
	}
}

func TestDistListsTreeAndExports(t *testing.T) {
	f := newDistFx(t)
	o := f.pay(t, f.place(t, f.alice, store.CheckoutItem{SKUID: f.red, Qty: 2}))
	for _, path := range []string{"/admin/distribution/distributors", "/admin/distribution/distributors?q=139&status=active&level=default",
		"/admin/distribution/commissions", "/admin/distribution/commissions?status=pending&kind=level&from=2020-01-01&to=2099-01-01",
		"/admin/distribution/rankings", "/admin/distribution/rankings?by=sales&days=7", "/admin/distribution/rankings?by=team",
		"/admin/distribution/rankings?by=settled&days=0", "/admin/distribution/tree", "/admin/distribution/withdrawals",
		"/admin/distribution/applications", "/admin/distribution/levels", "/admin/distribution/agents"} {
		resp, body := f.a.get(t, path)
		wantStatus(t, path, resp, body, http.StatusOK)
	}
	_, body := f.a.get(t, "/admin/distribution/commissions?phone="+f.boPhone)
	if strings.Count(body, `data-testid="commission-row"`) != 1 || !strings.Contains(body, o.No) {
		t.Fatal("bo's commission on alice's order is not listed")
	}
	_, body = f.a.get(t, "/admin/distribution/commissions?no=nosuchorder")
	if !strings.Contains(body, `data-testid="commissions-empty"`) {
		t.Fatal("the order filter does not filter")
	}
	resp, body := f.a.get(t, "/admin/distribution/commissions.csv?phone="+f.boPhone)
	wantStatus(t, "commissions csv", resp, body, http.StatusOK)
	if !strings.HasPrefix(body, "\uFEFF") || !strings.Contains(body, o.No) || !strings.Contains(resp.Header.Get("Content-Disposition"), "commissions-") {
		t.Fatalf("commissions CSV: %q", body)
	}
	resp, body = f.a.get(t, "/admin/distribution/distributors.csv")
	wantStatus(t, "distributors csv", resp, body, http.StatusOK)
	if !strings.Contains(body, f.boPhone) {
		t.Fatalf("distributors CSV: %q", body)
	}
	_, body = f.a.get(t, "/admin/distribution/rankings?by=sales&days=7")
	if !strings.Contains(body, f.boPhone) {
		t.Fatal("bo is not in the promoted sales ranking")
	}

	// The tree: bo's level 1 is alice; expanding works through htmx.
	resp, body = f.a.get(t, "/admin/distribution/tree?phone="+f.boPhone)
	wantStatus(t, "tree", resp, body, http.StatusOK)
	if strings.Count(body, `data-testid="tree-row"`) != 1 || !strings.Contains(body, f.aliceP) {
		t.Fatal("the tree does not show alice under bo")
	}
	resp, body = f.a.do(t, http.MethodGet, "/admin/distribution/tree/"+strconv.FormatInt(f.bo, 10)+"/members?depth=1&nested=1", nil,
		http.Header{"HX-Request": {"true"}})
	wantStatus(t, "tree members", resp, body, http.StatusOK)
	if strings.Contains(body, "<html") || !strings.Contains(body, f.aliceP) {
		t.Fatalf("the members fragment: %q", body)
	}
}
