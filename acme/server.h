/*
 * Shared by the files of the ACME server: the server's state and the
 * request being answered. Nothing outside acme/ includes it. The files call
 * down only. In the signer: signer.c (the front's process, routing,
 * signals) calls the handlers (h_*.c, finalize.c, revoke.c, renewal.c),
 * which call request.c, wire.c, challenge.c and workers.c, which call
 * reply.c and state.c. In the front: front.c calls validate.c and conn.c
 * (connection caps and deadlines). Both call proto.c, the messages between
 * them.
 */
#ifndef MINICA_ACME_SERVER_H
#define MINICA_ACME_SERVER_H

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "acme.h"
#include "proto.h"

#define ACME_BODY_MAX (64 * 1024)          /* larger requests are refused (malformed, 413) */
#define ACME_ORDER_LIFETIME (7 * 86400)
#define ACME_TLS_DAYS 7                    /* the server's own certificate */
#define ACME_TEMPLATE_CACHE 8
#define ACME_MAX_LISTEN 16
#define ACME_WORKERS 4                     /* signing threads at most (workers.c) */
#define ACME_KEY_CACHE 256                 /* account keys kept decoded (keycache.c) */

struct pending; /* finalize.c: a certificate waiting for the group commit */

/* Parsed templates by name, the oldest dropped first (state.c). */
struct tpl_cache {
	struct template *t[ACME_TEMPLATE_CACHE];
	size_t n;
};
const struct template *tpl_cache_get(struct tpl_cache *c, const char *name); /* NULL: diag */
void tpl_cache_drop(struct tpl_cache *c);

struct inflight {
	struct inflight *next;
	char id[ACME_ID_LEN + 8]; /* authz id + "/" + challenge index, or an order id */
	char account[ACME_ID_LEN + 1]; /* a validation's: whose (challenge.c) */
};

struct vjob; /* validate.c: one validation */
struct fwd; /* front.c: a request waiting for the signer's answer */
#define FWD_BUCKETS 256

/*
 * One struct for both processes of serve (docs/serve-processes.md); each
 * uses its own part. The front never has st, ca or the signer's parts.
 */
struct srv {
	const struct acme_server_options *o;
	struct event_base *base;
	struct proto_chan *chan;     /* the socketpair to the other process */
	struct event *sig_term, *sig_int, *sig_hup, *drain_timer;
	int draining;
	long validation_timeout;
	unsigned long requests;

	/* the front: the network */
	struct evhttp *http;
	struct evhttp_bound_socket *socks[ACME_MAX_LISTEN];
	size_t n_socks;
	SSL_CTX *ssl;
	struct evdns_base *dns;
	struct vjob *vjobs; /* validate.c: validations in progress */
	size_t n_vjobs;
	int dns_pipe[2];
	struct event *dns_ev;
	struct fwd *fwd[FWD_BUCKETS];
	size_t n_fwd;
	struct conns *conns;  /* conn.c */
	long max_connections; /* --max-connections, lowered to fit the open files allowed */
	uint32_t next_id;
	int signer_gone;

	/* the signer: the key, the store, the protocol's state */
	store *st;
	struct ca ca;
	struct acme_nonces *nonces;
	struct acme_keys *keys;
	struct workers *workers;
	struct tpl_cache templates;
	struct pending *batch, **batch_tail;
	size_t batch_len;
	struct event *flush_ev;
	struct inflight *validating; /* challenges being validated */
	struct inflight *finalizing; /* orders waiting for the group commit */
	json_t *pending_authz;       /* pending_authz.c: account -> [count, when read] */
	struct event *tls_timer, *sig_chld;
	int64_t tls_not_after;
	char *tls_chain_pem, *tls_key_pem; /* the front's certificate, sent at each start */
	int commit_pipe[2];        /* finalize.c: the commit thread's results */
	struct event *commit_ev;
	int committing;
	pid_t front_pid;
	unsigned front_gen;        /* bumped at each start of a front */
	int front_ready, front_ready_once; /* the front said P_READY (this one, any one) */
	int exit_code;             /* the front's, when it never became ready */
	int front_starts;          /* within the current minute */
	int64_t front_window;
	int64_t budget_minute;     /* the signature budget's current minute */
	long budget_used;
	unsigned long issued, refused_budget;
};

/* One request, from its arrival to its reply. */
enum acme_method { ACME_GET = 1, ACME_HEAD, ACME_POST };

/* One request, in the signer, from the front's message to the reply. */
struct acme_req {
	struct srv *s;
	uint32_t id;          /* the front's number for it */
	unsigned front_gen;   /* which front asked: a later one numbers its requests anew */
	enum acme_method method;
	char base[300]; /* https://HOST[:PORT] as the client addressed us */
	const char *path;
	const char *content_type;
	const char *body;     /* NULL when there is none */
	size_t body_len;
	struct proto_msg msg; /* owns path, content_type and body */
	char *headers;        /* of the reply: "Name: value\n" lines */
	size_t headers_len;
	struct jws jws;
	json_t *account;      /* the signer's account (kid requests), or NULL */
	const char *account_id;
	EVP_PKEY *key;        /* the key that signed the request */
};

/* reply.c: each reply frees the request */
void reply_header(struct acme_req *q, const char *name, const char *value);
void reply_json(struct acme_req *q, int status, json_t *body, const char *location);
void reply_problem(struct acme_req *q, enum acme_problem p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void reply_internal(struct acme_req *q, const char *what); /* diag_last() to the log only */
void reply_raw(struct acme_req *q, int status, const char *type, const void *data, size_t len,
	       const char *link);
void req_free(struct acme_req *q);
char *url_of(const struct acme_req *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void iso_time(int64_t t, char out[TIME_BUF]);

/* state.c: challenges and orders in flight; the loop's parsed templates */
int inflight_has(struct inflight *list, const char *id);
int inflight_add(struct inflight **list, const char *id);
void inflight_del(struct inflight **list, const char *id);
const struct template *srv_template(struct srv *s, const char *name);

/* conn.c: connection caps, the whole-request deadline, accept() back-off, log limits */
enum front_log_kind { FRONT_LOG_SLOW, FRONT_LOG_CAP, FRONT_LOG_ACCEPT, FRONT_LOG_LIBEVENT,
		      FRONT_LOG_KINDS };
int conns_setup(struct srv *s);
void conns_listening(struct srv *s); /* after the sockets are bound */
void conns_teardown(struct srv *s);  /* after evhttp_free */
struct bufferevent *conn_new(struct srv *s); /* evhttp's bevcb */
void conn_request_begin(struct evhttp_request *r); /* the handlers have it: no deadline */
void conn_request_end(struct evhttp_request *r);   /* replied: the next request's deadline */
void front_log(struct srv *s, enum front_log_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* keycache.c: account keys by account id, used while the stored JWK is unchanged */
struct acme_keys;
struct acme_keys *keys_new(void);
void keys_clear(struct acme_keys *k);
void keys_free(struct acme_keys *k);
int keys_get(struct acme_keys *k, const char *id, json_t *jwk, EVP_PKEY **out, const char **why);

/* request.c: a POST's JWS checked; 0, or the problem was already answered. */
int req_authenticate(struct acme_req *q, int allow_jwk);
const char *path_id(const char *path, const char *prefix, char *out, size_t size);

/* handlers */
void h_directory(struct acme_req *q);
void h_new_nonce(struct acme_req *q);
void h_new_account(struct acme_req *q);
void h_account(struct acme_req *q, const char *id);
void h_account_orders(struct acme_req *q, const char *id);
void h_key_change(struct acme_req *q);
void h_new_order(struct acme_req *q);
void h_order(struct acme_req *q, const char *id);
void h_authz(struct acme_req *q, const char *id);
void h_challenge(struct acme_req *q, const char *authz, const char *index);
void h_finalize(struct acme_req *q, const char *id);
void h_certificate(struct acme_req *q, const char *serial);
void h_revoke(struct acme_req *q);
void h_renewal_info(struct acme_req *q, const char *cert_id);

/* objects on the wire (wire.c) */
json_t *wire_account(const struct acme_req *q, const char *id, json_t *acct);
json_t *wire_order(const struct acme_req *q, const char *id, json_t *order);
json_t *wire_authz(const struct acme_req *q, const char *id, json_t *authz);
json_t *wire_challenge(const struct acme_req *q, const char *authz_id, size_t index,
		       json_t *chall);
const char *order_status(json_t *order, int64_t now);

/* challenge.c (the signer): ask the front to validate; record its verdict */
int validate_start(struct srv *s, const char *authz_id, size_t index, json_t *authz,
		   const char *thumbprint);
/*
 * pending_authz.c (the signer): --max-pending-authz. 0: the order may add
 * more; else the seconds to wait (Retry-After).
 */
long pending_authz_admit(struct srv *s, const char *account, size_t more);
void pending_authz_added(struct srv *s, const char *account, size_t more);
/* NULL, or why no validation may start now (--max-validations, per account) */
const char *validate_busy(struct srv *s, const char *account, char *why, size_t size);
void challenge_verdict(struct srv *s, const struct proto_msg *m);

/* validate.c (the front): validate what the signer asked for, send the verdict */
int validate_begin(struct srv *s, const struct proto_msg *m);
int validate_setup(struct srv *s);
void validate_teardown(struct srv *s);

/* finalize.c */
void finalize_flush(evutil_socket_t fd, short what, void *arg);
void finalize_committed(evutil_socket_t fd, short what, void *arg);

/* workers.c: run(job) in a worker thread, then done(job) in the loop */
struct worker;
struct work {
	struct work *next;
	void (*run)(struct work *job, struct worker *w);
	void (*done)(struct srv *s, struct work *job);
};
int workers_start(struct srv *s);
void workers_stop(struct srv *s);
void workers_reload(struct srv *s); /* SIGHUP: templates are read again */
void work_submit(struct srv *s, struct work *job);
const struct template *worker_template(struct worker *w, const char *name); /* NULL: diag */

/* tlscert.c (the signer): the front's certificate, made, kept, sent, renewed */
int tls_setup(struct srv *s);
int tls_send(struct srv *s);
void tls_forget(struct srv *s);
void tls_renew(evutil_socket_t fd, short what, void *arg);

#endif
