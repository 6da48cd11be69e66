/*
 * tls-alpn-01 (RFC 8737), validated from the server in a short-lived thread:
 * the name's IPv4 address (through --resolver when given, else the system's
 * resolver), a TLS connection to it on --tlsalpn01-port offering only the
 * ALPN protocol "acme-tls/1" with the name as SNI, and the certificate that
 * comes back must hold exactly one subjectAltName, the name, and a critical
 * acmeIdentifier extension with the SHA-256 of the key authorization. The
 * certificate is not otherwise verified: the client made it for this
 * handshake alone. Connecting and the handshake share one deadline
 * (--validation-timeout), and the server's certificates may take 16 KiB.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "validate.h"

#define ACME_TLS_ALPN "acme-tls/1"
#define ID_PE_ACME_IDENTIFIER "1.3.6.1.5.5.7.1.31"
#define MAX_CERT_LIST 16384

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The detail names the address tried: "NAME:PORT: what went wrong". */
static int fail_job(struct vjob *j, enum acme_problem p, const char *what)
{
	j->ok = 0;
	j->problem = p;
	snprintf(j->detail, sizeof(j->detail), "%s:%ld: %s", j->name, j->s->o->tlsalpn01_port,
		 what);
	return -1;
}

/* The name's first IPv4 address. */
static int resolve(struct vjob *j, struct in_addr *addr)
{
	int found = 0;

	if (j->s->o->resolver) { /* checked by validate_setup */
		struct __res_state rs;
		unsigned char answer[2048];
		ns_msg msg;
		ns_rr rr;
		int n, i;

		if (validate_res_init(j, &rs) != 0)
			return fail_job(j, ACME_DNS, "cannot set up the DNS resolver");
		n = res_nquery(&rs, j->name, ns_c_in, ns_t_a, answer, sizeof(answer));
		if (n >= 0 && ns_initparse(answer, n, &msg) == 0)
			for (i = 0; i < ns_msg_count(msg, ns_s_an) && !found; i++)
				if (ns_parserr(&msg, ns_s_an, i, &rr) == 0 &&
				    ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4) {
					memcpy(addr, ns_rr_rdata(rr), 4);
					found = 1;
				}
		res_nclose(&rs);
	} else {
		struct addrinfo hints, *res = NULL;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(j->name, NULL, &hints, &res) == 0 && res) {
			*addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
			found = 1;
		}
		if (res)
			freeaddrinfo(res);
	}
	return found ? 0 : fail_job(j, ACME_DNS, "no IPv4 address for the name");
}

/* Waits until fd is ready for events, or the deadline passes (0). */
static int wait_for(int fd, short events, int64_t deadline)
{
	struct pollfd p = {fd, events, 0};
	int64_t left;
	int n;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)left);
	} while (n < 0 && errno == EINTR);
	return n > 0;
}

static int connect_by(struct vjob *j, const struct in_addr *addr, int64_t deadline)
{
	struct sockaddr_in sin;
	int fd, err = 0;
	socklen_t len = sizeof(err);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = *addr;
	sin.sin_port = htons((unsigned short)j->s->o->tlsalpn01_port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_job(j, ACME_CONNECTION, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	if (errno != EINPROGRESS)
		err = errno;
	else if (!wait_for(fd, POLLOUT, deadline))
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err) {
		close(fd);
		return fail_job(j, ACME_CONNECTION, strerror(err));
	}
	return fd;
}

/* The TLS handshake, non-blocking against the deadline. */
static int handshake(struct vjob *j, SSL *ssl, int fd, int64_t deadline)
{
	for (;;) {
		int rc = SSL_connect(ssl), e;

		if (rc == 1)
			return 0;
		e = SSL_get_error(ssl, rc);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    !wait_for(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
			char why[160] = "timed out", what[200];
			unsigned long err = ERR_peek_last_error();

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				if (err)
					ERR_error_string_n(err, why, sizeof(why));
				else
					snprintf(why, sizeof(why), "the connection was closed");
			}
			ERR_clear_error();
			snprintf(what, sizeof(what), "the TLS handshake failed: %s", why);
			return fail_job(j, ACME_TLS, what);
		}
	}
}

static int san_is_only(X509 *cert, const char *name)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	const GENERAL_NAME *g;
	int ok = 0;

	if (names && sk_GENERAL_NAME_num(names) == 1) {
		g = sk_GENERAL_NAME_value(names, 0);
		ok = g->type == GEN_DNS && (size_t)ASN1_STRING_length(g->d.dNSName) == strlen(name) &&
		     !strncasecmp((const char *)ASN1_STRING_get0_data(g->d.dNSName), name,
				  strlen(name));
	}
	GENERAL_NAMES_free(names);
	return ok;
}

/* 1: one critical acmeIdentifier extension, OCTET STRING (SIZE (32)), the digest. */
static int acme_identifier_is(X509 *cert, const unsigned char digest[32])
{
	ASN1_OBJECT *oid = OBJ_txt2obj(ID_PE_ACME_IDENTIFIER, 1);
	ASN1_OCTET_STRING *inner = NULL;
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *value;
	const unsigned char *p;
	int at, ok = 0;

	if (!oid)
		return 0;
	at = X509_get_ext_by_OBJ(cert, oid, -1);
	if (at < 0 || X509_get_ext_by_OBJ(cert, oid, at) >= 0)
		goto out;
	ext = X509_get_ext(cert, at);
	value = X509_EXTENSION_get_data(ext);
	if (!X509_EXTENSION_get_critical(ext) || !value)
		goto out;
	p = value->data;
	inner = d2i_ASN1_OCTET_STRING(NULL, &p, value->length);
	ok = inner && p == value->data + value->length && ASN1_STRING_length(inner) == 32 &&
	     CRYPTO_memcmp(ASN1_STRING_get0_data(inner), digest, 32) == 0;
out:
	ASN1_OCTET_STRING_free(inner);
	ASN1_OBJECT_free(oid);
	return ok;
}

void tlsalpn01_check(struct vjob *j)
{
	static const unsigned char alpn[] = "\x0a" ACME_TLS_ALPN;
	int64_t deadline = now_ms() + j->s->validation_timeout * 1000;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *cert = NULL;
	struct in_addr addr;
	const unsigned char *chosen = NULL;
	unsigned int chosen_len = 0;
	int fd = -1;

	if (resolve(j, &addr) != 0 || (fd = connect_by(j, &addr, deadline)) < 0)
		goto out;
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx)
		SSL_CTX_set_max_cert_list(ctx, MAX_CERT_LIST);
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !(ssl = SSL_new(ctx)) || !SSL_set_fd(ssl, fd) ||
	    !SSL_set_tlsext_host_name(ssl, j->name) ||
	    SSL_set_alpn_protos(ssl, alpn, sizeof(alpn) - 1) != 0) {
		ERR_clear_error();
		fail_job(j, ACME_SERVER_INTERNAL, "cannot set up the TLS client");
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL); /* made for this handshake: checked below */
	if (handshake(j, ssl, fd, deadline) != 0)
		goto out;
	SSL_get0_alpn_selected(ssl, &chosen, &chosen_len);
	if (chosen_len != sizeof(alpn) - 2 || memcmp(chosen, ACME_TLS_ALPN, chosen_len)) {
		fail_job(j, ACME_TLS, "the server did not choose the ALPN protocol "
						    "acme-tls/1");
		goto out;
	}
	if (!(cert = SSL_get1_peer_certificate(ssl))) {
		fail_job(j, ACME_TLS, "the server sent no certificate");
		goto out;
	}
	if (!san_is_only(cert, j->name))
		fail_job(j, ACME_UNAUTHORIZED, "the certificate's subjectAltName is "
							     "not this name alone");
	else if (!acme_identifier_is(cert, j->keyauth_sha))
		fail_job(j, ACME_INCORRECT_RESPONSE,
			 "the certificate has no critical acmeIdentifier extension with the "
			 "expected digest");
	else
		j->ok = 1;
out:
	X509_free(cert);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
}
