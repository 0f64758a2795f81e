package store

import (
	"testing"
	"unicode/utf8"
)

// FuzzWithdrawalInput: the withdrawal form either is refused or leaves an
// amount within the rules, a fee within the amount and an account of the
// method's shape.
func FuzzWithdrawalInput(f *testing.F) {
	f.Add("bank", int64(10000), "张三", "6222 0202 0011 2233 445", "工商银行")
	f.Add("alipay", int64(5000), "李四", "a@b.cn", "")
	f.Add("wallet", int64(1000), "", "", "")
	f.Add("wechat", int64(-1), "x", "y", "z")
	s := DefaultDistSettings()
	s.WithdrawVia = WithdrawMethods
	s.WithdrawFeeBP = 150
	f.Fuzz(func(t *testing.T, method string, amount int64, name, account, bank string) {
		in := WithdrawalInput{Method: method, Amount: Fen(amount), AccountName: name, AccountNo: account, BankName: bank}
		fee, err := in.validate(&s)
		if err != nil {
			return
		}
		if in.Amount < s.WithdrawMin || in.Amount > MaxWithdrawal || fee < 0 || fee > in.Amount {
			t.Fatalf("accepted amount %d fee %d", in.Amount, fee)
		}
		if method == WithdrawWallet && fee != 0 {
			t.Fatal("a fee on a wallet withdrawal")
		}
		switch method {
		case WithdrawBank:
			if !bankCardRe.MatchString(in.AccountNo) || utf8.RuneCountInString(in.AccountName) < 2 {
				t.Fatalf("accepted bank account %q %q", in.AccountName, in.AccountNo)
			}
		case WithdrawAlipay:
			if !alipayRe.MatchString(in.AccountNo) {
				t.Fatalf("accepted alipay account %q", in.AccountNo)
			}
		case WithdrawWallet, WithdrawWeChat:
			if in.AccountNo != "" || in.AccountName != "" {
				t.Fatal("an account kept for a method without one")
			}
		default:
			t.Fatalf("accepted method %q", method)
		}
	})
}
