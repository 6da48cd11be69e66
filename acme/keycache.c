/*
 * Account keys made into OpenSSL keys once: EVP_PKEY_fromdata with its
 * point check costs more than the rest of an account's request checks.
 * The cache is keyed by account id and holds a copy of the JWK it was made
 * from; an entry is used only while the account's JWK, as just read from
 * the store, is still equal to that copy, so a key change (or a restore of
 * the store) needs no invalidation of its own. The account's status is
 * checked on every request from the store, not here. A small table,
 * replaced in turn (ACME_KEY_CACHE entries), dropped on SIGHUP.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

struct key_entry {
	char id[ACME_ID_LEN + 1];
	json_t *jwk;
	EVP_PKEY *key;
};

struct acme_keys {
	struct key_entry e[ACME_KEY_CACHE];
	size_t next; /* the slot replaced next */
};

struct acme_keys *keys_new(void)
{
	return calloc(1, sizeof(struct acme_keys));
}

void keys_clear(struct acme_keys *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < ACME_KEY_CACHE; i++) {
		json_decref(k->e[i].jwk);
		EVP_PKEY_free(k->e[i].key);
		memset(&k->e[i], 0, sizeof(k->e[i]));
	}
	k->next = 0;
}

void keys_free(struct acme_keys *k)
{
	keys_clear(k);
	free(k);
}

int keys_get(struct acme_keys *k, const char *id, json_t *jwk, EVP_PKEY **out, const char **why)
{
	struct key_entry *e;
	json_t *copy;
	size_t i;

	for (i = 0; i < ACME_KEY_CACHE; i++) {
		e = &k->e[i];
		if (e->key && !strcmp(e->id, id) && json_equal(e->jwk, jwk)) {
			if (EVP_PKEY_up_ref(e->key) != 1)
				break;
			*out = e->key;
			return 0;
		}
	}
	if (jwk_to_pkey(jwk, out, why) != 0)
		return -1;
	if (strlen(id) > ACME_ID_LEN || !(copy = json_deep_copy(jwk)))
		return 0; /* not kept; the key itself is good */
	if (EVP_PKEY_up_ref(*out) != 1) {
		json_decref(copy);
		return 0;
	}
	e = &k->e[k->next];
	k->next = (k->next + 1) % ACME_KEY_CACHE;
	json_decref(e->jwk);
	EVP_PKEY_free(e->key);
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->jwk = copy;
	e->key = *out;
	return 0;
}
