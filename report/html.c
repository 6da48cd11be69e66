/*
 * minica report --html: one self-contained page (inline CSS and SVG, no
 * script, nothing loaded from anywhere; a Content-Security-Policy says so
 * to the browser too) with the CA, every certificate, and a timeline of
 * expiry dates with today and the warning windows of SPEC section 6.
 *
 * Every value from the store goes through html_escape(): a CA subject or a
 * template name may hold markup.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "report.h"

#define DAY 86400
#define LANES_MAX 300 /* the timeline draws the CA and at most this many certificates */

/* The state a certificate or the CA is in, as check would say. */
enum state { ST_OK, ST_WARN, ST_CRIT, ST_EXPIRED, ST_INACTIVE };

static const char *const state_class[] = {"ok", "warn", "crit", "expired", "inactive"};

static enum state leaf_state(const struct report *r, const struct report_cert *c)
{
	int64_t left = c->rec->not_after - r->now; /* states compare seconds, as check does */

	if (!report_alarms(c))
		return ST_INACTIVE;
	if (left <= 0)
		return ST_EXPIRED;
	if (left < (int64_t)REPORT_LEAF_CRIT * 86400)
		return ST_CRIT;
	return left < (int64_t)r->warn_days * 86400 ? ST_WARN : ST_OK;
}

static enum state ca_state(const struct report *r)
{
	int64_t left = r->ca_not_after - r->now;

	if (left <= 0)
		return ST_EXPIRED;
	if (left < (int64_t)REPORT_CA_CRIT * 86400)
		return ST_CRIT;
	return left < (int64_t)r->ca_warn_days * 86400 ? ST_WARN : ST_OK;
}

static const char style[] =
	"<style>\n"
	":root{--ok:#2e7d32;--okbg:#e8f5e9;--warn:#b26a00;--warnbg:#fff4e0;--crit:#c62828;"
	"--critbg:#fdecea;--muted:#6b7280;--line:#d9dde3;--today:#1565c0}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
	"Roboto,'Helvetica Neue',Arial,sans-serif;color:#1f2328;background:#f6f7f9}\n"
	"main{max-width:1240px;margin:0 auto}\n"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}"
	"h3{font-size:15px;margin:18px 0 8px}\n"
	".meta{color:var(--muted);margin:0}\n"
	"section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:4px 18px "
	"16px;margin-top:18px}\n"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:18px}\n"
	".card{flex:1 1 130px;background:#fff;border:1px solid var(--line);border-radius:8px;"
	"padding:10px 14px}\n"
	".card b{display:block;font-size:22px}.card span{color:var(--muted);font-size:12px}\n"
	".card.warn b{color:var(--warn)}.card.crit b,.card.expired b{color:var(--crit)}"
	".card.ok b{color:var(--ok)}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);"
	"vertical-align:top}\n"
	"th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".kv th{width:180px;text-transform:none;font-size:13px;letter-spacing:0}\n"
	".mono{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;font-size:12.5px;"
	"word-break:break-all}\n"
	".sub{display:block;color:var(--muted);font-size:11.5px}\n"
	".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;"
	"font-weight:600}\n"
	".badge.ok{color:var(--ok);background:var(--okbg)}"
	".badge.warn{color:var(--warn);background:var(--warnbg)}\n"
	".badge.crit,.badge.expired{color:var(--crit);background:var(--critbg)}"
	".badge.inactive{color:var(--muted);background:#eef0f3}\n"
	"tr.inactive td{color:var(--muted)}\n"
	"svg{display:block;width:100%;height:auto}\n"
	"svg text{font:11px system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
	"fill:#1f2328}\n"
	"svg .axis{fill:var(--muted)}svg .grid{stroke:#eceef1;stroke-width:1}\n"
	"svg .life{fill:#cfe3d1}svg .life.expired{fill:#e3c9c9}svg .life.ca{fill:#c9d8ec}\n"
	"svg .win{fill:#f5b041}svg .winc{fill:#e74c3c}\n"
	"svg .end{stroke:#1f2328;stroke-width:1.5}\n"
	"svg .today{stroke:var(--today);stroke-width:2}svg .todaylabel{fill:var(--today);"
	"font-weight:600}\n"
	".legend{display:flex;flex-wrap:wrap;gap:16px;color:var(--muted);font-size:12px;"
	"margin:8px 0 0;padding:0;list-style:none}\n"
	".legend i{display:inline-block;width:14px;height:10px;margin-right:5px;"
	"vertical-align:-1px;border-radius:2px}\n"
	"footer{color:var(--muted);font-size:12px;margin:18px 0}\n"
	"@media print{body{background:#fff;padding:0}section,.card{break-inside:avoid}}\n"
	"</style>\n";

static void badge(FILE *f, enum state s, const char *text)
{
	fprintf(f, "<span class=\"badge %s\">", state_class[s]);
	html_escape(f, text);
	fputs("</span>", f);
}

static void head(FILE *f, const struct report *r)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"generator\" content=\"minica " MINICA_VERSION "\">\n<title>",
	      f);
	html_escape(f, r->ca_cn);
	fputs(": certificate report</title>\n", f);
	fputs(style, f);
	fputs("</head>\n<body>\n<main>\n", f);
}

static const char *card_class(const size_t counts[5], enum state s)
{
	return counts[s] ? state_class[s] : state_class[ST_INACTIVE];
}

static void summary(FILE *f, const struct report *r)
{
	size_t i, counts[5] = {0};
	long ca_days = days_left(r->ca_not_after, r->now);
	char when[TIME_BUF];
	static const char *const labels[] = {"valid", "", "", "expired", "revoked or superseded"};

	for (i = 0; i < r->n_certs; i++)
		counts[leaf_state(r, &r->certs[i])]++;
	fputs("<header>\n<h1>", f);
	html_escape(f, r->ca_cn);
	fputs("</h1>\n<p class=\"meta\">Certificate report of ", f);
	html_escape(f, r->store_path);
	fprintf(f, ", %s, by minica " MINICA_VERSION "</p>\n</header>\n",
		fmt_time(r->now, when));
	fputs("<div class=\"cards\">\n", f);
	fprintf(f, "<div class=\"card %s\"><b>%ld</b><span>days left on the CA</span></div>\n",
		state_class[ca_state(r)], ca_days);
	/* a count of nothing is not an alarm: drawn muted, not in its state's colour */
	fprintf(f, "<div class=\"card %s\"><b>%zu</b><span>%s</span></div>\n",
		card_class(counts, ST_OK), counts[ST_OK], labels[ST_OK]);
	fprintf(f,
		"<div class=\"card %s\"><b>%zu</b><span>expiring within %ld days</span></div>\n",
		card_class(counts, ST_WARN), counts[ST_WARN], r->warn_days);
	fprintf(f,
		"<div class=\"card %s\"><b>%zu</b><span>expiring within %d days</span></div>\n",
		card_class(counts, ST_CRIT), counts[ST_CRIT], REPORT_LEAF_CRIT);
	fprintf(f, "<div class=\"card %s\"><b>%zu</b><span>%s</span></div>\n",
		card_class(counts, ST_EXPIRED), counts[ST_EXPIRED], labels[ST_EXPIRED]);
	fprintf(f, "<div class=\"card inactive\"><b>%zu</b><span>%s</span></div>\n",
		counts[ST_INACTIVE], labels[ST_INACTIVE]);
	fputs("</div>\n", f);
}

static void kv(FILE *f, const char *key, const char *value, int mono)
{
	fprintf(f, "<tr><th>%s</th><td%s>", key, mono ? " class=\"mono\"" : "");
	html_escape(f, value);
	fputs("</td></tr>\n", f);
}

static void ca_section(FILE *f, const struct report *r)
{
	char when[TIME_BUF], text[96];
	long d = days_left(r->ca_not_after, r->now);
	enum state s = ca_state(r);
	size_t i;

	fputs("<section id=\"ca\">\n<h2>Certificate authority</h2>\n<table class=\"kv\">\n", f);
	kv(f, "Subject", r->ca_subject, 0);
	kv(f, "Serial", r->ca_serial, 1);
	kv(f, "Thumbprint (SHA-1)", r->ca_thumbprint, 1);
	kv(f, "SHA-256", r->ca_sha256, 1);
	snprintf(text, sizeof(text), "%s, %s", r->ca_key,
		 r->ca_key_on_token    ? "on a PKCS#11 token"
		 : r->ca_key_protected ? "encrypted with the passphrase"
				       : "NOT encrypted");
	kv(f, "Key", text, 0);
	kv(f, "Not before", fmt_time(r->ca_not_before, when), 0);
	kv(f, "Not after", fmt_time(r->ca_not_after, when), 0);
	fputs("<tr><th>Days left</th><td>", f);
	snprintf(text, sizeof(text), "%ld", d);
	badge(f, s, text);
	if (s == ST_WARN || s == ST_CRIT)
		fputs(" extend it now: <span class=\"mono\">minica ca extend --years 10</span>", f);
	else if (s == ST_EXPIRED)
		fputs(" expired: every certificate it issued has stopped verifying", f);
	fputs("</td></tr>\n", f);
	kv(f, "Default domain", r->ca_domain ? r->ca_domain : "(none)", 0);
	snprintf(text, sizeof(text), "%zu", r->n_versions);
	kv(f, "Certificate versions", text, 0);
	fputs("</table>\n<h3>CA certificate versions</h3>\n<table>\n<thead><tr><th class=\"num\">"
	      "Version</th><th>Serial</th><th>Thumbprint (SHA-1)</th><th>Not before</th>"
	      "<th>Not after</th></tr></thead>\n<tbody>\n",
	      f);
	for (i = r->n_versions; i-- > 0;) {
		const struct report_ca_version *v = &r->versions[i];

		fprintf(f, "<tr><td class=\"num\">%u</td><td class=\"mono\">%s</td>"
			   "<td class=\"mono\">%s</td>",
			v->version, v->serial, v->thumbprint);
		fprintf(f, "<td>%s</td>", fmt_time(v->not_before, when));
		fprintf(f, "<td>%s</td></tr>\n", fmt_time(v->not_after, when));
	}
	fputs("</tbody>\n</table>\n</section>\n", f);
}

/* ---- the timeline ---- */

#define TL_W 1200.0
#define TL_X0 230.0
#define TL_X1 1180.0
#define TL_TOP 34.0
#define TL_LANE 20.0

struct axis {
	int64_t t0, t1;
};

static double x_of(const struct axis *a, int64_t t)
{
	if (t < a->t0)
		t = a->t0;
	if (t > a->t1)
		t = a->t1;
	return TL_X0 + (double)(t - a->t0) / (double)(a->t1 - a->t0) * (TL_X1 - TL_X0);
}

static int64_t year_start(int year)
{
	struct tm tm = {0};

	tm.tm_year = year - 1900;
	tm.tm_mday = 1;
	return (int64_t)timegm(&tm);
}

static int year_of(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	return gmtime_r(&tt, &tm) ? tm.tm_year + 1900 : 1970;
}

static void rect(FILE *f, const char *cls, double x0, double x1, double y, double h)
{
	if (x1 - x0 < 1.5)
		x0 = x1 - 1.5; /* a window of a few days stays visible on a 20-year axis */
	fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", cls,
		x0, y, x1 - x0, h);
}

/* A label that fits the left column: at most 32 characters, whole UTF-8 sequences. */
static void lane_label(FILE *f, const char *text)
{
	size_t chars = 0, i;
	char buf[160];

	for (i = 0; i < sizeof(buf) - 4 && text[i]; i++) {
		if (((unsigned char)text[i] & 0xC0) != 0x80 && ++chars > 32)
			break;
		buf[i] = text[i];
	}
	buf[i] = '\0';
	html_escape(f, buf);
	if (text[i])
		fputs("\xE2\x80\xA6", f); /* ellipsis */
}

static void lane(FILE *f, const struct axis *a, int index, const char *label, const char *title,
		 int64_t nb, int64_t na, long warn, long crit, const char *life_class)
{
	double y = TL_TOP + index * TL_LANE, xe = x_of(a, na);

	fputs("<g><title>", f);
	html_escape(f, title);
	fputs("</title>", f);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", TL_X0 - 8, y + 13);
	lane_label(f, label);
	fputs("</text>", f);
	rect(f, life_class, x_of(a, nb), xe, y + 4, 12);
	rect(f, "win", x_of(a, na - warn * DAY), x_of(a, na - crit * DAY), y + 4, 12);
	rect(f, "winc", x_of(a, na - crit * DAY), xe, y + 4, 12);
	fprintf(f, "<line class=\"end\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n", xe,
		y + 1, xe, y + 19);
}

static void timeline(FILE *f, const struct report *r)
{
	struct axis a = {r->now - 30 * DAY, r->now + 30 * DAY};
	size_t i, drawn = 0, eligible = 0;
	int y, y0, y1, step;
	double height, xt;
	char when[TIME_BUF], *title = NULL;

	for (i = 0; i < r->n_certs; i++) {
		const struct store_record *rec = r->certs[i].rec;

		if (!report_alarms(&r->certs[i]))
			continue;
		if (eligible++ >= LANES_MAX)
			continue;
		if (rec->not_before < a.t0)
			a.t0 = rec->not_before;
		if (rec->not_after > a.t1)
			a.t1 = rec->not_after;
	}
	if (r->ca_not_before < a.t0)
		a.t0 = r->ca_not_before;
	if (r->ca_not_after > a.t1)
		a.t1 = r->ca_not_after;
	drawn = eligible < LANES_MAX ? eligible : LANES_MAX;
	height = TL_TOP + (double)(drawn + 1) * TL_LANE + 8;

	fputs("<section id=\"timeline\">\n<h2>Expiry timeline</h2>\n", f);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		"aria-label=\"Validity and expiry of the CA and of every certificate\">\n",
		TL_W, height);
	/* year grid */
	y0 = year_of(a.t0) + 1;
	y1 = year_of(a.t1);
	step = y1 - y0 > 40 ? 10 : y1 - y0 > 20 ? 5 : y1 - y0 > 10 ? 2 : 1;
	for (y = y0; y <= y1; y++) {
		if (y % step)
			continue;
		xt = x_of(&a, year_start(y));
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", xt,
			TL_TOP - 6, xt, height - 4);
		fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n",
			xt, TL_TOP - 10, y);
	}
	/* the CA, then the certificates, soonest expiry first */
	if (asprintf(&title, "CA %s: expires %s (%ld days left)", r->ca_cn,
		     fmt_time(r->ca_not_after, when), days_left(r->ca_not_after, r->now)) >= 0)
		lane(f, &a, 0, r->ca_cn, title, r->ca_not_before, r->ca_not_after, r->ca_warn_days,
		     REPORT_CA_CRIT, "life ca");
	free(title);
	title = NULL;
	for (i = 0, y = 1; i < r->n_certs && (size_t)y <= drawn; i++) {
		const struct report_cert *c = &r->certs[i];
		const struct store_record *rec = c->rec;
		const char *name = rec->n_hosts ? rec->hosts[0] : c->serial;

		if (!report_alarms(c))
			continue;
		if (asprintf(&title, "%s (serial %s): expires %s (%ld days left)", name, c->serial,
			     fmt_time(rec->not_after, when), days_left(rec->not_after, r->now)) < 0)
			break;
		lane(f, &a, y++, name, title, rec->not_before, rec->not_after, r->warn_days,
		     REPORT_LEAF_CRIT, rec->not_after <= r->now ? "life expired" : "life");
		free(title);
		title = NULL;
	}
	xt = x_of(&a, r->now);
	fprintf(f, "<line class=\"today\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", xt,
		TL_TOP - 4, xt, height - 4);
	fprintf(f, "<text class=\"todaylabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">today "
		   "%.10s</text>\n",
		xt, 12.0, fmt_time(r->now, when));
	fputs("</svg>\n<ul class=\"legend\">", f);
	fputs("<li><i style=\"background:#c9d8ec\"></i>CA validity</li>"
	      "<li><i style=\"background:#cfe3d1\"></i>certificate validity</li>",
	      f);
	fprintf(f, "<li><i style=\"background:#f5b041\"></i>warning: CA %ld to %d days, "
		   "certificates %ld to %d days before expiry</li>",
		r->ca_warn_days, REPORT_CA_CRIT, r->warn_days, REPORT_LEAF_CRIT);
	fprintf(f, "<li><i style=\"background:#e74c3c\"></i>critical: CA last %d days, "
		   "certificates last %d days</li>",
		REPORT_CA_CRIT, REPORT_LEAF_CRIT);
	fputs("<li><i style=\"background:#1565c0\"></i>today</li></ul>\n", f);
	if (eligible > drawn)
		fprintf(f, "<p class=\"meta\">The %zu certificates that expire first are drawn; the "
			   "other %zu are in the table below.</p>\n",
			drawn, eligible - drawn);
	fputs("</section>\n", f);
}

static void cert_table(FILE *f, const struct report *r)
{
	char when[TIME_BUF];
	size_t i, j;

	fprintf(f, "<section id=\"certificates\">\n<h2>Certificates (%zu)</h2>\n", r->n_certs);
	if (!r->n_certs) {
		fputs("<p class=\"meta\">No certificates issued yet.</p>\n</section>\n", f);
		return;
	}
	fputs("<table>\n<thead><tr><th>Serial</th><th>Status</th><th>Names</th><th>Template</th>"
	      "<th>Not after</th><th class=\"num\">Days left</th></tr></thead>\n<tbody>\n",
	      f);
	for (i = 0; i < r->n_certs; i++) {
		const struct report_cert *c = &r->certs[i];
		const struct store_record *rec = c->rec;
		enum state s = leaf_state(r, c);

		fprintf(f, "<tr class=\"%s\" id=\"s%s\"><td class=\"mono\">%s<span class=\"sub\">"
			   "%s</span></td><td>",
			state_class[s], c->serial, c->serial, c->thumbprint);
		badge(f, s, c->status);
		fputs("</td><td>", f);
		for (j = 0; j < rec->n_hosts; j++) {
			fputs(j ? ", " : "", f);
			html_escape(f, rec->hosts[j]);
		}
		fputs("</td><td>", f);
		html_escape(f, rec->template_name);
		fprintf(f, "</td><td>%s</td><td class=\"num\">", fmt_time(rec->not_after, when));
		/* a revoked certificate has no days left to count */
		if (rec->status != STORE_REVOKED)
			fprintf(f, "%ld", days_left(rec->not_after, r->now));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n</section>\n", f);
}

int report_html(FILE *f, const struct report *r)
{
	head(f, r);
	summary(f, r);
	ca_section(f, r);
	timeline(f, r);
	cert_table(f, r);
	fputs("<footer>Warning thresholds as <code>minica check</code>: the CA is WARNING under ", f);
	fprintf(f, "%ld days and CRITICAL under %d; a certificate is WARNING under %ld days and "
		   "CRITICAL under %d. Revoked and superseded certificates never alarm.</footer>\n",
		r->ca_warn_days, REPORT_CA_CRIT, r->warn_days, REPORT_LEAF_CRIT);
	fputs("</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
