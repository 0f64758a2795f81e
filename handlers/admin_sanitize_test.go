package handlers

import (
	"strings"
	"testing"
)

func TestSanitizeDescription(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef.jpg"
	tests := []struct {
		name    string
		in      string
		keep    []string
		dropped []string
	}{
		{"formatting", "<h2>标题</h2><p>一段<strong>粗</strong><em>斜</em><br>换行</p><ul><li>一</li></ul><ol><li>二</li></ol><h4>小</h4>",
			[]string{"<h2>标题</h2>", "<strong>粗</strong>", "<em>斜</em>", "<br>", "<ul><li>一</li></ul>", "<ol><li>二</li></ol>", "<h4>小</h4>"}, nil},
		{"script and style", `<script>alert(1)</script><style>p{color:red}</style><p style="color:red">x</p>`,
			[]string{"<p>x</p>"}, []string{"script", "alert", "style", "color"}},
		{"event handlers", `<p onmouseover="x()">a</p><img src="/media/` + key + `" onerror="x()" onload="y()">`,
			[]string{"<p>a</p>", `src="/media/` + key + `"`}, []string{"onmouseover", "onerror", "onload"}},
		{"foreign and odd image sources", `<img src="https://tracker.example/p.gif"><img src="data:image/png;base64,AAAA"><img src="//cdn.example/x.jpg"><img src="/media/../secret.jpg">`,
			nil, []string{"tracker", "data:", "cdn.example", "secret"}},
		{"links", `<a href="javascript:alert(1)">a</a><a href="JaVaScRiPt:alert(2)">b</a><a href="/p/12">c</a><a href="https://example.com/">d</a>`,
			[]string{`href="/p/12"`, `href="https://example.com/"`, `rel="nofollow`}, []string{"javascript", "JaVaScRiPt", "alert"}},
		{"tables", `<table><thead><tr><th colspan="2">参数</th></tr></thead><tbody><tr><td>重量</td><td onclick="x">1kg</td></tr></tbody></table>`,
			[]string{`<th colspan="2">参数</th>`, "<td>重量</td>", "<td>1kg</td>"}, []string{"onclick"}},
		{"frames and forms", `<iframe src="https://evil.example"></iframe><form action="/x"><input name="a"></form><object data="x"></object>`,
			nil, []string{"iframe", "form", "input", "object", "evil"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := sanitizeDescription(tt.in)
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Errorf("lost %q: %s", k, out)
				}
			}
			for _, d := range tt.dropped {
				if strings.Contains(out, d) {
					t.Errorf("kept %q: %s", d, out)
				}
			}
		})
	}
}
