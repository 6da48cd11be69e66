/*
 * What to say when there is no store where minica looks. A mistyped --store
 * must not lead to a second CA: 'init' is offered only for an empty
 * directory, and for the default location (the first run), never for a
 * directory that does not exist where one was named.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "store_internal.h"

/* 1 when the directory holds nothing, 0 when it holds something, -1 when it cannot be read */
static int dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -1;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* No store at dir: why, where minica looked, and what to do (EX_NOINPUT after a message). */
int store_not_initialised(const char *dir)
{
	const char *source = strcmp(dir, store_dir()) ? NULL : store_dir_source();
	char *q = NULL;
	int empty, rc;

	if (access(dir, F_OK) != 0) {
		if (!strcmp(dir, store_dir()) && !source)
			return fail(EX_NOINPUT, "store %s: not initialised: no store at the default "
						"location yet (--store DIR or $MINICA_STORE choose "
						"another); create one with 'minica init --name NAME'",
				    dir);
		if (source)
			return fail(EX_NOINPUT, "store %s: not initialised: no such directory (from "
						"%s; minica looks in --store DIR, else $MINICA_STORE, "
						"else %s): check the path",
				    dir, source, store_default_dir());
		return fail(EX_NOINPUT, "store %s: no such directory: check the path", dir);
	}
	empty = dir_empty(dir);
	if (empty < 0)
		return fail(EX_NOPERM, "store %s: %s", dir, strerror(errno));
	if (!empty)
		return fail(EX_NOINPUT, "store %s: not initialised: the directory holds no minica "
					"store (no data.mdb): check the path (--store, $MINICA_STORE)",
			    dir);
	if (source && !strcmp(source, "--store") && !(q = sh_quote(dir)))
		return fail(EX_OSERR, "out of memory");
	rc = fail(EX_NOINPUT, "store %s: not initialised: the directory is empty; create a CA "
			      "there with 'minica%s%s init --name NAME'",
		  dir, q ? " --store " : "", q ? q : "");
	free(q);
	return rc;
}

