/*
 * Fuzz target: the template logical-line reader (issue/template_text.c)
 * against OpenSSL's own NCONF reader. Each input is read by conf_lines
 * (no crash, no line break inside a logical line, line numbers that never
 * go back) and checked by template_text_check. When the check lets a text
 * through, NCONF must then read it without a '$' expansion and without an
 * include: an expansion of an unknown variable, or an include of a file
 * that does not exist (includes are made relative to a directory that does
 * not exist), leaves an error that says so, and any such error means the
 * reader and NCONF disagree about the lines.
 */
#include <openssl/conf.h>
#include <openssl/err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issue/issue.h"
#include "common/common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("OPENSSL_CONF_INCLUDE", "/nonexistent/minica-fuzz-include", 1);
	unsetenv("HOME"); /* $ENV::HOME must not exist either */
	return 0;
}

struct lines {
	long last;
};

static int visit(const char *line, long lineno, void *vctx)
{
	struct lines *l = vctx;

	if (strchr(line, '\n') || lineno < 1 || lineno < l->last)
		abort();
	l->last = lineno;
	return 0;
}

/* An error NCONF leaves only when it expanded, included or obeyed a directive. */
static int sign_of_expansion(unsigned long e)
{
	int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);

	if (lib == ERR_LIB_SYS)
		return 1; /* stat() of an include */
	return lib == ERR_LIB_CONF &&
	       (reason == CONF_R_VARIABLE_HAS_NO_VALUE || reason == CONF_R_NO_CLOSE_BRACE ||
		reason == CONF_R_VARIABLE_EXPANSION_TOO_LONG || reason == CONF_R_INVALID_PRAGMA ||
		reason == CONF_R_RECURSIVE_DIRECTORY_INCLUDE || reason == CONF_R_RELATIVE_PATH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lines l = {0};
	CONF *conf = NULL;
	BIO *bio = NULL;
	long errline = -1;
	unsigned long e;

	if (conf_lines((const char *)data, size, visit, &l) < 0)
		abort();
	if (size > INT32_MAX || template_text_check("fuzz", (const char *)data, size) != 0)
		goto out;
	ERR_clear_error();
	conf = NCONF_new(NULL);
	bio = BIO_new_mem_buf(data, (int)size);
	if (!conf || !bio)
		abort();
	(void)NCONF_load_bio(conf, bio, &errline);
	while ((e = ERR_get_error()) != 0)
		if (sign_of_expansion(e))
			abort(); /* the check let through what NCONF expands or includes */
out:
	BIO_free(bio);
	NCONF_free(conf);
	ERR_clear_error();
	return 0;
}
