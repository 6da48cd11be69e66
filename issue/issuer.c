/*
 * The issuing path shared by issue, renew, inventory --issue and bulk
 * issuance: validate the names, plan the files, generate the key and sign
 * (all before the write transaction), commit the record with its index and
 * audit entries (and, for a renewal, the predecessor marked superseded) in
 * one transaction, then write the files and report.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange.h"
#include "issue.h"
#include "minica.h"

int issuer_init(struct issuer *is, store *st, struct ca *ca, const struct issue_options *o)
{
	int rc;

	memset(is, 0, sizeof(*is));
	is->st = st;
	is->ca = ca;
	is->out_dir = o->out_dir ? o->out_dir : ".";
	is->force = o->force;
	is->days = o->days;
	if ((rc = template_load(o->template_name ? o->template_name : TEMPLATE_DEFAULT, &is->tpl)))
		return rc;
	is->key = is->tpl->key;
	if (o->key && keyspec_parse(o->key, &is->key))
		return fail(EX_USAGE, "--key '%s': not a supported key type", printable(o->key));
	is->pfx = o->pfx == 0 ? PFX_NONE : is->tpl->pfx;
	if (is->pfx == PFX_NONE && o->pfx == 1)
		is->pfx = PFX_LEGACY;
	if (is->pfx != PFX_NONE && o->pfx_mode)
		is->pfx = (enum pfx_mode)o->pfx_mode;
	if (is->tpl->sha1)
		warning("template %s signs with SHA-1: only for Exchange 2007 on Windows Server 2003 "
			"without KB938397; every modern client rejects it",
			is->tpl->name);
	if (o->pfx_pass_file && is->pfx != PFX_NONE &&
	    (rc = pass_read_file(o->pfx_pass_file, "PFX password file", &is->pfx_pass,
				 &is->pfx_pass_len)))
		return rc;
	if (g_opts.json && !(is->json = json_array()))
		return fail(EX_OSERR, "out of memory");
	return 0;
}

void issuer_release(struct issuer *is)
{
	json_decref(is->json);
	pass_free(is->pfx_pass, is->pfx_pass_len);
	template_free(is->tpl);
	memset(is, 0, sizeof(*is));
}

int issuer_finish(struct issuer *is, int as_array)
{
	json_t *result;

	if (!is->json || json_array_size(is->json) == 0)
		return 0;
	result = as_array ? json_incref(is->json) : json_incref(json_array_get(is->json, 0));
	return json_emit(result);
}

struct insert_ctx {
	const struct store_record *rec;
	const struct store_record *renews;
	const char *detail;
};

static int insert_fn(store_txn *txn, void *vctx)
{
	struct insert_ctx *ctx = vctx;
	struct store_audit a = {0};
	struct store_record *old = NULL;
	int rc;

	if ((rc = store_txn_insert(txn, ctx->rec)))
		return rc;
	if (ctx->renews) {
		/* re-read inside the transaction: another process may have changed it */
		if ((rc = store_txn_get(txn, ctx->renews->serial, &old)))
			return rc;
		if (old->status == STORE_VALID)
			old->status = STORE_SUPERSEDED;
		old->has_successor = 1;
		memcpy(old->successor, ctx->rec->serial, STORE_SERIAL_LEN);
		rc = store_txn_update(txn, old);
		store_record_free(old);
		if (rc)
			return rc;
	}
	a.action = (char *)(ctx->renews ? "renew" : "issue");
	a.detail = (char *)ctx->detail;
	a.has_serial = 1;
	memcpy(a.serial, ctx->rec->serial, STORE_SERIAL_LEN);
	return store_txn_audit(txn, &a);
}

static void report(struct issuer *is, X509 *leaf, const struct hostlist *hosts,
		   struct leaf_files *files, EVP_PKEY *key, const struct store_record *renews)
{
	char thumb[THUMBPRINT_HEX], serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], kd[32];
	char old[2 * STORE_SERIAL_LEN + 1] = "";
	unsigned char sbin[STORE_SERIAL_LEN];
	int64_t nb = 0, na = 0;
	const char *paths[] = {files->crt, files->key, files->chain, files->pfx, files->pfx_password};
	const char *labels[] = {"crt", "key", "chain", "pfx", "pfx_password"};
	size_t i;

	x509_thumbprint(leaf, thumb);
	serial_get(leaf, sbin);
	serial_hex(sbin, serial);
	x509_times(leaf, &nb, &na);
	key_describe(key, kd);
	if (renews)
		serial_hex(renews->serial, old);
	if (is->json) {
		json_t *o = json_object(), *names = json_array(), *f = json_object();

		for (i = 0; i < hosts->n; i++)
			json_array_append_new(names, json_string(hosts->names[i]));
		for (i = 0; i < 5; i++)
			if (paths[i])
				json_object_set_new(f, labels[i], json_string(paths[i]));
		json_object_set_new(o, "serial", json_string(serial));
		json_object_set_new(o, "thumbprint", json_string(thumb));
		json_object_set_new(o, "not_after", json_string(fmt_time_iso(na, when)));
		json_object_set_new(o, "days", json_integer(days_left(na, now_utc())));
		json_object_set_new(o, "names", names);
		json_object_set_new(o, "template", json_string(is->tpl->name));
		json_object_set_new(o, "key", json_string(kd));
		json_object_set_new(o, "pfx", json_string(!files->pfx ? "none"
						     : is->pfx == PFX_MODERN ? "modern" : "legacy"));
		if (renews)
			json_object_set_new(o, "renews", json_string(old));
		json_object_set_new(o, "files", f);
		json_array_append_new(is->json, o);
		return;
	}
	if (renews)
		printf("Renewed %s (template %s), replacing %s\n", hosts->names[0], is->tpl->name, old);
	else
		printf("Issued %s (template %s)\n", hosts->names[0], is->tpl->name);
	printf("  serial      %s\n", serial);
	printf("  thumbprint  %s\n", thumb);
	printf("  not after   %s (%ld days)\n", fmt_time(na, when), days_left(na, now_utc()));
	printf("  names       ");
	for (i = 0; i < hosts->n; i++)
		printf("%s%s", i ? ", " : "", hosts->names[i]);
	printf("\n  key         %s\n", kd);
	if (files->pfx)
		printf("  pfx         %s\n", pfx_mode_describe(is->pfx));
	for (i = 0; i < 5; i++)
		if (paths[i])
			printf("  %-11s %s\n", i == 0 ? "files" : "", paths[i]);
	if (g_opts.quiet || is->brief)
		return;
	if (files->pfx) {
		const char *slash = strrchr(files->pfx, '/');

		exchange_print_install(stdout, slash ? slash + 1 : files->pfx, thumb);
	}
	printf("\nPostfix (main.cf):\n  smtpd_tls_chain_files = %s, %s\n",
	       files->key ? files->key : "KEY", files->chain);
}

static void record_release(struct store_record *rec)
{
	size_t i;

	free(rec->cert);
	for (i = 0; i < rec->n_hosts; i++)
		free(rec->hosts[i]);
	free(rec->hosts);
	free(rec->template_name);
	secret_free(rec->key, rec->key_len);
	memset(rec, 0, sizeof(*rec));
}

int issuer_issue(struct issuer *is, char *const *names, size_t n_names,
		 const struct store_record *renews)
{
	struct hostlist hosts = {0};
	struct leaf_files files = {0};
	struct leaf_spec spec = {0};
	struct store_record rec = {0};
	struct insert_ctx ictx;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	unsigned char *pfx = NULL;
	size_t pfx_len = 0, i, used;
	char base[HOST_MAX + 16], password[PFX_PASSWORD_LEN + 1] = "", detail[1024];
	const char *pass;
	int rc;

	rec.revoke_reason = -1;
	if ((rc = hosts_resolve(names, n_names, is->ca, is->tpl->wildcard, &hosts)))
		goto out;
	if (host_file_name(hosts.names[0], base, sizeof(base)) != 0) {
		rc = fail(EX_DATAERR, "host name '%s' is too long for a file name", hosts.names[0]);
		goto out;
	}
	files.dir = is->out_dir;
	files.base = base;
	files.force = is->force;
	files.want_key = 1;
	files.want_pfx = is->pfx != PFX_NONE;
	files.want_password = is->pfx_pass == NULL;
	if ((rc = leaf_files_plan(&files)) || (rc = ca_unlock(is->ca)))
		goto out;
	/* slow work (key generation, signing, PFX) before the write transaction */
	if ((rc = keyspec_generate(&is->key, &key)) || (rc = serial_random(spec.serial)))
		goto out;
	spec.hosts = &hosts;
	spec.tpl = is->tpl;
	spec.days = is->days;
	spec.key = key;
	if ((rc = leaf_build(is->ca, &spec, &leaf)) ||
	    (rc = leaf_record(is->ca, is->tpl, leaf, &hosts, &rec)) ||
	    (rc = ca_wrap_leaf_key(is->ca, key, &rec.key, &rec.key_len)))
		goto out;
	if (renews) {
		rec.has_predecessor = 1;
		memcpy(rec.predecessor, renews->serial, STORE_SERIAL_LEN);
	}
	if (files.want_pfx) {
		if (!is->pfx_pass && (rc = pfx_password_generate(password)))
			goto out;
		pass = is->pfx_pass ? is->pfx_pass : password;
		if ((rc = pfx_build(key, leaf, is->ca->cert, hosts.names[0], is->tpl->pfx_csp, is->pfx,
				    pass, &pfx, &pfx_len)))
			goto out;
	}
	used = (size_t)snprintf(detail, sizeof(detail), "template=%s hosts=", is->tpl->name);
	for (i = 0; i < hosts.n && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s%s", i ? "," : "",
					 hosts.names[i]);
	ictx.rec = &rec;
	ictx.renews = renews;
	ictx.detail = detail;
	if ((rc = store_write(is->st, insert_fn, &ictx)))
		goto out;
	is->issued++;
	memcpy(is->last_serial, rec.serial, STORE_SERIAL_LEN);
	rc = leaf_files_write(&files, leaf, is->ca->cert, key, pfx, pfx_len,
			      is->pfx_pass ? NULL : password);
	if (rc) {
		char serial[2 * STORE_SERIAL_LEN + 1];

		serial_hex(rec.serial, serial);
		fail(rc, "%s: the certificate is stored (serial %s) but its files are incomplete; "
			 "write them again with 'minica export --serial %s --pem DIR --pfx FILE'",
		     hosts.names[0], serial, serial);
		goto out;
	}
	report(is, leaf, &hosts, &files, key, renews);
out:
	OPENSSL_cleanse(password, sizeof(password));
	if (pfx)
		OPENSSL_clear_free(pfx, pfx_len);
	record_release(&rec);
	X509_free(leaf);
	EVP_PKEY_free(key);
	leaf_files_release(&files);
	hostlist_free(&hosts);
	return rc;
}
