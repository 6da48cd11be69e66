/*
 * minica inventory: what the Exchange servers have, from pasted
 * 'Get-ExchangeCertificate | Format-List' output: per certificate its
 * verdict (EXPIRED, EXPIRING, OK), whether minica issued it, and the
 * 'minica issue' command that replaces it; with --issue, the replacements
 * themselves and a runbook for each.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "common/common.h"
#include "exchange/exchange.h"
#include "issue/issue.h"

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

static const struct argp_option options[] = {
	{"at", OPT_AT, "YYYY-MM-DD", 0, "Verdicts as of this day instead of now", 0},
	{"warn", OPT_WARN, "DAYS", 0, "EXPIRING when fewer days are left (default 60)", 0},
	{"date-order", OPT_DATE_ORDER, "dmy|mdy", 0,
	 "How to read dates such as 3/2/2011 (default: decided from the output, else the "
	 "earlier, and said)",
	 0},
	{"issue", OPT_ISSUE, NULL, 0,
	 "Issue a replacement for every SMTP certificate that is self-signed, expired or "
	 "expiring, and print its runbook",
	 1},
	{"template", OPT_TEMPLATE, "NAME", 0, "With --issue: template (default smtp-transport)", 1},
	{"out", OPT_OUT, "DIR", 0, "With --issue: directory for the files (default .)", 1},
	{"force", OPT_FORCE, NULL, 0, "With --issue: replace existing files", 1},
	{"pfx-pass-file", OPT_PFX_PASS_FILE, "FILE", 0,
	 "With --issue: PFX password from FILE (default: generated per certificate)", 1},
	{"role", OPT_ROLE, "ROLE", 0, "With --issue: runbooks for hub or edge for every certificate (default: per certificate; edge "
	 "when SMTP only, .dmz. or named EDGE)", 1},
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
		a->ro.role_given = 1;
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

static const struct argp argp = {
	options, parse, "FILE",
	"Report on the certificates of Windows and Exchange servers, from what their admins "
	"paste.\v"
	"FILE holds, from one or more servers, the output of 'Get-ExchangeCertificate' as "
	"'| fl', '| ft', '| Export-Csv' or '| ConvertTo-Json', of 'Get-ChildItem "
	"Cert:\\LocalMachine\\My | fl *' or of 'certutil -store My' (told from the content), as "
	"typed or copied through web pages and mail (no-break spaces, '> ' quotes, rewrapped "
	"lines), UTF-8 or UTF-16, possibly a whole console session: prompts, event-log entries "
	"and notes around the certificates are skipped. Dates are read in the server's culture "
	"(en-US, en-GB, de-DE, fr-FR, ja-JP, zh-TW, zh-CN, ko-KR, ISO 8601 and alike); a date "
	"that can be d/M or M/d is decided from the whole output, and the report says how. "
	"Problems are reported as 'minica: FILE line N: ...' and the rest is still read.\n\n"
	"Exit codes: 0 when at least one certificate was read (whatever the verdicts), 65 when "
	"none, 66 when FILE is missing.\n\nExamples:\n"
	"  minica inventory certs.txt --at 2025-01-01\n"
	"  minica inventory certs.txt --issue --out /tmp/new --role edge --exchange 2010",
	cli_children, NULL, NULL};

/* ---- input ---- */

/* What was read: a mapping of a regular file, or a buffer read from a pipe or terminal. */
struct input {
	unsigned char *data;
	size_t len;
	int mapped;
};

static void input_free(struct input *in)
{
	if (in->mapped)
		munmap(in->data, in->len);
	else
		free(in->data);
	memset(in, 0, sizeof(*in));
}

/*
 * A regular file named on the command line (standard input is read: it may
 * not start at the file's beginning) is mapped, its pages taken from the page cache in one call
 * (MAP_POPULATE): reading it into a buffer faulted in and copied 64 MiB
 * more on the largest paste. 1 when it was not mapped (read it instead).
 * (A file cut shorter while it is read would end the process with SIGBUS:
 * a paste is saved, then read.)
 */
static int map_input(FILE *f, const struct stat *sb, struct input *in)
{
	void *m;

	if (!S_ISREG(sb->st_mode) || sb->st_size <= 0 || sb->st_size > INPUT_MAX)
		return 1;
	m = mmap(NULL, (size_t)sb->st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fileno(f), 0);
	if (m == MAP_FAILED)
		return 1;
	in->data = m;
	in->len = (size_t)sb->st_size;
	in->mapped = 1;
	return 0;
}

static int read_input(const char *path, struct input *in)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	unsigned char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;
	struct stat sb;
	int rc = 0;

	memset(in, 0, sizeof(*in));
	if (!f)
		return fail(errno == ENOENT ? EX_NOINPUT : errno == EACCES ? EX_NOPERM : EX_IOERR,
			    "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &sb) != 0)
		sb.st_mode = 0; /* unknown: read as a stream */
	if (S_ISDIR(sb.st_mode)) {
		rc = fail(EX_NOINPUT, "%s: is a directory; give the file with the "
				      "Get-ExchangeCertificate output",
			  path);
		goto out;
	}
	if (f != stdin && map_input(f, &sb, in) == 0)
		goto out;
	/* a regular file is read into one buffer of its size (+1 to see the end) */
	if (S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    sb.st_size <= INPUT_MAX && !(buf = malloc((cap = (size_t)sb.st_size + 1)))) {
		rc = fail(EX_OSERR, "out of memory");
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
	in->data = buf;
	in->len = n;
	buf = NULL;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

int cmd_inventory(int argc, char **argv)
{
	struct inventory_args a = {.warn = WARN_DEFAULT, .io.pfx = -1};
	struct inventory_options po = {0};
	struct inventory inv = {0};
	struct inv_assessed *as = NULL;
	struct input in = {0};
	store *st = NULL;
	json_t *report = NULL;
	int64_t now;
	int rc, store_checked = 0;

	if ((rc = cli_parse(&argp, argc, argv, "inventory", &a)) ||
	    (rc = read_input(a.file, &in)))
		goto out;
	now = a.has_at ? a.at : now_utc();
	po.date_order = a.date_order;
	rc = inventory_parse(in.data, in.len, &po, &inv);
	input_free(&in); /* the inventory holds copies: the pages go before the report's */
	if (rc != 0) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	inventory_print_notes(a.file, &inv);
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
	if ((rc = inventory_assess(&inv, as, now, a.warn)))
		goto out;
	if (store_exists(store_dir())) {
		struct ca ca = {0};

		if ((rc = store_open(store_dir(), &st)) || (rc = inventory_match_store(st, &inv, as)))
			goto out;
		/* the replacement shows exactly the names issue will give it */
		rc = ca_load(st, &ca);
		if (rc == 0)
			rc = inventory_qualify(&inv, as, &ca);
		ca_release(&ca);
		if (rc)
			goto out;
		store_close(st);
		st = NULL;
		store_checked = 1;
	}
	if (g_opts.json && !a.issue) {
		rc = inventory_emit_json(a.file, &inv, as, now, a.warn, store_checked);
		goto out;
	}
	if (g_opts.json) {
		if (!(report = inventory_report_json(a.file, &inv, as, now, a.warn, store_checked))) {
			rc = fail(EX_OSERR, "out of memory");
			goto out;
		}
	} else {
		inventory_print_report(a.file, &inv, as, now, a.warn, store_checked);
	}
	if (a.issue)
		rc = inventory_issue(&inv, as, &a.io, &a.ro, report);
	if (report) {
		int jrc = json_emit(report);

		report = NULL;
		rc = rc ? rc : jrc;
	}
out:
	json_decref(report);
	store_close(st);
	inventory_assessed_free(as, inv.n_certs);
	inventory_free(&inv);
	input_free(&in);
	return rc;
}
