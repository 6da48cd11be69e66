/*
 * Replies to a request, below the handlers: the headers every response
 * carries (Replay-Nonce, Link to the directory, Cache-Control), JSON bodies,
 * problem documents, and the URLs of objects as the client addressed us.
 * Each reply frees the request.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
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
	free(q);
}

static void common_headers(struct acme_req *q)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(q->r);
	char *nonce = nonce_issue(q->s->nonces), link[400];

	if (nonce)
		evhttp_add_header(h, "Replay-Nonce", nonce);
	free(nonce);
	snprintf(link, sizeof(link), "<%s/acme/directory>;rel=\"index\"", q->base);
	evhttp_add_header(h, "Link", link);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (q->s->draining)
		evhttp_add_header(h, "Connection", "close");
}

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
	default: return status >= 500 ? "Internal Server Error" : "Status";
	}
}

void reply_raw(struct acme_req *q, int status, const char *type, const void *data, size_t len,
	       const char *link)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(q->r);

	common_headers(q);
	if (type)
		evhttp_add_header(h, "Content-Type", type);
	if (link)
		evhttp_add_header(h, "Link", link);
	if (len)
		evbuffer_add(evhttp_request_get_output_buffer(q->r), data, len);
	conn_request_end(q->r);
	evhttp_send_reply(q->r, status, reason(status), NULL);
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
		evhttp_add_header(evhttp_request_get_output_headers(q->r), "Location", location);
	reply_raw(q, status, "application/json", text ? text : "", text ? strlen(text) : 0, NULL);
	free(text);
	json_decref(body);
}

void reply_problem(struct acme_req *q, enum acme_problem p, const char *fmt, ...)
{
	char detail[600], *text;
	json_t *doc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	doc = acme_problem_json(p, detail);
	text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	reply_raw(q, acme_problem_status(p), "application/problem+json", text ? text : "{}",
		  text ? strlen(text) : 2, NULL);
	free(text);
}
