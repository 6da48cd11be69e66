/*
 * One /bin/sh word: as it is when it is safe, else in single quotes (a quote
 * inside becomes '\''), for the commands minica prints for people to run.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

char *sh_quote(const char *word)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789/._-+:@,=";
	size_t len = 2, i;
	const char *p;
	char *out;

	if (*word && strspn(word, safe) == strlen(word))
		return strdup(word);
	for (p = word; *p; p++)
		len += *p == '\'' ? 4 : 1;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	i = 0;
	out[i++] = '\'';
	for (p = word; *p; p++) {
		if (*p == '\'') {
			memcpy(out + i, "'\\''", 4);
			i += 4;
		} else {
			out[i++] = *p;
		}
	}
	out[i++] = '\'';
	out[i] = '\0';
	return out;
}
