/*
 * minica report --ics: an iCalendar file (RFC 5545) with one event per
 * certificate that can still expire on someone (valid or expired, not revoked
 * or superseded) and one for the CA, each with an alarm before it.
 *
 * The output depends only on the store and the options, not on the clock:
 * UIDs are the serials (the CA's is its key identifier, which survives
 * 'ca extend', so the CA event moves instead of doubling), DTSTAMP is when
 * the certificate was issued, and no text says "in N days". A calendar that
 * subscribes to a regenerated file therefore sees changes only when the store
 * changed.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "report.h"

#define ICS_LINE_MAX 75 /* octets per physical line, without the CRLF */

/* Writes one content line, folded at 75 octets without splitting a UTF-8 sequence. */
void ics_line(struct ics_writer *w, const char *name, const char *value)
{
	char *line = NULL;
	size_t len, pos = 0, room = ICS_LINE_MAX, cut;

	if (asprintf(&line, "%s:%s", name, value) < 0) {
		w->error = 1;
		return;
	}
	len = strlen(line);
	while (len - pos > room) {
		cut = pos + room;
		while (cut > pos && ((unsigned char)line[cut] & 0xC0) == 0x80)
			cut--; /* back to the start of the sequence */
		if (fwrite(line + pos, 1, cut - pos, w->f) != cut - pos || fputs("\r\n ", w->f) < 0)
			w->error = 1;
		pos = cut;
		room = ICS_LINE_MAX - 1; /* the leading space counts */
	}
	if (fwrite(line + pos, 1, len - pos, w->f) != len - pos || fputs("\r\n", w->f) < 0)
		w->error = 1;
	free(line);
}

char *ics_escape(const char *text)
{
	const char *p;
	char *out = malloc(2 * strlen(text) + 1), *o = out;

	if (!out)
		return NULL;
	for (p = text; *p; p++) {
		if (*p == '\\' || *p == ';' || *p == ',') {
			*o++ = '\\';
			*o++ = *p;
		} else if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (*p != '\r') {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

void ics_text(struct ics_writer *w, const char *name, const char *text)
{
	char *escaped = ics_escape(text);

	if (!escaped) {
		w->error = 1;
		return;
	}
	ics_line(w, name, escaped);
	free(escaped);
}

static const char *ics_time(int64_t t, char buf[TIME_BUF])
{
	char iso[TIME_BUF];
	size_t i, o = 0;

	fmt_time_iso(t, iso); /* 2031-11-24T12:33:48Z -> 20311124T123348Z */
	for (i = 0; iso[i] && o < TIME_BUF - 1; i++)
		if (iso[i] != '-' && iso[i] != ':')
			buf[o++] = iso[i];
	buf[o] = '\0';
	return buf;
}

static void alarm(struct ics_writer *w, long days, const char *what)
{
	char trigger[32], *text = NULL;

	snprintf(trigger, sizeof(trigger), "-P%ldD", days);
	if (asprintf(&text, "%s in %ld days", what, days) < 0) {
		w->error = 1;
		return;
	}
	ics_line(w, "BEGIN", "VALARM");
	ics_line(w, "ACTION", "DISPLAY");
	ics_line(w, "TRIGGER", trigger);
	ics_text(w, "DESCRIPTION", text);
	ics_line(w, "END", "VALARM");
	free(text);
}

static void ca_event(struct ics_writer *w, const struct report *r)
{
	char when[TIME_BUF], stamp[TIME_BUF], start[TIME_BUF], uid[160];
	char *summary = NULL, *desc = NULL;

	snprintf(uid, sizeof(uid), "ca-%s@minica", r->ca_ski);
	if (asprintf(&summary, "CA certificate expires: %s", r->ca_cn) < 0 ||
	    asprintf(&desc,
		     "The minica CA %s expires on %s. Every certificate it issued stops "
		     "verifying then.\n"
		     "Extend it well before (same key, every issued certificate keeps "
		     "verifying):\n"
		     "  minica ca extend --years 10\n"
		     "  minica ca export --der --out minica-ca.cer\n"
		     "and install the new CA certificate where the old one is trusted "
		     "(certutil -addstore -f Root minica-ca.cer).\n"
		     "Thumbprint %s, store %s.",
		     r->ca_cn, fmt_time(r->ca_not_after, when), r->ca_thumbprint,
		     r->store_path) < 0) {
		w->error = 1;
		goto out;
	}
	ics_line(w, "BEGIN", "VEVENT");
	ics_text(w, "UID", uid);
	ics_line(w, "DTSTAMP", ics_time(r->ca_not_before, stamp));
	ics_line(w, "DTSTART", ics_time(r->ca_not_after, start));
	ics_text(w, "SUMMARY", summary);
	ics_text(w, "DESCRIPTION", desc);
	ics_line(w, "CATEGORIES", "minica");
	ics_line(w, "TRANSP", "TRANSPARENT");
	alarm(w, r->ca_warn_days, "The minica CA certificate expires");
	if (r->ca_warn_days > REPORT_CA_CRIT)
		alarm(w, REPORT_CA_CRIT, "The minica CA certificate expires");
	ics_line(w, "END", "VEVENT");
out:
	free(summary);
	free(desc);
}

static void cert_event(struct ics_writer *w, const struct report *r, const struct report_cert *c)
{
	const struct store_record *rec = c->rec;
	char when[TIME_BUF], stamp[TIME_BUF], start[TIME_BUF], uid[80];
	char *names = text_join(rec->hosts, rec->n_hosts, ", ");
	char *summary = NULL, *desc = NULL, *what = NULL;

	if (!names) {
		w->error = 1;
		return;
	}
	snprintf(uid, sizeof(uid), "%s@minica", c->serial);
	if (asprintf(&summary, "Certificate expires: %s",
		     rec->n_hosts ? rec->hosts[0] : c->serial) < 0 ||
	    asprintf(&what, "The certificate for %s expires", rec->n_hosts ? rec->hosts[0] : c->serial) < 0 ||
	    asprintf(&desc,
		     "The certificate for %s (serial %s, thumbprint %s, template %s, "
		     "CA %s) expires on %s.\n"
		     "Renew it (new key, same names and template):\n"
		     "  minica renew --serial %s\n"
		     "then install the new files where the old ones are used.",
		     names, c->serial, c->thumbprint[0] ? c->thumbprint : "?",
		     rec->template_name, r->ca_cn, fmt_time(rec->not_after, when), c->serial) < 0) {
		w->error = 1;
		goto out;
	}
	ics_line(w, "BEGIN", "VEVENT");
	ics_text(w, "UID", uid);
	ics_line(w, "DTSTAMP", ics_time(rec->issued_at, stamp));
	ics_line(w, "DTSTART", ics_time(rec->not_after, start));
	ics_text(w, "SUMMARY", summary);
	ics_text(w, "DESCRIPTION", desc);
	ics_line(w, "CATEGORIES", "minica");
	ics_line(w, "TRANSP", "TRANSPARENT");
	alarm(w, r->warn_days, what);
	ics_line(w, "END", "VEVENT");
out:
	free(names);
	free(summary);
	free(what);
	free(desc);
}

int report_ics(FILE *f, const struct report *r, size_t *events)
{
	struct ics_writer w = {f, 0};
	char *name = NULL;
	size_t i;

	*events = 0;
	if (asprintf(&name, "minica: %s", r->ca_cn) < 0)
		return -1;
	ics_line(&w, "BEGIN", "VCALENDAR");
	ics_line(&w, "VERSION", "2.0");
	ics_line(&w, "PRODID", "-//minica//minica " MINICA_VERSION "//EN");
	ics_line(&w, "CALSCALE", "GREGORIAN");
	ics_text(&w, "NAME", name);          /* RFC 7986 */
	ics_text(&w, "X-WR-CALNAME", name);  /* what most clients read */
	ics_line(&w, "REFRESH-INTERVAL;VALUE=DURATION", "P1D");
	ics_line(&w, "X-PUBLISHED-TTL", "P1D");
	ca_event(&w, r);
	(*events)++;
	for (i = 0; i < r->n_certs; i++) {
		if (!report_alarms(&r->certs[i]))
			continue;
		cert_event(&w, r, &r->certs[i]);
		(*events)++;
	}
	ics_line(&w, "END", "VCALENDAR");
	free(name);
	return w.error ? -1 : 0;
}
