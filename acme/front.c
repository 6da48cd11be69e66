/*
 * serve's front (docs/serve-processes.md): the process that holds the
 * network and nothing else. libevent's evhttp over OpenSSL bufferevents,
 * one event loop, one thread. It reads each request, checks its framing
 * (Host, path, size), passes it to the signer and sends back the signer's
 * answer; it runs the validations the signer asks for and reports what they
 * found. It never has the CA key, the passphrase or the store: it is a new
 * program image (exec), started by the signer with only the socketpair, and
 * it drops what it may do (sandbox.c) before it reads anything from outside.
 * SIGTERM and SIGINT stop accepting and let the requests in flight finish;
 * when the signer goes away the front answers what is left with a problem
 * document and exits, for the service manager to start both again.
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
#include <openssl/pem.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "server.h"
#include "sandbox.h"
#include "validate.h"

#define FRONT_START_TIMEOUT_MS 60000 /* the signer's first message: the TLS certificate */

/* A request passed to the signer, until its answer comes back. */
struct fwd {
	struct fwd *next;
	uint32_t id;
	struct evhttp_request *r;
};

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Status";
	}
}

/* An answer the front makes itself: the signer is gone or the request is unusable. */
static void front_problem(struct srv *s, struct evhttp_request *r, enum acme_problem p,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void front_problem(struct srv *s, struct evhttp_request *r, enum acme_problem p,
			  const char *fmt, ...)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r);
	char *text;
	va_list ap;

	va_start(ap, fmt);
	text = acme_problem_text(p, fmt, ap);
	va_end(ap);
	evhttp_add_header(h, "Content-Type", "application/problem+json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (s->draining || s->signer_gone)
		evhttp_add_header(h, "Connection", "close");
	if (p == ACME_SERVER_INTERNAL && s->signer_gone)
		evhttp_add_header(h, "Retry-After", "10");
	evbuffer_add(evhttp_request_get_output_buffer(r), text ? text : "{}", text ? strlen(text) : 2);
	conn_request_end(r);
	evhttp_send_reply(r, acme_problem_status(p), reason(acme_problem_status(p)), NULL);
	free(text);
}

/* ---- requests waiting for the signer ---- */

static void fwd_add(struct srv *s, struct fwd *f)
{
	f->next = s->fwd[f->id % FWD_BUCKETS];
	s->fwd[f->id % FWD_BUCKETS] = f;
	s->n_fwd++;
}

static struct evhttp_request *fwd_take(struct srv *s, uint32_t id)
{
	struct fwd **p, *f;
	struct evhttp_request *r;

	for (p = &s->fwd[id % FWD_BUCKETS]; *p; p = &(*p)->next) {
		if ((*p)->id == id) {
			f = *p;
			*p = f->next;
			r = f->r;
			free(f);
			s->n_fwd--;
			return r;
		}
	}
	return NULL;
}

/* The Host header as the client sent it, checked so that it can go into URLs. */
static int host_base(struct evhttp_request *r, char *base, size_t size)
{
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(r), "Host");
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
	snprintf(base, size, "https://%s", host);
	return 0;
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

static void peer_text(struct evhttp_request *r, char *out, size_t size)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r);
	const char *addr = NULL;
	ev_uint16_t port = 0;

	if (c)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	snprintf(out, size, "%s", addr ? addr : "?");
}

static void on_request(struct evhttp_request *r, void *arg)
{
	struct srv *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
	struct evbuffer *in = evhttp_request_get_input_buffer(r);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(r), "Content-Type");
	size_t len = evbuffer_get_length(in);
	char base[300], peer[64];
	struct proto_out o;
	struct fwd *f;

	conn_request_begin(r); /* answered now or by the signer: no deadline meanwhile */
	s->requests++;
	no_delay(r);
	if (s->signer_gone)
		return front_problem(s, r, ACME_SERVER_INTERNAL, "the server is restarting; try "
								 "again shortly");
	if (host_base(r, base, sizeof(base)) != 0)
		return front_problem(s, r, ACME_MALFORMED, "the Host header is not a host name");
	if (!path || evhttp_uri_get_query(uri) || strlen(path) > 1024)
		return front_problem(s, r, ACME_NOT_FOUND, "no such resource");
	/* evhttp refuses a larger body before reading it (conn.c): this is the same limit */
	if (len > ACME_BODY_MAX)
		return front_problem(s, r, ACME_TOO_LARGE, "the request body has %zu bytes; at most %d "
							   "are accepted",
				     len, ACME_BODY_MAX);
	if (!(f = calloc(1, sizeof(*f))))
		return front_problem(s, r, ACME_SERVER_INTERNAL, "out of memory");
	peer_text(r, peer, sizeof(peer));
	f->id = ++s->next_id;
	f->r = r;
	proto_begin(&o, P_REQUEST, f->id);
	proto_add_str(&o, T_METHOD, cmd == EVHTTP_REQ_POST ? "POST" : cmd == EVHTTP_REQ_HEAD ? "HEAD"
											 : "GET");
	proto_add_str(&o, T_PATH, path);
	proto_add_str(&o, T_BASE, base);
	if (ctype && strlen(ctype) < 256)
		proto_add_str(&o, T_CTYPE, ctype);
	proto_add_str(&o, T_PEER, peer);
	if (len)
		proto_add(&o, T_BODY, evbuffer_pullup(in, -1), len);
	if (proto_send(s->chan, &o) != 0) {
		free(f);
		return front_problem(s, r, ACME_SERVER_INTERNAL, "the server is restarting; try "
								 "again shortly");
	}
	fwd_add(s, f);
}

/* The signer's answer to one request: its status, headers and body, to the client. */
static void on_response(struct srv *s, struct proto_msg *m)
{
	struct evhttp_request *r = fwd_take(s, m->id);
	struct evkeyvalq *h;
	char *line, *next;
	long status;

	if (!r)
		return; /* an answer to nothing: the connection's request is gone */
	if (proto_number(m, T_STATUS, 100, 599, &status) != 0)
		return front_problem(s, r, ACME_SERVER_INTERNAL, "the signer's answer was unusable");
	h = evhttp_request_get_output_headers(r);
	for (line = m->field[T_HEADERS]; line && *line; line = next) {
		char *colon, *value;

		if (!(next = strchr(line, '\n')))
			break;
		*next++ = '\0';
		if (!(colon = strchr(line, ':')) || colon == line || colon[1] != ' ' ||
		    strchr(line, '\r'))
			continue;
		*colon = '\0';
		value = colon + 2;
		evhttp_add_header(h, line, value);
	}
	if (s->draining)
		evhttp_add_header(h, "Connection", "close");
	if (m->len[T_BODY])
		evbuffer_add(evhttp_request_get_output_buffer(r), m->field[T_BODY], m->len[T_BODY]);
	conn_request_end(r);
	evhttp_send_reply(r, (int)status, reason((int)status), NULL);
}

/* ---- the server's certificate, made and renewed by the signer ---- */

static int tls_install(struct srv *s, struct proto_msg *m)
{
	BIO *cb = BIO_new_mem_buf(m->field[T_CERT_PEM], (int)m->len[T_CERT_PEM]);
	BIO *kb = BIO_new_mem_buf(m->field[T_KEY_PEM], (int)m->len[T_KEY_PEM]);
	X509 *leaf = NULL, *extra = NULL;
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx = NULL;
	int rc = -1;

	if (!cb || !kb || !(leaf = PEM_read_bio_X509(cb, NULL, NULL, NULL)) ||
	    !(key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)))
		goto out;
	if (!(ctx = SSL_CTX_new(TLS_server_method())) ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto out;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* an idle connection keeps no 16 KiB read and write buffers */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto out;
	/* the rest of the chain (the CA): a courtesy, clients trust the CA itself */
	while ((extra = PEM_read_bio_X509(cb, NULL, NULL, NULL))) {
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1)
			X509_free(extra);
	}
	ERR_clear_error();
	/* new connections take the new context; those open keep theirs */
	SSL_CTX_free(s->ssl);
	s->ssl = ctx;
	ctx = NULL;
	rc = 0;
out:
	if (rc)
		ERR_clear_error();
	SSL_CTX_free(ctx);
	EVP_PKEY_free(key);
	X509_free(leaf);
	BIO_free(cb);
	BIO_free(kb);
	return rc;
}

/* ---- the signer's messages ---- */

static void on_msg(struct proto_msg *m, void *arg)
{
	struct srv *s = arg;

	switch (m->type) {
	case P_RESPONSE:
		on_response(s, m);
		break;
	case P_VALIDATE:
		if (validate_begin(s, m) != 0)
			warning("serve: front: cannot start validating %s", m->field[T_NAME]);
		break;
	case P_TLS:
		if (tls_install(s, m) != 0)
			warning("serve: front: the signer's new TLS certificate is unusable; keeping "
				"the old one");
		break;
	default:
		warning("serve: front: the signer sent a message of type %u, which is for the "
			"signer",
			m->type);
		break;
	}
}

static void stop_accepting(struct srv *s)
{
	size_t i;

	for (i = 0; i < s->n_socks; i++)
		evhttp_del_accept_socket(s->http, s->socks[i]);
	s->n_socks = 0;
}

/* The signer is gone: answer what waits for it, take nothing new, and exit. */
static void on_close(const char *why, void *arg)
{
	struct srv *s = arg;
	struct timeval tv = {0, 200000};
	size_t i;

	if (s->signer_gone)
		return;
	s->signer_gone = 1;
	if (!s->draining)
		warning("serve: front: the signer stopped (%s); answering what is left, then "
			"exiting",
			why);
	for (i = 0; i < FWD_BUCKETS; i++)
		while (s->fwd[i]) {
			struct evhttp_request *r = fwd_take(s, s->fwd[i]->id);

			if (r)
				front_problem(s, r, ACME_SERVER_INTERNAL,
					      "the server is restarting; try again shortly");
		}
	stop_accepting(s);
	s->draining = 1;
	evtimer_add(s->drain_timer, &tv);
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
	/*
	 * the signer's answers to come, the validations (which end at their
	 * deadline, --validation-timeout, at the latest), and our last messages
	 * to it, unless it is gone
	 */
	if (!s->signer_gone && (s->n_fwd || s->n_vjobs || proto_chan_pending(s->chan))) {
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

	(void)what;
	if (sig == SIGHUP)
		return; /* the signer reads the templates again; the front holds none */
	if (s->draining)
		return;
	s->draining = 1;
	stop_accepting(s);
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
			/* 75, temporary: the port is taken now, and free when the other goes */
			return fail(EX_TEMPFAIL, "--listen %s: cannot listen there: %s (is the port "
						 "in use?)",
				    s->o->listen[i], strerror(errno));
		s->n_socks++;
	}
	return 0;
}

static int setup(struct srv *s, int chan_fd)
{
	struct timeval idle = {s->o->request_timeout, 0};
	struct proto_msg first;
	const char *why = NULL;
	int rc;

	/* the certificate first: no connection is taken before the server has one */
	if (proto_read_one(chan_fd, FRONT_START_TIMEOUT_MS, &first, &why) != 0 ||
	    first.type != P_TLS || tls_install(s, &first) != 0) {
		proto_msg_release(&first);
		return fail(EX_SOFTWARE, "serve: front: no usable TLS certificate from the signer (%s)",
			    why ? why : "unusable");
	}
	proto_msg_release(&first);
	s->base = event_base_new();
	if (!s->base)
		return fail(EX_SOFTWARE, "cannot start the event loop");
	s->http = evhttp_new(s->base);
	s->drain_timer = evtimer_new(s->base, drained, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, on_signal, s);
	s->chan = proto_chan_new(s->base, chan_fd, on_msg, on_close, s);
	if (!s->http || !s->drain_timer || !s->sig_term || !s->sig_int || !s->sig_hup || !s->chan)
		return fail(EX_OSERR, "out of memory");
	if (event_add(s->sig_term, NULL) || event_add(s->sig_int, NULL) || event_add(s->sig_hup, NULL))
		return fail(EX_SOFTWARE, "cannot catch signals");
	if ((rc = conns_setup(s)) || (rc = validate_setup(s)))
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
	return 0;
}

static void teardown(struct srv *s)
{
	size_t i;

	validate_teardown(s);
	for (i = 0; i < FWD_BUCKETS; i++)
		while (s->fwd[i])
			fwd_take(s, s->fwd[i]->id);
	if (s->http)
		evhttp_free(s->http);
	conns_teardown(s);
	proto_chan_free(s->chan);
	for (i = 0; i < 4; i++) {
		struct event *e[] = {s->drain_timer, s->sig_term, s->sig_int, s->sig_hup};
		if (e[i])
			event_free(e[i]);
	}
	SSL_CTX_free(s->ssl);
	if (s->base)
		event_base_free(s->base);
}

int acme_front(const struct acme_server_options *o, int chan_fd, const char *store_dir)
{
	struct proto_out ready;
	struct srv s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.dns_pipe[0] = s.dns_pipe[1] = -1;
	signal(SIGPIPE, SIG_IGN);
	/* the signer's end: when it dies, so does the front (the service starts both again) */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	(void)prctl(PR_SET_NAME, "minica-front"); /* in ps and top, beside the signer's "minica" */
	if ((rc = setup(&s, chan_fd)))
		goto out;
	/* the sockets are bound and the resolver read: from here the front needs far less */
	if ((rc = sandbox_enter(o->front_user, store_dir)))
		goto out;
	proto_begin(&ready, P_READY, 0);
	if (proto_send(s.chan, &ready) != 0) {
		rc = fail(EX_SOFTWARE, "serve: front: cannot reach the signer");
		goto out;
	}
	if (event_base_dispatch(s.base) < 0)
		rc = fail(EX_SOFTWARE, "the event loop failed");
	if (s.signer_gone && !rc)
		rc = EX_TEMPFAIL;
out:
	teardown(&s);
	ERR_clear_error();
	return rc;
}
