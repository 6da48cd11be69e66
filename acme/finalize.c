/*
 * finalize and certificate download. A finalize request is checked in the
 * loop (the account, the order, the CSR's encoding), then a worker thread
 * (workers.c) checks and signs it through issue/'s own path (the CSR's
 * signature and key policy, host-name rules, the template, OpenSSL's
 * verifier against the CA), while the loop goes on with other requests.
 * Then it waits for the group commit: the flush event stores the records,
 * audit entries and orders of every certificate signed meanwhile in one
 * transaction and only then answers them (the commit runs in a thread, and
 * the certificates signed meanwhile form the next batch). A certificate is
 * durable before its response is sent, and an order is either still ready
 * or valid with its certificate.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

struct pending {
	struct work work;      /* first: the worker's job */
	struct pending *next;
	struct acme_req *q;
	const struct ca *ca;
	EVP_PKEY *account_key; /* a CSR for it is refused */
	char order_id[ACME_ID_LEN + 1];
	json_t *order;
	unsigned char *der;    /* the CSR */
	size_t der_len;
	char tpl_name[128];
	int problem;           /* set by the worker when the CSR is refused */
	char why[600];         /* to the client */
	char log[600];         /* to the server's log only: it may name the server's files */
	struct csr_signing sg; /* issue/'s: the same checks, record and audit entry as sign */
	char source[200];      /* the audit entry's csr=: which order, which account */
	char serial[2 * STORE_SERIAL_LEN + 1];
};

static void pending_free(struct pending *p)
{
	json_decref(p->order);
	free(p->der);
	EVP_PKEY_free(p->account_key);
	csr_signing_release(&p->sg);
	free(p);
}

struct flush_ctx {
	struct pending *list;
};

static int flush_fn(store_txn *txn, void *vctx)
{
	struct flush_ctx *c = vctx;
	struct pending *p;
	int rc;

	for (p = c->list; p; p = p->next) {
		json_t *order = NULL, *link;

		/* the order as stored now: it must still be ready */
		if ((rc = acme_obj_txn_get(txn, KIND_ORDER, p->order_id, &order)))
			return rc;
		if (!order || strcmp(json_string_value(json_object_get(order, "status")) ?: "", "ready")) {
			json_decref(order);
			return fail(EX_TEMPFAIL, "order %s changed meanwhile", p->order_id);
		}
		json_object_set_new(order, "status", json_string("valid"));
		json_object_set_new(order, "certificate", json_string(p->serial));
		link = json_pack("{s:s, s:s}", "account", json_string_value(json_object_get(order, "account")),
				 "order", p->order_id);
		if ((rc = csr_signing_insert(txn, &p->sg)) ||
		    (rc = acme_obj_put(txn, KIND_ORDER, p->order_id, order, 0)) ||
		    (rc = link ? acme_obj_put(txn, KIND_CERT, p->serial, link, 1) : EX_OSERR)) {
			json_decref(order);
			json_decref(link);
			return rc;
		}
		json_decref(link);
		json_decref(p->order);
		p->order = order;
	}
	return 0;
}

/*
 * The commit runs in a thread of its own, so that the loop goes on reading,
 * checking and signing the next requests while the disk syncs; those form
 * the next batch, committed as soon as this one is done. The thread touches
 * only the batch it was given and the store (LMDB serialises writers).
 */
struct commit {
	struct srv *s;
	struct pending *list;
	int rc;
	char error[512];
};

static void *commit_thread(void *arg)
{
	struct commit *c = arg;
	struct flush_ctx f = {c->list};

	c->rc = store_write(c->s->st, flush_fn, &f);
	if (c->rc)
		snprintf(c->error, sizeof(c->error), "%s", diag_last());
	if (write(c->s->commit_pipe[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
		abort(); /* the loop would wait for this batch forever */
	return NULL;
}

static void answer(struct srv *s, struct pending *list, int rc, const char *error)
{
	struct pending *p, *next;

	if (rc != 0)
		warning("serve: the certificates of a group commit could not be stored: %s", error);
	for (p = list; p; p = next) {
		next = p->next;
		inflight_del(&s->finalizing, p->order_id);
		if (rc == 0) {
			s->issued++;
			reply_json(p->q, 200, wire_order(p->q, p->order_id, p->order), NULL);
		} else {
			reply_problem(p->q, ACME_SERVER_INTERNAL, "the certificate could not be stored "
								  "(the server's log says why); "
								  "finalize again");
		}
		pending_free(p);
	}
}

void finalize_flush(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct pending *list = s->batch;
	struct commit *c;
	pthread_t t;

	(void)fd;
	(void)what;
	if (!list || s->committing)
		return; /* the batch waits for the commit in progress */
	s->batch = NULL;
	s->batch_tail = &s->batch;
	s->batch_len = 0;
	c = calloc(1, sizeof(*c));
	if (!c) {
		answer(s, list, EX_OSERR, "out of memory");
		return;
	}
	c->s = s;
	c->list = list;
	s->committing = 1;
	if (pthread_create(&t, NULL, commit_thread, c) != 0) {
		s->committing = 0;
		answer(s, list, EX_OSERR, "cannot start the commit");
		free(c);
		return;
	}
	pthread_detach(t);
}

/* The commit thread is done: answer its batch, commit the next. */
void finalize_committed(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct commit *c = NULL;

	(void)what;
	while (read(fd, &c, sizeof(c)) == (ssize_t)sizeof(c)) {
		s->committing = 0;
		answer(s, c->list, c->rc, c->error);
		free(c);
	}
	if (s->batch)
		finalize_flush(-1, 0, s);
}

/* The CSR's names, as issue/ resolves them, must be exactly the order's. */
static int same_names(json_t *order, const struct hostlist *hosts)
{
	json_t *ids = json_object_get(order, "identifiers"), *v;
	size_t i, j, n = json_array_size(ids);

	for (i = 0; i < hosts->n; i++) {
		int found = 0;

		json_array_foreach(ids, j, v)
			if (!strcmp(json_string_value(json_object_get(v, "value")) ?: "", hosts->names[i]))
				found = 1;
		if (!found)
			return 0;
	}
	for (j = 0; j < n; j++) {
		const char *want = json_string_value(json_object_get(json_array_get(ids, j), "value"));
		int found = 0;

		for (i = 0; i < hosts->n; i++)
			if (want && !strcmp(want, hosts->names[i]))
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

/* The template the account's EAB key names, or the server's. */
static void account_template(struct acme_req *q, char *name, size_t size)
{
	const char *kid = json_string_value(json_object_get(q->account, "eab"));
	json_t *eab = NULL;
	const char *t;

	snprintf(name, size, "%s", q->s->o->template_name ?: TEMPLATE_DEFAULT);
	if (kid && acme_obj_get(q->s->st, KIND_EAB, kid, &eab) == 0 && eab &&
	    (t = json_string_value(json_object_get(eab, "template"))))
		snprintf(name, size, "%s", t);
	json_decref(eab);
}

/* In a worker: the CSR checked and the certificate signed (issue/'s path). */
static void sign_run(struct work *w, struct worker *wk)
{
	struct pending *p = (struct pending *)w;
	const struct template *tpl = worker_template(wk, p->tpl_name);

	p->problem = ACME_SERVER_INTERNAL;
	if (!tpl) {
		snprintf(p->why, sizeof(p->why), "cannot read the template %s; the server's log says "
						 "why",
			 p->tpl_name);
		snprintf(p->log, sizeof(p->log), "%s", diag_last());
		return;
	}
	p->sg.label = "request";
	p->sg.source = p->source;
	p->problem = ACME_BAD_CSR;
	if (csr_signing_prepare(&p->sg, p->der, p->der_len, tpl, p->ca) != 0) {
		snprintf(p->why, sizeof(p->why), "%s", diag_last());
		return;
	}
	/* as Boulder: the certificate's key would sign for the account too */
	if (EVP_PKEY_eq(X509_REQ_get0_pubkey(p->sg.req), p->account_key) == 1) {
		snprintf(p->why, sizeof(p->why), "the request's key is the account's key: a "
						 "certificate needs a key of its own");
		return;
	}
	if (!same_names(p->order, &p->sg.hosts)) {
		snprintf(p->why, sizeof(p->why), "the request's names are not exactly the order's "
						 "identifiers");
		return;
	}
	p->problem = ACME_SERVER_INTERNAL;
	if (csr_signing_build(&p->sg, p->ca, tpl, 0) != 0) {
		snprintf(p->why, sizeof(p->why), "cannot issue; the server's log says why");
		snprintf(p->log, sizeof(p->log), "%s", diag_last());
		return;
	}
	serial_hex(p->sg.rec.serial, p->serial);
	p->problem = ACME_OK;
}

/* Back in the loop: refused, or queued for the group commit. */
static void sign_done(struct srv *s, struct work *w)
{
	struct pending *p = (struct pending *)w;

	if (p->problem) {
		if (p->log[0])
			warning("serve: finalize of order %s: %s", p->order_id, p->log);
		inflight_del(&s->finalizing, p->order_id);
		reply_problem(p->q, p->problem, "%s", p->why);
		pending_free(p);
		return;
	}
	*s->batch_tail = p;
	s->batch_tail = &p->next;
	s->batch_len++;
	event_active(s->flush_ev, EV_TIMEOUT, 0);
}

/*
 * The signature budget: at most --sign-budget certificates a minute. It
 * bounds what a subverted front, or a client gone wrong, can have signed
 * before someone looks; the first refusal of each minute is logged.
 */
static int budget_take(struct srv *s, long *retry_after)
{
	int64_t now = now_utc(), minute = now / 60;

	if (minute != s->budget_minute) {
		s->budget_minute = minute;
		s->budget_used = 0;
	}
	if (s->o->sign_budget <= 0 || s->budget_used < s->o->sign_budget) {
		s->budget_used++;
		return 0;
	}
	if (s->budget_used == s->o->sign_budget)
		warning("serve: signer: the signature budget (--sign-budget %ld a minute) is spent; "
			"finalize is refused until the minute ends",
			s->o->sign_budget);
	s->budget_used++; /* past the budget: the line above comes once a minute */
	s->refused_budget++;
	*retry_after = 60 - (long)(now % 60);
	return -1;
}

void h_finalize(struct acme_req *q, const char *id)
{
	long retry_after = 60;
	char retry[16];
	struct pending *p = calloc(1, sizeof(*p));
	json_t *order = NULL, *csr;
	const char *st;

	if (req_authenticate(q, 0) != 0)
		goto out;
	if (!p) {
		reply_problem(q, ACME_SERVER_INTERNAL, "out of memory");
		goto out;
	}
	if (acme_obj_get(q->s->st, KIND_ORDER, id, &order) != 0 || !order) {
		reply_problem(q, order ? ACME_SERVER_INTERNAL : ACME_NOT_FOUND, "no such order");
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(order, "account")) ?: "", q->account_id)) {
		reply_problem(q, ACME_UNAUTHORIZED, "this order belongs to another account");
		goto out;
	}
	st = order_status(order, now_utc());
	if (strcmp(st, "ready") || inflight_has(q->s->finalizing, id)) {
		reply_problem(q, ACME_ORDER_NOT_READY, "the order is %s, not ready%s", st,
			      strcmp(st, "pending") ? "" : ": its authorizations are not all valid yet");
		goto out;
	}
	csr = json_object_get(q->jws.payload, "csr");
	if (!json_is_string(csr) ||
	    b64url_decode(json_string_value(csr), json_string_length(csr), &p->der, &p->der_len) != 0 ||
	    p->der_len > CSR_MAX_BYTES) {
		reply_problem(q, ACME_MALFORMED, "finalize needs csr: base64url of a DER request");
		goto out;
	}
	if (budget_take(q->s, &retry_after) != 0) {
		snprintf(retry, sizeof(retry), "%ld", retry_after);
		reply_header(q, "Retry-After", retry);
		reply_problem(q, ACME_RATE_LIMITED, "the server signs at most %ld certificates a "
						    "minute; finalize again in %ld seconds",
			      q->s->o->sign_budget, retry_after);
		goto out;
	}
	if (inflight_add(&q->s->finalizing, id) != 0) {
		reply_problem(q, ACME_SERVER_INTERNAL, "out of memory");
		goto out;
	}
	account_template(q, p->tpl_name, sizeof(p->tpl_name));
	snprintf(p->source, sizeof(p->source), "acme order=%s account=%s", id, q->account_id);
	snprintf(p->order_id, sizeof(p->order_id), "%s", id);
	p->q = q;
	p->ca = &q->s->ca;
	if (EVP_PKEY_up_ref(q->key) != 1) {
		inflight_del(&q->s->finalizing, id);
		reply_problem(q, ACME_SERVER_INTERNAL, "out of memory");
		goto out;
	}
	p->account_key = q->key;
	p->order = order; /* the worker's now: the loop keeps no reference */
	order = NULL;
	p->work.run = sign_run;
	p->work.done = sign_done;
	work_submit(q->s, &p->work);
	p = NULL; /* answered by sign_done, or after the commit */
out:
	if (p)
		pending_free(p);
	json_decref(order);
}

void h_certificate(struct acme_req *q, const char *hex)
{
	unsigned char serial[STORE_SERIAL_LEN];
	char canonical[2 * STORE_SERIAL_LEN + 1];
	struct store_record *rec = NULL;
	json_t *link = NULL;
	X509 *leaf = NULL;
	char *pem = NULL, *ca_pem = NULL, *chain = NULL;
	size_t len = 0, ca_len = 0;

	if (req_authenticate(q, 0) != 0)
		return;
	if (serial_parse(hex, serial) != 0 || store_get(q->s->st, serial, &rec) != 0) {
		reply_problem(q, ACME_NOT_FOUND, "no such certificate");
		goto out;
	}
	serial_hex(serial, canonical);
	if (acme_obj_get(q->s->st, KIND_CERT, canonical, &link) != 0 || !link ||
	    strcmp(json_string_value(json_object_get(link, "account")) ?: "", q->account_id)) {
		reply_problem(q, ACME_UNAUTHORIZED, "this certificate was not ordered by this account");
		goto out;
	}
	if (x509_from_der(rec->cert, rec->cert_len, &leaf) != 0 || x509_to_pem(leaf, &pem, &len) ||
	    x509_to_pem(q->s->ca.cert, &ca_pem, &ca_len) || !(chain = malloc(len + ca_len + 1))) {
		reply_problem(q, ACME_SERVER_INTERNAL, "cannot encode the certificate");
		goto out;
	}
	memcpy(chain, pem, len);
	memcpy(chain + len, ca_pem, ca_len);
	reply_raw(q, 200, "application/pem-certificate-chain", chain, len + ca_len, NULL);
out:
	free(chain);
	free(pem);
	free(ca_pem);
	X509_free(leaf);
	json_decref(link);
	store_record_free(rec);
}
