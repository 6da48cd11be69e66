/*
 * What the inventory's readers share: notes with line numbers, runs of
 * properties and their values (grown geometrically and bounded, so that a
 * value continued on a million lines costs linear time and VALUE_MAX bytes).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "exchange.h"
#include "inventory_parser.h"

/*
 * Properties of Exchange's certificate objects (2007 to 2019, 'fl' and 'fl *'), and of
 * Get-ChildItem Cert:\ ('fl *') where they differ; sorted as strcasecmp sorts them.
 */
static const char *const cert_properties[] = {
	"AccessRules", "Archived", "CertificateDomains", "CertificateRequest", "DnsNameList",
	"EnhancedKeyUsageList", "Extensions", "FriendlyName", "Handle", "HasPrivateKey", "Identity",
	"IISServices", "IsSelfSigned", "Issuer", "IssuerName", "IsValid", "KeyIdentifier", "NotAfter",
	"NotBefore", "ObjectState", "OriginatingServer", "PrivateKey", "PrivateKeyExportable",
	"PSChildName", "PSParentPath", "PSPath", "PublicKey", "PublicKeySize", "RawData",
	"RootCAType", "SendAsTrustedIssuer", "SerialNumber", "ServerName", "Services",
	"ServicesStringForm", "SignatureAlgorithm", "Status", "Subject", "SubjectKeyIdentifier",
	"SubjectName", "Thumbprint", "Version",
};

/* strcasecmp's order; the first letters, compared first, settle most of a lookup */
static int by_name(const void *key, const void *item)
{
	const char *k = key, *name = *(const char *const *)item;
	int a = tolower((unsigned char)k[0]), b = tolower((unsigned char)name[0]);

	return a != b ? a - b : strcasecmp(k, name);
}

const char *inv_cert_property(const char *name)
{
	const char *const *hit = bsearch(name, cert_properties,
					 sizeof(cert_properties) / sizeof(cert_properties[0]),
					 sizeof(cert_properties[0]), by_name);

	return hit ? *hit : NULL;
}

int inv_is_cert_property(const char *name)
{
	return inv_cert_property(name) != NULL;
}

#define HUGE_PAGE ((size_t)2 << 20) /* x86-64's; elsewhere a harmless request */
#define HUGE_MIN (2 * HUGE_PAGE)      /* a buffer with at least one whole huge page in it */

void inv_huge_pages(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = HUGE_PAGE;
	uintptr_t from = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t to = ((uintptr_t)p + len) & ~(huge - 1);

	/* advice: when the kernel does not take it, the pages are only smaller */
	if (to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

void *inv_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = realloc(p, n * size);
	if (q) {
		*cap = n;
		if (n * size >= HUGE_MIN) /* the runs and certificates of a large paste */
			inv_huge_pages(q, n * size);
	}
	return q;
}

/* A value quoted in a note: at most QUOTE_MAX bytes, cut on a UTF-8 boundary. */
const char *inv_quote(const char *value, char buf[QUOTE_MAX + 4])
{
	size_t len = strlen(value);

	if (len <= QUOTE_MAX)
		return value;
	len = QUOTE_MAX;
	while (len > 0 && ((unsigned char)value[len] & 0xC0) == 0x80)
		len--;
	memcpy(buf, value, len);
	memcpy(buf + len, "...", 4);
	return buf;
}

void inv_note(struct parser *p, long line, const char *fmt, ...)
{
	struct inventory *inv = p->inv;
	struct inv_note *grown;
	va_list ap;
	char *text = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	grown = n < 0 ? NULL : inv_grow(inv->notes, &inv->cap_notes, inv->n_notes + 1, sizeof(*grown));
	if (!grown) {
		if (n >= 0)
			free(text);
		p->oom = 1;
		return;
	}
	inv->notes = grown;
	inv->notes[inv->n_notes].line = line;
	inv->notes[inv->n_notes].text = text;
	inv->n_notes++;
}

struct prop *inv_find_prop(const struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (inv_same_name(r->props[i].name, name))
			return &r->props[i];
	return NULL;
}

int inv_has_thumbprint(const struct run *r)
{
	return inv_find_prop(r, "Thumbprint") != NULL;
}

struct run *inv_new_run(struct parser *p, long line, int format)
{
	struct run *grown = inv_grow(p->runs, &p->cap_runs, p->n_runs + 1, sizeof(*grown));

	if (!grown) {
		p->oom = 1;
		return NULL;
	}
	p->runs = grown;
	memset(&p->runs[p->n_runs], 0, sizeof(struct run));
	p->runs[p->n_runs].first = p->runs[p->n_runs].last = line;
	p->runs[p->n_runs].format = format;
	return &p->runs[p->n_runs++];
}

static void too_long(struct parser *p, struct prop *pr)
{
	if (!pr->cut)
		inv_note(p, pr->line, "the value of %s is longer than %d bytes: cut there (is this "
				      "the right file?)",
			 pr->name, VALUE_MAX);
	pr->cut = 1;
}

/*
 * 16 props for a new run, from the pool: a malloc of its own for each of
 * 100,000 runs touched a fresh page every 8 runs; a large paste's blocks are
 * huge pages (HUGE_PAGE each, aligned), a small one's 16 KiB.
 */
static struct prop *pool_take(struct parser *p)
{
	struct prop_block *b = p->pool;

	if (!b || b->used + 16 > b->size) {
		int huge = p->n_lines >= 100000;
		size_t bytes = huge ? HUGE_PAGE : 16384;

		if (huge ? posix_memalign((void **)&b, HUGE_PAGE, bytes) != 0 : !(b = malloc(bytes)))
			return NULL;
		if (huge)
			inv_huge_pages(b, bytes);
		b->next = p->pool;
		b->used = 0;
		b->size = (bytes - sizeof(*b)) / sizeof(struct prop);
		p->pool = b;
	}
	b->used += 16;
	return b->props + b->used - 16;
}

/* More room for a run's props: out of the pool onto the heap (never realloc'd there). */
static struct prop *grow_props(struct run *r)
{
	struct prop *grown;
	size_t cap = r->cap;

	if (!r->pooled)
		return inv_grow(r->props, &r->cap, r->n + 1, sizeof(*grown));
	if (!(grown = inv_grow(NULL, &cap, r->cap * 2, sizeof(*grown))))
		return NULL;
	memcpy(grown, r->props, r->n * sizeof(*grown));
	r->cap = cap;
	r->pooled = 0;
	return grown;
}

void inv_free_props(struct run *r)
{
	if (!r->pooled)
		free(r->props);
	r->props = NULL;
	r->pooled = 0;
}

/* borrow: value lies in p->text with a NUL at value[len]; it is used in place, not copied. */
static int add_prop(struct parser *p, struct run *r, const char *name, char *value, size_t len,
		    long line, int borrow)
{
	struct prop *grown = r->cap ? r->n < r->cap ? r->props : grow_props(r) : pool_take(p);
	struct prop *pr;

	if (!grown) {
		p->oom = 1;
		return -1;
	}
	if (!r->cap) {
		r->cap = 16;
		r->pooled = 1;
	}
	r->props = grown;
	pr = &r->props[r->n];
	memset(pr, 0, sizeof(*pr));
	pr->line = line;
	pr->name = name;
	if (len > VALUE_MAX) {
		too_long(p, pr);
		len = VALUE_MAX;
	}
	if (borrow) {
		pr->value = value;
		value[len] = '\0';
	} else {
		pr->cap = len + 1;
		if (!(pr->value = malloc(pr->cap))) {
			p->oom = 1;
			return -1;
		}
		memcpy(pr->value, value, len);
		pr->value[len] = '\0';
	}
	pr->len = len;
	r->n++;
	if (line > r->last)
		r->last = line;
	return 0;
}

int inv_add_prop(struct parser *p, struct run *r, const char *name, const char *value, size_t len,
		 long line)
{
	return add_prop(p, r, name, (char *)value, len, line, 0);
}

int inv_add_prop_in_text(struct parser *p, struct run *r, const char *name, char *value,
			 size_t len, long line)
{
	return add_prop(p, r, name, value, len, line, 1);
}

int inv_append(struct parser *p, struct run *r, const char *more, size_t len, int space, long line)
{
	struct prop *last = &r->props[r->n - 1];
	size_t need, room;

	r->last = line;
	if (last->cut)
		return 0;
	space = space && last->len > 0;
	if (last->len + (size_t)space + len > VALUE_MAX) {
		too_long(p, last);
		room = VALUE_MAX - last->len;
		len = room > (size_t)space ? room - (size_t)space : 0;
		space = space && room > 0;
	}
	need = last->len + (size_t)space + len + 1;
	if (need > last->cap) {
		size_t cap = last->cap * 2 > need ? last->cap * 2 : need < 64 ? 64 : need;
		/* a value in p->text (cap 0) moves to the heap when it grows */
		char *grown = last->cap ? realloc(last->value, cap) : malloc(cap);

		if (!grown) {
			p->oom = 1;
			return -1;
		}
		if (!last->cap)
			memcpy(grown, last->value, last->len + 1);
		last->value = grown;
		last->cap = cap;
	}
	if (space)
		last->value[last->len++] = ' ';
	memcpy(last->value + last->len, more, len);
	last->len += len;
	last->value[last->len] = '\0';
	return 0;
}

void inv_free_runs(struct parser *p)
{
	size_t i, j;

	for (i = 0; i < p->n_runs; i++) {
		for (j = 0; j < p->runs[i].n; j++)
			if (p->runs[i].props[j].cap)
				free(p->runs[i].props[j].value);
		inv_free_props(&p->runs[i]);
	}
	while (p->pool) {
		struct prop_block *next = p->pool->next;

		free(p->pool);
		p->pool = next;
	}
	free(p->runs);
	p->runs = NULL;
	p->n_runs = p->cap_runs = 0;
}
