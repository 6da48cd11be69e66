/*
 * Fuzz target: store records and audit entries as they come from disk
 * (store_record_decode, store_audit_decode). Whatever decodes must encode
 * again and decode to the same fields, and must be displayable (the JSON of
 * 'show' and the status of 'list'), since a damaged or hostile store file
 * reaches exactly these functions.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issue/issue.h"
#include "common/common.h"
#include "store/store.h"

#define SAME(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

static void same_record(const struct store_record *a, const struct store_record *b)
{
	size_t i;

	SAME(!memcmp(a->serial, b->serial, STORE_SERIAL_LEN));
	SAME(a->cert_len == b->cert_len && !memcmp(a->cert, b->cert, a->cert_len));
	SAME(a->issued_at == b->issued_at && a->not_before == b->not_before &&
	     a->not_after == b->not_after && a->status == b->status);
	SAME(a->n_hosts == b->n_hosts);
	for (i = 0; i < a->n_hosts; i++)
		SAME(!strcmp(a->hosts[i], b->hosts[i]));
	SAME(!strcmp(a->template_name, b->template_name));
	SAME(!memcmp(a->template_hash, b->template_hash, STORE_HASH_LEN));
	SAME(a->ca_version == b->ca_version);
	SAME(a->key_len == b->key_len && (!a->key) == (!b->key));
	SAME(!a->key || !memcmp(a->key, b->key, a->key_len));
	SAME(a->revoked_at == b->revoked_at && a->revoke_reason == b->revoke_reason);
	SAME(a->has_predecessor == b->has_predecessor && a->has_successor == b->has_successor);
	SAME(!a->has_predecessor || !memcmp(a->predecessor, b->predecessor, STORE_SERIAL_LEN));
	SAME(!a->has_successor || !memcmp(a->successor, b->successor, STORE_SERIAL_LEN));
	SAME(a->crl_listed_at == b->crl_listed_at);
}

static void record(const uint8_t *data, size_t size)
{
	struct store_record *rec = NULL, *again = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	json_t *shown;

	if (store_record_decode(data, size, &rec) != 0)
		return;
	SAME(store_record_encode(rec, &der, &len) == 0);
	SAME(store_record_decode(der, len, &again) == 0);
	same_record(rec, again);
	shown = record_json(rec, now_utc(), 1);
	SAME(shown != NULL);
	json_decref(shown);
	SAME(record_status(rec, now_utc()) != NULL);
	OPENSSL_free(der);
	store_record_free(again);
	store_record_free(rec);
}

static void audit(const uint8_t *data, size_t size)
{
	struct store_audit *a = NULL, *b = NULL;
	unsigned char *der = NULL;
	size_t len = 0;

	if (store_audit_decode(data, size, &a) != 0)
		return;
	SAME(store_audit_encode(a, &der, &len) == 0);
	SAME(store_audit_decode(der, len, &b) == 0);
	SAME(a->time == b->time && a->uid == b->uid && a->pid == b->pid);
	SAME(!strcmp(a->user, b->user) && !strcmp(a->host, b->host));
	SAME(!strcmp(a->action, b->action) && !strcmp(a->detail, b->detail));
	SAME(a->has_serial == b->has_serial);
	SAME(!a->has_serial || !memcmp(a->serial, b->serial, STORE_SERIAL_LEN));
	OPENSSL_free(der);
	store_audit_free(b);
	store_audit_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	record(data, size);
	audit(data, size);
	return 0;
}
