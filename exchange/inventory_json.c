/*
 * 'Get-ExchangeCertificate | ConvertTo-Json' (and Get-ChildItem Cert:\):
 * one object or an array of them, parsed by jansson. A JSON text starts on
 * a line that is "[" or "{" (or "[{"/"{\"" when -Compress put it on one
 * line) and ends where jansson stops; a string a mail client wrapped (a line
 * end inside it) is joined with a space, and said.
 *
 * Values become the text Format-List would have shown: dates stay as
 * written ("/Date(1824912000000)/" or ISO 8601, read by culture_dates.c);
 * Services as a number (Windows PowerShell writes enums so) becomes its
 * flag names; lists become "{a, b}" (an item that is an object gives its
 * Domain, Address, Unicode or Punycode member); Windows PowerShell's
 * {"value": ..., "DateTime": ...} wrapper gives its value; true is "True".
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"

/* Line ends inside strings mended per JSON text, and bytes parsed in all, at most. */
#define JSON_MENDS_MAX 256
#define JSON_WORK_FACTOR 4

/* The text of the unclaimed lines, one '\n' after each, and where each line starts. */
struct joined {
	char *buf;
	size_t len;
	size_t *at;           /* at[i]: offset of line i */
};

static int join_lines(struct parser *p, struct joined *j)
{
	size_t i, len = 0;

	for (i = 0; i < p->n_lines; i++)
		len += (p->lines[i].claimed ? 0 : p->lines[i].len) + 1;
	if (!(j->buf = malloc(len + 1)) || !(j->at = malloc((p->n_lines + 1) * sizeof(size_t))))
		return -1;
	for (i = 0, len = 0; i < p->n_lines; i++) {
		j->at[i] = len;
		if (!p->lines[i].claimed) {
			memcpy(j->buf + len, p->lines[i].s, p->lines[i].len);
			len += p->lines[i].len;
		}
		j->buf[len++] = '\n';
	}
	j->at[p->n_lines] = len;
	j->buf[len] = '\0';
	j->len = len;
	return 0;
}

/* The line index of offset off (binary search over the line starts). */
static size_t line_at(const struct parser *p, const struct joined *j, size_t off)
{
	size_t lo = 0, hi = p->n_lines;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->at[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int starts_json(const char *s)
{
	return !strcmp(s, "[") || !strcmp(s, "{") || !strncmp(s, "[{", 2) || !strncmp(s, "{\"", 2);
}

/* Exchange's AllowedServices flags. */
static const struct {
	long long bit;
	const char *name;
} service_bits[] = {
	{1, "IMAP"}, {2, "POP"}, {4, "UM"}, {8, "IIS"}, {16, "SMTP"}, {32, "Federation"},
	{64, "UMCallRouter"},
};

static char *services_text(long long v)
{
	char buf[128] = "";
	size_t i;

	if (v == 0)
		return strdup("None");
	for (i = 0; i < sizeof(service_bits) / sizeof(service_bits[0]); i++)
		if (v & service_bits[i].bit) {
			if (buf[0])
				strcat(buf, ", ");
			strcat(buf, service_bits[i].name);
		}
	return strdup(buf[0] ? buf : "None");
}

static const char *item_name(json_t *item)
{
	static const char *const keys[] = {"Domain", "Address", "Unicode", "Punycode"};
	size_t i;

	if (json_is_string(item))
		return json_string_value(item);
	for (i = 0; json_is_object(item) && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_is_string(json_object_get(item, keys[i])))
			return json_string_value(json_object_get(item, keys[i]));
	return NULL;
}

/* What Format-List would have shown for v, malloc'ed; NULL when nothing (or OOM: *oom). */
static char *value_text(const char *key, json_t *v, int *oom)
{
	char *out = NULL, num[32];
	size_t len = 0, i, n;
	FILE *mem;

	switch (json_typeof(v)) {
	case JSON_STRING:
		out = strndup(json_string_value(v), json_string_length(v));
		break;
	case JSON_TRUE:
		out = strdup("True");
		break;
	case JSON_FALSE:
		out = strdup("False");
		break;
	case JSON_INTEGER:
		if (!strcasecmp(key, "Services"))
			out = services_text(json_integer_value(v));
		else {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			out = strdup(num);
		}
		break;
	case JSON_OBJECT:
		if (json_object_get(v, "value"))
			return value_text(key, json_object_get(v, "value"), oom);
		return NULL;
	case JSON_ARRAY:
		if (!(mem = open_memstream(&out, &len)))
			break;
		fputc('{', mem);
		for (i = 0, n = 0; i < json_array_size(v); i++) {
			const char *name = item_name(json_array_get(v, i));

			if (name)
				fprintf(mem, "%s%s", n++ ? ", " : "", name);
		}
		fputc('}', mem);
		if (fclose(mem)) {
			free(out);
			out = NULL;
		}
		break;
	default:
		return NULL;
	}
	if (!out)
		*oom = 1;
	return out;
}

/* The line of "key" inside [from, to) of the text, else the object's first line. */
static long key_line(const struct parser *p, const struct joined *j, size_t from, size_t to,
		     const char *key)
{
	char pat[80];
	const char *hit;
	int n = snprintf(pat, sizeof(pat), "\"%s\"", key);

	if (n <= 0 || (size_t)n >= sizeof(pat) || to <= from)
		return (long)line_at(p, j, from) + 1;
	hit = memmem(j->buf + from, to - from, pat, (size_t)n);
	return (long)line_at(p, j, hit ? (size_t)(hit - j->buf) : from) + 1;
}

static int add_object(struct parser *p, const struct joined *j, json_t *obj, size_t from, size_t to)
{
	long first = (long)line_at(p, j, from) + 1, last = (long)line_at(p, j, to ? to - 1 : 0) + 1;
	struct run *run = inv_new_run(p, first, INV_JSON);
	const char *key;
	json_t *v;
	int oom = 0;

	if (!run)
		return -1;
	run->last = last;
	json_object_foreach(obj, key, v) {
		const char *name = inv_cert_property(key);
		char *text;

		if (!name || inv_find_prop(run, name))
			continue;
		if (!(text = value_text(key, v, &oom))) {
			if (oom)
				break;
			continue;
		}
		if (inv_add_prop(p, run, name, text, strlen(text), key_line(p, j, from, to, key)))
			oom = 1;
		free(text);
		if (oom)
			break;
	}
	run->last = last;
	if (oom)
		p->oom = 1;
	return oom ? -1 : 0;
}

/*
 * Where each object of a top-level array starts and ends in the text
 * (from, to): a scan of brackets outside strings. The array's objects are
 * in the same order as jansson's.
 */
static size_t next_object(const char *s, size_t from, size_t to, int depth, size_t *end)
{
	int in_string = 0;
	size_t i, start = to;

	for (i = from; i < to; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"')
			in_string = 1;
		else if (c == '{' || c == '[') {
			if (depth++ == 1 && c == '{')
				start = i;
		} else if ((c == '}' || c == ']') && --depth == 1 && start < to) {
			*end = i + 1;
			return start;
		}
	}
	*end = to;
	return start;
}

/* One JSON text at offset off; its lines are claimed. 0, 1 when none is there, -1 OOM. */
static int read_text(struct parser *p, struct joined *j, size_t off, size_t *work)
{
	json_error_t err;
	json_t *root = NULL;
	size_t mends = 0, used, i, from, to, first, last, k = 0, pos, d;
	int rc = 1, found;

	for (;;) {
		root = json_loadb(j->buf + off, j->len - off, JSON_DISABLE_EOF_CHECK, &err);
		*work += root ? (size_t)err.position : err.position > 0 ? (size_t)err.position : 1;
		if (root || mends >= JSON_MENDS_MAX || !strstr(err.text, "newline") ||
		    *work > JSON_WORK_FACTOR * j->len + 4096)
			break;
		/* a line end inside a string: a mail client wrapped it */
		pos = (size_t)err.position;
		for (d = 0, found = 0; d < 4 && d <= pos + 1 && !found; d++) {
			k = pos + 1 - d; /* the error is reported at, or just after, the line end */
			found = off + k < j->len && j->buf[off + k] == '\n';
		}
		if (!found)
			break;
		j->buf[off + k] = ' ';
		mends++;
		inv_note(p, (long)line_at(p, j, off + k) + 2,
			 "a JSON string went on over a line end (a mail client wrapped it): joined");
	}
	if (!root)
		return 1;
	used = (size_t)err.position;
	first = line_at(p, j, off);
	last = line_at(p, j, off + (used ? used - 1 : 0));
	for (k = first; k <= last; k++)
		p->lines[k].claimed = 1;
	if (json_is_object(root)) {
		rc = add_object(p, j, root, off, off + used) ? -1 : 0;
	} else if (json_is_array(root)) {
		rc = 0;
		for (i = 0, from = off; i < json_array_size(root) && rc == 0; i++) {
			size_t start = next_object(j->buf, from, off + used, i ? 1 : 0, &to);
			json_t *item = json_array_get(root, i);

			if (json_is_object(item))
				rc = add_object(p, j, item, start < off + used ? start : from, to);
			if (start < off + used)
				from = to;
		}
	}
	json_decref(root);
	return rc;
}

int inv_read_json(struct parser *p)
{
	struct joined j = {NULL, 0, NULL};
	size_t i, work = 0;
	int rc = 0, any = 0;

	for (i = 0; i < p->n_lines && !any; i++)
		any = starts_json(p->lines[i].s);
	if (!any)
		return 0;
	if (join_lines(p, &j)) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < p->n_lines && rc >= 0; i++) {
		if (p->lines[i].claimed || !starts_json(p->lines[i].s))
			continue;
		if (work > JSON_WORK_FACTOR * j.len + 4096) {
			inv_note(p, (long)i + 1, "too many lines that look like the start of JSON: "
						 "not read as JSON from here on");
			break;
		}
		rc = read_text(p, &j, j.at[i], &work);
		while (rc == 0 && i + 1 < p->n_lines && p->lines[i + 1].claimed)
			i++;
	}
out:
	free(j.buf);
	free(j.at);
	if (rc < 0)
		p->oom = 1;
	return rc < 0 ? -1 : 0;
}
