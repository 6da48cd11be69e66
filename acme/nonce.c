/*
 * Replay nonces (RFC 8555 section 6.5), in memory only. A nonce is this
 * process's random 8-byte prefix and a 64-bit counter; the server remembers,
 * for the newest NONCE_WINDOW counters, which were issued and not used yet,
 * in one bitmap. Memory stays constant however many requests come; a nonce
 * older than the window, from an earlier run, or used once is refused
 * (badNonce), and the client simply retries with the fresh one it got.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

#define NONCE_WINDOW 65536 /* a power of two */

struct acme_nonces {
	unsigned char prefix[8];
	uint64_t next; /* the counter of the next nonce */
	unsigned char live[NONCE_WINDOW / 8];
};

struct acme_nonces *nonces_new(void)
{
	struct acme_nonces *n = calloc(1, sizeof(*n));

	if (n && RAND_bytes(n->prefix, sizeof(n->prefix)) != 1) {
		free(n);
		return NULL;
	}
	return n;
}

void nonces_free(struct acme_nonces *n)
{
	free(n);
}

static void bit_set(struct acme_nonces *n, uint64_t c, int on)
{
	size_t i = (size_t)(c % NONCE_WINDOW);

	if (on)
		n->live[i / 8] |= (unsigned char)(1u << (i % 8));
	else
		n->live[i / 8] &= (unsigned char)~(1u << (i % 8));
}

static int bit_get(const struct acme_nonces *n, uint64_t c)
{
	size_t i = (size_t)(c % NONCE_WINDOW);

	return (n->live[i / 8] >> (i % 8)) & 1;
}

char *nonce_issue(struct acme_nonces *n)
{
	unsigned char raw[16];
	uint64_t c = n->next++;
	int i;

	memcpy(raw, n->prefix, 8);
	for (i = 0; i < 8; i++)
		raw[8 + i] = (unsigned char)(c >> (56 - 8 * i));
	bit_set(n, c, 1); /* the slot of counter c - NONCE_WINDOW: now too old anyway */
	return b64url_encode(raw, sizeof(raw));
}

int nonce_use(struct acme_nonces *n, const char *nonce)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	uint64_t c = 0;
	int i, rc = -1;

	if (!nonce || b64url_decode(nonce, strlen(nonce), &raw, &len) != 0)
		return -1;
	if (len != 16 || memcmp(raw, n->prefix, 8) != 0)
		goto out;
	for (i = 0; i < 8; i++)
		c = c << 8 | raw[8 + i];
	if (c >= n->next || n->next - c > NONCE_WINDOW || !bit_get(n, c))
		goto out;
	bit_set(n, c, 0);
	rc = 0;
out:
	free(raw);
	return rc;
}
