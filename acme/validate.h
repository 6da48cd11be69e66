/*
 * Shared by validate.c, resolver.c and tlsalpn.c only: one challenge being validated.
 */
#ifndef MINICA_ACME_VALIDATE_H
#define MINICA_ACME_VALIDATE_H

#include <event2/http.h>
#include <netinet/in.h>

#include "server.h"

enum vkind { V_HTTP01, V_DNS01, V_TLSALPN01 };

struct vjob {
	struct srv *s;
	struct vjob *next;              /* the front's jobs in progress (s->vjobs) */
	struct event *deadline;         /* --validation-timeout, for the whole validation */
	struct evhttp_request *req;     /* http-01: the request in flight */
	int abandoned;                  /* the deadline passed while a thread had it: the loop
					   frees it when the thread hands it back */
	char authz[ACME_ID_LEN + 1];
	size_t index;
	char key[ACME_ID_LEN + 8];
	char *name, *token;
	char *expected;                /* http-01 and dns-01: the text to find */
	unsigned char keyauth_sha[32]; /* tls-alpn-01: the acmeIdentifier's digest */
	enum vkind kind;
	struct evhttp_connection *conn;
	enum evhttp_request_error http_error;
	int have_error;
	/* the result */
	int ok;
	enum acme_problem problem;
	char detail[600];
};

/* resolver.c: --resolver as an IPv4 address and port (53 when not given) */
int resolver_addr(const char *text, struct sockaddr_in *sin);
/*
 * resolver.c: libresolv's state for a validating thread: --resolver when
 * given, else the system's servers; retries within the validation timeout.
 * 0, or -1 (nothing to close).
 */
struct __res_state;
int validate_res_init(const struct vjob *j, struct __res_state *rs);
/* validate.c: from a validating thread, hands the finished job to the loop */
void validate_post(struct vjob *j);

/* tlsalpn.c: connects, handshakes and checks; the result is left in j */
void tlsalpn01_check(struct vjob *j);

#endif
