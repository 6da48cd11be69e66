/*
 * The ACME server's HTTP front: libevent's evhttp over OpenSSL bufferevents
 * (TLS through OpenSSL only), one event loop, one thread. The route table
 * (the handlers answer through reply.c), signals: SIGTERM and SIGINT stop
 * accepting, let the requests in flight finish and exit 0; SIGHUP reloads
 * the templates (accounts are read from the store on every request).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

/* ---- routing ---- */

/* The Host header as the client sent it, checked so that it can go into URLs. */
static int host_base(struct acme_req *q)
{
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(q->r), "Host");
	size_t i, n;

	if (!host || !*host)
		host = "localhost";
	n = strlen(host);
	if (n > 255)
		return -1;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
			    host[i]))
			return -1;
	snprintf(q->base, sizeof(q->base), "https://%s", host);
	return 0;
}

static int method_is(struct acme_req *q, int methods)
{
	return (evhttp_request_get_command(q->r) & methods) != 0;
}

static void route(struct acme_req *q)
{
	const char *p = q->path;
	char id[128], sub[128];
	const char *rest;
	int post = method_is(q, EVHTTP_REQ_POST), get = method_is(q, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);

	if (!strcmp(p, "/acme/directory") && get)
		return h_directory(q);
	if (!strcmp(p, "/acme/new-nonce") && get)
		return h_new_nonce(q);
	if ((rest = path_id(p, "/acme/renewal-info/", id, sizeof(id))) && !*rest && get)
		return h_renewal_info(q, id);
	if (!post) {
		if (!strncmp(p, "/acme/", 6))
			return reply_problem(q, ACME_METHOD, "%s takes POST (RFC 8555 section 6.3)", p);
		return reply_problem(q, ACME_NOT_FOUND, "no such resource; the directory is at "
							"%s/acme/directory", q->base);
	}
	if (!strcmp(p, "/acme/new-account"))
		return h_new_account(q);
	if (!strcmp(p, "/acme/new-order"))
		return h_new_order(q);
	if (!strcmp(p, "/acme/revoke-cert"))
		return h_revoke(q);
	if (!strcmp(p, "/acme/key-change"))
		return h_key_change(q);
	if ((rest = path_id(p, "/acme/acct/", id, sizeof(id)))) {
		if (!*rest)
			return h_account(q, id);
		if (!strcmp(rest, "/orders"))
			return h_account_orders(q, id);
	}
	if ((rest = path_id(p, "/acme/order/", id, sizeof(id)))) {
		if (!*rest)
			return h_order(q, id);
		if (!strcmp(rest, "/finalize"))
			return h_finalize(q, id);
	}
	if ((rest = path_id(p, "/acme/authz/", id, sizeof(id))) && !*rest)
		return h_authz(q, id);
	if ((rest = path_id(p, "/acme/chall/", id, sizeof(id))) && *rest == '/' &&
	    path_id(rest, "/", sub, sizeof(sub)) && !*path_id(rest, "/", sub, sizeof(sub)))
		return h_challenge(q, id, sub);
	if ((rest = path_id(p, "/acme/cert/", id, sizeof(id))) && !*rest)
		return h_certificate(q, id);
	reply_problem(q, ACME_NOT_FOUND, "no such resource: %s", p);
}

/*
 * Replies leave as soon as they are written: evhttp writes a reply's head
 * and body separately, and under Nagle's algorithm the second TLS record
 * would wait for the client's delayed ACK (40 ms on Linux) on every request
 * of a kept-alive connection.
 */
static void no_delay(struct evhttp_request *r)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	int one = 1;

	/* best effort: without it replies are only slower */
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void on_request(struct evhttp_request *r, void *arg)
{
	struct srv *s = arg;
	struct acme_req *q = calloc(1, sizeof(*q));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);

	conn_request_begin(r);
	if (!q) {
		conn_request_end(r);
		evhttp_send_error(r, 500, "out of memory");
		return;
	}
	q->s = s;
	q->r = r;
	s->requests++;
	no_delay(r);
	if (host_base(q) != 0) {
		snprintf(q->base, sizeof(q->base), "https://localhost");
		return reply_problem(q, ACME_MALFORMED, "the Host header is not a host name");
	}
	q->path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!q->path || evhttp_uri_get_query(uri))
		return reply_problem(q, ACME_NOT_FOUND, "no such resource");
	route(q);
}

/* ---- TLS for every connection ---- */

static struct bufferevent *on_connection(struct event_base *base, void *arg)
{
	(void)base;
	return conn_new(arg);
}

/* ---- signals ---- */

static void drained(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;

	(void)fd;
	(void)what;
	if (s->batch_len || s->finalizing || s->validating || s->committing) {
		/* a group commit or a validation is still due: look again shortly */
		struct timeval tv = {0, 50000};

		evtimer_add(s->drain_timer, &tv);
		return;
	}
	event_base_loopexit(s->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	struct timeval tv = {0, 200000};
	size_t i;

	(void)what;
	if (sig == SIGHUP) {
		tpl_cache_drop(&s->templates);
		workers_reload(s);
		keys_clear(s->keys);
		if (!g_opts.quiet)
			notice("serve: SIGHUP: templates will be read again; accounts are read from the "
			       "store on every request");
		return;
	}
	if (s->draining)
		return;
	s->draining = 1;
	if (!g_opts.quiet)
		notice("serve: %s: no new connections; finishing the requests in flight",
		       sig == SIGTERM ? "SIGTERM" : "SIGINT");
	for (i = 0; i < s->n_socks; i++)
		evhttp_del_accept_socket(s->http, s->socks[i]);
	s->n_socks = 0;
	/* the flush event runs first when a batch is waiting; then give replies time to leave */
	evtimer_add(s->drain_timer, &tv);
}

/* ---- setup ---- */

static int split_listen(const char *text, char *addr, size_t size, unsigned short *port)
{
	const char *colon = strrchr(text, ':');
	long p;
	char *end;

	if (!colon || colon == text || (size_t)(colon - text) >= size)
		return -1;
	memcpy(addr, text, (size_t)(colon - text));
	addr[colon - text] = '\0';
	if (addr[0] == '[' && addr[strlen(addr) - 1] == ']') {
		memmove(addr, addr + 1, strlen(addr));
		addr[strlen(addr) - 1] = '\0';
	}
	p = strtol(colon + 1, &end, 10);
	if (*end || p < 1 || p > 65535)
		return -1;
	*port = (unsigned short)p;
	return 0;
}

static int bind_all(struct srv *s)
{
	size_t i;

	for (i = 0; i < s->o->n_listen && i < ACME_MAX_LISTEN; i++) {
		char addr[256];
		unsigned short port;

		if (split_listen(s->o->listen[i], addr, sizeof(addr), &port) != 0)
			return fail(EX_USAGE, "--listen %s: give ADDRESS:PORT", printable(s->o->listen[i]));
		s->socks[s->n_socks] = evhttp_bind_socket_with_handle(s->http, addr, port);
		if (!s->socks[s->n_socks])
			return fail(EX_UNAVAILABLE, "--listen %s: cannot listen there: %s (is the port "
						    "in use?)",
				    s->o->listen[i], strerror(errno));
		s->n_socks++;
	}
	return 0;
}

static int write_pid(const char *path)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

	return out_write_atomic(path, text, (size_t)n, 0644, 1);
}

static int setup(struct srv *s)
{
	struct timeval idle = {s->o->request_timeout, 0};
	int rc;

	s->base = event_base_new();
	if (!s->base || event_base_priority_init(s->base, 2) != 0)
		return fail(EX_SOFTWARE, "cannot start the event loop");
	s->http = evhttp_new(s->base);
	s->nonces = nonces_new();
	s->keys = keys_new();
	s->flush_ev = event_new(s->base, -1, 0, finalize_flush, s);
	s->drain_timer = evtimer_new(s->base, drained, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, on_signal, s);
	if (!s->http || !s->nonces || !s->keys || !s->flush_ev || !s->drain_timer || !s->sig_term ||
	    !s->sig_int || !s->sig_hup)
		return fail(EX_OSERR, "out of memory");
	/* the group commit runs after every request that arrived with it was read */
	event_priority_set(s->flush_ev, 1);
	if (event_add(s->sig_term, NULL) || event_add(s->sig_int, NULL) || event_add(s->sig_hup, NULL))
		return fail(EX_SOFTWARE, "cannot catch signals");
	s->batch_tail = &s->batch;
	if (pipe2(s->commit_pipe, O_CLOEXEC) != 0 ||
	    evutil_make_socket_nonblocking(s->commit_pipe[0]) != 0 ||
	    !(s->commit_ev = event_new(s->base, s->commit_pipe[0], EV_READ | EV_PERSIST,
				       finalize_committed, s)) ||
	    event_add(s->commit_ev, NULL) != 0)
		return fail(EX_OSERR, "cannot create a pipe: %s", strerror(errno));
	if ((rc = conns_setup(s)) || (rc = tls_setup(s)) || (rc = validate_setup(s)) ||
	    (rc = workers_start(s)))
		return rc;
	evhttp_set_bevcb(s->http, on_connection, s);
	evhttp_set_gencb(s->http, on_request, s);
	evhttp_set_timeout_tv(s->http, &idle);
	/* a larger Content-Length is refused (413) before any of the body is read */
	evhttp_set_max_body_size(s->http, ACME_BODY_MAX);
	evhttp_set_max_headers_size(s->http, 16 * 1024);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_default_content_type(s->http, "application/json");
	if ((rc = bind_all(s)))
		return rc;
	conns_listening(s);
	if (s->o->pid_file && (rc = write_pid(s->o->pid_file)))
		return rc;
	return 0;
}

static void teardown(struct srv *s)
{
	size_t i;

	workers_stop(s);
	validate_teardown(s);
	tpl_cache_drop(&s->templates);
	while (s->validating)
		inflight_del(&s->validating, s->validating->id);
	while (s->finalizing)
		inflight_del(&s->finalizing, s->finalizing->id);
	if (s->http)
		evhttp_free(s->http);
	conns_teardown(s);
	for (i = 0; i < 7; i++) {
		struct event *e[] = {s->flush_ev, s->drain_timer, s->sig_term, s->sig_int,
				     s->sig_hup, s->tls_timer, s->commit_ev};
		if (e[i])
			event_free(e[i]);
	}
	for (i = 0; i < 2; i++)
		if (s->commit_pipe[i] >= 0)
			close(s->commit_pipe[i]);
	SSL_CTX_free(s->ssl);
	nonces_free(s->nonces);
	keys_free(s->keys);
	if (s->base)
		event_base_free(s->base);
}

/*
 * The store's map is fixed before the threads start (store/map.c): 16 GiB of
 * address space on 64-bit systems, some 6 million certificates with their
 * orders. Every 8 commits (two or three orders) the server gives back its
 * mapped pages of the store, so that its resident size is its own memory
 * and the pages it works on now, not the whole store it has ever read.
 */
#define SERVE_MAP_BYTES ((size_t)1 << (SIZE_MAX > 0xffffffffu ? 34 : 30))
#define SERVE_RELEASE_COMMITS 8

int acme_serve(store *st, const struct acme_server_options *o)
{
	struct srv s;
	size_t i;
	int rc;

	memset(&s, 0, sizeof(s));
	s.st = st;
	s.o = o;
	s.dns_pipe[0] = s.dns_pipe[1] = -1;
	s.commit_pipe[0] = s.commit_pipe[1] = -1;
	s.validation_timeout = 10;
	signal(SIGPIPE, SIG_IGN);
	secrets_protect();
	/* OpenSSL keeps private key numbers in its secure heap: locked, not in a core */
	if (!CRYPTO_secure_malloc_initialized())
		(void)CRYPTO_secure_malloc_init(256 * 1024, 32);
	if ((rc = ca_load(st, &s.ca)) || (rc = ca_unlock(&s.ca)) || (rc = store_acme_prepare(st)) ||
	    (rc = store_fix_map(st, SERVE_MAP_BYTES)))
		goto out;
	store_release_every(st, SERVE_RELEASE_COMMITS);
	if ((rc = setup(&s)))
		goto out;
	if (!g_opts.quiet)
		for (i = 0; i < o->n_listen; i++)
			notice("serve: https://%s/acme/directory (store %s)", o->listen[i],
			       store_path(st));
	if (event_base_dispatch(s.base) < 0)
		rc = fail(EX_SOFTWARE, "the event loop failed");
	if (!g_opts.quiet)
		notice("serve: stopped after %lu requests, %lu certificates issued", s.requests,
		       s.issued);
out:
	teardown(&s);
	ca_release(&s.ca);
	ERR_clear_error();
	return rc;
}
