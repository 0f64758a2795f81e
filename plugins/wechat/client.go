package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// client calls api.weixin.qq.com for one configuration.
type client struct {
	cfg  *config
	http *http.Client
}

// get calls GET base+path?query and returns the body. A transport error is
// returned without its URL: the query may hold the secret or a token.
func (c *client) get(ctx context.Context, op, path string, query url.Values) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.APIBase+path+"?"+query.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("wechat %s: build request: %w", op, unwrapURL(err))
	}
	return c.do(op, req)
}

// postJSON calls POST base+path with v as its JSON body.
func (c *client) postJSON(ctx context.Context, op, path string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("wechat %s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.APIBase+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("wechat %s: build request: %w", op, unwrapURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(op, req)
}

func (c *client) do(op string, req *http.Request) ([]byte, error) {
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wechat %s: %w", op, unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("wechat %s: read answer: %w", op, unwrapURL(err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wechat %s: http status %d", op, resp.StatusCode)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("wechat %s: %w: answer larger than %d bytes", op, ErrMalformed, maxBody)
	}
	return body, nil
}

// unwrapURL drops the *url.Error layer, whose text carries the URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// fetchStableToken gets the server access_token with getStableAccessToken
// in its normal mode (force_refresh false): while the token is valid WeChat
// answers the same one, so every holder of the AppSecret shares it and
// none invalidates another's, unlike /cgi-bin/token.
func (c *client) fetchStableToken(ctx context.Context) (credential, error) {
	const op = "cgi-bin/stable_token"
	body, err := c.postJSON(ctx, op, "/cgi-bin/stable_token", map[string]any{
		"grant_type":    "client_credential",
		"appid":         c.cfg.AppID,
		"secret":        c.cfg.AppSecret,
		"force_refresh": false,
	})
	if err != nil {
		return credential{}, err
	}
	cred, st, err := parseStableToken(body)
	if err != nil {
		return credential{}, fmt.Errorf("wechat %s: %w", op, err)
	}
	if st.ErrCode != 0 {
		return credential{}, newAPIError(op, st.ErrCode, st.ErrMsg, c.cfg.AppSecret)
	}
	return cred, nil
}

// fetchTicket gets the jsapi_ticket with a server access_token.
func (c *client) fetchTicket(ctx context.Context, token string) (credential, error) {
	const op = "cgi-bin/ticket/getticket"
	body, err := c.get(ctx, op, "/cgi-bin/ticket/getticket", url.Values{"access_token": {token}, "type": {"jsapi"}})
	if err != nil {
		return credential{}, err
	}
	cred, st, err := parseTicket(body)
	if err != nil {
		return credential{}, fmt.Errorf("wechat %s: %w", op, err)
	}
	if st.ErrCode != 0 {
		return credential{}, newAPIError(op, st.ErrCode, st.ErrMsg, token, c.cfg.AppSecret)
	}
	return cred, nil
}

// exchangeCode turns a 网页授权 code into the user's OpenID and a user
// access_token (not the server's).
func (c *client) exchangeCode(ctx context.Context, code string) (*oauthToken, error) {
	const op = "sns/oauth2/access_token"
	body, err := c.get(ctx, op, "/sns/oauth2/access_token", url.Values{
		"appid":      {c.cfg.AppID},
		"secret":     {c.cfg.AppSecret},
		"code":       {code},
		"grant_type": {"authorization_code"},
	})
	if err != nil {
		return nil, err
	}
	t, st, err := parseOAuthToken(body)
	if err != nil {
		return nil, fmt.Errorf("wechat %s: %w", op, err)
	}
	if st.ErrCode != 0 {
		return nil, newAPIError(op, st.ErrCode, st.ErrMsg, c.cfg.AppSecret, code)
	}
	return t, nil
}

// userInfo fetches the profile the user consented to share.
func (c *client) userInfo(ctx context.Context, t *oauthToken) (*userInfo, error) {
	const op = "sns/userinfo"
	body, err := c.get(ctx, op, "/sns/userinfo", url.Values{
		"access_token": {t.AccessToken},
		"openid":       {t.OpenID},
		"lang":         {"zh_CN"},
	})
	if err != nil {
		return nil, err
	}
	u, st, err := parseUserInfo(body)
	if err != nil {
		return nil, fmt.Errorf("wechat %s: %w", op, err)
	}
	if st.ErrCode != 0 {
		return nil, newAPIError(op, st.ErrCode, st.ErrMsg, t.AccessToken, c.cfg.AppSecret)
	}
	return u, nil
}
