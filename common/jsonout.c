/* JSON on stdout, built with jansson so that every string is escaped right. */
#include <jansson.h>

#include "minica.h"

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
