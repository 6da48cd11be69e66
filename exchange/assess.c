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

/* Where the CN of "CN=mail, O=Corp" starts, *len its bytes; NULL when it has none. */
static const char *cn_of(const char *subject, size_t *len)
{
	const char *p = subject;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncasecmp(p, "CN=", 3)) {
			p += 3;
			*len = strcspn(p, ",");
			return p;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

/* The CN of "CN=mail, O=Corp", or NULL. */
static char *subject_cn(const char *subject)
{
	size_t len;
	const char *cn = cn_of(subject, &len);

	return cn ? strndup(cn, len) : NULL;
}

/*
 * local@domain: a person's or a mailbox's name (S/MIME, client
 * authentication, a smart card), never a host's.
 */
static int mail_address(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	return at && at > s && at < s + len - 1 && !memchr(at + 1, '@', len - (size_t)(at + 1 - s)) &&
	       !memchr(s, ' ', len);
}

/*
 * The mail address that makes c a user's or client's certificate: its CN,
 * or its first name when every one of its names is a mail address. NULL: a
 * host's (or unknown). *from_cn: it is the CN. *oom: a copy could not be made.
 */
static char *user_address(const struct inv_cert *c, int *from_cn, int *oom)
{
	const char *cn = NULL, *found = NULL;
	size_t len = 0, j;
	char *copy;

	if (c->subject && !c->subject_cut)
		cn = cn_of(c->subject, &len);
	if ((*from_cn = cn && mail_address(cn, len))) {
		found = cn;
	} else if (c->n_domains) {
		for (j = 0; j < c->n_domains; j++)
			if (!mail_address(c->domains[j], strlen(c->domains[j])))
				return NULL;
		found = c->domains[0];
		len = strlen(found);
	}
	if (!found)
		return NULL;
	if (!(copy = strndup(found, len)))
		*oom = 1;
	return copy;
}

int inventory_assess(const struct inventory *inv, struct inv_assessed *as, int64_t now, long warn)
{
	size_t i, j;
	int oom = 0;

	for (i = 0; i < inv->n_certs; i++) {
		const struct inv_cert *c = &inv->certs[i];
		struct inv_assessed *a = &as[i];

		if (!c->not_after.ok) {
			a->verdict = VERDICT_UNKNOWN;
		} else {
			a->days = days_left(c->not_after.t, now);
			a->verdict = c->not_after.t <= now ? VERDICT_EXPIRED
				     : c->not_after.t - now < (int64_t)warn * 86400 ? VERDICT_EXPIRING
							   : VERDICT_OK;
		}
		/* a user's certificate is no server's: nothing replaces it (it has no SMTP use) */
		if ((a->user = user_address(c, &a->user_from_cn, &oom)) || oom) {
			if (oom)
				return fail(EX_OSERR, "out of memory");
			continue;
		}
		a->replace = (c->smtp || c->services_unknown) && (c->self_signed == 1 || a->verdict == VERDICT_EXPIRED ||
					 a->verdict == VERDICT_EXPIRING);
		if (c->n_domains) {
			if (!(a->hosts = calloc(c->n_domains, sizeof(char *))))
				return fail(EX_OSERR, "out of memory");
			for (j = 0; j < c->n_domains; j++) {
				if (mail_address(c->domains[j], strlen(c->domains[j])))
					continue; /* a mailbox beside host names: not a host */
				if (!(a->hosts[a->n_hosts++] = strdup(c->domains[j])))
					return fail(EX_OSERR, "out of memory");
			}
		} else if (c->subject && !c->subject_cut) {
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

static int has_host(const struct inv_assessed *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_hosts; i++)
		if (!strcasecmp(a->hosts[i], name))
			return 1;
	return 0;
}

/*
 * What 'issue' does with a short name, done to the replacement's names, so
 * that the command shown is exactly what --issue issues: a short name also
 * gets NAME.<domain>, or, under name constraints, is replaced by it.
 */
int inventory_qualify(const struct inventory *inv, struct inv_assessed *as, const struct ca *ca)
{
	size_t i, j;

	if (!ca->domain)
		return 0;
	for (i = 0; i < inv->n_certs; i++) {
		struct inv_assessed *a = &as[i];
		size_t n = a->n_hosts;

		for (j = 0; j < n; j++) {
			char *q, **grown;

			if (strchr(a->hosts[j], '.') || strchr(a->hosts[j], ':') || !*a->hosts[j])
				continue;
			if (asprintf(&q, "%s.%s", a->hosts[j], ca->domain) < 0)
				return fail(EX_OSERR, "out of memory");
			if (has_host(a, q)) {
				free(q);
			} else if (ca->n_permitted) {
				free(a->hosts[j]);
				a->hosts[j] = q;
			} else if (!(grown = realloc(a->hosts, (a->n_hosts + 1) * sizeof(char *)))) {
				free(q);
				return fail(EX_OSERR, "out of memory");
			} else {
				a->hosts = grown;
				a->hosts[a->n_hosts++] = q;
			}
		}
	}
	return 0;
}

/* Why a certificate looks like an Edge Transport server's, or NULL. */
const char *inventory_edge_reason(const struct inv_cert *c, const struct inv_assessed *a)
{
	size_t i;

	if (c->services && !strcasecmp(c->services + strspn(c->services, " "), "SMTP"))
		return "its Services are SMTP only";
	for (i = 0; i < a->n_hosts; i++) {
		const char *dot = strchr(a->hosts[i], '.'), *edge = strcasestr(a->hosts[i], "edge");

		if (strcasestr(a->hosts[i], ".dmz."))
			return "it is in a .dmz. domain";
		if (edge && (!dot || edge < dot)) /* in the host's own label */
			return "it is named EDGE";
	}
	if (c->subject && strcasestr(c->subject, "edge"))
		return "it is named EDGE";
	return NULL;
}

void inventory_assessed_free(struct inv_assessed *as, size_t n)
{
	size_t i, j;

	for (i = 0; as && i < n; i++) {
		for (j = 0; j < as[i].n_hosts; j++)
			free(as[i].hosts[j]);
		free(as[i].hosts);
		free(as[i].user);
	}
	free(as);
}

/* A-Z a-z 0-9 . - _ : (strspn over that set was a third of the command's cost) */
static int plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':';
}

/* A host name as one shell word, written at out unless NULL; its length. */
static size_t shell_word(char *out, const char *s)
{
	size_t len = 0, o = 0;

	while (plain_char(s[len]))
		len++;
	if (*s && !s[len]) {
		if (out)
			memcpy(out, s, len);
		return len;
	}
	if (out)
		out[o] = '\'';
	o++;
	for (; *s; s++) {
		if (*s == '\'') {
			if (out)
				memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			if (out)
				out[o] = *s;
			o++;
		}
	}
	if (out)
		out[o] = '\'';
	return o + 1;
}

/*
 * "minica issue --host a --host b", or NULL when there is no name to issue for.
 * Measured, then written: a memory stream per certificate (its 8 KiB buffer
 * cleared each time) was a sixth of a 100,000-certificate report.
 */
char *inventory_replacement_command(const struct inv_assessed *a)
{
	static const char head[] = "minica issue", opt[] = " --host ";
	char *cmd;
	size_t len = sizeof(head) - 1, i, o;

	if (!a->n_hosts)
		return NULL;
	for (i = 0; i < a->n_hosts; i++)
		len += sizeof(opt) - 1 + shell_word(NULL, a->hosts[i]);
	if (!(cmd = malloc(len + 1)))
		return NULL;
	memcpy(cmd, head, sizeof(head) - 1);
	o = sizeof(head) - 1;
	for (i = 0; i < a->n_hosts; i++) {
		memcpy(cmd + o, opt, sizeof(opt) - 1);
		o += sizeof(opt) - 1;
		o += shell_word(cmd + o, a->hosts[i]);
	}
	cmd[o] = '\0';
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
