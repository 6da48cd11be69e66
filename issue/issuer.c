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

#include "issue.h"
#include "issue_job.h"
#include "common/common.h"

int issuer_init(struct issuer *is, store *st, struct ca *ca, const struct issue_options *o)
{
	int rc;

	memset(is, 0, sizeof(*is));
	is->st = st;
	is->ca = ca;
	is->out_dir = o->out_dir ? o->out_dir : ".";
	is->force = o->force;
	is->no_files = o->no_files;
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
	free(is->last.pfx);
	free(is->last.key);
	free(is->last.chain);
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

static int audit_detail(const struct issue_job *j, const char *tpl, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "template=%s hosts=", tpl), i;

	for (i = 0; i < j->hosts.n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "", j->hosts.names[i]);
	return 0;
}

/* Every job of a batch in one transaction: each certificate is all-or-nothing. */
int commit_fn(store_txn *txn, void *vctx)
{
	struct commit_ctx *ctx = vctx;
	struct store_record *old = NULL;
	char detail[1024];
	size_t i;
	int rc = 0;

	for (i = 0; i < ctx->n && rc == 0; i++) {
		struct issue_job *j = ctx->jobs[i];
		struct store_audit a = {0};

		if ((rc = store_txn_insert(txn, &j->rec)))
			break;
		if (j->renews) {
			/* re-read inside the transaction: another process may have changed it */
			if ((rc = store_txn_get(txn, j->renews->serial, &old)))
				break;
			if (old->status == STORE_VALID)
				old->status = STORE_SUPERSEDED;
			old->has_successor = 1;
			memcpy(old->successor, j->rec.serial, STORE_SERIAL_LEN);
			rc = store_txn_update(txn, old);
			store_record_free(old);
			old = NULL;
			if (rc)
				break;
		}
		audit_detail(j, j->rec.template_name, detail, sizeof(detail));
		if (ctx->drop_next_key) /* the key staged by 'renew --stage' */
			strncat(detail, " key=staged", sizeof(detail) - strlen(detail) - 1);
		a.action = (char *)(j->renews ? "renew" : "issue");
		a.detail = detail;
		a.has_serial = 1;
		memcpy(a.serial, j->rec.serial, STORE_SERIAL_LEN);
		rc = store_txn_audit(txn, &a);
	}
	if (rc == 0 && ctx->drop_next_key)
		rc = next_key_drop(txn, (void *)ctx->drop_next_key);
	return rc;
}

static void report(struct issuer *is, X509 *leaf, const struct hostlist *hosts,
		   struct leaf_files *files, EVP_PKEY *key, const struct store_record *renews,
		   int compact)
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
		json_object_set_new(o, "days_left", json_integer(days_left(na, now_utc())));
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
	if (g_opts.quiet) /* -q: silent on success */
		return;
	if (compact) {
		/* bulk: one line per certificate */
		printf("%s  %s  %s  %s%s%s\n", serial, thumb, fmt_time(na, when), hosts->names[0],
		       files->crt ? "  " : "", files->crt ? files->crt : "");
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
	free(is->last.pfx);
	free(is->last.key);
	free(is->last.chain);
	memcpy(is->last.thumbprint, thumb, sizeof(thumb));
	is->last.pfx = files->pfx ? strdup(files->pfx) : NULL;
	is->last.key = files->key ? strdup(files->key) : NULL;
	is->last.chain = files->chain ? strdup(files->chain) : NULL;
	/* out of memory: no hints rather than hints naming the wrong files */
	is->last.reported = (!files->pfx || is->last.pfx) && (!files->key || is->last.key) &&
			    (!files->chain || is->last.chain);
}

void job_release(struct issue_job *j)
{
	size_t i;

	OPENSSL_cleanse(j->password, sizeof(j->password));
	if (j->pfx)
		OPENSSL_clear_free(j->pfx, j->pfx_len);
	free(j->rec.cert);
	for (i = 0; i < j->rec.n_hosts; i++)
		free(j->rec.hosts[i]);
	free(j->rec.hosts);
	free(j->rec.template_name);
	secret_free(j->rec.key, j->rec.key_len);
	X509_free(j->leaf);
	EVP_PKEY_free(j->key);
	leaf_files_release(&j->files);
	hostlist_free(&j->hosts);
	memset(j, 0, sizeof(*j));
}

/* Names and files: checked before any key is made (main thread). */
int job_prepare(struct issuer *is, struct issue_job *j)
{
	int rc;

	if ((rc = hosts_resolve(j->names, j->n_names, is->ca, is->tpl->wildcard, &j->hosts)))
		return rc;
	if (host_file_name(j->hosts.names[0], j->base, sizeof(j->base)) != 0)
		return fail(EX_DATAERR, "host name '%s' is too long for a file name",
			    j->hosts.names[0]);
	if (is->no_files)
		return 0;
	j->files.dir = is->out_dir;
	j->files.base = j->base;
	j->files.force = is->force;
	j->files.want_key = 1;
	j->files.want_pfx = is->pfx != PFX_NONE;
	j->files.want_password = is->pfx_pass == NULL;
	return leaf_files_plan(&j->files);
}

/*
 * The slow part (key generation, signing, self-check, PFX), outside any
 * transaction. Safe to run in several threads at once: each job and each
 * template copy is private, the CA is only read.
 */
int job_build(struct issuer *is, const struct template *tpl, struct issue_job *j)
{
	struct leaf_spec spec = {0};
	int rc;

	j->rec.revoke_reason = -1;
	if (is->next_key && EVP_PKEY_up_ref(is->next_key))
		j->key = is->next_key;
	else if ((rc = keyspec_generate(&is->key, &j->key)))
		return rc;
	if ((rc = serial_random(spec.serial)))
		return rc;
	spec.hosts = &j->hosts;
	spec.tpl = tpl;
	spec.days = is->days;
	spec.key = j->key;
	if ((rc = leaf_build(is->ca, &spec, &j->leaf)) ||
	    (rc = leaf_record(is->ca, tpl, j->leaf, &j->hosts, &j->rec)) ||
	    (rc = ca_wrap_leaf_key(is->ca, j->key, &j->rec.key, &j->rec.key_len)))
		return rc;
	if (j->renews) {
		j->rec.has_predecessor = 1;
		memcpy(j->rec.predecessor, j->renews->serial, STORE_SERIAL_LEN);
	}
	if (!j->files.want_pfx)
		return 0;
	if (!is->pfx_pass && (rc = pfx_password_generate(j->password)))
		return rc;
	return pfx_build(j->key, j->leaf, is->ca->cert, j->hosts.names[0], tpl->pfx_csp, is->pfx,
			 is->pfx_pass ? is->pfx_pass : j->password, &j->pfx, &j->pfx_len);
}

/* After the commit: the files, then the report. */
int job_finish(struct issuer *is, struct issue_job *j, int compact)
{
	int rc = job_write(is, j);

	if (rc == 0)
		job_report(is, j, compact);
	return rc;
}

/* After the commit: the files (bulk issuance reports later, in file order). */
int job_write(struct issuer *is, struct issue_job *j)
{
	char serial[2 * STORE_SERIAL_LEN + 1];
	int rc = 0;

	is->issued++;
	memcpy(is->last_serial, j->rec.serial, STORE_SERIAL_LEN);
	serial_hex(j->rec.serial, serial);
	if (!is->no_files) {
		/* a file that cannot be written is one line that also says how to recover */
		diag_hint("%s is stored (serial %s): write its files again with 'minica export "
			  "--serial %s --pem DIR --pfx FILE'",
			  j->hosts.names[0], serial, serial);
		rc = leaf_files_write(&j->files, j->leaf, is->ca->cert, j->key, j->pfx, j->pfx_len,
				      is->pfx_pass ? NULL : j->password);
		diag_hint(NULL);
	}
	return rc;
}

void job_report(struct issuer *is, struct issue_job *j, int compact)
{
	hosts_note_qualified(&j->hosts, is->ca);
	report(is, j->leaf, &j->hosts, &j->files, j->key, j->renews, compact);
}

int issuer_issue(struct issuer *is, char *const *names, size_t n_names,
		 const struct store_record *renews)
{
	struct issue_job job = {0}, *jobs[1] = {&job};
	struct commit_ctx ctx = {jobs, 1, is->next_key ? is->next_key_host : NULL};
	int rc;

	job.names = names;
	job.n_names = n_names;
	job.renews = renews;
	if ((rc = job_prepare(is, &job)) || (rc = ca_unlock(is->ca)) ||
	    (rc = job_build(is, is->tpl, &job)) || (rc = store_write(is->st, commit_fn, &ctx)))
		goto out;
	rc = job_finish(is, &job, 0);
out:
	job_release(&job);
	return rc;
}
