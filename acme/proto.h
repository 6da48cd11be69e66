/*
 * The messages between serve's two processes (docs/serve-processes.md): the
 * front, which holds the network and no key, and the signer, which holds
 * the CA key and the store. One socketpair; each message is a 12-byte head
 * (type, request id, body length; network byte order) and a body of
 * tag-length-value fields. Each side parses what the other sends as it
 * parses the network: every length is checked before anything is read or
 * buffered, every tag must be one this type knows, at most once, and the
 * fields a type needs must be there. A peer that breaks a rule is cut off.
 */
#ifndef MINICA_ACME_PROTO_H
#define MINICA_ACME_PROTO_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_HEAD 12
#define PROTO_BODY_MAX (256 * 1024) /* a request's 64 KiB body and its fields, with room */

enum proto_type {
	P_REQUEST = 1,  /* front -> signer: one HTTP request */
	P_RESPONSE,     /* signer -> front: its answer */
	P_VALIDATE,     /* signer -> front: validate this challenge */
	P_VERDICT,      /* front -> signer: what the validation found */
	P_TLS,          /* signer -> front: the server's TLS certificate chain and key */
	P_READY,        /* front -> signer: listening, sandboxed */
	P_TYPE_END
};

enum proto_tag {
	T_METHOD = 1, /* "GET", "HEAD", "POST" */
	T_PATH,
	T_BASE,       /* https://HOST[:PORT] as the client addressed the server */
	T_CTYPE,
	T_BODY,
	T_PEER,       /* the client's address, for the log */
	T_STATUS,     /* decimal */
	T_HEADERS,    /* "Name: value\n" lines */
	T_AUTHZ,
	T_INDEX,      /* decimal */
	T_KIND,       /* "http-01", "dns-01", "tls-alpn-01" */
	T_NAME,
	T_TOKEN,
	T_EXPECTED,
	T_DIGEST,     /* tls-alpn-01: SHA-256 of the key authorization, 32 bytes */
	T_ACCOUNT,
	T_OK,         /* "1" or "0" */
	T_PROBLEM,    /* enum acme_problem, decimal */
	T_DETAIL,
	T_CERT_PEM,
	T_KEY_PEM,
	T_TAG_END
};

/* A parsed message: each field NUL-terminated (bytes may hold NULs: use len). */
struct proto_msg {
	uint32_t type, id;
	char *field[T_TAG_END];
	size_t len[T_TAG_END];
};

/* Parses one body. 0, or -1 with *why (static text); msg is empty on failure. */
int proto_parse(uint32_t type, uint32_t id, const unsigned char *body, size_t len,
		struct proto_msg *msg, const char **why);
void proto_msg_release(struct proto_msg *msg);
/* A decimal field in [lo, hi]: 0, or -1 */
int proto_number(const struct proto_msg *msg, int tag, long lo, long hi, long *out);

/* Building a message: fields appended to a growing buffer. */
struct proto_out {
	unsigned char *buf;
	size_t len, cap;
	int failed;
};
void proto_begin(struct proto_out *o, uint32_t type, uint32_t id);
void proto_add(struct proto_out *o, int tag, const void *data, size_t len);
void proto_add_str(struct proto_out *o, int tag, const char *text); /* NULL: left out */
void proto_add_long(struct proto_out *o, int tag, long n);
/* The body's length into the head: o->buf[0..o->len) is then the message. 0, or -1 */
int proto_seal(struct proto_out *o);

/*
 * One end of the socketpair on an event loop: whole messages go to on_msg,
 * the end of the peer (or a message that breaks the rules) to on_close,
 * once. Sends are queued and written as the socket takes them.
 */
struct proto_chan;
typedef void (*proto_msg_fn)(struct proto_msg *msg, void *arg); /* msg is released after */
typedef void (*proto_close_fn)(const char *why, void *arg);
struct proto_chan *proto_chan_new(struct event_base *base, int fd, proto_msg_fn on_msg,
				  proto_close_fn on_close, void *arg);
int proto_send(struct proto_chan *c, struct proto_out *o); /* frees o's buffer; 0 or -1 */
int proto_chan_open(const struct proto_chan *c);
size_t proto_chan_pending(const struct proto_chan *c); /* bytes not yet written */
void proto_chan_free(struct proto_chan *c);

/* Blocking: one message within timeout_ms (the front's start, before its loop runs). */
int proto_read_one(int fd, int timeout_ms, struct proto_msg *msg, const char **why);

#endif
