/*
 * minica inventory: what the Exchange servers have, from pasted
 * 'Get-ExchangeCertificate | Format-List' output: per certificate its
 * verdict (EXPIRED, EXPIRING, OK), whether minica issued it, and the
 * 'minica issue' command that replaces it; with --issue, the replacements
 * themselves and a runbook for each.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "exchange.h"
#include "issue/issue.h"
#include "minica.h"

#define INPUT_MAX (64L * 1024 * 1024)
#define WARN_DEFAULT 60 /* as 'check' */

enum {
	OPT_AT = 0x100,
	OPT_WARN,
	OPT_DATE_ORDER,
	OPT_ISSUE,
	OPT_TEMPLATE,
	OPT_OUT,
	OPT_FORCE,
	OPT_PFX_PASS_FILE,
	OPT_ROLE,
	OPT_EXCHANGE,
	OPT_SITE,
};

struct inventory_args {
	const char *file;
	int64_t at;
	int has_at;
	long warn;
	unsigned date_order;
	int issue;
	struct issue_options io;
	struct runbook_options ro;
	int needs_issue; /* an option that only --issue uses was given */
};

enum verdict { V_UNKNOWN, V_EXPIRED, V_EXPIRING, V_OK };
static const char *const verdict_names[] = {"UNKNOWN", "EXPIRED", "EXPIRING", "OK"};

/* What the command adds to each parsed certificate. */
struct assessed {
	enum verdict verdict;
	long days;
	int replace;          /* serves SMTP and is self-signed, expired or expiring */
	char serial[2 * STORE_SERIAL_LEN + 1]; /* issued by this CA, else "" */
	char **hosts;         /* for the replacement: CertificateDomains, else the CN */
	size_t n_hosts;
	int hosts_from_cn;
};

static const struct argp_option options[] = {
	{"at", OPT_AT, "YYYY-MM-DD", 0, "Verdicts as of this day instead of now", 0},
	{"warn", OPT_WARN, "DAYS", 0, "EXPIRING when fewer days are left (default 60)", 0},
	{"date-order", OPT_DATE_ORDER, "dmy|mdy", 0,
	 "How to read dates such as 3/2/2011 (default: from the other date, else the earlier)", 0},
	{"issue", OPT_ISSUE, NULL, 0,
	 "Issue a replacement for every SMTP certificate that is self-signed, expired or "
	 "expiring, and print its runbook",
	 1},
	{"template", OPT_TEMPLATE, "NAME", 0, "With --issue: template (default smtp-transport)", 1},
	{"out", OPT_OUT, "DIR", 0, "With --issue: directory for the files (default .)", 1},
	{"force", OPT_FORCE, NULL, 0, "With --issue: replace existing files", 1},
	{"pfx-pass-file", OPT_PFX_PASS_FILE, "FILE", 0,
	 "With --issue: PFX password from FILE (default: generated per certificate)", 1},
	{"role", OPT_ROLE, "ROLE", 0, "With --issue: runbooks for hub (default) or edge", 1},
	{"exchange", OPT_EXCHANGE, "VERSION", 0,
	 "With --issue: runbooks for 2007|2010|2013|2016|2019 (default: every syntax)", 1},
	{"site", OPT_SITE, "NAME", 0, "With --issue --role edge: the Active Directory site", 1},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct inventory_args *a = state->input;

	switch (key) {
	case OPT_AT:
		if (parse_date(arg, &a->at) != 0)
			return cli_usage_error("--at '%s': not a date (YYYY-MM-DD)", printable(arg)),
			       EINVAL;
		a->has_at = 1;
		return 0;
	case OPT_WARN:
		return parse_long(arg, "--warn", 0, DAYS_MAX, &a->warn) ? EINVAL : 0;
	case OPT_DATE_ORDER:
		if (!strcmp(arg, "dmy"))
			a->date_order = DATE_ORDER_DMY;
		else if (!strcmp(arg, "mdy"))
			a->date_order = DATE_ORDER_MDY;
		else
			return cli_usage_error("--date-order '%s': dmy or mdy", printable(arg)), EINVAL;
		return 0;
	case OPT_ISSUE:
		a->issue = 1;
		return 0;
	case OPT_TEMPLATE:
		a->io.template_name = arg;
		a->needs_issue = 1;
		return 0;
	case OPT_OUT:
		a->io.out_dir = arg;
		a->needs_issue = 1;
		return 0;
	case OPT_FORCE:
		a->io.force = 1;
		a->needs_issue = 1;
		return 0;
	case OPT_PFX_PASS_FILE:
		a->io.pfx_pass_file = arg;
		a->needs_issue = 1;
		return 0;
	case OPT_ROLE:
		if (strcmp(arg, "hub") && strcmp(arg, "edge"))
			return cli_usage_error("--role '%s': hub or edge", printable(arg)), EINVAL;
		a->ro.edge = !strcmp(arg, "edge");
		a->needs_issue = 1;
		return 0;
	case OPT_EXCHANGE:
		if (exchange_version_parse(arg, &a->ro.version))
			return cli_usage_error("--exchange '%s': 2007, 2010, 2013, 2016 or 2019",
					       printable(arg)),
			       EINVAL;
		a->needs_issue = 1;
		return 0;
	case OPT_SITE:
		if (!*arg || strpbrk(arg, "\"`$\r\n"))
			return cli_usage_error("--site '%s': an Active Directory site name (no quotes, "
					       "'$' or '`')",
					       printable(arg)),
			       EINVAL;
		a->ro.site = arg;
		a->needs_issue = 1;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file)
			return cli_usage_error("one FILE at a time"), EINVAL;
		a->file = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->file)
			return cli_usage_error("give the FILE with the Get-ExchangeCertificate output "
					       "('-' for standard input)"),
			       EINVAL;
		if (a->needs_issue && !a->issue)
			return cli_usage_error("--template, --out, --force, --pfx-pass-file, --role, "
					       "--exchange and --site need --issue"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {COMMON_CHILD, {0}};
static const struct argp argp = {
	options, parse, "FILE",
	"Report on the certificates of Exchange servers, from 'Get-ExchangeCertificate | fl'.\v"
	"FILE holds the output of 'Get-ExchangeCertificate | Format-List' from one or more "
	"servers, UTF-8 or UTF-16, possibly a whole console session: prompts, event-log entries "
	"and notes around the blocks are skipped. Dates are read in the server's culture (en-US, "
	"en-GB, de-DE, fr-FR, ja-JP, zh-TW, zh-CN, ko-KR, ISO 8601 and alike). Problems are "
	"reported as 'minica: FILE line N: ...' and the rest is still read.\n\n"
	"Exit codes: 0 when at least one certificate was read (whatever the verdicts), 65 when "
	"none, 66 when FILE is missing.\n\nExamples:\n"
	"  minica inventory certs.txt --at 2025-01-01\n"
	"  minica inventory certs.txt --issue --out /tmp/new --role edge --exchange 2010",
	children, NULL, NULL};

/* ---- input ---- */

static int read_input(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	unsigned char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;
	struct stat sb;
	int rc = 0;

	*data = NULL;
	*len = 0;
	if (!f)
		return fail(errno == ENOENT ? EX_NOINPUT : errno == EACCES ? EX_NOPERM : EX_IOERR,
			    "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		rc = fail(EX_NOINPUT, "%s: is a directory; give the file with the "
				      "Get-ExchangeCertificate output",
			  path);
		goto out;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)INPUT_MAX + 1)
				cap = (size_t)INPUT_MAX + 1;
			if (!(grown = realloc(buf, cap))) {
				rc = fail(EX_OSERR, "out of memory");
				goto out;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > (size_t)INPUT_MAX) {
			rc = fail(EX_DATAERR, "%s: larger than %ld MiB; is it the right file?", path,
				  INPUT_MAX >> 20);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = fail(EX_IOERR, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- what this CA issued ---- */

struct match_ctx {
	const struct inventory *inv;
	struct assessed *as;
	int error;
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

static int assess(const struct inventory *inv, struct assessed *as, int64_t now, long warn)
{
	size_t i, j;

	for (i = 0; i < inv->n_certs; i++) {
		const struct inv_cert *c = &inv->certs[i];
		struct assessed *a = &as[i];

		if (!c->not_after.ok) {
			a->verdict = V_UNKNOWN;
		} else {
			a->days = days_left(c->not_after.t, now);
			a->verdict = c->not_after.t <= now ? V_EXPIRED
				     : a->days < warn	   ? V_EXPIRING
							   : V_OK;
		}
		a->replace = c->smtp && (c->self_signed == 1 || a->verdict == V_EXPIRED ||
					 a->verdict == V_EXPIRING);
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

static void assessed_free(struct assessed *as, size_t n)
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
static char *replacement_command(const struct assessed *a)
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

#define CUT_ADVICE "CertificateDomains was cut after four names by Format-List: add the " \
		   "others (run '$FormatEnumerationLimit = -1' before 'Get-ExchangeCertificate | " \
		   "fl' to see them all)"

/* The server's local time as it printed it, without pretending it is UTC. */
static const char *local_time(int64_t t, char buf[TIME_BUF], int iso)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, TIME_BUF, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, TIME_BUF, "@%lld", (long long)t);
	return buf;
}

/* ---- output ---- */

static void print_notes(const char *file, const struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n_notes; i++)
		fprintf(stderr, "minica: %s line %ld: %s\n", printable(file), inv->notes[i].line,
			inv->notes[i].text);
}

static void print_cert(const struct inventory *inv, const struct inv_cert *c,
		       const struct assessed *a)
{
	char when[TIME_BUF], other[TIME_BUF];
	const char *order = inventory_order_text(c);
	char *cmd;
	size_t i;

	printf("\n%s  %s  (lines %ld-%ld)\n", c->thumbprint, verdict_names[a->verdict], c->line,
	       c->end_line);
	if (c->duplicate_of)
		printf("  listed again   the same thumbprint as at line %ld\n",
		       inv->certs[c->duplicate_of - 1].line);
	printf("  subject        %s\n", !c->subject ? "(none)" : *c->subject ? c->subject : "(empty)");
	printf("  issuer         %s\n", !c->issuer ? "(none)" : *c->issuer ? c->issuer : "(empty)");
	printf("  self-signed    %s%s\n",
	       c->self_signed == 1 ? "yes" : c->self_signed == 0 ? "no" : "unknown",
	       c->self_signed_derived ? " (Subject = Issuer; no IsSelfSigned line)" : "");
	printf("  services       %s\n", c->services ? c->services : "(none)");
	printf("  domains        ");
	if (!c->n_domains)
		printf("(none)");
	for (i = 0; i < c->n_domains; i++)
		printf("%s%s", i ? ", " : "", c->domains[i]);
	printf("%s\n", c->domains_cut ? ", ... (cut after four names)" : "");
	if (c->not_after.ok) {
		printf("  not after      %s (server time), %ld days %s\n",
		       local_time(c->not_after.t, when, 0), a->days < 0 ? -a->days : a->days,
		       a->days < 0 ? "ago" : "left");
	} else {
		printf("  not after      %s\n", c->not_after.text ? "unreadable (see above)" : "(none)");
	}
	if (order) {
		printf("  dates read as  %s\n", order);
		if (c->order_how == ORDER_EARLIER && c->not_after.ok && c->not_after_other)
			printf("                 the other reading of NotAfter is %s\n",
			       local_time(c->not_after_other, other, 0));
	}
	if (a->serial[0])
		printf("  minica         issued by this CA (serial %s)\n", a->serial);
	cmd = replacement_command(a);
	if (cmd) {
		printf("  replace with   %s\n", cmd);
		if (a->hosts_from_cn)
			printf("                 (CertificateDomains is empty: the subject's CN)\n");
		if (c->domains_cut)
			printf("                 %s\n", CUT_ADVICE);
	} else {
		printf("  replace with   (no host name: CertificateDomains is empty and the subject "
		       "has no CN)\n");
	}
	free(cmd);
}

static void print_report(const char *file, const struct inventory *inv,
			 const struct assessed *as, int64_t now, long warn, int store_checked)
{
	char when[TIME_BUF];
	size_t i, counts[4] = {0, 0, 0, 0}, replace = 0;

	printf("%s: %zu certificate%s (%s), verdicts as of %.10s, EXPIRING under %ld days\n",
	       file, inv->n_certs, inv->n_certs == 1 ? "" : "s", inv->encoding,
	       fmt_time(now, when), warn);
	if (!store_checked)
		printf("(no minica store at %s: certificates issued by minica are not recognised)\n",
		       store_dir());
	for (i = 0; i < inv->n_certs; i++) {
		print_cert(inv, &inv->certs[i], &as[i]);
		counts[as[i].verdict]++;
		replace += as[i].replace && !inv->certs[i].duplicate_of;
	}
	printf("\n%zu EXPIRED, %zu EXPIRING, %zu OK, %zu UNKNOWN; %zu serve%s SMTP and %s "
	       "self-signed, expired or expiring",
	       counts[V_EXPIRED], counts[V_EXPIRING], counts[V_OK], counts[V_UNKNOWN], replace,
	       replace == 1 ? "s" : "", replace == 1 ? "is" : "are");
	if (replace)
		printf(": 'minica inventory %s --issue' replaces %s", file,
		       replace == 1 ? "it" : "them");
	putchar('\n');
}

static json_t *date_json(const struct inv_date *d)
{
	char when[TIME_BUF];

	return d->ok ? json_string(local_time(d->t, when, 1)) : json_null();
}

static json_t *cert_json(const struct inv_cert *c, const struct assessed *a,
			 const struct inventory *inv)
{
	json_t *o = json_object(), *domains = json_array(), *services = json_array(), *rep;
	static const char *const how[] = {NULL,	   "option",  "other-date",
					   "validity", "earlier", "undecided"};
	char when[TIME_BUF];
	char *cmd;
	size_t i;

	for (i = 0; i < c->n_domains; i++)
		json_array_append_new(domains, json_string(c->domains[i]));
	if (c->services) {
		const char *p = c->services;

		while (*p) {
			size_t n = strcspn(p, ",");
			const char *s = p, *e = p + n;

			while (s < e && *s == ' ')
				s++;
			while (e > s && e[-1] == ' ')
				e--;
			if (e > s)
				json_array_append_new(services, json_stringn(s, (size_t)(e - s)));
			p += n + (p[n] == ',');
		}
	}
	json_object_set_new(o, "line", json_integer(c->line));
	json_object_set_new(o, "end_line", json_integer(c->end_line));
	json_object_set_new(o, "thumbprint", json_string(c->thumbprint));
	json_object_set_new(o, "thumbprint_valid", json_boolean(c->thumbprint_ok));
	json_object_set_new(o, "subject", c->subject ? json_string(c->subject) : json_null());
	json_object_set_new(o, "issuer", c->issuer ? json_string(c->issuer) : json_null());
	json_object_set_new(o, "self_signed",
			    c->self_signed < 0 ? json_null() : json_boolean(c->self_signed));
	json_object_set_new(o, "self_signed_from",
			    c->self_signed < 0 ? json_null()
			    : c->self_signed_derived ? json_string("subject=issuer")
						     : json_string("IsSelfSigned"));
	json_object_set_new(o, "services", services);
	json_object_set_new(o, "smtp", json_boolean(c->smtp));
	json_object_set_new(o, "status", c->status ? json_string(c->status) : json_null());
	json_object_set_new(o, "domains", domains);
	json_object_set_new(o, "domains_cut", json_boolean(c->domains_cut));
	json_object_set_new(o, "not_before", date_json(&c->not_before));
	json_object_set_new(o, "not_before_text",
			    c->not_before.text ? json_string(c->not_before.text) : json_null());
	json_object_set_new(o, "not_after", date_json(&c->not_after));
	json_object_set_new(o, "not_after_text",
			    c->not_after.text ? json_string(c->not_after.text) : json_null());
	if (c->order_how) {
		json_t *d = json_object();

		json_object_set_new(d, "order",
				    json_string(c->order == DATE_ORDER_MDY ? "mdy" : "dmy"));
		json_object_set_new(d, "how", json_string(how[c->order_how]));
		json_object_set_new(d, "not_after_other",
				    c->order_how == ORDER_EARLIER && c->not_after_other
					    ? json_string(local_time(c->not_after_other, when, 1))
					    : json_null());
		json_object_set_new(o, "date_order", d);
	} else {
		json_object_set_new(o, "date_order", json_null());
	}
	json_object_set_new(o, "days_left", c->not_after.ok ? json_integer(a->days) : json_null());
	json_object_set_new(o, "verdict", json_string(verdict_names[a->verdict]));
	json_object_set_new(o, "needs_replacement", json_boolean(a->replace));
	json_object_set_new(o, "minica_serial", a->serial[0] ? json_string(a->serial) : json_null());
	json_object_set_new(o, "duplicate_of_line",
			    c->duplicate_of ? json_integer(inv->certs[c->duplicate_of - 1].line)
					    : json_null());
	cmd = replacement_command(a);
	if (cmd) {
		json_t *hosts = json_array();

		for (i = 0; i < a->n_hosts; i++)
			json_array_append_new(hosts, json_string(a->hosts[i]));
		rep = json_object();
		json_object_set_new(rep, "command", json_string(cmd));
		json_object_set_new(rep, "hosts", hosts);
		json_object_set_new(rep, "hosts_from", json_string(a->hosts_from_cn
									  ? "subject-cn"
									  : "CertificateDomains"));
		json_object_set_new(rep, "incomplete", json_boolean(c->domains_cut));
		free(cmd);
	} else {
		rep = json_null();
	}
	json_object_set_new(o, "replacement", rep);
	return o;
}

static json_t *report_json(const char *file, const struct inventory *inv,
			   const struct assessed *as, int64_t now, long warn, int store_checked)
{
	json_t *o = json_object(), *certs = json_array(), *notes = json_array(), *sum;
	char when[TIME_BUF];
	size_t i, counts[4] = {0, 0, 0, 0}, replace = 0;

	for (i = 0; i < inv->n_certs; i++) {
		json_array_append_new(certs, cert_json(&inv->certs[i], &as[i], inv));
		counts[as[i].verdict]++;
		replace += as[i].replace && !inv->certs[i].duplicate_of;
	}
	for (i = 0; i < inv->n_notes; i++) {
		json_t *n = json_object();

		json_object_set_new(n, "line", json_integer(inv->notes[i].line));
		json_object_set_new(n, "text", json_string(inv->notes[i].text));
		json_array_append_new(notes, n);
	}
	sum = json_object();
	json_object_set_new(sum, "certificates", json_integer((json_int_t)inv->n_certs));
	json_object_set_new(sum, "expired", json_integer((json_int_t)counts[V_EXPIRED]));
	json_object_set_new(sum, "expiring", json_integer((json_int_t)counts[V_EXPIRING]));
	json_object_set_new(sum, "ok", json_integer((json_int_t)counts[V_OK]));
	json_object_set_new(sum, "unknown", json_integer((json_int_t)counts[V_UNKNOWN]));
	json_object_set_new(sum, "needs_replacement", json_integer((json_int_t)replace));
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "encoding", json_string(inv->encoding));
	json_object_set_new(o, "lines", json_integer(inv->lines));
	json_object_set_new(o, "at", json_string(fmt_time_iso(now, when)));
	json_object_set_new(o, "warn_days", json_integer(warn));
	json_object_set_new(o, "store", store_checked ? json_string(store_dir()) : json_null());
	json_object_set_new(o, "certificates", certs);
	json_object_set_new(o, "notes", notes);
	json_object_set_new(o, "summary", sum);
	return o;
}

/* ---- --issue ---- */

/*
 * Each SMTP certificate that is self-signed, expired or expiring gets a
 * replacement with its names (those that break the host-name rules are
 * reported and skipped) and a runbook. A name problem skips that
 * certificate; anything else (passphrase, I/O) stops.
 */
static int issue_replacements(const struct inventory_args *args, const struct inventory *inv,
			      const struct assessed *as, json_t *report)
{
	struct issuer is = {0};
	struct ca ca = {0};
	store *st = NULL;
	json_t *runbooks = NULL;
	char **names = NULL;
	size_t i, j, wanted = 0;
	int rc = 0, first_error = 0;

	for (i = 0; i < inv->n_certs; i++)
		wanted += as[i].replace && !inv->certs[i].duplicate_of;
	if (!wanted) {
		notice("nothing to replace: no certificate serves SMTP and is self-signed, expired or "
		       "expiring");
		if (report) {
			json_object_set_new(report, "issued", json_array());
			json_object_set_new(report, "runbooks", json_array());
		}
		return 0;
	}
	if ((rc = issuer_init(&is, NULL, NULL, &args->io)) || (rc = store_open(store_dir(), &st)) ||
	    (rc = ca_load(st, &ca)))
		goto out;
	is.st = st;
	is.ca = &ca;
	is.brief = 1;
	if (report && !(runbooks = json_array())) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	for (i = 0; i < inv->n_certs && rc == 0; i++) {
		const struct inv_cert *c = &inv->certs[i];
		const struct assessed *a = &as[i];
		struct runbook_options ro = args->ro;
		struct store_record *rec = NULL;
		struct runbook rb = {0};
		char serial[2 * STORE_SERIAL_LEN + 1];
		size_t n = 0;

		if (!a->replace || c->duplicate_of)
			continue;
		free(names);
		if (!(names = calloc(a->n_hosts + 1, sizeof(char *)))) {
			rc = fail(EX_OSERR, "out of memory");
			break;
		}
		for (j = 0; j < a->n_hosts; j++) {
			char *norm = NULL;
			int is_ip;

			/* host_check says why a name is refused; it is then left out */
			if (host_check(a->hosts[j], is.tpl->wildcard, &norm, &is_ip) == 0)
				names[n++] = a->hosts[j];
			free(norm);
		}
		if (!n) {
			first_error = first_error ? first_error
						  : fail(EX_DATAERR, "certificate %s (line %ld): no "
								     "valid host name to issue for: "
								     "skipped",
							 c->thumbprint, c->line);
			continue;
		}
		if (!g_opts.json)
			printf("\nReplacing %s (line %ld, %s):\n", c->thumbprint, c->line,
			       verdict_names[a->verdict]);
		rc = issuer_issue(&is, names, n, NULL);
		if (rc == EX_DATAERR) {
			first_error = first_error ? first_error : rc;
			rc = 0;
			continue;
		}
		if (rc)
			break;
		if (c->domains_cut)
			warning("certificate %s (line %ld): %s", c->thumbprint, c->line, CUT_ADVICE);
		serial_hex(is.last_serial, serial);
		ro.replaces = c->thumbprint_ok ? c->thumbprint : NULL;
		if ((rc = record_lookup(st, serial, NULL, &rec)) == 0 &&
		    (rc = runbook_build(rec, &ro, &rb)) == 0) {
			if (runbooks)
				json_array_append_new(runbooks, runbook_json(&rb));
			else {
				putchar('\n');
				runbook_print(&rb, stdout);
			}
		}
		runbook_free(&rb);
		store_record_free(rec);
	}
	if (is.issued && !g_opts.json)
		printf("\n%d certificate%s issued\n", is.issued, is.issued == 1 ? "" : "s");
	if (report) {
		json_object_set_new(report, "issued", is.json ? json_incref(is.json) : json_array());
		json_object_set_new(report, "runbooks", runbooks);
		runbooks = NULL;
	}
	rc = rc ? rc : first_error;
out:
	free(names);
	json_decref(runbooks);
	issuer_release(&is);
	ca_release(&ca);
	store_close(st);
	return rc;
}

int cmd_inventory(int argc, char **argv)
{
	struct inventory_args a = {.warn = WARN_DEFAULT, .io.pfx = -1};
	struct inventory_options po = {0};
	struct inventory inv = {0};
	struct assessed *as = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	store *st = NULL;
	json_t *report = NULL;
	int64_t now;
	int rc, store_checked = 0;

	if ((rc = cli_parse(&argp, argc, argv, "inventory", &a)) ||
	    (rc = read_input(a.file, &data, &len)))
		goto out;
	now = a.has_at ? a.at : now_utc();
	po.date_order = a.date_order;
	if (inventory_parse(data, len, &po, &inv) != 0) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	print_notes(a.file, &inv);
	if (inv.n_certs == 0) {
		rc = fail(EX_DATAERR, "%s: no certificate found in %ld lines (a certificate is a "
				      "block of 'Name : Value' lines with a Thumbprint, as "
				      "'Get-ExchangeCertificate | fl' prints it)",
			  printable(a.file), inv.lines);
		goto out;
	}
	if (!(as = calloc(inv.n_certs, sizeof(*as)))) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if ((rc = assess(&inv, as, now, a.warn)))
		goto out;
	if (store_exists(store_dir())) {
		struct match_ctx m = {&inv, as, 0};

		if ((rc = store_open(store_dir(), &st)) || (rc = store_scan_all(st, match_visit, &m)))
			goto out;
		store_close(st);
		st = NULL;
		store_checked = 1;
	}
	if (g_opts.json) {
		if (!(report = report_json(a.file, &inv, as, now, a.warn, store_checked))) {
			rc = fail(EX_OSERR, "out of memory");
			goto out;
		}
	} else {
		print_report(a.file, &inv, as, now, a.warn, store_checked);
	}
	if (a.issue)
		rc = issue_replacements(&a, &inv, as, report);
	if (report) {
		int jrc = json_emit(report);

		report = NULL;
		rc = rc ? rc : jrc;
	}
out:
	json_decref(report);
	store_close(st);
	assessed_free(as, inv.n_certs);
	inventory_free(&inv);
	free(data);
	return rc;
}
