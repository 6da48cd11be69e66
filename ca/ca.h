/*
 * The CA: its certificate history, its key (encrypted at rest), and the
 * X.509 helpers every part of minica shares.
 */
#ifndef MINICA_CA_H
#define MINICA_CA_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "store/store.h"

/* ---- key types: "rsa:2048", "ec:P-256", ... (keyspec.c) ---- */
struct keyspec {
	int is_ec;
	int bits;          /* RSA modulus size */
	const char *curve; /* "P-256" / "P-384" */
};
int keyspec_parse(const char *text, struct keyspec *out); /* 0 or -1, no message */
int keyspec_generate(const struct keyspec *spec, EVP_PKEY **out);
const char *keyspec_name(const struct keyspec *spec, char buf[16]);
const char *key_describe(const EVP_PKEY *key, char buf[32]); /* "RSA 4096", "EC P-256" */
const EVP_MD *key_default_digest(const EVP_PKEY *key);

/* ---- PKCS#8 at rest (keycrypt.c) ---- */
#define CA_KDF_ITERATIONS 600000
int pkcs8_encrypt(EVP_PKEY *key, const char *pass, size_t passlen, int iterations,
		  unsigned char **der, size_t *len);
/* 0, EX_NOPERM when the passphrase is wrong, EX_IOERR when the blob is damaged */
int pkcs8_decrypt(const unsigned char *der, size_t len, const char *pass, size_t passlen,
		  EVP_PKEY **out);
int pkcs8_plain(EVP_PKEY *key, unsigned char **der, size_t *len);
int pkcs8_plain_parse(const unsigned char *der, size_t len, EVP_PKEY **out);
int pem_private_key(EVP_PKEY *key, unsigned char **pem, size_t *len); /* PKCS#8 PEM */
void secret_free(unsigned char *p, size_t len);

/* ---- X.509 helpers (x509util.c) ---- */
#define THUMBPRINT_HEX 41
int x509_from_der(const void *der, size_t len, X509 **out);
int x509_to_der(X509 *cert, unsigned char **der, size_t *len);
int x509_to_pem(X509 *cert, char **pem, size_t *len);
void x509_thumbprint(X509 *cert, char out[THUMBPRINT_HEX]); /* SHA-1, upper-case hex */
void x509_sha256(X509 *cert, char out[65]);
int serial_random(unsigned char out[STORE_SERIAL_LEN]);
int serial_set(X509 *cert, const unsigned char serial[STORE_SERIAL_LEN]);
int serial_get(X509 *cert, unsigned char out[STORE_SERIAL_LEN]);
int serial_parse(const char *text, unsigned char out[STORE_SERIAL_LEN]); /* 0 or -1 */
void serial_hex(const unsigned char serial[STORE_SERIAL_LEN], char out[2 * STORE_SERIAL_LEN + 1]);
int x509_times(X509 *cert, int64_t *not_before, int64_t *not_after);
int x509_set_times(X509 *cert, int64_t not_before, int64_t not_after);
int x509_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value);
int x509_add_key_ids(X509 *cert, X509 *issuer);
char *x509_name_text(const X509_NAME *name); /* RFC 2253, malloc'ed */
int64_t add_years(int64_t t, int years);

/* ---- name constraints (nameconstraints.c) ---- */
struct ip_range {
	unsigned char addr[16], mask[16];
	int len; /* 4 (IPv4) or 16 (IPv6) */
};
#define IP_RANGE_TEXT 96
/* CIDR or a bare address; 0, or -1 with *why set (no message printed) */
int ip_range_parse(const char *text, struct ip_range *out, const char **why);
/* every text of an option (--permit-ip) into a malloc'ed array; EX_USAGE after a message */
int ip_ranges_parse(const char *option, char *const *texts, size_t n, struct ip_range **out);
const char *ip_range_text(const struct ip_range *r, char buf[IP_RANGE_TEXT]);
/* The nameConstraints value in openssl.cnf syntax; no IP range: every address excluded */
int nc_config(char *const *dns, size_t n_dns, const struct ip_range *ip, size_t n_ip, char **out);

/* ---- the CA of a store (ca.c) ---- */
struct ca {
	store *st;
	X509 *cert;           /* newest CA certificate */
	uint32_t version;     /* its version number in the store */
	uint32_t n_versions;
	EVP_PKEY *key;        /* set by ca_unlock */
	unsigned char wrap_pass[65]; /* hex; protects kept leaf keys (ca_unlock) */
	char *domain;         /* default DNS domain, NULL when none */
	int constrained;      /* the certificate has nameConstraints */
	char **permitted;     /* DNS nameConstraints permitted subtrees */
	size_t n_permitted;
	struct ip_range *ip_permitted, *ip_excluded; /* iPAddress subtrees */
	size_t n_ip_permitted, n_ip_excluded;
	int nc_other;         /* subtrees of other kinds (excluded DNS, e-mail, ...) */
	int key_protected;    /* 0 when created with --no-passphrase */
	char *key_uri;        /* the key is on a PKCS#11 token (meta ca.key.uri), else NULL */
	struct ca_token *token; /* its open session, set by ca_unlock */
};
int ca_load(store *st, struct ca *ca);
int ca_load_name_constraints(struct ca *ca); /* nameconstraints.c, called by ca_load */
void ca_name_constraints_free(struct ca *ca);
/* 0 when the CA may certify this IP address (text form), else EX_DATAERR after a message */
int ca_ip_check(const struct ca *ca, const char *ip);
/* the same without a message: NULL when allowed, else why not */
const char *ca_ip_refusal(const struct ca *ca, const char *ip);
/* DNS constraints but nothing about IP addresses: a CA created before --permit-ip */
int ca_ip_unconstrained(const struct ca *ca);
const char *ca_ip_unconstrained_fix(void); /* what that means and what to do, one sentence */
int ca_unlock(struct ca *ca);
void ca_release(struct ca *ca);
int ca_wrap_leaf_key(const struct ca *ca, EVP_PKEY *key, unsigned char **der, size_t *len);
int ca_unwrap_leaf_key(const struct ca *ca, const unsigned char *der, size_t len,
		       EVP_PKEY **out);
int ca_sign(const struct ca *ca, X509 *cert, const EVP_MD *md);
int ca_verify_leaf(const struct ca *ca, X509 *leaf, int allow_sha1, const char **why);
/*
 * ---- the CA key on a PKCS#11 token (pkcs11.c) ----
 * token_open finds the token an RFC 7512 URI names (module-path=, else
 * p11-kit's registered modules) and opens a session without logging in.
 * Errors have printed their message: EX_USAGE a bad URI, EX_NOINPUT token or
 * module missing, EX_NOPERM a wrong or locked PIN (tried once), EX_DATAERR a
 * key type or operation the token refuses, EX_UNAVAILABLE anything else.
 */
struct ca_token;
enum { TOKEN_PIN_OK, TOKEN_PIN_TRIED, TOKEN_PIN_LOCKED };
int token_open(const char *uri, struct ca_token **out);
const char *token_uri(const struct ca_token *t);
int token_pin_state(const struct ca_token *t); /* from the token's flags, no login */
int token_login(struct ca_token *t, const char *pin, size_t pinlen);
/* The private key the URI names (logged in), as an EVP_PKEY valid until token_close;
 * EX_NOINPUT silently when absent */
int token_key(struct ca_token *t, EVP_PKEY **out);
/* 0 when the URI's public key object is expected, 1 when it differs, EX_NOINPUT when absent */
int token_public_matches(struct ca_token *t, EVP_PKEY *expected);
int token_generate(struct ca_token *t, const struct keyspec *spec); /* non-extractable */
int token_import(struct ca_token *t, EVP_PKEY *key);                /* non-extractable */
int token_remove_key(struct ca_token *t); /* undoes token_generate/token_import */
/* The sealing secret: a non-extractable HMAC key; out = HMAC-SHA256(secret, context) */
char *token_seal_label(const struct ca_token *t); /* malloc'ed */
/* 0 when made or there already; EX_CONFIG, no message, when the token keeps no such key */
int token_seal_make(struct ca_token *t, const char *label);
/* EX_CONFIG, no message, when the token will not compute the HMAC */
int token_seal_prf(struct ca_token *t, const char *label, const char *context,
		   unsigned char out[32]);
void token_close(struct ca_token *t);

/*
 * ---- a token-held CA key in the store (tokenkey.c) ----
 * Meta keys: ca.key.uri, ca.key.public (SubjectPublicKeyInfo DER),
 * ca.key.seal (the sealing secret's label, or CA_SEAL_RSA), ca.key.wrap (the
 * leaf-key wrapping secret, AES-256-GCM under HMAC(sealing secret), or under
 * SHA-256 of the RSA CA key's PKCS#1 v1.5 signature for a token that keeps no
 * secret keys); ca.key.protection "pkcs11".
 */
#define CA_WRAP_LEN 32
#define CA_SEAL_RSA "rsa-pkcs1-sha256 signature" /* never a token_seal_label */
struct ca_token_meta {
	const char *uri, *seal_label;
	unsigned char *pub, *wrap;
	size_t pub_len, wrap_len;
};
/* Opens the token of uri and logs in with the PIN (pass.c's pin_get) */
int ca_token_login(const char *uri, struct ca_token **out);
/* Seals wrap (CA_WRAP_LEN bytes) for the store; fills m (free with ca_token_meta_free) */
int ca_token_meta_make(struct ca_token *t, EVP_PKEY *key, EVP_PKEY *pub,
		       const unsigned char *wrap, struct ca_token_meta *m);
void ca_token_meta_free(struct ca_token_meta *m);
int ca_unlock_token(struct ca *ca); /* ca_unlock for a token-held key */
/* The wrapping secret of a file-held key (ca_unlock derives it so), raw bytes */
int ca_file_wrap_secret(EVP_PKEY *key, unsigned char out[CA_WRAP_LEN]);
/* ca move-key: the unlocked file key onto the token of uri; the store then holds none */
int ca_move_key(struct ca *ca, const char *uri, const char *backup);
/*
 * For check and store verify: the token is there and holds the CA
 * certificate's key; with try_login (check), its PIN is neither locked nor
 * counting down, and with a PIN file (never a prompt) one login succeeds. 0, or an exit code
 * with *problem the malloc'ed message (also printed).
 */
int ca_token_probe(const char *uri, X509 *cert, int try_login, char **problem);

/* ---- a new CA (create.c) ---- */
struct ca_new {
	const char *name, *org;  /* subject CN and O (org may be NULL) */
	long years;              /* 0: 20 */
	char *const *permit;     /* DNS nameConstraints permitted subtrees, normalised */
	size_t n_permit;
	const struct ip_range *permit_ip; /* iPAddress permitted subtrees */
	size_t n_permit_ip;
	const char *domain;      /* default DNS domain, normalised; NULL when none */
	const char *key_name;    /* "rsa:4096": for the audit entry */
};
int ca_build_cert(const struct ca_new *spec, EVP_PKEY *key, X509 **out);
/* A new store at dir holding cert and key (encrypted with pass; NULL: stored unencrypted). */
int ca_create(const char *dir, const struct ca_new *spec, EVP_PKEY *key, X509 *cert,
	      const char *pass, size_t passlen, store **out);
/* The same for a key on a token: the store keeps only m */
int ca_create_token(const char *dir, const struct ca_new *spec, const struct ca_token_meta *m,
		    X509 *cert, store **out);
/* extend.c: the next CA version, valid until not_after (later than now: the caller checks). */
int ca_extend_until(struct ca *ca, int64_t not_after, X509 **out);
/* The same with nc (a nameConstraints value in openssl.cnf syntax) replacing the CA's. */
int ca_extend_constrained(struct ca *ca, int64_t not_after, const char *nc, X509 **out);

/* ---- revocation reasons and CRLs (crl.c) ---- */
#define CRL_NUMBER_KEY "crl.number"           /* meta: the last CRL number, decimal */
#define CRL_LAST_UPDATE_KEY "crl.last_update" /* meta: its thisUpdate, decimal seconds */
#define CRL_DAYS_DEFAULT 30
#define CRL_DAYS_MAX 3650
/* 0, or -1 when unknown (*refused NULL) or not accepted (*refused says why) */
int crl_reason_parse(const char *name, int *code, const char **refused);
const char *crl_reason_list(void);
struct crl_result {
	X509_CRL *crl;
	uint64_t number;
	int64_t this_update, next_update;
	size_t entries;      /* revoked certificates on this CRL */
	size_t first_listed; /* of which on a CRL for the first time */
	size_t dropped;      /* expired ones left out (listed by a CRL after their notAfter) */
};
/* Builds, numbers, signs and records a CRL in one write transaction; ca unlocked. */
int crl_issue(const struct ca *ca, long days, int64_t now, struct crl_result *out);
void crl_result_release(struct crl_result *r);
int crl_encode(X509_CRL *crl, int der, unsigned char **data, size_t *len);
/*
 * ---- store verify: the X.509 checks behind store_verify() (verify.c) ----
 * Each problem is one line passed to problem(); 0 when the walk completed.
 */
int ca_verify_store(store *st, void (*problem)(void *ctx, const char *line), void *ctx,
		    struct store_verify_counts *counts);

#endif
