/*
 * One SMTP session as a DANE sender has it (RFC 7672): connect, EHLO,
 * STARTTLS, and a TLS handshake verified by OpenSSL's own DANE code against
 * the published TLSA records (SSL_dane_enable, SSL_dane_tlsa_add). DANE-EE
 * records match without name checks, as RFC 7672 section 3.1.1 says; every
 * read, write and the connect itself are bounded by the timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/common.h"
#include "dane/dane.h"

static int connect_bounded(const char *addr, long port, int timeout)
{
	struct sockaddr_in sin = {0};
	struct timeval tv = {timeout, 0};
	int fd;

	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* Linux bounds connect() by the send timeout */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One reply (all its lines); its code, or -1. *starttls set when a line offers it. */
static int reply(int fd, int *starttls)
{
	char line[1024];
	size_t len = 0;
	int code = -1;

	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n != 1)
			return -1;
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len < 3)
			return -1;
		code = atoi(line);
		if (starttls && len >= 12 && !strncasecmp(line + 4, "STARTTLS", 8))
			*starttls = 1;
		if (len == 3 || line[3] == ' ')
			return code;
		len = 0;
	}
}

static int say(int fd, const char *text)
{
	size_t len = strlen(text);

	return write(fd, text, len) == (ssize_t)len ? 0 : -1;
}

static int smtp_starttls(int fd, struct dane_probe *out)
{
	int starttls = 0, code;

	if ((code = reply(fd, NULL)) != 220) {
		snprintf(out->why, sizeof(out->why), "no SMTP greeting (reply %d)", code);
		return PROBE_CONNECT;
	}
	if (say(fd, "EHLO minica-check.invalid\r\n") || (code = reply(fd, &starttls)) != 250) {
		snprintf(out->why, sizeof(out->why), "EHLO was refused (reply %d)", code);
		return PROBE_CONNECT;
	}
	if (!starttls) {
		snprintf(out->why, sizeof(out->why), "the server does not offer STARTTLS");
		return PROBE_NO_STARTTLS;
	}
	if (say(fd, "STARTTLS\r\n") || (code = reply(fd, NULL)) != 220) {
		snprintf(out->why, sizeof(out->why), "STARTTLS was refused (reply %d)", code);
		return PROBE_NO_STARTTLS;
	}
	return 0;
}

static int add_records(SSL *ssl, const struct tlsa_set *set)
{
	size_t i;
	int added = 0;

	for (i = 0; i < set->n; i++)
		/* 0: an unusable record (a usage OpenSSL does not take), skipped as RFC 7672 says */
		if (SSL_dane_tlsa_add(ssl, set->rr[i].usage, set->rr[i].selector, set->rr[i].mtype,
				      set->rr[i].data, set->rr[i].len) > 0)
			added++;
	return added;
}

/* What was served: the leaf's key digest, and those of the certificates sent with it. */
static void served(SSL *ssl, struct dane_probe *out)
{
	X509 *leaf = SSL_get1_peer_certificate(ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl); /* the leaf first, on a client */
	struct tlsa t;
	int i;

	if (leaf && tlsa_of_cert(leaf, TLSA_DANE_EE, &t) == 0)
		memcpy(out->served_ee, t.hex, sizeof(out->served_ee));
	for (i = 1; chain && i < sk_X509_num(chain) && out->n_chain < 4; i++)
		if (tlsa_of_cert(sk_X509_value(chain, i), TLSA_DANE_TA, &t) == 0)
			memcpy(out->chain_spki[out->n_chain++], t.digest, sizeof(t.digest));
	X509_free(leaf);
}

static int handshake(int fd, const char *name, const struct tlsa_set *set,
		     struct dane_probe *out)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	uint8_t usage, selector, mtype;
	long verify;
	int rc = PROBE_TLS;

	if (!(ctx = SSL_CTX_new(TLS_client_method())) || SSL_CTX_dane_enable(ctx) <= 0 ||
	    !(ssl = SSL_new(ctx)) || SSL_dane_enable(ssl, name) <= 0 || !SSL_set_fd(ssl, fd)) {
		snprintf(out->why, sizeof(out->why), "cannot set up TLS with DANE: %s", ssl_reason());
		goto out;
	}
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	/* the handshake completes whatever the records say; the result is read after it */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (add_records(ssl, set) == 0) {
		snprintf(out->why, sizeof(out->why), "no usable TLSA record (DANE-TA or DANE-EE) is "
						     "published");
		rc = PROBE_MISMATCH;
		goto out;
	}
	if (SSL_connect(ssl) != 1) {
		snprintf(out->why, sizeof(out->why), "TLS handshake failed: %s",
			 ERR_peek_error() ? ssl_reason() : strerror(errno));
		goto out;
	}
	served(ssl, out);
	verify = SSL_get_verify_result(ssl);
	if (verify == X509_V_OK && SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, NULL, NULL) >= 0) {
		out->matched_usage = usage;
		rc = PROBE_VERIFIED;
	} else {
		snprintf(out->why, sizeof(out->why), "the served certificate matches no published "
						     "TLSA record (%s)",
			 X509_verify_cert_error_string(verify));
		rc = PROBE_MISMATCH;
	}
	SSL_shutdown(ssl);
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return rc;
}

int dane_smtp_probe(const char *addr, long port, const char *name, const struct tlsa_set *set,
		    int timeout, struct dane_probe *out)
{
	int fd;

	memset(out, 0, sizeof(*out));
	out->matched_usage = -1;
	if ((fd = connect_bounded(addr, port, timeout)) < 0) {
		snprintf(out->why, sizeof(out->why), "cannot connect to %s port %ld: %s", addr, port,
			 strerror(errno));
		return out->result = PROBE_CONNECT;
	}
	if (!(out->result = smtp_starttls(fd, out)))
		out->result = handshake(fd, name, set, out);
	close(fd);
	return out->result;
}
