package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/themes"
	"github.com/xiaodian/xiaodian/views/i18n"
)

// In-site messages (站内信) of signed-in customers: the inbox, one message
// (opening it marks it read) and the unread count on the member page.

const (
	messagesPath    = "/me/messages"
	messageTimeForm = "2006-01-02 15:04"
)

// messageRoutes registers the inbox pages and the badge fragment. All of it
// is personal and never cached.
func (h *Handler) messageRoutes(r *gin.Engine) {
	r.GET(themes.MessageBadgeURL, noStore, h.wrap(h.messageBadge))
	g := r.Group(messagesPath, h.requireCustomer)
	g.GET("", h.wrap(h.messagesPage))
	g.POST("/read-all", h.wrap(h.messagesReadAll))
	g.GET("/:id", h.wrap(h.messagePage))
}

// messageURL is the page of message id.
func messageURL(id int64) string { return messagesPath + "/" + strconv.FormatInt(id, 10) }

// messageTime formats when a message was sent, in the server's zone.
func messageTime(t time.Time) string { return t.Local().Format(messageTimeForm) }

// welcomeMessage is the message a new customer finds in the inbox, in the
// request's language; the title is cut to fit a long shop name.
func (h *Handler) welcomeMessage(ctx context.Context) (store.MessageInput, error) {
	name, err := h.shopName(ctx)
	if err != nil {
		return store.MessageInput{}, fmt.Errorf("welcome message: %w", err)
	}
	title := []rune(i18n.Tc(ctx, "message.welcome_title", "shop", name))
	if len(title) > store.MaxMessageTitle {
		title = title[:store.MaxMessageTitle]
	}
	return store.MessageInput{
		Kind:  store.MessageSystem,
		Title: string(title),
		Body:  i18n.Tc(ctx, "message.welcome_body", "shop", name),
		Link:  "/",
	}, nil
}

// messageBadge answers the unread count of the member page's entry; a
// visitor (a session that ended) gets an empty badge, never a redirect.
func (h *Handler) messageBadge(c *gin.Context) error {
	cu, err := h.loadCustomer(c)
	if err != nil {
		return err
	}
	var b themes.MessageBadge
	if cu != nil {
		if b.Count, err = h.db.UnreadMessages(c.Request.Context(), cu.ID); err != nil {
			return err
		}
	}
	h.render(c, http.StatusOK, h.themes.Theme().MessageBadge(b))
	return nil
}

// messagesPage is the inbox, newest first.
func (h *Handler) messagesPage(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	page, offset := savedPage(c)
	items, total, err := h.db.Messages(ctx, cu.ID, offset, savedPerPage)
	if err != nil {
		return err
	}
	unread, err := h.db.UnreadMessages(ctx, cu.ID)
	if err != nil {
		return err
	}
	shell, err := h.accountShell(c, "message.title", "")
	if err != nil {
		return err
	}
	vm := themes.MessagesPage{
		Page: shell, BackURL: "/me", Notice: h.takeNotice(c), Total: total, Unread: unread,
		ReadAllURL: messagesPath + "/read-all",
	}
	for _, m := range items {
		vm.Items = append(vm.Items, themes.MessageItem{
			ID: m.ID, URL: messageURL(m.ID), Kind: m.Kind, Title: m.Title, Body: m.Body,
			At: messageTime(m.CreatedAt), Unread: m.Unread(),
		})
	}
	vm.Prev, vm.Next = pageLinks(messagesPath, page, total)
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, h.themes.Theme().Messages(vm))
	return nil
}

// messagePage shows one of the customer's messages and marks it read;
// another customer's message is the friendly 404.
func (h *Handler) messagePage(c *gin.Context) error {
	ctx := c.Request.Context()
	cu := currentCustomer(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("message id: %w", store.ErrNotFound)
	}
	m, err := h.db.MessageByID(ctx, cu.ID, id)
	if err != nil {
		return err
	}
	if m.Unread() {
		if err := h.db.MarkMessageRead(ctx, cu.ID, id); err != nil {
			return err
		}
	}
	shell, err := h.accountShell(c, "message.detail", "")
	if err != nil {
		return err
	}
	vm := themes.MessagePage{
		Page: shell, BackURL: messagesPath, Kind: m.Kind, Title: m.Title, Body: m.Body,
		At: messageTime(m.CreatedAt), LinkURL: store.SafeLink(m.Link),
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, h.themes.Theme().Message(vm))
	return nil
}

// messagesReadAll marks every message of the customer read (全部已读).
func (h *Handler) messagesReadAll(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := h.db.MarkAllMessagesRead(ctx, currentCustomer(c).ID); err != nil {
		return err
	}
	if err := h.setNotice(c, i18n.Tc(ctx, "message.all_read")); err != nil {
		return fmt.Errorf("read all messages: %w", err)
	}
	redirect(c, messagesPath)
	return nil
}
