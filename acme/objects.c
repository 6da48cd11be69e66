/*
 * The server's objects in the store's ACME table: each a JSON document with
 * a version ("v": 1), under the key "KIND/ID". JSON keeps the records
 * readable with mdb_dump and lets a later version add members that an older
 * reader ignores.
 */
#include <jansson.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

#define OBJ_VERSION 1

/*
 * Drawn again when the base64url text would start with '-' (its first six
 * bits 62, 1 in 64): ids and EAB keys are given on command lines ('minica
 * acme account disable ID', certbot's --eab-kid and --eab-hmac-key), where
 * such a word is taken for an option.
 */
int acme_random_no_dash(unsigned char *raw, size_t len)
{
	do {
		if (RAND_bytes(raw, (int)len) != 1)
			return -1;
	} while (raw[0] >> 2 == 62);
	return 0;
}

int acme_id_new(char out[ACME_ID_LEN + 1])
{
	unsigned char raw[16];
	char *text;

	if (acme_random_no_dash(raw, sizeof(raw)) != 0 || !(text = b64url_encode(raw, sizeof(raw))))
		return fail(EX_SOFTWARE, "cannot make a random identifier");
	memcpy(out, text, ACME_ID_LEN);
	out[ACME_ID_LEN] = '\0';
	free(text);
	return 0;
}

static int obj_key(int kind, const char *id, char *key, size_t size)
{
	size_t n = strlen(id);

	if (n == 0 || n > 200 || strchr(id, '/'))
		return -1;
	snprintf(key, size, "%c/%s", kind, id);
	return 0;
}

static int decode(const char *key, void *val, size_t len, json_t **out)
{
	json_t *v = json_loadb(val, len, 0, NULL);
	json_int_t version = json_integer_value(json_object_get(v, "v"));

	*out = NULL;
	if (!json_is_object(v) || version < 1) {
		json_decref(v);
		return fail(EX_IOERR, "ACME object %s is damaged (run 'minica store verify')", key);
	}
	if (version > OBJ_VERSION) {
		json_decref(v);
		return fail(EX_DATAERR, "ACME object %s was written by a newer minica (upgrade)", key);
	}
	*out = v;
	return 0;
}

/* From a snapshot of its own (txn NULL) or inside a write transaction. */
static int obj_get(store *st, store_txn *txn, int kind, const char *id, json_t **out)
{
	char key[256];
	void *val = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (obj_key(kind, id, key, sizeof(key)) != 0)
		return 0; /* no such object can exist */
	rc = txn ? store_txn_acme_get(txn, key, &val, &len) : store_acme_get(st, key, &val, &len);
	if (rc || !val)
		return rc;
	rc = decode(key, val, len, out);
	free(val);
	return rc;
}

int acme_obj_get(store *st, int kind, const char *id, json_t **out)
{
	return obj_get(st, NULL, kind, id, out);
}

int acme_obj_txn_get(store_txn *txn, int kind, const char *id, json_t **out)
{
	return obj_get(NULL, txn, kind, id, out);
}

int acme_obj_put(store_txn *txn, int kind, const char *id, json_t *obj, int is_new)
{
	char key[256], *text;
	int rc;

	if (obj_key(kind, id, key, sizeof(key)) != 0)
		return fail(EX_SOFTWARE, "bad ACME object id");
	if (json_object_set_new(obj, "v", json_integer(OBJ_VERSION)) != 0 ||
	    !(text = json_dumps(obj, JSON_COMPACT)))
		return fail(EX_OSERR, "out of memory");
	rc = store_txn_acme_put(txn, key, text, strlen(text), is_new);
	free(text);
	return rc;
}

struct scan_ctx {
	acme_obj_fn fn;
	void *ctx;
};

static int scan_one(const char *key, size_t klen, const void *val, size_t len, void *vctx)
{
	struct scan_ctx *s = vctx;
	char id[256];
	json_t *obj = NULL;
	int rc;

	if (klen < 3 || klen - 2 >= sizeof(id))
		return fail(EX_IOERR, "ACME table: damaged key (run 'minica store verify')");
	memcpy(id, key + 2, klen - 2);
	id[klen - 2] = '\0';
	if ((rc = decode(id, (void *)val, len, &obj)))
		return rc;
	rc = s->fn(id, obj, s->ctx);
	json_decref(obj);
	return rc;
}

int acme_obj_scan(store *st, int kind, acme_obj_fn fn, void *ctx)
{
	char prefix[3] = {(char)kind, '/', '\0'};
	struct scan_ctx s = {fn, ctx};

	return store_acme_scan(st, prefix, scan_one, &s);
}
