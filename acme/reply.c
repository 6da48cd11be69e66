/*
 * Replies to a request, below the handlers: the headers every response
 * carries (Replay-Nonce, Link to the directory, Cache-Control), JSON bodies,
 * problem documents, and the URLs of objects as the client addressed us.
 * Each reply frees the request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

void iso_time(int64_t t, char out[TIME_BUF])
{
	fmt_time_iso(t, out);
}

char *url_of(const struct acme_req *q, const char *fmt, ...)
{
	char path[512], *out = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (asprintf(&out, "%s%s", q->base, path) < 0)
		return NULL;
	return out;
}

void req_free(struct acme_req *q)
{
	jws_release(&q->jws);
	json_decref(q->account);
	EVP_PKEY_free(q->key);
	proto_msg_release(&q->msg);
	free(q->headers);
	free(q);
}

/* Header names are the server's own; values must not end the header early. */
void reply_header(struct acme_req *q, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h;

	if (strpbrk(value, "\r\n") || !(h = realloc(q->headers, q->headers_len + n + 1)))
		return;
	q->headers = h;
	snprintf(h + q->headers_len, n + 1, "%s: %s\n", name, value);
	q->headers_len += n;
}

static void common_headers(struct acme_req *q)
{
	char *nonce = nonce_issue(q->s->nonces), link[400];

	if (nonce)
		reply_header(q, "Replay-Nonce", nonce);
	free(nonce);
	snprintf(link, sizeof(link), "<%s/acme/directory>;rel=\"index\"", q->base);
	reply_header(q, "Link", link);
	reply_header(q, "Cache-Control", "no-store");
}

/* The answer goes to the front, which sends it to the client; then q is done. */
void reply_raw(struct acme_req *q, int status, const char *type, const void *data, size_t len,
	       const char *link)
{
	struct proto_out o;

	if (q->front_gen != q->s->front_gen) {
		/* asked by a front that died meanwhile: the new one's request of that number is another */
		req_free(q);
		return;
	}
	common_headers(q);
	if (type)
		reply_header(q, "Content-Type", type);
	if (link)
		reply_header(q, "Link", link);
	proto_begin(&o, P_RESPONSE, q->id);
	proto_add_long(&o, T_STATUS, status);
	if (q->headers)
		proto_add(&o, T_HEADERS, q->headers, q->headers_len);
	if (len)
		proto_add(&o, T_BODY, data, len);
	if (o.failed) {
		/* larger than a message may be: say so instead of nothing */
		proto_send(q->s->chan, &o);
		proto_begin(&o, P_RESPONSE, q->id);
		proto_add_long(&o, T_STATUS, 500);
	}
	if (proto_send(q->s->chan, &o) != 0 && proto_chan_open(q->s->chan))
		warning("serve: cannot pass an answer to the front");
	req_free(q);
}

void reply_json(struct acme_req *q, int status, json_t *body, const char *location)
{
	char *text = body ? json_dumps(body, JSON_INDENT(2)) : NULL;

	if (body && !text) {
		json_decref(body);
		reply_problem(q, ACME_SERVER_INTERNAL, "out of memory");
		return;
	}
	if (location)
		reply_header(q, "Location", location);
	reply_raw(q, status, "application/json", text ? text : "", text ? strlen(text) : 0, NULL);
	free(text);
	json_decref(body);
}

void reply_problem(struct acme_req *q, enum acme_problem p, const char *fmt, ...)
{
	char *text;
	va_list ap;

	va_start(ap, fmt);
	text = acme_problem_text(p, fmt, ap);
	va_end(ap);
	reply_raw(q, acme_problem_status(p), "application/problem+json", text ? text : "{}",
		  text ? strlen(text) : 2, NULL);
	free(text);
}

/*
 * serverInternal for a failure whose diagnostic names the server's files
 * (the store, templates): the client learns what failed, the server's log
 * why. Paths on the server are nobody's business on the network.
 */
void reply_internal(struct acme_req *q, const char *what)
{
	warning("serve: %s %s: %s: %s", q->method == ACME_POST ? "POST" : "GET",
		q->path ? q->path : "?", what, diag_last());
	reply_problem(q, ACME_SERVER_INTERNAL, "%s; the server's log says why", what);
}
