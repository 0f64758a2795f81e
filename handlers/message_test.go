package handlers

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xiaodian/xiaodian/store"
)

// secondClient is another browser on the same shop, with its own cookies.
func (a *testApp) secondClient(t *testing.T) *testApp {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: a.client.CheckRedirect}
	return &testApp{App: a.App, srv: a.srv, client: c}
}

// customerID is the id of the account registered with phone.
func (a *testApp) customerID(t *testing.T, phone string) int64 {
	t.Helper()
	cu, err := a.DB.AuthenticateCustomer(t.Context(), phone, custPassword)
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

// unreadOf is the customer's unread count, failing the test on error.
func (a *testApp) unreadOf(t *testing.T, cid int64) int {
	t.Helper()
	n, err := a.DB.UnreadMessages(t.Context(), cid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var messageIDRe = regexp.MustCompile(`data-testid="message" data-id="(\d+)" data-unread="(true|false)"`)

// inbox fetches /me/messages and returns its messages' ids and unread marks.
func (a *testApp) inbox(t *testing.T) (ids []string, unread []bool, body string) {
	t.Helper()
	resp, body := a.get(t, messagesPath)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("inbox: status %d", resp.StatusCode)
	}
	for _, m := range messageIDRe.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
		unread = append(unread, m[2] == "true")
	}
	return ids, unread, body
}

func TestMessagesWelcomeReadAndReadAll(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	cid := a.customerID(t, custPhone)
	if n := a.unreadOf(t, cid); n != 1 {
		t.Fatalf("unread after registration: %d, want 1", n)
	}
	resp, body := a.get(t, "/me")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="member-messages"`) {
		t.Fatalf("member page without the messages entry: %d", resp.StatusCode)
	}
	if _, body := a.get(t, "/me/messages/badge"); !strings.Contains(body, ">1</span>") {
		t.Errorf("badge %q, want 1", body)
	}

	ids, unread, body := a.inbox(t)
	if len(ids) != 1 || !unread[0] || !strings.Contains(body, "欢迎加入") || !strings.Contains(body, `data-testid="unread-dot"`) {
		t.Fatalf("inbox after registration: ids %v unread %v", ids, unread)
	}
	resp, body = a.get(t, messagesPath+"/"+ids[0])
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="message-detail"`) ||
		!strings.Contains(body, `href="/" data-testid="message-link"`) {
		t.Fatalf("message page: %d: %s", resp.StatusCode, body)
	}
	if n := a.unreadOf(t, cid); n != 0 {
		t.Fatalf("unread after opening: %d, want 0", n)
	}
	if _, body := a.get(t, "/me/messages/badge"); !strings.Contains(body, "hidden") {
		t.Errorf("badge at 0 not hidden: %q", body)
	}

	for _, title := range []string{"订单已发货", "佣金到账"} {
		if _, err := a.DB.SendMessage(t.Context(), cid, store.MessageInput{Kind: store.MessageOrder, Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	ids, unread, body = a.inbox(t)
	if len(ids) != 3 || !unread[0] || !unread[1] || unread[2] || strings.Index(body, "佣金到账") > strings.Index(body, "订单已发货") {
		t.Fatalf("inbox: ids %v unread %v, want newest first with two unread", ids, unread)
	}
	resp, _ = a.postForm(t, messagesPath+"/read-all", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != messagesPath {
		t.Fatalf("read all: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := a.unreadOf(t, cid); n != 0 {
		t.Fatalf("unread after read all: %d", n)
	}
	_, unread, body = a.inbox(t)
	if unread[0] || unread[1] || !strings.Contains(body, `data-testid="notice"`) || strings.Contains(body, `data-testid="read-all"`) {
		t.Errorf("inbox after read all: unread %v", unread)
	}
}

func TestMessagesOfAnotherCustomer(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	alice := a.customerID(t, custPhone)
	ids, _, _ := a.inbox(t)
	if len(ids) != 1 {
		t.Fatalf("alice's inbox: %v", ids)
	}
	b := a.secondClient(t)
	b.register(t, "13900139000")
	for _, path := range []string{messagesPath + "/" + ids[0], messagesPath + "/0", messagesPath + "/x", messagesPath + "/99999"} {
		if resp, _ := b.get(t, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if n := a.unreadOf(t, alice); n != 1 {
		t.Errorf("alice's unread after bob's tries: %d, want 1", n)
	}
	bids, _, body := b.inbox(t)
	if len(bids) != 1 || bids[0] == ids[0] || strings.Contains(body, `data-id="`+ids[0]+`"`) {
		t.Errorf("bob's inbox %v shows alice's message %s", bids, ids[0])
	}
}

func TestMessagesNeedSignInAndSameOrigin(t *testing.T) {
	a := newTestApp(t)
	for _, path := range []string{messagesPath, messagesPath + "/1"} {
		resp, _ := a.get(t, path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("visitor GET %s: %d %q, want sign in", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, body := a.get(t, "/me/messages/badge"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "hidden") {
		t.Errorf("visitor's badge: %d %q, want an empty badge", resp.StatusCode, body)
	}
	a.register(t, custPhone)
	cid := a.customerID(t, custPhone)
	hdr := http.Header{"Origin": {"https://evil.example"}, "Content-Type": {"application/x-www-form-urlencoded"}}
	resp, _ := a.do(t, http.MethodPost, messagesPath+"/read-all", strings.NewReader(url.Values{}.Encode()), hdr)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin read all: %d, want 403", resp.StatusCode)
	}
	if n := a.unreadOf(t, cid); n != 1 {
		t.Errorf("unread after a refused read all: %d, want 1", n)
	}
}

func TestSendMessageRefusedWritesNothing(t *testing.T) {
	a := newTestApp(t)
	a.register(t, custPhone)
	cid := a.customerID(t, custPhone)
	bad := []store.MessageInput{
		{Title: ""},
		{Title: strings.Repeat("长", store.MaxMessageTitle+1)},
		{Title: "好", Body: strings.Repeat("长", store.MaxMessageBody+1)},
		{Title: "好", Link: "https://evil.example/"},
		{Title: "好", Kind: "spam"},
	}
	for _, in := range bad {
		if _, err := a.DB.SendMessage(t.Context(), cid, in); err == nil {
			t.Errorf("SendMessage(%+v) accepted", in)
		}
	}
	if _, total, err := a.DB.Messages(t.Context(), cid, 0, 50); err != nil || total != 1 {
		t.Errorf("messages after refused sends: %d, %v; want only the welcome", total, err)
	}
}

func TestWelcomeMessageFitsLongShopName(t *testing.T) {
	a := newTestApp(t)
	if err := a.DB.SetSetting(t.Context(), shopNameSetting, strings.Repeat("店", 40)); err != nil {
		t.Fatal(err)
	}
	m, err := a.Handler.welcomeMessage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(m.Title)); n != store.MaxMessageTitle {
		t.Errorf("title of %d characters, want cut to %d", n, store.MaxMessageTitle)
	}
}
