/*
 * The ACME server (RFC 8555): JWS and JWK, the objects it keeps in the
 * store (accounts, EAB keys, orders, authorizations with their challenges),
 * problem documents, validation and the HTTP front. Everything below the
 * HTTP layer is plain functions on buffers and JSON, so tests and fuzzers
 * reach it without a server.
 */
#ifndef MINICA_ACME_H
#define MINICA_ACME_H

#include <openssl/evp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "issue/issue.h"
#include "common/common.h"

struct json_t;

/* ---- problem types (problem.c), RFC 8555 section 6.7 ---- */
enum acme_problem {
	ACME_OK = 0,
	ACME_MALFORMED,
	ACME_BAD_NONCE,
	ACME_UNAUTHORIZED,
	ACME_BAD_SIGNATURE_ALGORITHM,
	ACME_ACCOUNT_DOES_NOT_EXIST,
	ACME_REJECTED_IDENTIFIER,
	ACME_UNSUPPORTED_IDENTIFIER,
	ACME_BAD_CSR,
	ACME_ORDER_NOT_READY,
	ACME_SERVER_INTERNAL,
	ACME_EAB_REQUIRED,
	ACME_INCORRECT_RESPONSE,
	ACME_CONNECTION,
	ACME_DNS,
	ACME_TLS,
	ACME_ALREADY_REVOKED,
	ACME_BAD_REVOCATION_REASON,
	ACME_BAD_PUBLIC_KEY,
	ACME_UNSUPPORTED_CONTACT,
	ACME_NOT_FOUND, /* not an ACME type: a plain 404 */
	ACME_METHOD,    /* 405 */
	ACME_TOO_LARGE, /* malformed, 413 */
	ACME_RATE_LIMITED,
};
const char *acme_problem_type(enum acme_problem p); /* "urn:ietf:params:acme:error:..." */
int acme_problem_status(enum acme_problem p);       /* HTTP status */
struct json_t *acme_problem_json(enum acme_problem p, const char *detail);
/* The problem document as text (detail from fmt), malloc'ed; "{}" when out of memory */
char *acme_problem_text(enum acme_problem p, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* ---- base64url (b64url.c) ---- */
char *b64url_encode(const unsigned char *data, size_t len); /* malloc'ed, NULL: no memory */
int b64url_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

/* ---- JWK (jwk.c) ---- */
int jwk_to_pkey(struct json_t *jwk, EVP_PKEY **out, const char **why); /* 0 or -1 */
char *jwk_thumbprint(struct json_t *jwk); /* RFC 7638, base64url, malloc'ed */
struct json_t *jwk_public(struct json_t *jwk);

/* ---- JWS (jws.c) ---- */
struct jws {
	struct json_t *header;  /* the decoded protected header */
	struct json_t *payload; /* NULL for POST-as-GET (empty payload) */
	unsigned char *signing_input;
	size_t signing_input_len;
	unsigned char *sig;
	size_t sig_len;
	const char *alg, *nonce, *url, *kid; /* borrowed from header */
	struct json_t *jwk;                  /* borrowed from header */
};
/* 0, or an acme_problem with *why; j is released on failure. */
int jws_parse(const char *body, size_t len, struct jws *j, const char **why);
int jws_verify(const struct jws *j, EVP_PKEY *key, const char **why);
int jws_alg_known(const char *alg);
int jws_verify_hmac(const struct jws *j, const unsigned char *key, size_t key_len); /* HS256 */
void jws_release(struct jws *j);
int hmac_sha256(const unsigned char *key, size_t key_len, const unsigned char *data,
		size_t len, unsigned char out[32]);

/* ---- nonces (nonce.c): in memory, each good once, a bounded window ---- */
struct acme_nonces;
struct acme_nonces *nonces_new(void);
void nonces_free(struct acme_nonces *n);
char *nonce_issue(struct acme_nonces *n); /* malloc'ed */
int nonce_use(struct acme_nonces *n, const char *nonce); /* 0, or -1 when unknown or used */

/* ---- identifiers for objects; the store's keys (objects.c) ---- */
#define ACME_ID_LEN 22 /* 16 random bytes, base64url */
int acme_id_new(char out[ACME_ID_LEN + 1]);
/* len random bytes whose base64url does not start with '-'; 0, or -1 */
int acme_random_no_dash(unsigned char *raw, size_t len);
enum acme_kind { KIND_ACCOUNT = 'a', KIND_EAB = 'e', KIND_ORDER = 'o', KIND_AUTHZ = 'z',
		 KIND_THUMB = 't', KIND_CERT = 'c', KIND_PROVED = 'v' };
/* Objects are versioned JSON documents ("v": 1). *out NULL when absent. */
int acme_obj_get(store *st, int kind, const char *id, struct json_t **out);
int acme_obj_txn_get(store_txn *txn, int kind, const char *id, struct json_t **out);
int acme_obj_put(store_txn *txn, int kind, const char *id, struct json_t *obj, int is_new);
typedef int (*acme_obj_fn)(const char *id, struct json_t *obj, void *ctx);
int acme_obj_scan(store *st, int kind, acme_obj_fn fn, void *ctx);

/* ---- names an account proved control of (authz.c) ---- */
/* In the transaction that makes authz valid: (its account, its name) -> authz_id. */
int authz_index_put(store_txn *txn, const char *authz_id, struct json_t *authz);
/* 1 when the account holds a valid authorization for name unexpired at now, 0 if not, -1. */
int authz_proves(store *st, const char *account, const char *name, int64_t now);

/* ---- EAB keys (eab.c) ---- */
#define EAB_KEY_LEN 32
/* The HMAC key at rest: AES-256-GCM under a key derived from the CA's (ca unlocked). */
int eab_seal(const struct ca *ca, const char *kid, const unsigned char key[EAB_KEY_LEN],
	     char **sealed);
int eab_open(const struct ca *ca, const char *kid, const char *sealed,
	     unsigned char key[EAB_KEY_LEN]);

/* ---- which names an account may order (names.c) ---- */
int acme_name_under(const char *name, const char *suffix); /* 1 when name is suffix or below */
/* NULL when allowed, else why not (static text). */
const char *acme_name_refused(const struct ca *ca, struct json_t *suffixes, const char *name);

/* ---- the server (server.c) ---- */
struct acme_server_options {
	char **listen;
	size_t n_listen;
	char **server_names;
	size_t n_server_names;
	const char *template_name;
	int eab_required;
	long http01_port;
	long tlsalpn01_port;
	const char *resolver;
	const char *pid_file;
	long validation_timeout; /* seconds */
	long request_timeout;    /* seconds for a whole request (conn.c) */
	long max_connections;
	long max_per_address;
	const char *front_user;  /* started as root: the front runs as this user */
	long sign_budget;        /* certificates the signer signs per minute at most */
	long max_validations;             /* in progress, in total */
	long max_validations_per_account; /* in progress */
	long max_pending_authz;           /* per account */
};
/*
 * serve (docs/serve-processes.md): the signer runs in this process with the
 * store; it starts the front as a new program image (this binary again,
 * with $MINICA_SERVE_FRONT naming its end of the socketpair), which calls
 * acme_front and never opens the store.
 */
int acme_serve(store *st, const struct acme_server_options *o);
int acme_front(const struct acme_server_options *o, int chan_fd, const char *store_dir);
#define ACME_FRONT_ENV "MINICA_SERVE_FRONT"
int acme_resolver_ok(const char *text); /* 1: an IPv4 ADDRESS[:PORT] (resolver.c) */

/* ---- its systemd service (unit.c) ---- */
struct acme_unit {
	const char *dir;       /* where to write minica-serve.service */
	int force;
	const char *store;     /* absolute */
	const char *pass_file; /* absolute, for LoadCredential=; NULL: no passphrase */
	const char *pin_file;  /* absolute, LoadCredential=minica-pin: the CA key is on a token */
	char **words;          /* ExecStart= */
	size_t n_words;
	int low_port;          /* a --listen port under 1024 */
	long open_files;       /* LimitNOFILE= */
	long stop_seconds;     /* TimeoutStopSec= (at least 30) */
};
int acme_unit_write(const struct acme_unit *u);

#endif
