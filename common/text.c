/*
 * Text as Windows writes it: UTF-8 (with or without a BOM) or UTF-16 LE/BE,
 * with a BOM or, as Exchange sometimes writes request files, without one:
 * then the NUL bytes tell the byte order (ASCII text in UTF-16LE has a NUL
 * in every odd position). Conversion is iconv's, not ours.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static const char *detect(const unsigned char *in, size_t len, size_t *skip)
{
	size_t i, even_nul = 0, odd_nul = 0, pairs;

	*skip = 0;
	if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF) {
		*skip = 3;
		return "UTF-8";
	}
	if (len >= 2 && in[0] == 0xFF && in[1] == 0xFE) {
		*skip = 2;
		return "UTF-16LE";
	}
	if (len >= 2 && in[0] == 0xFE && in[1] == 0xFF) {
		*skip = 2;
		return "UTF-16BE";
	}
	pairs = len / 2;
	for (i = 0; i + 1 < len; i += 2) {
		even_nul += in[i] == 0;
		odd_nul += in[i + 1] == 0;
	}
	/* mostly-ASCII UTF-16: one byte of every pair is NUL */
	if (pairs >= 2 && odd_nul * 4 >= pairs * 3 && even_nul * 4 < pairs)
		return "UTF-16LE";
	if (pairs >= 2 && even_nul * 4 >= pairs * 3 && odd_nul * 4 < pairs)
		return "UTF-16BE";
	return "UTF-8";
}

int text_to_utf8(const unsigned char *in, size_t len, char **out, size_t *out_len,
		 const char **encoding)
{
	size_t skip, cap, inleft, outleft;
	const char *enc = detect(in, len, &skip);
	char *buf = NULL, *inp, *outp;
	iconv_t cd = (iconv_t)-1;
	int rc = -1;

	*out = NULL;
	*out_len = 0;
	if (encoding)
		*encoding = enc;
	in += skip;
	len -= skip;
	cap = len * 2 + 1; /* UTF-16 -> UTF-8 grows at most 3/2, UTF-8 -> UTF-8 not at all */
	buf = malloc(cap);
	if (!buf)
		goto out;
	cd = iconv_open("UTF-8", enc);
	if (cd == (iconv_t)-1)
		goto out;
	inp = (char *)in;
	inleft = len;
	outp = buf;
	outleft = cap - 1;
	if (iconv(cd, &inp, &inleft, &outp, &outleft) == (size_t)-1)
		goto out; /* invalid sequence: not text in that encoding */
	*outp = '\0';
	*out_len = (size_t)(outp - buf);
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	free(buf);
	return rc;
}

/* "a, b, c": the names of a certificate on one line; malloc'ed, NULL when out of memory. */
char *text_join(char *const *items, size_t n, const char *sep)
{
	size_t len = 1, seplen = strlen(sep), i, o = 0;
	char *out;

	for (i = 0; i < n; i++)
		len += strlen(items[i]) + (i ? seplen : 0);
	out = malloc(len);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t l = strlen(items[i]);

		if (i) {
			memcpy(out + o, sep, seplen);
			o += seplen;
		}
		memcpy(out + o, items[i], l);
		o += l;
	}
	out[o] = '\0';
	return out;
}
