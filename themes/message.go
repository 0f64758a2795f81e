package themes

import "github.com/a-h/templ"

// In-site messages (站内信) of a signed-in customer: the inbox, one
// message, and the unread count on the member page's 消息通知 entry, which
// the theme loads from MessageBadgeURL.

// MessageBadgeURL answers the unread-count fragment (GET).
const MessageBadgeURL = "/me/messages/badge"

// MemberEntryMessages is the member page entry of the inbox.
const MemberEntryMessages = "messages"

// MessageItem is one row of the inbox.
type MessageItem struct {
	ID     int64
	URL    string // the message's page
	Kind   string // store.Message*; the theme picks the label message.kind.<kind>
	Title  string
	Body   string // plain text; the theme shortens it
	At     string // when it was sent, formatted
	Unread bool   // drawn with a dot
}

// MessagesPage is the inbox, newest first, with a mark-all-read form
// posting to ReadAllURL (shown when Unread > 0).
type MessagesPage struct {
	Page
	BackURL    string
	Notice     string
	Items      []MessageItem
	Total      int
	Unread     int
	ReadAllURL string
	Next       string // next page; "" = none
	Prev       string // previous page; "" = first
}

// MessagePage is one message; LinkURL, when set, is a local path the
// message points to (its button).
type MessagePage struct {
	Page
	BackURL string
	Kind    string
	Title   string
	Body    string // plain text, line breaks kept
	At      string
	LinkURL string
}

// MessageBadge is the unread count on the 消息通知 entry; 0 draws nothing.
type MessageBadge struct {
	Count int
}

// Messages draws the compiled theme's inbox.
func (st *state) Messages(vm MessagesPage) templ.Component { return st.wrap(st.compiled.Messages(vm)) }

// Message draws the compiled theme's message page.
func (st *state) Message(vm MessagePage) templ.Component { return st.wrap(st.compiled.Message(vm)) }

// MessageBadge draws the compiled theme's unread-count fragment.
func (st *state) MessageBadge(vm MessageBadge) templ.Component {
	return st.wrap(st.compiled.MessageBadge(vm))
}
