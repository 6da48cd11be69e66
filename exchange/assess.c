/*
 * What minica makes of each certificate an inventory read: its verdict as of
 * a day, whether it needs replacing, whether this CA issued it, and the
 * 'minica issue' command that replaces it.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange.h"
#include "issue/issue.h"
#include "common/common.h"

const char *const inv_verdict_names[4] = {"UNKNOWN", "EXPIRED", "EXPIRING", "OK"};

/* ---- what this CA issued ---- */

struct match_ctx {
	const struct inventory *inv;
	struct inv_assessed *as;
};

/* No thumbprint index: the SHA-1 of every record's DER, fine at inventory scale. */
static int match_visit(const struct store_record *rec, void *vctx)
{
	struct match_ctx *m = vctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t i;

	if (!EVP_Digest(rec->cert, rec->cert_len, md, &mdlen, EVP_sha1(), NULL))
		return fail_ssl(EX_SOFTWARE, "SHA-1 of a stored certificate");
	hex_upper(md, mdlen, hex);
	for (i = 0; i < m->inv->n_certs; i++)
		if (m->inv->certs[i].thumbprint_ok && !strcmp(m->inv->certs[i].thumbprint, hex))
			serial_hex(rec->serial, m->as[i].serial);
	return 0;
}

/* ---- verdicts and replacements ---- */

/* The CN of "CN=mail, O=Corp", or NULL. */
static char *subject_cn(const char *subject)
{
	const char *p = subject, *end;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncasecmp(p, "CN=", 3)) {
			p += 3;
			end = strchr(p, ',');
			return end ? strndup(p, (size_t)(end - p)) : strdup(p);
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

int inventory_assess(const struct inventory *inv, struct inv_assessed *as, int64_t now, long warn)
{
	size_t i, j;

	for (i = 0; i < inv->n_certs; i++) {
		const struct inv_cert *c = &inv->certs[i];
		struct inv_assessed *a = &as[i];

		if (!c->not_after.ok) {
			a->verdict = VERDICT_UNKNOWN;
		} else {
			a->days = days_left(c->not_after.t, now);
			a->verdict = c->not_after.t <= now ? VERDICT_EXPIRED
				     : a->days < warn	   ? VERDICT_EXPIRING
							   : VERDICT_OK;
		}
		a->replace = c->smtp && (c->self_signed == 1 || a->verdict == VERDICT_EXPIRED ||
					 a->verdict == VERDICT_EXPIRING);
		if (c->n_domains) {
			if (!(a->hosts = calloc(c->n_domains, sizeof(char *))))
				return fail(EX_OSERR, "out of memory");
			for (j = 0; j < c->n_domains; j++)
				if (!(a->hosts[a->n_hosts++] = strdup(c->domains[j])))
					return fail(EX_OSERR, "out of memory");
		} else if (c->subject) {
			char *cn = subject_cn(c->subject);

			if (cn && *cn) {
				if (!(a->hosts = calloc(1, sizeof(char *)))) {
					free(cn);
					return fail(EX_OSERR, "out of memory");
				}
				a->hosts[a->n_hosts++] = cn;
				a->hosts_from_cn = 1;
			} else {
				free(cn);
			}
		}
	}
	return 0;
}

void inventory_assessed_free(struct inv_assessed *as, size_t n)
{
	size_t i, j;

	for (i = 0; as && i < n; i++) {
		for (j = 0; j < as[i].n_hosts; j++)
			free(as[i].hosts[j]);
		free(as[i].hosts);
	}
	free(as);
}

/* A host name as one shell word. */
static void shell_word(FILE *out, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") ==
			  strlen(s)) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

/* "minica issue --host a --host b", or NULL when there is no name to issue for. */
char *inventory_replacement_command(const struct inv_assessed *a)
{
	char *cmd = NULL;
	size_t len = 0, i;
	FILE *mem;

	if (!a->n_hosts)
		return NULL;
	if (!(mem = open_memstream(&cmd, &len)))
		return NULL;
	fputs("minica issue", mem);
	for (i = 0; i < a->n_hosts; i++) {
		fputs(" --host ", mem);
		shell_word(mem, a->hosts[i]);
	}
	if (fclose(mem) != 0) {
		free(cmd);
		return NULL;
	}
	return cmd;
}

/* The server's local time as it printed it, without pretending it is UTC. */
const char *inventory_local_time(int64_t t, char buf[TIME_BUF], int iso)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, TIME_BUF, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, TIME_BUF, "@%lld", (long long)t);
	return buf;
}

int inventory_match_store(store *st, const struct inventory *inv, struct inv_assessed *as)
{
	struct match_ctx m = {inv, as};

	return store_scan_all(st, match_visit, &m);
}
