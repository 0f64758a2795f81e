package wechat

import (
	"strings"
	"testing"
)

// The worked example of 附录1-JS-SDK使用权限签名算法 (appendix 1 of
// https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html).
// That page itself is not in our search index; its text was read in
// verbatim copies. The current text signs url=http://mp.weixin.qq.com?params=value
// and prints 0f9de62fce790f9a083d5c99e95740ceb90c27ed (copy:
// https://www.cnblogs.com/wugh8726254/p/13352503.html; the same example
// with the same printed signature is in WeChat Work's official JS-SDK
// appendix, https://developer.work.weixin.qq.com/document/path/96909). The
// older text of the appendix signed url=http://mp.weixin.qq.com and printed
// f4d90daf4b3bca3078ab155816175ba34c443a7b (copy:
// https://www.cnblogs.com/txw1958/p/weixin-jsapi-signature.html).
const (
	officialTicket    = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
	officialNonce     = "Wm3WZYTPz0wzccnW"
	officialTimestamp = 1414587457
)

func TestSignOfficialExample(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"http://mp.weixin.qq.com?params=value", "0f9de62fce790f9a083d5c99e95740ceb90c27ed"},
		{"http://mp.weixin.qq.com", "f4d90daf4b3bca3078ab155816175ba34c443a7b"},
	}
	for _, tt := range tests {
		if got := Sign(officialTicket, officialNonce, officialTimestamp, tt.url); got != tt.want {
			t.Errorf("Sign(official example, %q) = %s, want %s", tt.url, got, tt.want)
		}
	}
}

func TestSignDependsOnEveryField(t *testing.T) {
	base := Sign(officialTicket, officialNonce, officialTimestamp, "https://shop.example.com/p/1")
	for name, got := range map[string]string{
		"ticket":    Sign(officialTicket+"x", officialNonce, officialTimestamp, "https://shop.example.com/p/1"),
		"nonce":     Sign(officialTicket, officialNonce+"x", officialTimestamp, "https://shop.example.com/p/1"),
		"timestamp": Sign(officialTicket, officialNonce, officialTimestamp+1, "https://shop.example.com/p/1"),
		"url":       Sign(officialTicket, officialNonce, officialTimestamp, "https://shop.example.com/p/2"),
	} {
		if got == base {
			t.Errorf("changing the %s does not change the signature", name)
		}
	}
}

func TestSignableURL(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"https://shop.example.com/p/1", "https://shop.example.com/p/1", false},
		{"https://shop.example.com/p/1?ref=ABC&x=%E4%B8%AD#section", "https://shop.example.com/p/1?ref=ABC&x=%E4%B8%AD", false},
		{"http://mp.weixin.qq.com?params=value", "http://mp.weixin.qq.com?params=value", false},
		{"https://shop.example.com/#/spa/route", "https://shop.example.com/", false},
		{"https://shop.example.com/a?b=中", "https://shop.example.com/a?b=中", false}, // kept byte for byte
		{"", "", true},
		{"#only", "", true},
		{"/p/1", "", true},
		{"shop.example.com/p/1", "", true},
		{"ftp://shop.example.com/", "", true},
		{"HTTPS://shop.example.com/", "", true},
		{"javascript:alert(1)", "", true},
		{"https:///nohost", "", true},
		{"https://user:pw@shop.example.com/", "", true},
		{"https://shop.example.com/a b", "", true},
		{"https://shop.example.com/\n", "", true},
		{"https://shop.example.com/" + strings.Repeat("a", maxPageURL), "", true},
	}
	for _, tt := range tests {
		got, err := SignableURL(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("SignableURL(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n := newNonce()
		if len(n) != 16 || strings.Trim(n, nonceChars) != "" {
			t.Fatalf("nonce %q: want 16 letters and digits", n)
		}
		if seen[n] {
			t.Fatalf("nonce %q repeated", n)
		}
		seen[n] = true
	}
}
