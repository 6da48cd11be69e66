/*
 * The hosts whose TLSA records are (about to be) in DNS: 'dane --host'
 * marks a host, because printing its records is the step before publishing
 * them; from then on 'renew' of that host warns unless a key was staged,
 * and 'check --dane' checks it. One meta value, "dane.hosts", one line per
 * host: "HOST PORT [MX]...". Text the store keeps as opaque bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "dane/dane.h"

#define DANE_HOSTS_KEY "dane.hosts"

void dane_hosts_free(struct dane_hosts *h)
{
	size_t i, j;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].host);
		for (j = 0; j < h->v[i].n_mx; j++)
			free(h->v[i].mx[j]);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

static int parse_line(char *line, struct dane_host *d)
{
	char *save = NULL, *w = strtok_r(line, " ", &save), *end;

	memset(d, 0, sizeof(*d));
	if (!w || !(d->host = strdup(w)))
		return -1;
	w = strtok_r(NULL, " ", &save);
	d->port = w ? strtol(w, &end, 10) : 0;
	if (!w || *end || d->port < 1 || d->port > 65535)
		return -1;
	while ((w = strtok_r(NULL, " ", &save)) && d->n_mx < DANE_MX_MAX)
		if (!(d->mx[d->n_mx++] = strdup(w)))
			return -1;
	return 0;
}

static int parse(char *text, const char *path, struct dane_hosts *out)
{
	char *save = NULL, *line;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct dane_host *v = realloc(out->v, (out->n + 1) * sizeof(*v));

		if (!v)
			return fail(EX_OSERR, "out of memory");
		out->v = v;
		if (parse_line(line, &v[out->n])) {
			out->n++;
			return fail(EX_IOERR, "store %s: the list of DANE hosts is damaged (mark them "
					      "again with 'minica dane --host NAME')",
				    path);
		}
		out->n++;
	}
	return 0;
}

int dane_hosts_load(store *st, struct dane_hosts *out)
{
	void *val = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_meta_get(st, DANE_HOSTS_KEY, &val, &len)) == 0 && val)
		rc = parse(val, store_path(st), out);
	free(val);
	if (rc)
		dane_hosts_free(out);
	return rc;
}

const struct dane_host *dane_hosts_find(const struct dane_hosts *h, const char *host)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!strcmp(h->v[i].host, host))
			return &h->v[i];
	return NULL;
}

static void host_line(FILE *f, const struct dane_host *d)
{
	size_t j;

	fprintf(f, "%s %ld", d->host, d->port);
	for (j = 0; j < d->n_mx; j++)
		fprintf(f, " %s", d->mx[j]);
}

struct mark_ctx {
	const struct dane_host *mark;
	int unmark;
	const char *path; /* the store's, for a message */
};

static int mark_fn(store_txn *txn, void *vctx)
{
	struct mark_ctx *c = vctx;
	struct dane_hosts h = {0};
	struct store_audit a = {0};
	char *old = NULL, *text = NULL, *detail = NULL;
	size_t len = 0, dlen = 0, i;
	FILE *mem = NULL, *dmem = NULL;
	int rc;

	if ((rc = store_txn_meta_get(txn, DANE_HOSTS_KEY, (void **)&old, &len)) ||
	    (old && (rc = parse(old, c->path, &h))))
		goto out;
	if (!(mem = open_memstream(&text, &len)) || !(dmem = open_memstream(&detail, &dlen))) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	for (i = 0; i < h.n; i++)
		if (strcmp(h.v[i].host, c->mark->host)) {
			host_line(mem, &h.v[i]);
			fputc('\n', mem);
		}
	if (!c->unmark) {
		host_line(mem, c->mark);
		fputc('\n', mem);
	}
	fprintf(dmem, "%s ", c->unmark ? "unmark" : "mark");
	host_line(dmem, c->mark);
	if (fclose(mem) | fclose(dmem)) {
		mem = dmem = NULL;
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	mem = dmem = NULL;
	rc = len ? store_txn_meta_put(txn, DANE_HOSTS_KEY, text, len)
		 : store_txn_meta_del(txn, DANE_HOSTS_KEY);
	if (rc)
		goto out;
	a.action = (char *)"dane";
	a.detail = detail;
	rc = store_txn_audit(txn, &a);
out:
	if (mem)
		fclose(mem);
	if (dmem)
		fclose(dmem);
	dane_hosts_free(&h);
	free(old);
	free(text);
	free(detail);
	return rc;
}

int dane_mark(store *st, const struct dane_host *mark, int unmark)
{
	struct mark_ctx c = {mark, unmark, store_path(st)};

	return store_write(st, mark_fn, &c);
}
