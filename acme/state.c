/*
 * The server's request-state helpers, below the handlers: the lists of
 * challenges being validated and orders being finalized (so that a second
 * request for the same one waits for the first), and the parsed templates
 * kept until SIGHUP (the loop's, and each worker's).
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

int inflight_has(struct inflight *list, const char *id)
{
	for (; list; list = list->next)
		if (!strcmp(list->id, id))
			return 1;
	return 0;
}

int inflight_add(struct inflight **list, const char *id)
{
	struct inflight *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->next = *list;
	*list = f;
	return 0;
}

void inflight_del(struct inflight **list, const char *id)
{
	struct inflight **p, *f;

	for (p = list; *p; p = &(*p)->next) {
		if (!strcmp((*p)->id, id)) {
			f = *p;
			*p = f->next;
			free(f);
			return;
		}
	}
}

/* Templates are parsed once and kept until SIGHUP (the loop's, and each worker's). */
const struct template *tpl_cache_get(struct tpl_cache *c, const char *name)
{
	struct template *t = NULL;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->t[i]->name, name))
			return c->t[i];
	if (template_load(name, &t) != 0)
		return NULL;
	if (c->n == ACME_TEMPLATE_CACHE) {
		template_free(c->t[0]);
		memmove(c->t, c->t + 1, (ACME_TEMPLATE_CACHE - 1) * sizeof(t));
		c->n--;
	}
	c->t[c->n++] = t;
	return t;
}

void tpl_cache_drop(struct tpl_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		template_free(c->t[i]);
	c->n = 0;
}

const struct template *srv_template(struct srv *s, const char *name)
{
	return tpl_cache_get(&s->templates, name);
}
