/*
 * The front's defences against many and slow clients. libevent 2.1's evhttp
 * only knows an idle timeout, which a client dripping one byte every few
 * seconds never meets, and accepts every connection it is given. So each
 * connection gets a record, hung on its SSL object (ex_data: freed when
 * evhttp frees the connection, whatever the reason), that
 * - counts it, in total and per client address, and closes it at once when
 *   a cap is exceeded (--max-connections, --max-connections-per-address);
 * - gives it --request-timeout seconds from its opening, or from its last
 *   reply, to deliver a whole request, headers and body (the handler's own
 *   time does not count), and closes it when they are over.
 * accept() failing for want of descriptors stops accepting for a moment
 * instead of spinning; log lines about clients are limited to one per kind
 * every LOG_EVERY seconds, with the count of those left out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "server.h"

#define PEER_BUCKETS 1024
#define LOG_EVERY 10          /* seconds between two log lines of one kind */
#define ACCEPT_PAUSE_MS 250   /* no accept() for this long after EMFILE */
#define READ_CHUNK 2048     /* bytes read from a connection at a time */
#define FD_RESERVE 64         /* descriptors kept for the store, validations, threads */

struct peer {
	struct peer *next;
	unsigned char addr[16];
	size_t count;
};

struct conn {
	struct srv *s;
	struct bufferevent *bev;
	struct event *timer;
	struct peer *peer; /* NULL until counted (the first tick, once the socket is known) */
	int busy;          /* a complete request is with the handlers */
	int admitted;      /* within the caps */
};

struct log_kind {
	time_t last;
	unsigned long left_out;
};

struct conns {
	struct peer *peers[PEER_BUCKETS];
	size_t admitted; /* connections within the caps, open */
	struct event *resume;
	struct log_kind log[FRONT_LOG_KINDS];
};

static int ssl_index = -1;
/* the server, for the callbacks whose argument is libevent's: its log, accept() failing */
static struct srv *front;

/* ---- log lines about clients, limited ---- */

void front_log(struct srv *s, enum front_log_kind kind, const char *fmt, ...)
{
	struct log_kind *k = &s->conns->log[kind];
	time_t now = time(NULL);
	char line[400];
	va_list ap;

	if (k->last && now - k->last < LOG_EVERY) {
		k->left_out++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (k->left_out)
		warning("serve: %s (and %lu more like it in the last %ld s)", line, k->left_out,
			(long)(now - k->last));
	else
		warning("serve: %s", line);
	k->last = now;
	k->left_out = 0;
}

static void libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN && front)
		front_log(front, FRONT_LOG_LIBEVENT, "%s", msg);
}

/* ---- counting by address ---- */

static size_t peer_hash(const unsigned char addr[16])
{
	size_t h = 2166136261u, i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % PEER_BUCKETS;
}

/* The client's address as 16 bytes (IPv4 mapped into IPv6); -1: unknown. */
static int peer_addr(evutil_socket_t fd, unsigned char out[16])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(out, 0, 16);
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else {
		return -1;
	}
	return 0;
}

static struct peer *peer_get(struct conns *cs, const unsigned char addr[16])
{
	struct peer **b = &cs->peers[peer_hash(addr)], *p;

	for (p = *b; p; p = p->next)
		if (!memcmp(p->addr, addr, 16))
			return p;
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	memcpy(p->addr, addr, 16);
	p->next = *b;
	*b = p;
	return p;
}

static void peer_put(struct conns *cs, struct peer *p)
{
	struct peer **b;

	if (--p->count)
		return;
	for (b = &cs->peers[peer_hash(p->addr)]; *b != p; b = &(*b)->next)
		;
	*b = p->next;
	free(p);
}

static const char *addr_text(const unsigned char a[16], char *out, size_t size)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!memcmp(a, mapped, 12))
		return inet_ntop(AF_INET, a + 12, out, (socklen_t)size);
	return inet_ntop(AF_INET6, a, out, (socklen_t)size);
}

/* ---- one connection ---- */

/*
 * The socket is shut down, not freed: evhttp reads the end of the stream
 * and frees the connection its usual way (the record goes with it). Closing
 * it through libevent instead could reach a bufferevent already being freed.
 */
static void drop(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd >= 0)
		(void)shutdown(fd, SHUT_RDWR); /* fails only if the client is gone already */
}

static void arm(struct conn *c)
{
	struct timeval tv = {c->s->o->request_timeout, 0};

	evtimer_add(c->timer, &tv);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct srv *s = c->s;
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN];

	(void)fd;
	(void)what;
	if (c->peer) {
		if (c->busy)
			return;
		front_log(s, FRONT_LOG_SLOW, "a client sent no whole request in %ld s "
					     "(--request-timeout): closed",
			  s->o->request_timeout);
		drop(c);
		return;
	}
	if (peer_addr(bufferevent_getfd(c->bev), addr) != 0 || !(c->peer = peer_get(s->conns, addr))) {
		drop(c);
		return;
	}
	c->peer->count++;
	if (s->conns->admitted >= (size_t)s->max_connections) {
		front_log(s, FRONT_LOG_CAP, "%zu connections open (--max-connections %ld): a new one "
					    "from %s closed",
			  s->conns->admitted, s->max_connections,
			  addr_text(addr, text, sizeof(text)));
		drop(c);
	} else if (c->peer->count > (size_t)s->o->max_per_address) {
		front_log(s, FRONT_LOG_CAP, "%s has %zu connections open "
					    "(--max-connections-per-address %ld): a new one closed",
			  addr_text(addr, text, sizeof(text)), c->peer->count - 1,
			  s->o->max_per_address);
		drop(c);
	} else {
		c->admitted = 1;
		s->conns->admitted++;
		if (!c->busy)
			arm(c);
	}
}

/* SSL_free: the connection is gone, whatever freed it. */
static void conn_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct conn *c = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (!c)
		return;
	/* after conns_teardown nothing is counted any more (and the loop is going) */
	if (c->s->conns) {
		if (c->timer)
			event_free(c->timer);
		if (c->peer)
			peer_put(c->s->conns, c->peer);
		if (c->admitted)
			c->s->conns->admitted--;
	}
	free(c);
}

struct bufferevent *conn_new(struct srv *s)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct timeval now = {0, 0};
	SSL *ssl = SSL_new(s->ssl);

	if (!c || !ssl)
		goto fail;
	c->s = s;
	if (SSL_set_ex_data(ssl, ssl_index, c) != 1)
		goto fail;
	/* from here SSL_free frees c */
	if (!(c->timer = evtimer_new(s->base, tick, c))) {
		SSL_free(ssl);
		return NULL;
	}
	c->bev = bufferevent_openssl_socket_new(s->base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		SSL_free(ssl);
		return NULL;
	}
	/*
	 * Each read reserves its whole size in the input buffer, and a request
	 * line that has not ended stays there: at libevent's 16 KiB, a client
	 * dripping bytes would hold 16 KiB for a few bytes.
	 */
	(void)bufferevent_set_max_single_read(c->bev, READ_CHUNK);
	/* the socket is set after this returns: count it on the next loop turn */
	evtimer_add(c->timer, &now);
	return c->bev;
fail:
	free(c);
	SSL_free(ssl);
	return NULL;
}

static struct conn *conn_of(struct evhttp_request *r)
{
	struct evhttp_connection *ec = evhttp_request_get_connection(r);
	struct bufferevent *bev = ec ? evhttp_connection_get_bufferevent(ec) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl ? SSL_get_ex_data(ssl, ssl_index) : NULL;
}

void conn_request_begin(struct evhttp_request *r)
{
	struct conn *c = conn_of(r);

	if (c) {
		c->busy = 1;
		evtimer_del(c->timer);
	}
}

void conn_request_end(struct evhttp_request *r)
{
	struct conn *c = conn_of(r);

	if (c && c->busy) {
		c->busy = 0;
		arm(c);
	}
}

/* ---- accepting ---- */

static void resume(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < s->n_socks; i++)
		evconnlistener_enable(evhttp_bound_socket_get_listener(s->socks[i]));
}

static void accept_failed(struct evconnlistener *lev, void *arg)
{
	struct srv *s = front;
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	int err = EVUTIL_SOCKET_ERROR();
	size_t i;

	(void)lev;
	(void)arg; /* evhttp's */
	front_log(s, FRONT_LOG_ACCEPT, "cannot accept connections: %s%s", strerror(err),
		  err == EMFILE || err == ENFILE ? " (raise LimitNOFILE= or lower --max-connections)"
						 : "");
	for (i = 0; i < s->n_socks; i++)
		evconnlistener_disable(evhttp_bound_socket_get_listener(s->socks[i]));
	evtimer_add(s->conns->resume, &tv);
}

void conns_listening(struct srv *s)
{
	size_t i;

	for (i = 0; i < s->n_socks; i++)
		evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(s->socks[i]),
					    accept_failed);
}

/*
 * As many descriptors as the hard limit allows (systemd's soft default is
 * 1,024); --max-connections is lowered to fit, with a word.
 */
static void fit_descriptors(struct srv *s)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)s->o->max_connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort: the check below tells */
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		long fit = rl.rlim_cur > FD_RESERVE + 16 ? (long)(rl.rlim_cur - FD_RESERVE)
							 : (long)rl.rlim_cur / 2;

		warning("serve: %lu open files allowed (LimitNOFILE=, ulimit -n): --max-connections "
			"%ld lowered to %ld",
			(unsigned long)rl.rlim_cur, s->o->max_connections, fit);
		s->max_connections = fit;
	}
}

int conns_setup(struct srv *s)
{
	s->max_connections = s->o->max_connections;
	fit_descriptors(s);
	if (ssl_index < 0)
		ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_gone);
	s->conns = calloc(1, sizeof(*s->conns));
	if (ssl_index < 0 || !s->conns || !(s->conns->resume = evtimer_new(s->base, resume, s)))
		return fail(EX_OSERR, "out of memory");
	front = s;
	event_set_log_callback(libevent_log);
	return 0;
}

/*
 * After evhttp_free: libevent frees a connection's bufferevent, and so its
 * SSL and record, on the loop's next turn; let that turn run first.
 */
void conns_teardown(struct srv *s)
{
	if (!s->conns)
		return;
	event_base_loop(s->base, EVLOOP_NONBLOCK);
	event_set_log_callback(NULL);
	front = NULL;
	if (s->conns->resume)
		event_free(s->conns->resume);
	free(s->conns);
	s->conns = NULL;
}
