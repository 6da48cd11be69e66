/*
 * ca move-key: the store's file key onto a PKCS#11 token (docs/token.md).
 * Imported non-extractable, proved by a signature that the CA certificate
 * verifies, and only then the software copy removed from the store, in one
 * write transaction with an audit entry per step. The copy is removed only
 * when a 'store backup' file holding this very key is named. The wrapping
 * secret of the file key is sealed on the token, so kept leaf keys and EAB
 * keys sealed before the move open after it.
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "common/common.h"

/* A signature by the token's key that the CA certificate's public key verifies. */
static int prove(EVP_PKEY *key, X509 *cert)
{
	EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
	unsigned char challenge[32], sig[1024];
	size_t n = sizeof(sig);
	int ok = 0;

	if (s && v && RAND_bytes(challenge, sizeof(challenge)) == 1 &&
	    EVP_DigestSignInit(s, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(s, sig, &n, challenge, sizeof(challenge)) == 1 &&
	    EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
	    EVP_DigestVerify(v, sig, n, challenge, sizeof(challenge)) == 1)
		ok = 1;
	ERR_clear_error();
	EVP_MD_CTX_free(s);
	EVP_MD_CTX_free(v);
	return ok ? 0 : -1;
}

struct move_ctx {
	const struct ca_token_meta *m;
	const char *backup, *detail;
};

static int move_fn(store_txn *txn, void *vctx)
{
	struct move_ctx *c = vctx;
	struct store_audit a = {0};
	char line[1024];
	int rc;

	if ((rc = store_txn_meta_put(txn, "ca.key.uri", c->m->uri, strlen(c->m->uri))) ||
	    (rc = store_txn_meta_put(txn, "ca.key.public", c->m->pub, c->m->pub_len)) ||
	    (rc = store_txn_meta_put(txn, "ca.key.seal", c->m->seal_label,
				     strlen(c->m->seal_label))) ||
	    (rc = store_txn_meta_put(txn, "ca.key.wrap", c->m->wrap, c->m->wrap_len)) ||
	    (rc = store_txn_meta_put(txn, "ca.key.protection", "pkcs11", 6)) ||
	    (rc = store_txn_meta_del(txn, "ca.key")))
		return rc;
	a.action = (char *)"ca move-key";
	snprintf(line, sizeof(line), "step=backup-checked backup=%s", c->backup);
	a.detail = line;
	if ((rc = store_txn_audit(txn, &a)))
		return rc;
	snprintf(line, sizeof(line), "step=imported uri=%s %s non-extractable sensitive", c->m->uri,
		 c->detail);
	if ((rc = store_txn_audit(txn, &a)))
		return rc;
	snprintf(line, sizeof(line), "step=proved signature by the token key verifies with the CA "
				     "certificate's public key");
	if ((rc = store_txn_audit(txn, &a)))
		return rc;
	snprintf(line, sizeof(line), "step=software-copy-removed meta ca.key deleted");
	return store_txn_audit(txn, &a);
}

/*
 * The backup must hold this store's encrypted CA key, byte for byte: then the
 * software copy this command removes is still somewhere the admin chose.
 */
static int backup_holds_key(struct ca *ca, const char *backup)
{
	void *mine = NULL, *theirs = NULL;
	size_t ml = 0, tl = 0;
	int rc;

	if ((rc = store_meta_get(ca->st, "ca.key", &mine, &ml)) ||
	    (rc = store_backup_meta_get(backup, "ca.key", &theirs, &tl)))
		goto out;
	if (!mine || !theirs || ml != tl || CRYPTO_memcmp(mine, theirs, ml))
		rc = fail(EX_DATAERR, "backup %s does not hold this store's CA key; run 'minica "
				      "store backup FILE' now and give that FILE",
			  backup);
out:
	if (mine)
		OPENSSL_cleanse(mine, ml);
	if (theirs)
		OPENSSL_cleanse(theirs, tl);
	free(mine);
	free(theirs);
	return rc;
}

int ca_move_key(struct ca *ca, const char *uri, const char *backup)
{
	struct ca_token *t = NULL;
	struct ca_token_meta m = {0};
	struct move_ctx mc = {0};
	EVP_PKEY *tk = NULL;
	unsigned char wrap[CA_WRAP_LEN];
	char kd[32];
	int rc, imported = 0;

	if (ca->key_uri)
		return fail(EX_USAGE, "store %s: the CA key is on a token already (%s)",
			    store_path(ca->st), ca->key_uri);
	if ((rc = backup_holds_key(ca, backup)) || (rc = ca_unlock(ca)) ||
	    (rc = ca_token_login(uri, &t)))
		goto out;
	rc = token_key(t, &tk);
	if (rc == 0) {
		rc = fail(EX_CANTCREAT, "token %s: it holds a key with that name already; choose "
					"another object= (or use it with 'minica init --key-uri')",
			  uri);
		goto out;
	}
	if (rc != EX_NOINPUT || (rc = token_import(t, ca->key)))
		goto out;
	imported = 1;
	if ((rc = token_key(t, &tk)) == EX_NOINPUT)
		rc = fail(EX_UNAVAILABLE, "token %s: the imported key cannot be found again", uri);
	if (rc)
		goto out;
	if (prove(tk, ca->cert) != 0) {
		rc = fail(EX_UNAVAILABLE, "token %s: the imported key's signature does not verify "
					  "with the CA certificate; nothing was changed",
			  uri);
		goto out;
	}
	if ((rc = ca_file_wrap_secret(ca->key, wrap)) ||
	    (rc = ca_token_meta_make(t, tk, X509_get0_pubkey(ca->cert), wrap, &m)))
		goto out;
	mc.m = &m;
	mc.backup = backup;
	mc.detail = key_describe(ca->key, kd);
	rc = store_write(ca->st, move_fn, &mc);
out:
	OPENSSL_cleanse(wrap, sizeof(wrap));
	EVP_PKEY_free(tk);
	if (rc && imported)
		token_remove_key(t);
	ca_token_meta_free(&m);
	token_close(t);
	return rc;
}
