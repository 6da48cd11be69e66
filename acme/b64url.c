/*
 * base64url without padding (RFC 7515 section 2), as a thin wrapper around
 * OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock: only the alphabet and the
 * padding are translated here.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

char *b64url_encode(const unsigned char *data, size_t len)
{
	char *out;
	size_t i, n;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

int b64url_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
	char *std = NULL;
	unsigned char *bin = NULL;
	size_t i, padded, pad;
	int n, rc = -1;

	*out = NULL;
	*out_len = 0;
	if (len % 4 == 1 || len > (size_t)INT32_MAX / 2)
		return -1;
	pad = (4 - len % 4) % 4;
	padded = len + pad;
	std = malloc(padded + 1);
	bin = malloc(padded / 4 * 3 + 1);
	if (!std || !bin)
		goto out;
	for (i = 0; i < len; i++) {
		char c = text[i];

		/* only the url-safe alphabet: no '+', '/', '=', white space or NUL */
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			goto out;
		std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(std + len, '=', pad);
	std[padded] = '\0';
	n = padded ? EVP_DecodeBlock(bin, (unsigned char *)std, (int)padded) : 0;
	if (n < 0 || (size_t)n < pad)
		goto out;
	*out_len = (size_t)n - pad;
	*out = bin;
	bin = NULL;
	rc = 0;
out:
	free(std);
	free(bin);
	return rc;
}
