/*
 * The files of one leaf (SPEC section 4): NAME.crt, NAME.key (0600),
 * NAME.chain.pem (leaf then CA), NAME.pfx (0600) and NAME.pfx-password
 * (0600) when minica chose the password. They are planned and checked
 * before the store commits, and written after it.
 */
#include <stdlib.h>
#include <string.h>

#include "issue.h"
#include "common/common.h"

static char *with_suffix(const char *dir, const char *base, const char *suffix)
{
	size_t len = strlen(base) + strlen(suffix) + 1;
	char *name = malloc(len), *path;

	if (!name)
		return NULL;
	snprintf(name, len, "%s%s", base, suffix);
	path = path_join(dir, name);
	free(name);
	return path;
}

void leaf_files_release(struct leaf_files *f)
{
	free(f->crt);
	free(f->key);
	free(f->chain);
	free(f->pfx);
	free(f->pfx_password);
	f->crt = f->key = f->chain = f->pfx = f->pfx_password = NULL;
}

int leaf_files_plan(struct leaf_files *f)
{
	char **paths[] = {&f->crt, &f->key, &f->chain, &f->pfx, &f->pfx_password};
	const char *suffixes[] = {".crt", ".key", ".chain.pem", ".pfx", ".pfx-password"};
	int wanted[] = {1, f->want_key, 1, f->want_pfx, f->want_pfx && f->want_password};
	int i, rc;

	if ((rc = out_check_dir(f->dir)))
		return rc;
	for (i = 0; i < 5; i++) {
		if (!wanted[i])
			continue;
		*paths[i] = with_suffix(f->dir, f->base, suffixes[i]);
		if (!*paths[i])
			return fail(EX_OSERR, "out of memory");
		if ((rc = out_check_absent(*paths[i], f->force)))
			return rc;
	}
	return 0;
}

int leaf_files_write(struct leaf_files *f, X509 *leaf, X509 *ca, EVP_PKEY *key,
		     const unsigned char *pfx, size_t pfx_len, const char *generated_password)
{
	char *leaf_pem = NULL, *ca_pem = NULL, *chain = NULL;
	unsigned char *key_pem = NULL;
	size_t leaf_len = 0, ca_len = 0, key_len = 0;
	int rc;

	if ((rc = x509_to_pem(leaf, &leaf_pem, &leaf_len)) ||
	    (rc = x509_to_pem(ca, &ca_pem, &ca_len)))
		goto out;
	chain = malloc(leaf_len + ca_len + 1);
	if (!chain) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	memcpy(chain, leaf_pem, leaf_len);
	memcpy(chain + leaf_len, ca_pem, ca_len);
	if ((rc = out_write_atomic(f->crt, leaf_pem, leaf_len, 0644, f->force)) ||
	    (rc = out_write_atomic(f->chain, chain, leaf_len + ca_len, 0644, f->force)))
		goto out;
	if (f->key && key) {
		if ((rc = pem_private_key(key, &key_pem, &key_len)) ||
		    (rc = out_write_atomic(f->key, key_pem, key_len, 0600, f->force)))
			goto out;
	}
	if (f->pfx_password && generated_password) {
		char line[PFX_PASSWORD_LEN + 2];

		snprintf(line, sizeof(line), "%s\n", generated_password);
		rc = out_write_atomic(f->pfx_password, line, strlen(line), 0600, f->force);
		OPENSSL_cleanse(line, sizeof(line));
		if (rc)
			goto out;
	}
	if (f->pfx && pfx)
		rc = out_write_atomic(f->pfx, pfx, pfx_len, 0600, f->force);
out:
	secret_free(key_pem, key_len);
	free(leaf_pem);
	free(ca_pem);
	free(chain);
	return rc;
}
