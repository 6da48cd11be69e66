/*
 * What 'minica schedule' writes: the remind command line with the absolute
 * paths of this binary and this store, as a systemd service + timer pair
 * or one crontab line. Text only: the command writes the files.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "expiry.h"
#include "issue/issue.h"

/* ---- the remind command line ---- */

static int add_word(struct words *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_word(struct words *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->n == sizeof(w->v) / sizeof(w->v[0]))
		return fail(EX_USAGE, "too many --mail options");
	va_start(ap, fmt);
	n = vasprintf(&w->v[w->n], fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(EX_OSERR, "out of memory");
	w->n++;
	return 0;
}

void words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	w->n = 0;
}

/* Control characters cannot be written into a unit file or a crontab line. */
int schedule_plain_path(const char *what, const char *path)
{
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return fail(EX_DATAERR, "%s %s: has a control character; it cannot be written "
						"into a schedule",
				    what, printable(path));
	return 0;
}

/*
 * The template directory in use now (--templates, else $MINICA_TEMPLATES),
 * absolute, or NULL for the installed one: the timer's remind needs the same
 * templates to tell whether the CA outlives a new certificate, and neither
 * the option nor the variable reaches a timer or cron.
 */
char *schedule_templates_dir(void)
{
	const char *dirs[3];
	int i, n = template_dirs(dirs);

	for (i = 0; i < n - 1; i++) {
		char *abs = realpath(dirs[i], NULL);

		if (abs)
			return abs;
	}
	return NULL;
}

int remind_words(const struct policy_limits *lim, const struct mail_options *mail,
		 const char *exe, const char *dir, const char *templates, int quiet,
		 struct words *w)
{
	static const struct policy_limits defaults = {POLICY_CA_WARN, POLICY_CA_CRIT,
						      POLICY_LEAF_WARN, POLICY_LEAF_CRIT};
	size_t i;
	int rc;

	if ((rc = add_word(w, "%s", exe)) || (rc = add_word(w, "--store")) ||
	    (rc = add_word(w, "%s", dir)) ||
	    (templates && ((rc = add_word(w, "--templates")) || (rc = add_word(w, "%s", templates)))) ||
	    (quiet && (rc = add_word(w, "-q"))) || (rc = add_word(w, "remind")))
		return rc;
	for (i = 0; i < mail->n_to; i++)
		if ((rc = add_word(w, "--mail")) || (rc = add_word(w, "%s", mail->to[i])))
			return rc;
	if (mail->from && ((rc = add_word(w, "--from")) || (rc = add_word(w, "%s", mail->from))))
		return rc;
	if (mail->sendmail && ((rc = add_word(w, "--sendmail")) || (rc = add_word(w, "%s", mail->sendmail))))
		return rc;
	if (lim->ca_warn != defaults.ca_warn &&
	    (rc = add_word(w, "--warn=%ld", lim->ca_warn)))
		return rc;
	if (lim->ca_crit != defaults.ca_crit &&
	    (rc = add_word(w, "--crit=%ld", lim->ca_crit)))
		return rc;
	if (lim->leaf_warn != defaults.leaf_warn &&
	    (rc = add_word(w, "--leaf-warn=%ld", lim->leaf_warn)))
		return rc;
	if (lim->leaf_crit != defaults.leaf_crit &&
	    (rc = add_word(w, "--leaf-crit=%ld", lim->leaf_crit)))
		return rc;
	return 0;
}

/* ---- systemd units ---- */

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

char *unit_service_text(const struct words *w, const char *dir, const char *user)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("# Written by 'minica schedule': runs 'minica remind' for one store.\n"
	      "# remind only reads the store; it needs no passphrase.\n"
	      "[Unit]\nDescription=minica: remind about expiring certificates (store ",
	      f);
	unit_put_text(f, dir);
	fputs(")\nWants=network-online.target\nAfter=network-online.target\n\n"
	      "[Service]\nType=oneshot\n",
	      f);
	fprintf(f, "User=");
	unit_put_text(f, user);
	fputs("\n# remind exits 1 (WARNING) or 2 (CRITICAL) after it has reminded: that is not a "
	      "failure;\n# 3 (UNKNOWN: store unreadable, mail not sent) is.\n"
	      "SuccessExitStatus=1 2\nExecStart=",
	      f);
	for (i = 0; i < w->n; i++) {
		if (i)
			fputc(' ', f);
		unit_put_word(f, w->v[i]);
	}
	fputs("\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

char *unit_timer_text(const char *dir, const char *calendar)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("# Written by 'minica schedule'.\n[Unit]\nDescription=minica: remind about expiring "
	      "certificates (store ",
	      f);
	unit_put_text(f, dir);
	fprintf(f, ")\n\n[Timer]\nOnCalendar=%s\n# a run missed while the machine was off happens "
		   "at the next boot\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n",
		calendar);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The account that owns the store is the one that can read it. */
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

/* The ExecStart line's words, as put into the unit (malloc'ed; NULL: no memory). */
char *unit_command_line(const struct words *w)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (i = 0; i < w->n; i++) {
		if (i)
			fputc(' ', f);
		unit_put_word(f, w->v[i]);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- cron ---- */

const char *cron_times(const char *spec)
{
	static const char *const map[][2] = {{"hourly", "17 * * * *"},
					     {"daily", "17 6 * * *"},
					     {"weekly", "17 6 * * 1"},
					     {"monthly", "17 6 1 * *"}};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(spec, map[i][0]))
			return map[i][1];
	return NULL;
}

/* The crontab line: times, then the words quoted for /bin/sh, with cron's '%' escaped. */
int cron_line(const char *times, const struct words *w, char **out)
{
	char *line = NULL, *q;
	size_t len = 0, i;
	const char *p;
	FILE *f;
	int rc = 0;

	*out = NULL;
	f = open_memstream(&line, &len);
	if (!f)
		return fail(EX_OSERR, "out of memory");
	fputs(times, f);
	for (i = 0; i < w->n; i++) {
		if (!(q = sh_quote(w->v[i]))) {
			rc = fail(EX_OSERR, "out of memory");
			break;
		}
		fputc(' ', f);
		for (p = q; *p; p++) { /* cron turns an unescaped % into a new line */
			if (*p == '%')
				fputc('\\', f);
			fputc(*p, f);
		}
		free(q);
	}
	if (fclose(f) != 0 && !rc)
		rc = fail(EX_OSERR, "out of memory");
	if (rc == 0) {
		*out = line;
		line = NULL;
	}
	free(line);
	return rc;
}
