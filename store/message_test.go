package store

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateMessage(t *testing.T) {
	ok := MessageInput{Title: "欢迎", Body: "你好", Link: "/me"}
	with := func(f func(*MessageInput)) MessageInput { in := ok; f(&in); return in }
	tests := []struct {
		name string
		in   MessageInput
		want map[string]string
	}{
		{"valid", ok, map[string]string{}},
		{"no link", with(func(in *MessageInput) { in.Link = "" }), map[string]string{}},
		{"title of 40 characters", with(func(in *MessageInput) { in.Title = strings.Repeat("字", 40) }), map[string]string{}},
		{"blank title", with(func(in *MessageInput) { in.Title = " \t" }), map[string]string{"title": "validation.required"}},
		{"title too long", with(func(in *MessageInput) { in.Title = strings.Repeat("字", 41) }), map[string]string{"title": "validation.max_len"}},
		{"body too long", with(func(in *MessageInput) { in.Body = strings.Repeat("字", 501) }), map[string]string{"body": "validation.max_len"}},
		{"absolute link", with(func(in *MessageInput) { in.Link = "https://evil.example/" }), map[string]string{"link": "message.bad_link"}},
		{"protocol-relative link", with(func(in *MessageInput) { in.Link = "//evil.example/" }), map[string]string{"link": "message.bad_link"}},
		{"script link", with(func(in *MessageInput) { in.Link = "javascript:alert(1)" }), map[string]string{"link": "message.bad_link"}},
		{"unknown kind", with(func(in *MessageInput) { in.Kind = "spam" }), map[string]string{"kind": "message.bad_kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := validateMessage(tt.in)
			got := fieldKeys(err)
			if len(got) != len(tt.want) {
				t.Fatalf("errors %v, want %v", got, tt.want)
			}
			for f, k := range tt.want {
				if got[f] != k {
					t.Errorf("%s: %q, want %q", f, got[f], k)
				}
			}
		})
	}
}

func TestMessages(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	tickingClock(db)
	alice := mustRegister(t, db, "13800138001")
	bob := mustRegister(t, db, "13800138002")

	if _, err := db.SendMessage(ctx, alice.ID, MessageInput{Title: strings.Repeat("长", 41)}); err == nil {
		t.Fatal("an over-long title was sent")
	}
	if _, total, err := db.Messages(ctx, alice.ID, 0, 20); err != nil || total != 0 {
		t.Fatalf("after a refused send: total %d, %v; want nothing written", total, err)
	}

	var ids []int64
	for _, title := range []string{"一", "二", "三"} {
		id, err := db.SendMessage(ctx, alice.ID, MessageInput{Kind: MessageOrder, Title: title, Body: " 正文 ", Link: "/me"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	items, total, err := db.Messages(ctx, alice.ID, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(items) != 2 || items[0].Title != "三" || items[1].Title != "二" {
		t.Fatalf("first page %+v of %d, want 三 二 of 3", items, total)
	}
	if m := items[0]; m.Body != "正文" || m.Kind != MessageOrder || m.Link != "/me" || !m.Unread() || m.CreatedAt.IsZero() {
		t.Errorf("message %+v", m)
	}
	if n, err := db.UnreadMessages(ctx, alice.ID); err != nil || n != 3 {
		t.Fatalf("unread %d, %v; want 3", n, err)
	}

	if _, err := db.MessageByID(ctx, bob.ID, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob reads alice's message: %v, want ErrNotFound", err)
	}
	if err := db.MarkMessageRead(ctx, bob.ID, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("bob marks alice's message: %v, want ErrNotFound", err)
	}
	if err := db.MarkAllMessagesRead(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.UnreadMessages(ctx, alice.ID); n != 3 {
		t.Fatalf("alice's unread after bob's marks: %d, want 3", n)
	}

	if err := db.MarkMessageRead(ctx, alice.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	m, err := db.MessageByID(ctx, alice.ID, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Unread() {
		t.Fatal("opened message is still unread")
	}
	readAt := m.ReadAt
	if err := db.MarkMessageRead(ctx, alice.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	if m, _ := db.MessageByID(ctx, alice.ID, ids[0]); !m.ReadAt.Equal(readAt) {
		t.Errorf("read again moved read_at from %v to %v", readAt, m.ReadAt)
	}
	if n, _ := db.UnreadMessages(ctx, alice.ID); n != 2 {
		t.Fatalf("unread %d, want 2", n)
	}
	if err := db.MarkAllMessagesRead(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.UnreadMessages(ctx, alice.ID); n != 0 {
		t.Fatalf("unread after mark all %d, want 0", n)
	}
}

func TestRegisterWelcome(t *testing.T) {
	db, ctx := openTest(t), t.Context()
	cu, err := db.RegisterCustomer(ctx, "13800138003", custPassword, MessageInput{Title: "欢迎加入小店", Link: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.UnreadMessages(ctx, cu.ID); err != nil || n != 1 {
		t.Fatalf("unread after registration %d, %v; want 1", n, err)
	}
	// An invalid welcome fails the registration as a whole.
	if _, err := db.RegisterCustomer(ctx, "13800138004", custPassword, MessageInput{Title: ""}); err == nil {
		t.Fatal("registration with an invalid welcome succeeded")
	}
	if _, err := db.AuthenticateCustomer(ctx, "13800138004", custPassword); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("customer of the failed registration: %v, want no account", err)
	}
}
