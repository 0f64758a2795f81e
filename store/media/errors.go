package media

// Error is a reason an image was refused. The sentinel values below are the
// only instances; compare with errors.Is, or use errors.As to reach the
// friendly text. Error() is the English text for logs; Zh and En are meant
// for the person who uploaded the file, and Key names the matching message in
// views/i18n (its {max} argument is Limits.MaxBytes or Limits.MaxSide).
type Error struct {
	Key string // i18n message key, e.g. "validation.image_too_large"
	En  string // friendly English text
	Zh  string // friendly Chinese text
}

func (e *Error) Error() string { return "media: " + e.En }

var (
	// ErrTooLarge means the upload, or the image re-encoded from it, is
	// bigger than Limits.MaxBytes. 图片文件太大。
	ErrTooLarge = &Error{
		Key: "validation.image_too_large",
		En:  "the image file is too large",
		Zh:  "图片文件太大",
	}

	// ErrNotImage means the bytes are not a decodable image: a text file, a
	// truncated or corrupt picture, an empty upload. 文件不是有效的图片。
	ErrNotImage = &Error{
		Key: "validation.image_format",
		En:  "the file is not a valid image",
		Zh:  "文件不是有效的图片",
	}

	// ErrTooManyPixels means the image is wider or taller than
	// Limits.MaxSide or has more than Limits.MaxPixels pixels. It is decided
	// from the header, before any pixel memory is allocated. 图片尺寸过大。
	ErrTooManyPixels = &Error{
		Key: "validation.image_too_many_pixels",
		En:  "the image dimensions are too large",
		Zh:  "图片尺寸过大",
	}

	// ErrUnsupported means the file is an image in a format the shop does
	// not accept (BMP, TIFF, HEIC, AVIF, animated WebP...); only JPEG, PNG,
	// GIF and still WebP are. 不支持该图片格式。
	ErrUnsupported = &Error{
		Key: "validation.image_format",
		En:  "unsupported image format, please upload a JPG, PNG, GIF or WebP image",
		Zh:  "不支持该图片格式，请上传 JPG、PNG、GIF 或 WebP 图片",
	}

	// ErrBadKey means a key passed to Path or Open is not one Save could have
	// produced; handlers should answer 404. 图片地址无效。
	ErrBadKey = &Error{
		Key: "error.not_found",
		En:  "invalid image key",
		Zh:  "图片地址无效",
	}
)
