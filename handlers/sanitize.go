package handlers

import (
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// descriptionPolicy is the allow-list for a product's rich description: the
// text formatting a shop owner pastes from an editor, links (marked
// nofollow) and pictures from the shop's own media library. Everything else,
// scripts, styles, event handlers, frames and forms included, is removed.
// A bluemonday policy is safe for concurrent use once built.
var descriptionPolicy = newDescriptionPolicy()

// localImageSrc matches the URL of an uploaded image (see views/admin's
// imageURL): the only pictures a description may show, so it can neither
// track shoppers through a third-party image nor hot-link one.
var localImageSrc = regexp.MustCompile(`^/media/[0-9a-f]{32}\.(?:jpg|png)(?:\?w=[0-9]{1,4})?$`)

func newDescriptionPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "b", "em", "i", "u", "s", "blockquote", "hr",
		"ul", "ol", "li", "h2", "h3", "h4", "figure", "figcaption",
		"table", "caption", "thead", "tbody", "tfoot", "tr")
	p.AllowAttrs("colspan", "rowspan").Matching(regexp.MustCompile(`^[0-9]{1,2}$`)).OnElements("th", "td")
	p.AllowElements("th", "td")

	// Links: web and mail addresses or paths inside the shop; javascript:,
	// data: and the like fail the scheme check and lose their href.
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)

	p.AllowAttrs("src").Matching(localImageSrc).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^[0-9]{1,4}$`)).OnElements("img")
	return p
}

// sanitizeDescription returns the description HTML reduced to descriptionPolicy.
func sanitizeDescription(html string) string {
	return descriptionPolicy.Sanitize(html)
}
