/*
 * The front-signer protocol (proto.h): framing, fields, and one end of the
 * socketpair on a libevent loop. Field bodies: a 1-byte tag and a 4-byte
 * length (network byte order), then the bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define BIT(t) (1u << (t))

/* Which fields each type takes, and which it needs. */
static const struct {
	uint32_t allowed, required;
} spec[P_TYPE_END] = {
	[P_REQUEST] = {BIT(T_METHOD) | BIT(T_PATH) | BIT(T_BASE) | BIT(T_CTYPE) | BIT(T_BODY) |
			       BIT(T_PEER),
		       BIT(T_METHOD) | BIT(T_PATH) | BIT(T_BASE)},
	[P_RESPONSE] = {BIT(T_STATUS) | BIT(T_HEADERS) | BIT(T_BODY), BIT(T_STATUS)},
	[P_VALIDATE] = {BIT(T_AUTHZ) | BIT(T_INDEX) | BIT(T_KIND) | BIT(T_NAME) | BIT(T_TOKEN) |
				BIT(T_EXPECTED) | BIT(T_DIGEST) | BIT(T_ACCOUNT),
			BIT(T_AUTHZ) | BIT(T_INDEX) | BIT(T_KIND) | BIT(T_NAME) | BIT(T_TOKEN) |
				BIT(T_EXPECTED) | BIT(T_DIGEST)},
	[P_VERDICT] = {BIT(T_AUTHZ) | BIT(T_INDEX) | BIT(T_OK) | BIT(T_PROBLEM) | BIT(T_DETAIL),
		       BIT(T_AUTHZ) | BIT(T_INDEX) | BIT(T_OK)},
	[P_TLS] = {BIT(T_CERT_PEM) | BIT(T_KEY_PEM), BIT(T_CERT_PEM) | BIT(T_KEY_PEM)},
	[P_READY] = {0, 0},
};

/* The longest each field may be; the body's 64 KiB and certificates are the large ones. */
static size_t tag_max(int tag)
{
	switch (tag) {
	case T_BODY: return 192 * 1024; /* a request's is at most 64 KiB (the front's limit) */
	case T_HEADERS: return 8 * 1024;
	case T_CERT_PEM: return 64 * 1024;
	case T_KEY_PEM: return 16 * 1024;
	case T_PATH: return 2048;
	case T_DETAIL: return 1024;
	default: return 512;
	}
}

/* Fields that are text: no NUL inside, so that they can be used as C strings. */
static int tag_is_text(int tag)
{
	return tag != T_BODY && tag != T_DIGEST;
}

void proto_msg_release(struct proto_msg *msg)
{
	int t;

	for (t = 0; t < T_TAG_END; t++) {
		if (msg->field[t]) {
			/* a key or a request body may pass through: wipe what was held */
			memset(msg->field[t], 0, msg->len[t]);
			free(msg->field[t]);
		}
		msg->field[t] = NULL;
		msg->len[t] = 0;
	}
}

int proto_parse(uint32_t type, uint32_t id, const unsigned char *body, size_t len,
		struct proto_msg *msg, const char **why)
{
	uint32_t seen = 0;
	size_t at = 0;

	memset(msg, 0, sizeof(*msg));
	msg->type = type;
	msg->id = id;
	if (type == 0 || type >= P_TYPE_END) {
		*why = "unknown message type";
		return -1;
	}
	if (len > PROTO_BODY_MAX) {
		*why = "message too long";
		return -1;
	}
	while (at < len) {
		uint32_t n;
		int tag;

		if (len - at < 5) {
			*why = "a field is cut short";
			goto bad;
		}
		tag = body[at];
		memcpy(&n, body + at + 1, 4);
		n = ntohl(n);
		at += 5;
		if (tag <= 0 || tag >= T_TAG_END || !(spec[type].allowed & BIT(tag))) {
			*why = "a field this message does not take";
			goto bad;
		}
		if (seen & BIT(tag)) {
			*why = "a field given twice";
			goto bad;
		}
		if (n > len - at || n > tag_max(tag)) {
			*why = "a field longer than allowed";
			goto bad;
		}
		if (tag_is_text(tag) && memchr(body + at, '\0', n)) {
			*why = "a text field holds a NUL byte";
			goto bad;
		}
		if (!(msg->field[tag] = malloc((size_t)n + 1))) {
			*why = "out of memory";
			goto bad;
		}
		memcpy(msg->field[tag], body + at, n);
		msg->field[tag][n] = '\0';
		msg->len[tag] = n;
		seen |= BIT(tag);
		at += n;
	}
	if ((seen & spec[type].required) != spec[type].required) {
		*why = "a field the message needs is missing";
		goto bad;
	}
	return 0;
bad:
	proto_msg_release(msg);
	return -1;
}

int proto_number(const struct proto_msg *msg, int tag, long lo, long hi, long *out)
{
	const char *s = msg->field[tag];
	char *end;
	long n;

	if (!s || !*s || msg->len[tag] > 12)
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < lo || n > hi || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	*out = n;
	return 0;
}

/* ---- building ---- */

static void put(struct proto_out *o, const void *data, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		unsigned char *b;

		while (cap < o->len + n)
			cap *= 2;
		if (!(b = realloc(o->buf, cap))) {
			o->failed = 1;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
}

void proto_begin(struct proto_out *o, uint32_t type, uint32_t id)
{
	uint32_t head[3] = {htonl(type), htonl(id), 0};

	memset(o, 0, sizeof(*o));
	put(o, head, sizeof(head));
}

void proto_add(struct proto_out *o, int tag, const void *data, size_t len)
{
	unsigned char t = (unsigned char)tag;
	uint32_t n = htonl((uint32_t)len);

	if (len > tag_max(tag)) {
		o->failed = 1;
		return;
	}
	put(o, &t, 1);
	put(o, &n, 4);
	if (len)
		put(o, data, len);
}

void proto_add_str(struct proto_out *o, int tag, const char *text)
{
	if (text)
		proto_add(o, tag, text, strlen(text));
}

void proto_add_long(struct proto_out *o, int tag, long n)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld", n);
	proto_add_str(o, tag, text);
}

/* ---- one end of the socketpair ---- */

struct proto_chan {
	struct bufferevent *bev;
	proto_msg_fn on_msg;
	proto_close_fn on_close;
	void *arg;
	int closed;
};

static void chan_close(struct proto_chan *c, const char *why)
{
	if (c->closed)
		return;
	c->closed = 1;
	bufferevent_disable(c->bev, EV_READ);
	c->on_close(why, c->arg);
}

static void chan_read(struct bufferevent *bev, void *arg)
{
	struct proto_chan *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!c->closed && evbuffer_get_length(in) >= PROTO_HEAD) {
		uint32_t head[3];
		struct proto_msg msg;
		const char *why = NULL;
		unsigned char *body;
		size_t n;

		evbuffer_copyout(in, head, sizeof(head));
		n = ntohl(head[2]);
		if (n > PROTO_BODY_MAX)
			return chan_close(c, "the peer sent a message longer than allowed");
		if (evbuffer_get_length(in) < PROTO_HEAD + n) {
			/* read no more than the rest of this message before looking again */
			bufferevent_setwatermark(bev, EV_READ, PROTO_HEAD + n, 0);
			return;
		}
		bufferevent_setwatermark(bev, EV_READ, 0, 0);
		body = evbuffer_pullup(in, (ev_ssize_t)(PROTO_HEAD + n));
		if (!body)
			return chan_close(c, "out of memory");
		if (proto_parse(ntohl(head[0]), ntohl(head[1]), body + PROTO_HEAD, n, &msg, &why)) {
			evbuffer_drain(in, PROTO_HEAD + n);
			return chan_close(c, why);
		}
		evbuffer_drain(in, PROTO_HEAD + n);
		c->on_msg(&msg, c->arg);
		proto_msg_release(&msg);
	}
}

static void chan_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		chan_close(arg, (what & BEV_EVENT_EOF) ? "the other process closed the connection"
						       : "the connection to the other process failed");
}

struct proto_chan *proto_chan_new(struct event_base *base, int fd, proto_msg_fn on_msg,
				  proto_close_fn on_close, void *arg)
{
	struct proto_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->on_msg = on_msg;
	c->on_close = on_close;
	c->arg = arg;
	if (evutil_make_socket_nonblocking(fd) != 0 ||
	    !(c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		free(c);
		return NULL;
	}
	bufferevent_setcb(c->bev, chan_read, NULL, chan_event, c);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0) {
		proto_chan_free(c);
		return NULL;
	}
	return c;
}

int proto_seal(struct proto_out *o)
{
	uint32_t n;

	if (o->failed || o->len < PROTO_HEAD || o->len - PROTO_HEAD > PROTO_BODY_MAX)
		return -1;
	n = htonl((uint32_t)(o->len - PROTO_HEAD));
	memcpy(o->buf + 8, &n, 4);
	return 0;
}

int proto_send(struct proto_chan *c, struct proto_out *o)
{
	int rc = -1;

	if (c && !c->closed && proto_seal(o) == 0)
		rc = bufferevent_write(c->bev, o->buf, o->len) == 0 ? 0 : -1;
	if (o->buf)
		memset(o->buf, 0, o->len);
	free(o->buf);
	memset(o, 0, sizeof(*o));
	return rc;
}

int proto_chan_open(const struct proto_chan *c)
{
	return c && !c->closed;
}

size_t proto_chan_pending(const struct proto_chan *c)
{
	return c ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

void proto_chan_free(struct proto_chan *c)
{
	if (!c)
		return;
	if (c->bev)
		bufferevent_free(c->bev);
	free(c);
}

/* ---- blocking, for the front's first message ---- */

static int read_full(int fd, unsigned char *buf, size_t n, int64_t deadline_ms)
{
	size_t got = 0;

	while (got < n) {
		struct timespec ts;
		struct pollfd p = {fd, POLLIN, 0};
		int64_t now;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline_ms || poll(&p, 1, (int)(deadline_ms - now)) <= 0)
			return -1;
		r = read(fd, buf + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int proto_read_one(int fd, int timeout_ms, struct proto_msg *msg, const char **why)
{
	struct timespec ts;
	uint32_t head[3];
	unsigned char *body = NULL;
	int64_t deadline;
	size_t n;
	int rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
	memset(msg, 0, sizeof(*msg));
	if (read_full(fd, (unsigned char *)head, sizeof(head), deadline) != 0) {
		*why = "no message from the signer in time";
		return -1;
	}
	n = ntohl(head[2]);
	if (n > PROTO_BODY_MAX || !(body = malloc(n ? n : 1))) {
		*why = "message too long";
		return -1;
	}
	if (read_full(fd, body, n, deadline) != 0)
		*why = "the signer's message was cut short";
	else
		rc = proto_parse(ntohl(head[0]), ntohl(head[1]), body, n, msg, why);
	memset(body, 0, n);
	free(body);
	return rc;
}
