/* JSON on stdout, built with jansson so that every string is escaped right. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/*
 * Text read from disk may not be UTF-8 (a damaged record), and jansson
 * refuses such a string: keep it, with each byte above 0x7F as \xNN.
 */
struct json_t *json_text(const char *s)
{
	json_t *v = json_string(s);
	char *copy;
	size_t o = 0;

	if (v || !s)
		return v;
	copy = malloc(4 * strlen(s) + 1);
	if (!copy)
		return NULL;
	for (; *s; s++) {
		if ((unsigned char)*s < 0x80)
			copy[o++] = *s;
		else
			o += (size_t)sprintf(copy + o, "\\x%02X", (unsigned char)*s);
	}
	copy[o] = '\0';
	v = json_string(copy);
	free(copy);
	return v;
}

int json_emit(struct json_t *value)
{
	int rc = 0;

	if (!value)
		return fail(EX_OSERR, "out of memory building JSON output");
	if (json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', stdout) == EOF)
		rc = fail(EX_IOERR, "cannot write JSON output");
	json_decref(value);
	return rc;
}

/* v as json_dumps prints it, each line after the first indented by depth levels of 2 spaces. */
static int put_indented(FILE *f, const json_t *v, int depth)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY), *out = NULL;
	const char *p;
	size_t lines = 0, o = 0, pad = 2 * (size_t)depth;
	int rc = -1;

	if (!text)
		return -1;
	/* a string's own line breaks are escaped: every '\n' is the layout's */
	for (p = text; (p = strchr(p, '\n')); p++)
		lines++;
	if (!(out = malloc(strlen(text) + lines * pad + 1)))
		goto out;
	for (p = text; *p; p++) {
		out[o++] = *p;
		if (*p == '\n') {
			memset(out + o, ' ', pad);
			o += pad;
		}
	}
	rc = fwrite(out, 1, o, f) == o ? 0 : -1;
out:
	free(out);
	free(text);
	return rc;
}

int json_emit_streamed(struct json_t *top, const char *key, size_t n,
		       struct json_t *(*item)(size_t i, void *ctx), void *ctx)
{
	const char *k;
	json_t *v, *one;
	size_t i, keys = 0;
	int rc = 0, oom = 0;

	if (!top)
		return fail(EX_OSERR, "out of memory building JSON output");
	if (fputc('{', stdout) == EOF)
		rc = -1;
	json_object_foreach(top, k, v) {
		json_t *name = json_string(k);

		if (rc || !name || fputs(keys++ ? ",\n  " : "\n  ", stdout) == EOF ||
		    put_indented(stdout, name, 1) || fputs(": ", stdout) == EOF)
			rc = -1;
		oom |= !name;
		json_decref(name);
		if (rc)
			break;
		if (strcmp(k, key)) {
			rc = put_indented(stdout, v, 1);
			continue;
		}
		if (n == 0 && fputs("[]", stdout) == EOF)
			rc = -1;
		for (i = 0; i < n && rc == 0; i++) {
			if (!(one = item(i, ctx))) {
				oom = rc = -1;
				break;
			}
			if (fputs(i ? ",\n    " : "[\n    ", stdout) == EOF || put_indented(stdout, one, 2))
				rc = -1;
			json_decref(one);
		}
		if (rc == 0 && n && fputs("\n  ]", stdout) == EOF)
			rc = -1;
	}
	if (rc == 0 && fputs(keys ? "\n}\n" : "}\n", stdout) == EOF)
		rc = -1;
	json_decref(top);
	if (oom)
		return fail(EX_OSERR, "out of memory building JSON output");
	return rc ? fail(EX_IOERR, "cannot write JSON output") : 0;
}
