/*
 * Inside the issuing path (issuer.c, bulk.c): one certificate as a job that
 * is prepared (names, files), built (keys, signature: any thread),
 * committed (in a batch, one transaction) and finished (files, report).
 */
#ifndef MINICA_ISSUE_JOB_H
#define MINICA_ISSUE_JOB_H

#include "issue.h"

/* One certificate on its way: prepared, built, committed, finished. */
struct issue_job {
	char *const *names;
	size_t n_names;
	const struct store_record *renews;
	long lineno;               /* in --hosts-file, 0 otherwise */
	struct hostlist hosts;
	struct leaf_files files;
	char base[HOST_MAX + 16];
	EVP_PKEY *key;
	X509 *leaf;
	struct store_record rec;
	unsigned char *pfx;
	size_t pfx_len;
	char password[PFX_PASSWORD_LEN + 1];
	int rc;
};

struct commit_ctx {
	struct issue_job **jobs;
	size_t n;
	const char *drop_next_key; /* the host whose staged key this commit uses, or NULL */
};

int job_prepare(struct issuer *is, struct issue_job *j);
int job_build(struct issuer *is, const struct template *tpl, struct issue_job *j);
int commit_fn(store_txn *txn, void *ctx); /* for store_write() with a struct commit_ctx */
int job_finish(struct issuer *is, struct issue_job *j, int compact); /* job_write + job_report */
int job_write(struct issuer *is, struct issue_job *j);
void job_report(struct issuer *is, struct issue_job *j, int compact);
void job_release(struct issue_job *j);

#endif
