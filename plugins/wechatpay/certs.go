package wechatpay

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// 平台证书 (platform certificates): the gateway lists the certificates whose
// keys sign its answers and callbacks at GET /v3/certificates, each
// encrypted with the merchant's APIv3 key (AEAD_AES_256_GCM, associated data
// "certificate"). The answer is signed like any other; the first time, its
// signing certificate is among those it carries, so the documented
// bootstrap verifies it with the downloaded certificate whose serial is its
// Wechatpay-Serial. That is sound because only a holder of the APIv3 key
// can produce certificates that decrypt.

// Certificate refresh timing.
const (
	// CertRefreshInterval is how old the downloaded certificates may grow
	// before they are downloaded again (WeChat adds a new certificate 24
	// hours before using it and advises refreshing at least every 12 hours).
	CertRefreshInterval = 12 * time.Hour
	// CertRetryInterval is the least time between two downloads not asked
	// for by the owner (a callback signed with an unknown serial, a due
	// refresh).
	CertRetryInterval = time.Minute
)

// CertCacheSetting keys the downloaded certificates in the shop's settings
// (public data, not sealed).
const CertCacheSetting = "wechatpay.platform_certs"

// maxCertificates bounds the certificates accepted from one answer.
const maxCertificates = 16

// ErrCertDecrypt is a certificates answer whose certificates do not
// decrypt: the APIv3 key is wrong.
var ErrCertDecrypt = errors.New("wechatpay: platform certificate does not decrypt with the APIv3 key")

// errRateLimited is a download refused because the last one was less than
// CertRetryInterval ago.
var errRateLimited = errors.New("wechatpay: certificates were downloaded less than a minute ago")

// PlatformCert is a downloaded 平台证书.
type PlatformCert struct {
	Serial   string // upper-case hex, as NormalizeSerial
	Key      *rsa.PublicKey
	NotAfter time.Time // the certificate's end, or the earlier expire_time of the list
	PEM      string
}

// certsAnswer is the JSON of GET /v3/certificates.
type certsAnswer struct {
	Data []struct {
		SerialNo           string    `json:"serial_no"`
		EffectiveTime      string    `json:"effective_time"`
		ExpireTime         string    `json:"expire_time"`
		EncryptCertificate *Resource `json:"encrypt_certificate"`
	} `json:"data"`
}

// ParseCertificates reads a GET /v3/certificates answer: it decrypts each
// certificate with the APIv3 key, checks that it is an RSA certificate whose
// serial is the listed serial_no, and drops those expired at now. It does
// not check the answer's signature (see Client.DownloadCertificates).
func ParseCertificates(apiV3Key, body []byte, now time.Time) ([]*PlatformCert, error) {
	var a certsAnswer
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("wechatpay: certificates: malformed answer")
	}
	if dec.More() {
		return nil, errors.New("wechatpay: certificates: trailing data")
	}
	if len(a.Data) > maxCertificates {
		return nil, fmt.Errorf("wechatpay: certificates: %d certificates", len(a.Data))
	}
	var out []*PlatformCert
	seen := make(map[string]bool)
	for _, d := range a.Data {
		if d.EncryptCertificate == nil {
			return nil, errors.New("wechatpay: certificates: no encrypt_certificate")
		}
		listed, ok := new(big.Int).SetString(d.SerialNo, 16)
		if !ok || len(d.SerialNo) > 64 || listed.Sign() <= 0 {
			return nil, errors.New("wechatpay: certificates: malformed serial_no")
		}
		plain, err := DecryptResource(apiV3Key, *d.EncryptCertificate)
		if err != nil {
			return nil, fmt.Errorf("%w (%v)", ErrCertDecrypt, err)
		}
		pc, err := parseCertPEM(plain)
		if err != nil {
			return nil, err
		}
		if pc.Serial != strings.ToUpper(listed.Text(16)) {
			return nil, errors.New("wechatpay: certificates: certificate serial is not its serial_no")
		}
		if t, err := time.Parse(time.RFC3339, d.ExpireTime); err == nil && t.Before(pc.NotAfter) {
			pc.NotAfter = t
		}
		if !now.Before(pc.NotAfter) || seen[pc.Serial] {
			continue
		}
		seen[pc.Serial] = true
		out = append(out, pc)
	}
	return out, nil
}

// parseCertPEM reads one PEM certificate with an RSA key.
func parseCertPEM(b []byte) (*PlatformCert, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("wechatpay: certificates: not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: certificates: %w", err)
	}
	k, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("wechatpay: certificates: key is not RSA")
	}
	if cert.SerialNumber.Sign() <= 0 {
		return nil, errors.New("wechatpay: certificates: bad serial")
	}
	return &PlatformCert{Serial: strings.ToUpper(cert.SerialNumber.Text(16)), Key: k, NotAfter: cert.NotAfter,
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: blk.Bytes}))}, nil
}

// DownloadCertificates downloads the 平台证书 (GET /v3/certificates) and
// verifies the answer with the key its Wechatpay-Serial names: one of the
// downloaded certificates, or a key already known. It does not keep them
// (the client's own store does that when it downloads them itself).
func (c *Client) DownloadCertificates(ctx context.Context) ([]*PlatformCert, error) {
	a, err := c.send(ctx, http.MethodGet, "/v3/certificates", nil)
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	var certs []*PlatformCert
	if a.status >= 200 && a.status <= 299 {
		if certs, err = ParseCertificates(c.cfg.APIv3Key, a.body, now); err != nil {
			return nil, err
		}
	}
	bootstrap := func(_ context.Context, h http.Header, body []byte) error {
		return verifyMessage(func(serial string) *rsa.PublicKey {
			serial = NormalizeSerial(serial)
			for _, pc := range certs {
				if pc.Serial == serial {
					return pc.Key
				}
			}
			return c.key(serial)
		}, now, h, body)
	}
	if err := c.check(ctx, a, bootstrap); err != nil {
		if IsAPIError(err, "") {
			return nil, err
		}
		return nil, fmt.Errorf("wechatpay: GET /v3/certificates: response: %w", err)
	}
	return certs, nil
}

// settingStore is where the certificates are cached (*store.DB).
type settingStore interface {
	Setting(ctx context.Context, key, def string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// certStore keeps one merchant's downloaded certificates, refreshes them
// and caches them in the shop's settings.
type certStore struct {
	mchID, baseURL string
	db             settingStore // nil: memory only
	logger         *slog.Logger

	mu       sync.Mutex
	certs    map[string]*PlatformCert
	loaded   bool      // the cache was read
	lastOK   time.Time // last successful download (or the cache's)
	lastTry  time.Time // last download started
	inflight *flight
}

// flight is a download under way; callers wait on done.
type flight struct {
	done chan struct{}
	err  error
}

func newCertStore(mchID, baseURL string, db settingStore, logger *slog.Logger) *certStore {
	if logger == nil {
		logger = slog.Default()
	}
	return &certStore{mchID: mchID, baseURL: baseURL, db: db, logger: logger, certs: map[string]*PlatformCert{}}
}

// key returns the certificate key of serial that has not expired at now.
func (s *certStore) key(serial string, now time.Time) *rsa.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	pc := s.certs[serial]
	if pc == nil || !now.Before(pc.NotAfter) {
		return nil
	}
	return pc.Key
}

// list returns the certificates held, sorted by serial.
func (s *certStore) list() []*PlatformCert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*PlatformCert, 0, len(s.certs))
	for _, pc := range s.certs {
		out = append(out, pc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Serial < out[j].Serial })
	return out
}

// load reads the cache once (when there is a database).
func (s *certStore) load(ctx context.Context, now time.Time) {
	s.mu.Lock()
	if s.loaded || s.db == nil {
		s.mu.Unlock()
		return
	}
	s.loaded = true
	s.mu.Unlock()
	raw, err := s.db.Setting(ctx, CertCacheSetting, "")
	if err != nil {
		s.logger.Warn("wechatpay: read cached platform certificates", "err", err)
		return
	}
	certs, fetched, ok := ParseCertCache([]byte(raw), s.mchID, s.baseURL, now)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastOK.IsZero() {
		return // a download finished meanwhile
	}
	for _, pc := range certs {
		s.certs[pc.Serial] = pc
	}
	s.lastOK = fetched
}

// due reports whether a refresh is due at now.
func (s *certStore) due(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight == nil && now.Sub(s.lastTry) >= CertRetryInterval &&
		(s.lastOK.IsZero() || now.Sub(s.lastOK) >= CertRefreshInterval)
}

// maybeRefresh loads the cache and starts a refresh when one is due: in
// the background when some key is known already, else waiting for it.
func (s *certStore) maybeRefresh(ctx context.Context, c *Client) {
	now := c.cfg.Now()
	s.load(ctx, now)
	if !s.due(now) {
		return
	}
	s.mu.Lock()
	haveKeys := len(s.certs) > 0 || len(c.cfg.PlatformKeys) > 0
	s.mu.Unlock()
	if !haveKeys {
		if err := s.refresh(ctx, c, false); err != nil && !errors.Is(err, errRateLimited) {
			s.logger.Warn("wechatpay: download platform certificates", "err", err)
		}
		return
	}
	go func() {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := s.refresh(bg, c, false); err != nil && !errors.Is(err, errRateLimited) {
			s.logger.Warn("wechatpay: refresh platform certificates", "err", err)
		}
	}()
}

// refresh downloads the certificates and keeps them: callers at the same
// time share one download; unless force (the owner's 测试连接), a download
// less than CertRetryInterval after the last one is refused.
func (s *certStore) refresh(ctx context.Context, c *Client, force bool) error {
	now := c.cfg.Now()
	s.load(ctx, now)
	s.mu.Lock()
	if f := s.inflight; f != nil {
		s.mu.Unlock()
		select {
		case <-f.done:
			return f.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !force && !s.lastTry.IsZero() && now.Sub(s.lastTry) < CertRetryInterval {
		s.mu.Unlock()
		return errRateLimited
	}
	f := &flight{done: make(chan struct{})}
	s.inflight, s.lastTry = f, now
	s.mu.Unlock()

	certs, err := c.DownloadCertificates(ctx)

	s.mu.Lock()
	if err == nil {
		s.certs = make(map[string]*PlatformCert, len(certs))
		for _, pc := range certs {
			s.certs[pc.Serial] = pc
		}
		s.lastOK = c.cfg.Now()
	}
	s.inflight, f.err = nil, err
	close(f.done)
	fetched := s.lastOK
	s.mu.Unlock()
	if err == nil && s.db != nil {
		if serr := s.db.SetSetting(ctx, CertCacheSetting, string(certCacheJSON(s.mchID, s.baseURL, fetched, certs))); serr != nil {
			s.logger.Warn("wechatpay: cache platform certificates", "err", serr)
		}
	}
	return err
}

// certCache is the cached certificates' JSON.
type certCache struct {
	MchID     string       `json:"mch_id"`
	BaseURL   string       `json:"base_url"`
	FetchedAt string       `json:"fetched_at"`
	Certs     []cachedCert `json:"certs"`
}

type cachedCert struct {
	Serial     string `json:"serial_no"`
	ExpireTime string `json:"expire_time"`
	PEM        string `json:"certificate"`
}

func certCacheJSON(mchID, baseURL string, fetched time.Time, certs []*PlatformCert) []byte {
	cc := certCache{MchID: mchID, BaseURL: baseURL, FetchedAt: fetched.UTC().Format(time.RFC3339), Certs: []cachedCert{}}
	for _, pc := range certs {
		cc.Certs = append(cc.Certs, cachedCert{Serial: pc.Serial, ExpireTime: pc.NotAfter.UTC().Format(time.RFC3339), PEM: pc.PEM})
	}
	b, _ := json.Marshal(cc)
	return b
}

// ParseCertCache reads cached certificates: ok is false when raw is not a
// cache of this merchant and gateway. Expired and unreadable certificates
// are dropped.
func ParseCertCache(raw []byte, mchID, baseURL string, now time.Time) (certs []*PlatformCert, fetched time.Time, ok bool) {
	if len(raw) == 0 || len(raw) > 256<<10 {
		return nil, time.Time{}, false
	}
	var cc certCache
	if err := json.Unmarshal(raw, &cc); err != nil || cc.MchID != mchID || cc.BaseURL != baseURL || len(cc.Certs) > maxCertificates {
		return nil, time.Time{}, false
	}
	fetched, err := time.Parse(time.RFC3339, cc.FetchedAt)
	if err != nil || fetched.After(now) {
		return nil, time.Time{}, false
	}
	for _, cached := range cc.Certs {
		pc, err := parseCertPEM([]byte(cached.PEM))
		if err != nil || pc.Serial != NormalizeSerial(cached.Serial) {
			continue
		}
		if t, err := time.Parse(time.RFC3339, cached.ExpireTime); err == nil && t.Before(pc.NotAfter) {
			pc.NotAfter = t
		}
		if now.Before(pc.NotAfter) {
			certs = append(certs, pc)
		}
	}
	return certs, fetched, true
}
