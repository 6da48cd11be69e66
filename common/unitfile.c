/*
 * Pieces of systemd unit files that minica writes (schedule's timer, serve's
 * service): command-line words and free text escaped as systemd.service(5)
 * and systemd.syntax(7) say, and the account that owns a store.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "minica.h"

/*
 * systemd.service(5) "Command lines": a word in double quotes with C
 * escapes; '%' starts a specifier and '$' a variable, so both are doubled.
 */
void unit_put_word(FILE *f, const char *word)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789/._-+:@,=";
	const char *p;

	if (*word && strspn(word, safe) == strlen(word)) {
		fputs(word, f);
		return;
	}
	fputc('"', f);
	for (p = word; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		if (*p == '%' || *p == '$')
			fputc(*p, f);
		fputc(*p, f);
	}
	fputc('"', f);
}

/* Free text in a unit file: only '%' is special there. */
void unit_put_text(FILE *f, const char *text)
{
	for (; *text; text++) {
		if (*text == '%')
			fputc('%', f);
		fputc(*text, f);
	}
}

/* The account that owns the store is the one that can read it (malloc'ed). */
char *unit_store_owner(const char *dir)
{
	struct stat st;
	struct passwd *pw;
	char *out = NULL;

	if (stat(dir, &st) != 0)
		return NULL;
	pw = getpwuid(st.st_uid);
	if (pw && pw->pw_name && strspn(pw->pw_name, "abcdefghijklmnopqrstuvwxyz"
						   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
					 strlen(pw->pw_name))
		return strdup(pw->pw_name);
	if (asprintf(&out, "%u", (unsigned)st.st_uid) < 0)
		return NULL;
	return out;
}
