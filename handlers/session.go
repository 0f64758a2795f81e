package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/xiaodian/xiaodian/store"
	"github.com/xiaodian/xiaodian/views"
)

// sessionName is the cookie holding the (signed) session id.
const sessionName = "xd_session"

// sessionMaxAge is how long an idle session lives.
const sessionMaxAge = 7 * 24 * time.Hour

func init() {
	gob.Register([]views.Flash{})
}

// sessionStore is a gorilla/sessions Store that keeps session data in
// SQLite; the cookie carries only a random id signed with a key generated
// once and kept in the database.
type sessionStore struct {
	db     *store.DB
	codecs []securecookie.Codec
	opts   sessions.Options
}

func newSessionStore(ctx context.Context, db *store.DB, secure bool) (*sessionStore, error) {
	key, err := db.Secret(ctx, "session.hash_key", 64)
	if err != nil {
		return nil, err
	}
	return &sessionStore{
		db:     db,
		codecs: securecookie.CodecsFromPairs(key),
		opts: sessions.Options{
			Path:     "/",
			MaxAge:   int(sessionMaxAge / time.Second),
			HttpOnly: true,
			Secure:   secure,
			SameSite: http.SameSiteLaxMode,
		},
	}, nil
}

// Get returns the session for this request, cached in the request registry.
func (s *sessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New returns the stored session named by the request's cookie, or a new one.
func (s *sessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.opts
	sess.Options = &opts
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var id string
	if err := securecookie.DecodeMulti(name, c.Value, &id, s.codecs...); err != nil {
		return sess, nil // a forged or stale cookie is simply a new session
	}
	data, err := s.db.SessionData(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&sess.Values); err != nil {
		return sess, nil
	}
	sess.ID = id
	sess.IsNew = false
	return sess, nil
}

// Save writes the session row and the cookie; MaxAge < 0 deletes both.
func (s *sessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.db.DeleteSession(r.Context(), sess.ID); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" {
		sess.ID = newSessionID()
	}
	c, err := s.store(r.Context(), sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, c)
	return nil
}

// store writes the session row and returns its cookie.
func (s *sessionStore) store(ctx context.Context, sess *sessions.Session) (*http.Cookie, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(sess.Values); err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	expires := time.Now().Add(time.Duration(sess.Options.MaxAge) * time.Second)
	if err := s.db.SaveSession(ctx, sess.ID, buf.Bytes(), expires); err != nil {
		return nil, err
	}
	enc, err := securecookie.EncodeMulti(sess.Name(), sess.ID, s.codecs...)
	if err != nil {
		return nil, fmt.Errorf("encode session cookie: %w", err)
	}
	return sessions.NewCookie(sess.Name(), enc, sess.Options), nil
}

// SignedInCookie makes a session of the customer, signed in, and returns
// its cookie, as if they had signed in on a phone. It is for tools that
// drive the shop with many customers (xiaodian bench), which would
// otherwise hash a password per customer and meet the login rate limit;
// it is Go API only, never reachable over HTTP.
func (a *App) SignedInCookie(ctx context.Context, customerID int64) (*http.Cookie, error) {
	cu, err := a.DB.CustomerByID(ctx, customerID)
	if err != nil {
		return nil, err
	}
	s := a.Handler.sessions
	sess := sessions.NewSession(s, sessionName)
	opts := s.opts
	sess.Options = &opts
	sess.ID = newSessionID()
	sess.Values[sessionCustomerKey] = cu.ID
	sess.Values[sessionCustomerStamp] = cu.Stamp
	return s.store(ctx, sess)
}

// rotate gives the session a fresh id (deleting the old row), so an id
// planted before login is worthless after it.
func (s *sessionStore) rotate(ctx context.Context, sess *sessions.Session) error {
	if sess.ID != "" {
		if err := s.db.DeleteSession(ctx, sess.ID); err != nil {
			return err
		}
	}
	sess.ID = newSessionID()
	return nil
}

func newSessionID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return strings.TrimRight(base32.StdEncoding.EncodeToString(b), "=")
}

// session returns the request's session (creating an unsaved one).
func (h *Handler) session(c *gin.Context) *sessions.Session {
	sess, err := h.sessions.Get(c.Request, sessionName)
	if err != nil {
		h.log.Warn("session load failed", "err", err)
	}
	return sess
}

// hasSessionCookie reports whether the request carries a session cookie at all;
// anonymous visitors without one never touch the sessions table.
func hasSessionCookie(c *gin.Context) bool {
	_, err := c.Request.Cookie(sessionName)
	return err == nil
}

// addFlash queues a message for the next page and saves the session.
func (h *Handler) addFlash(c *gin.Context, kind, message string) {
	sess := h.session(c)
	fl, _ := sess.Values["flash"].([]views.Flash)
	sess.Values["flash"] = append(fl, views.Flash{Kind: kind, Message: message})
	if err := sess.Save(c.Request, c.Writer); err != nil {
		h.log.Error("save flash", "err", err)
	}
}

// takeFlashes removes and returns the queued messages.
func (h *Handler) takeFlashes(c *gin.Context) []views.Flash {
	if !hasSessionCookie(c) {
		return nil
	}
	sess := h.session(c)
	fl, _ := sess.Values["flash"].([]views.Flash)
	if len(fl) == 0 {
		return nil
	}
	delete(sess.Values, "flash")
	if err := sess.Save(c.Request, c.Writer); err != nil {
		h.log.Error("save session", "err", err)
	}
	return fl
}
