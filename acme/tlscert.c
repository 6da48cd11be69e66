/*
 * The server's own TLS certificate: a fresh EC P-256 key and a short-lived
 * certificate (ACME_TLS_DAYS, template tls-server) from the store's CA for
 * localhost, every listen address and every --server-name, made at start in
 * memory only (it is not a record: it would crowd `list` with one per
 * start); an audit entry names it. A timer renews it at half its life. The
 * signer makes it and sends it to the front (P_TLS), which serves with it.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define TLS_CHECK_SECONDS (6 * 3600)

static int add_host(struct hostlist *h, const struct ca *ca, const char *name, int explicit)
{
	char *norm = NULL;
	const char *refused;
	int is_ip = 0, inside;
	size_t i;

	if (!strcmp(name, "0.0.0.0") || !strcmp(name, "::") || !strcmp(name, "[::]"))
		return 0; /* a wildcard address is not a name clients use */
	if (host_check(name, 0, &norm, &is_ip) != 0)
		return EX_DATAERR;
	if (is_ip && (refused = ca_ip_refusal(ca, norm))) {
		/* a name-constrained CA without --permit-ip may certify no address */
		warning("serve: listen address %s is outside the CA's name constraints (%s): left "
			"out of the server's certificate, so clients must reach the server by a "
			"--server-name (a CA made with --permit-ip CIDR may certify addresses)",
			norm, refused);
		free(norm);
		return 0;
	}
	inside = is_ip || ca->n_permitted == 0;
	for (i = 0; !inside && i < ca->n_permitted; i++)
		inside = acme_name_under(norm, ca->permitted[i]);
	if (!inside) {
		if (explicit)
			warning("serve: --server-name %s is outside the CA's name constraints: left out "
				"of the server's certificate",
				norm);
		free(norm);
		return 0;
	}
	for (i = 0; i < h->n; i++) {
		if (!strcmp(h->names[i], norm)) {
			free(norm);
			return 0;
		}
	}
	h->names[h->n] = norm;
	h->is_ip[h->n++] = (unsigned char)is_ip;
	return 0;
}

static int server_hosts(struct srv *s, struct hostlist *h)
{
	size_t i, max = 1 + s->o->n_listen + s->o->n_server_names;
	int rc;

	h->names = calloc(max, sizeof(char *));
	h->is_ip = calloc(max, 1);
	h->qualified = calloc(max, 1);
	if (!h->names || !h->is_ip || !h->qualified)
		return fail(EX_OSERR, "out of memory");
	for (i = 0; i < s->o->n_server_names; i++)
		if ((rc = add_host(h, &s->ca, s->o->server_names[i], 1)))
			return rc;
	if ((rc = add_host(h, &s->ca, "localhost", 0)))
		return rc;
	for (i = 0; i < s->o->n_listen; i++) {
		char addr[256];
		const char *colon = strrchr(s->o->listen[i], ':');
		size_t n = colon ? (size_t)(colon - s->o->listen[i]) : 0;

		if (!n || n >= sizeof(addr))
			continue;
		memcpy(addr, s->o->listen[i], n);
		addr[n] = '\0';
		if ((rc = add_host(h, &s->ca, addr, 1)))
			return rc;
	}
	for (i = 0; i < h->n && h->is_ip[i]; i++)
		;
	if (i == h->n)
		return fail(EX_USAGE, "the server's certificate would have no DNS name (the CA's name "
				      "constraints leave out localhost): give --server-name NAME");
	if (i > 0) {
		/* the first name is the subject's CN: a DNS name, never an address */
		char *first = h->names[i];

		h->names[i] = h->names[0];
		h->names[0] = first;
		h->is_ip[i] = 1;
		h->is_ip[0] = 0;
	}
	return 0;
}

struct audit_ctx {
	char detail[600];
};

static int audit_fn(store_txn *txn, void *vctx)
{
	struct store_audit a = {0};

	a.action = (char *)"serve certificate";
	a.detail = ((struct audit_ctx *)vctx)->detail;
	return store_txn_audit(txn, &a);
}

/* The chain (leaf, CA) and the key as PEM, kept to be sent to each front that starts. */
static int keep_pem(struct srv *s, X509 *leaf, EVP_PKEY *key)
{
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	char *chain = NULL, *pkey = NULL, *p;
	long n;
	int rc = EX_SOFTWARE;

	if (!cb || !kb || PEM_write_bio_X509(cb, leaf) != 1 || PEM_write_bio_X509(cb, s->ca.cert) != 1 ||
	    PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1) {
		rc = fail_ssl(EX_SOFTWARE, "cannot encode the server's certificate");
		goto out;
	}
	if ((n = BIO_get_mem_data(cb, &p)) <= 0 || !(chain = strndup(p, (size_t)n)) ||
	    (n = BIO_get_mem_data(kb, &p)) <= 0 || !(pkey = strndup(p, (size_t)n))) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	tls_forget(s);
	s->tls_chain_pem = chain;
	s->tls_key_pem = pkey;
	chain = pkey = NULL;
	rc = 0;
out:
	free(chain);
	if (pkey)
		OPENSSL_clear_free(pkey, strlen(pkey));
	BIO_free(cb);
	BIO_free_all(kb);
	return rc;
}

void tls_forget(struct srv *s)
{
	free(s->tls_chain_pem);
	if (s->tls_key_pem)
		OPENSSL_clear_free(s->tls_key_pem, strlen(s->tls_key_pem));
	s->tls_chain_pem = s->tls_key_pem = NULL;
}

int tls_send(struct srv *s)
{
	struct proto_out o;

	proto_begin(&o, P_TLS, 0);
	proto_add_str(&o, T_CERT_PEM, s->tls_chain_pem);
	proto_add_str(&o, T_KEY_PEM, s->tls_key_pem);
	return proto_send(s->chan, &o);
}

/* A new key and certificate for the front (new connections use them). */
static int make_cert(struct srv *s)
{
	struct hostlist hosts = {0};
	struct leaf_spec spec = {0};
	struct keyspec ks = {1, 0, "P-256"};
	struct audit_ctx ac;
	const struct template *tpl;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	int64_t nb = 0, na = 0;
	char hex[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF];
	size_t i, used;
	int rc;

	if (!(tpl = srv_template(s, "tls-server"))) {
		rc = EX_DATAERR;
		goto out;
	}
	if ((rc = server_hosts(s, &hosts)) || (rc = keyspec_generate(&ks, &key)))
		goto out;
	spec.hosts = &hosts;
	spec.tpl = tpl;
	spec.days = ACME_TLS_DAYS;
	spec.key = key;
	if ((rc = serial_random(spec.serial)) || (rc = leaf_build(&s->ca, &spec, &leaf)))
		goto out;
	if ((rc = keep_pem(s, leaf, key)))
		goto out;
	x509_times(leaf, &nb, &na);
	s->tls_not_after = na;
	serial_hex(spec.serial, hex);
	used = (size_t)snprintf(ac.detail, sizeof(ac.detail), "serial=%s not_after=%s names=", hex,
				fmt_time_iso(na, when));
	for (i = 0; i < hosts.n && used < sizeof(ac.detail); i++)
		used += (size_t)snprintf(ac.detail + used, sizeof(ac.detail) - used, "%s%s",
					 i ? "," : "", hosts.names[i]);
	rc = store_write(s->st, audit_fn, &ac);
out:
	hostlist_free(&hosts);
	EVP_PKEY_free(key);
	X509_free(leaf);
	return rc;
}

void tls_renew(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct timeval tv = {TLS_CHECK_SECONDS, 0};

	(void)fd;
	(void)what;
	if (s->tls_not_after - now_utc() < (int64_t)ACME_TLS_DAYS * 86400 / 2 &&
	    (make_cert(s) != 0 || tls_send(s) != 0))
		warning("serve: the server's certificate could not be renewed; trying again in %d "
			"hours",
			TLS_CHECK_SECONDS / 3600);
	evtimer_add(s->tls_timer, &tv);
}

int tls_setup(struct srv *s)
{
	struct timeval tv = {TLS_CHECK_SECONDS, 0};
	int rc;

	if ((rc = make_cert(s)))
		return rc;
	s->tls_timer = evtimer_new(s->base, tls_renew, s);
	if (!s->tls_timer || evtimer_add(s->tls_timer, &tv) != 0)
		return fail(EX_OSERR, "out of memory");
	return 0;
}
