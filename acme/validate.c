/*
 * Validating challenges from the server, each bounded in time and size.
 * http-01: GET http://NAME:PORT/.well-known/acme-challenge/TOKEN through
 * libevent's HTTP client, the name resolved by evdns (through --resolver
 * when given), no redirects followed, at most 8 KiB read. dns-01: the TXT
 * records of _acme-challenge.NAME, looked up with libresolv (res_nquery,
 * ns_parserr) in a short-lived thread, against --resolver or the system's
 * servers; the answer comes back to the event loop through a pipe.
 * tls-alpn-01: tlsalpn.c, in a thread of its own too.
 * This is the front's part: the signer asks (P_VALIDATE, challenge.c) and
 * records the verdict this file sends back (P_VERDICT).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "validate.h"

#define HTTP01_MAX_BODY 8192

static void vjob_free(struct vjob *j)
{
	if (!j)
		return;
	free(j->name);
	free(j->token);
	free(j->expected);
	if (j->deadline)
		event_free(j->deadline);
	free(j);
}

static const char *kind_name(const struct vjob *j)
{
	return j->kind == V_DNS01 ? "dns-01" : j->kind == V_HTTP01 ? "http-01" : "tls-alpn-01";
}

/* The verdict goes to the signer, which records it; the job leaves the list, not freed. */
static void send_verdict(struct vjob *j, int ok, enum acme_problem problem, const char *detail)
{
	struct proto_out o;
	struct vjob **p;

	proto_begin(&o, P_VERDICT, 0);
	proto_add_str(&o, T_AUTHZ, j->authz);
	proto_add_long(&o, T_INDEX, (long)j->index);
	proto_add_str(&o, T_OK, ok ? "1" : "0");
	if (!ok) {
		proto_add_long(&o, T_PROBLEM, (long)problem);
		proto_add_str(&o, T_DETAIL, detail);
	}
	if (proto_send(j->s->chan, &o) != 0)
		warning("serve: front: the result of validating %s could not be passed on", j->name);
	for (p = &j->s->vjobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			j->s->n_vjobs--;
			break;
		}
	if (j->deadline)
		event_free(j->deadline);
	j->deadline = NULL;
}

static void finish(struct vjob *j)
{
	send_verdict(j, j->ok, j->problem, j->detail);
	vjob_free(j);
}

/* ---- http-01 ---- */

static void free_conn(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(arg);
}

static void http_error(enum evhttp_request_error e, void *arg)
{
	struct vjob *j = arg;

	j->http_error = e;
	j->have_error = 1;
}

static const char *http_error_text(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT: return "timed out";
	case EVREQ_HTTP_EOF: return "the connection was closed";
	case EVREQ_HTTP_INVALID_HEADER: return "invalid response headers";
	case EVREQ_HTTP_BUFFER_ERROR: return "could not connect or read";
	case EVREQ_HTTP_DATA_TOO_LONG: return "the response is too long";
	default: return "the request failed";
	}
}

/*
 * The lookup's error when the name did not resolve, or 0: evhttp reports
 * such a failure as a closed connection, or as no response at all.
 */
static int http01_dns_error(struct vjob *j)
{
	struct bufferevent *bev = j->conn ? evhttp_connection_get_bufferevent(j->conn) : NULL;

	return bev ? bufferevent_socket_get_dns_error(bev) : 0;
}

static void http_done(struct evhttp_request *req, void *arg)
{
	struct vjob *j = arg;
	struct timeval now = {0, 0};
	int code = req ? evhttp_request_get_response_code(req) : 0;

	if (code == 0 && http01_dns_error(j)) {
		j->problem = ACME_DNS;
		snprintf(j->detail, sizeof(j->detail), "%s does not resolve (%s): there is no address "
						       "to fetch http://%s:%ld/.well-known/acme-challenge/"
						       "%s from",
			 j->name, evutil_gai_strerror(http01_dns_error(j)), j->name,
			 j->s->o->http01_port, j->token);
	} else if (code == 0) {
		j->problem = ACME_CONNECTION;
		snprintf(j->detail, sizeof(j->detail), "http://%s:%ld/.well-known/acme-challenge/%s: %s",
			 j->name, j->s->o->http01_port, j->token,
			 j->have_error ? http_error_text(j->http_error) : "no response");
	} else if (code != 200) {
		j->problem = ACME_UNAUTHORIZED;
		snprintf(j->detail, sizeof(j->detail), "http://%s:%ld/.well-known/acme-challenge/%s "
						       "answered %d",
			 j->name, j->s->o->http01_port, j->token, code);
	} else {
		struct evbuffer *b = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(b), e = strlen(j->expected);
		char *body = (char *)evbuffer_pullup(b, -1);

		while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' ' ||
			     body[n - 1] == '\t'))
			n--;
		j->ok = n == e && !memcmp(body, j->expected, e);
		if (!j->ok) {
			j->problem = ACME_INCORRECT_RESPONSE;
			snprintf(j->detail, sizeof(j->detail), "the key authorization served for %s is "
							       "not the expected one",
				 j->name);
		}
	}
	/* the connection cannot be freed inside its own callback */
	event_base_once(j->s->base, -1, EV_TIMEOUT, free_conn, j->conn, &now);
	j->conn = NULL;
	j->req = NULL;
	finish(j);
}

static int http01_start(struct vjob *j)
{
	struct srv *s = j->s;
	struct evhttp_request *req = NULL;
	char path[300];

	j->conn = evhttp_connection_base_new(s->base, s->dns, j->name,
					     (unsigned short)s->o->http01_port);
	if (!j->conn)
		return -1;
	evhttp_connection_set_timeout(j->conn, (int)s->validation_timeout);
	evhttp_connection_set_retries(j->conn, 0);
	evhttp_connection_set_max_body_size(j->conn, HTTP01_MAX_BODY);
	evhttp_connection_set_max_headers_size(j->conn, HTTP01_MAX_BODY);
	req = evhttp_request_new(http_done, j);
	if (!req)
		goto fail;
	evhttp_request_set_error_cb(req, http_error);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", j->name);
	evhttp_add_header(evhttp_request_get_output_headers(req), "User-Agent", "minica-acme");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
	snprintf(path, sizeof(path), "/.well-known/acme-challenge/%s", j->token);
	if (evhttp_make_request(j->conn, req, EVHTTP_REQ_GET, path) != 0)
		goto fail_conn; /* req is freed by libevent on failure */
	j->req = req;
	return 0;
fail:
	evhttp_request_free(req);
fail_conn:
	evhttp_connection_free(j->conn);
	j->conn = NULL;
	return -1;
}

/* ---- dns-01 ---- */

/* Does one TXT record (character-strings, concatenated) equal expected? */
static int txt_matches(const unsigned char *rd, size_t len, const char *expected)
{
	char text[1024];
	size_t used = 0, i = 0;

	while (i < len) {
		size_t n = rd[i++];

		if (i + n > len || used + n >= sizeof(text))
			return 0;
		memcpy(text + used, rd + i, n);
		used += n;
		i += n;
	}
	text[used] = '\0';
	return used == strlen(expected) && !memcmp(text, expected, used);
}

static void *dns01_thread(void *arg)
{
	struct vjob *j = arg;
	struct __res_state rs;
	unsigned char answer[4096];
	char qname[300];
	ns_msg msg;
	ns_rr rr;
	int n, i, count, found = 0;

	snprintf(qname, sizeof(qname), "_acme-challenge.%s", j->name);
	if (validate_res_init(j, &rs) != 0) {
		j->problem = ACME_DNS;
		snprintf(j->detail, sizeof(j->detail), "cannot set up the DNS resolver");
		goto out;
	}
	n = res_nquery(&rs, qname, ns_c_in, ns_t_txt, answer, sizeof(answer));
	/* the length of the whole answer, not of what was kept, when it did not fit */
	if (n > (int)sizeof(answer))
		n = (int)sizeof(answer);
	if (n < 0 || ns_initparse(answer, n, &msg) != 0) {
		j->problem = ACME_DNS;
		snprintf(j->detail, sizeof(j->detail), "no TXT record for %s (%s)", qname,
			 rs.res_h_errno == HOST_NOT_FOUND ? "the name does not exist"
			 : rs.res_h_errno == NO_DATA     ? "no TXT record"
			 : rs.res_h_errno == TRY_AGAIN   ? "the DNS server did not answer"
							 : "the lookup failed");
		goto close;
	}
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count && !found; i++)
		if (ns_parserr(&msg, ns_s_an, i, &rr) == 0 && ns_rr_type(rr) == ns_t_txt)
			found = txt_matches(ns_rr_rdata(rr), ns_rr_rdlen(rr), j->expected);
	j->ok = found;
	if (!found) {
		j->problem = ACME_INCORRECT_RESPONSE;
		snprintf(j->detail, sizeof(j->detail), "no TXT record of %s holds the expected digest",
			 qname);
	}
close:
	res_nclose(&rs);
out:
	validate_post(j);
	return NULL;
}

void validate_post(struct vjob *j)
{
	if (write(j->s->dns_pipe[1], &j, sizeof(j)) != (ssize_t)sizeof(j))
		j->ok = 0; /* the loop is gone: nothing can be recorded */
}

static void dns01_result(evutil_socket_t fd, short what, void *arg)
{
	struct vjob *j = NULL;

	(void)what;
	(void)arg;
	while (read(fd, &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		if (j->abandoned)
			vjob_free(j); /* its deadline sent the verdict already */
		else
			finish(j);
	}
}

/* dns-01 and tls-alpn-01 block: each runs in a detached thread that posts j back. */
/* tls-alpn-01's detached thread: the check (tlsalpn.c), then the result to the loop */
static void *tlsalpn01_thread(void *arg)
{
	struct vjob *j = arg;

	tlsalpn01_check(j);
	validate_post(j);
	return NULL;
}

static int thread_start(struct vjob *j, void *(*body)(void *))
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return -1;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, body, j);
	pthread_attr_destroy(&attr);
	return rc ? -1 : 0;
}

/* ---- starting ---- */

/* ---- the deadline of every validation, on the loop's own clock ---- */

static void expired(evutil_socket_t fd, short what, void *arg)
{
	struct vjob *j = arg;
	char detail[600];
	struct timeval now = {0, 0};

	(void)fd;
	(void)what;
	snprintf(detail, sizeof(detail), "%s for %s: no answer within %ld s (the validation "
					 "timeout)",
		 kind_name(j), j->name, j->s->validation_timeout);
	if (j->kind != V_HTTP01) {
		/* the thread still has it (and writes its fields): it is freed when handed back */
		j->abandoned = 1;
		send_verdict(j, 0, j->kind == V_DNS01 ? ACME_DNS : ACME_CONNECTION, detail);
		return;
	}
	if (j->req)
		evhttp_cancel_request(j->req); /* http_done is not called */
	if (j->conn)
		event_base_once(j->s->base, -1, EV_TIMEOUT, free_conn, j->conn, &now);
	j->req = NULL;
	j->conn = NULL;
	send_verdict(j, 0, ACME_CONNECTION, detail);
	vjob_free(j);
}

/* The signer's P_VALIDATE: the challenge, with what the answer must hold. */
int validate_begin(struct srv *s, const struct proto_msg *m)
{
	const char *kind = m->field[T_KIND];
	struct vjob *j = calloc(1, sizeof(*j));
	struct timeval limit = {s->validation_timeout, 0};
	long index;

	if (!j || proto_number(m, T_INDEX, 0, 16, &index) != 0 || m->len[T_DIGEST] != 32 ||
	    m->len[T_AUTHZ] > ACME_ID_LEN)
		goto fail;
	j->s = s;
	j->index = (size_t)index;
	snprintf(j->authz, sizeof(j->authz), "%s", m->field[T_AUTHZ]);
	j->kind = !strcmp(kind, "dns-01")	 ? V_DNS01
		  : !strcmp(kind, "tls-alpn-01") ? V_TLSALPN01
		  : !strcmp(kind, "http-01")	 ? V_HTTP01
						 : (enum vkind)-1;
	/* the name goes into DNS queries and a Host header: letters, digits, '-' and '.' */
	if ((int)j->kind < 0 || !m->len[T_NAME] || m->len[T_NAME] > 253 ||
	    strspn(m->field[T_NAME], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    m->len[T_NAME])
		goto fail;
	memcpy(j->keyauth_sha, m->field[T_DIGEST], 32);
	j->name = strdup(m->field[T_NAME]);
	j->token = strdup(m->field[T_TOKEN]);
	j->expected = strdup(m->field[T_EXPECTED]);
	if (!j->name || !j->token || !j->expected ||
	    !(j->deadline = evtimer_new(s->base, expired, j)))
		goto fail;
	if ((j->kind == V_DNS01      ? thread_start(j, dns01_thread)
	     : j->kind == V_TLSALPN01 ? thread_start(j, tlsalpn01_thread)
				      : http01_start(j)) != 0)
		goto fail;
	/* nothing a challenge's server does (a byte a second) can stretch it */
	evtimer_add(j->deadline, &limit);
	j->next = s->vjobs;
	s->vjobs = j;
	s->n_vjobs++;
	return 0;
fail:
	vjob_free(j);
	return -1;
}

int validate_setup(struct srv *s)
{
	s->validation_timeout = s->o->validation_timeout > 0 ? s->o->validation_timeout : 10;
	if (s->o->resolver) {
		struct sockaddr_in sin;

		if (resolver_addr(s->o->resolver, &sin) != 0)
			return fail(EX_USAGE, "--resolver %s: give an IPv4 ADDRESS[:PORT]",
				    printable(s->o->resolver));
		s->dns = evdns_base_new(s->base, 0);
		if (!s->dns || evdns_base_nameserver_ip_add(s->dns, s->o->resolver) != 0)
			return fail(EX_SOFTWARE, "cannot use --resolver %s", s->o->resolver);
	} else {
		s->dns = evdns_base_new(s->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
		if (!s->dns)
			return fail(EX_NOINPUT, "cannot read the system's DNS servers "
						"(/etc/resolv.conf); give --resolver ADDR:PORT");
		evdns_base_load_hosts(s->dns, NULL);
	}
	evdns_base_set_option(s->dns, "timeout:", "5");
	evdns_base_set_option(s->dns, "attempts:", "2");
	/* a pipe, not a socket pair: the service's sandbox allows no AF_UNIX sockets */
	if (pipe2(s->dns_pipe, O_CLOEXEC) != 0 || evutil_make_socket_nonblocking(s->dns_pipe[0]) != 0)
		return fail(EX_OSERR, "cannot create a pipe: %s", strerror(errno));
	s->dns_ev = event_new(s->base, s->dns_pipe[0], EV_READ | EV_PERSIST, dns01_result, s);
	if (!s->dns_ev || event_add(s->dns_ev, NULL) != 0)
		return fail(EX_OSERR, "out of memory");
	return 0;
}

void validate_teardown(struct srv *s)
{
	/* http-01's are the loop's to free; a thread keeps its own */
	while (s->vjobs) {
		struct vjob *j = s->vjobs;

		s->vjobs = j->next;
		if (j->kind != V_HTTP01)
			continue;
		if (j->req)
			evhttp_cancel_request(j->req);
		if (j->conn)
			evhttp_connection_free(j->conn);
		vjob_free(j);
	}
	if (s->dns_ev)
		event_free(s->dns_ev);
	if (s->dns)
		evdns_base_free(s->dns, 0);
	/* a dns-01 thread still running writes into a closed socket and ends */
	if (s->dns_pipe[0] >= 0)
		close(s->dns_pipe[0]);
	if (s->dns_pipe[1] >= 0)
		close(s->dns_pipe[1]);
}
