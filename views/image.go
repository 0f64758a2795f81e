package views

import (
	"net/url"
	"strconv"
)

// ImageURL is the URL of the stored image key at the given width: the
// thumbnail of the smallest declared width at least that wide, or the
// original for width 0. Keys are content hashes, so the URL never changes
// meaning and is served with an immutable cache header. An empty key gives "".
func ImageURL(key string, width int) string {
	if key == "" {
		return ""
	}
	u := "/media/" + url.PathEscape(key)
	if width > 0 {
		u += "?w=" + strconv.Itoa(width)
	}
	return u
}
