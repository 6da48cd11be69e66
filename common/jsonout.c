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
