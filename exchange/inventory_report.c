/* How an inventory is shown: notes on stderr, the report, its JSON. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "issue/issue.h"
#include "common/common.h"

void inventory_print_notes(const char *file, const struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n_notes; i++)
		fprintf(stderr, "minica: %s line %ld: %s\n", printable(file), inv->notes[i].line,
			inv->notes[i].text);
}

static void print_cert(const struct inventory *inv, const struct inv_cert *c,
		       const struct inv_assessed *a)
{
	char when[TIME_BUF], other[TIME_BUF];
	const char *order = inventory_order_text(c);
	char *cmd;
	size_t i;

	if (c->thumbprint_missing)
		printf("\nserial %s  %s  (lines %ld-%ld%s%s; thumbprint missing)\n",
		       c->serial_number ? c->serial_number : "?", inv_verdict_names[a->verdict], c->line,
		       c->end_line, c->format == INV_FL ? "" : ", ",
		       c->format == INV_FL ? "" : inv_format_names[c->format]);
	else
		printf("\n%s  %s  (lines %ld-%ld%s%s)\n", c->thumbprint, inv_verdict_names[a->verdict],
		       c->line, c->end_line, c->format == INV_FL ? "" : ", ",
		       c->format == INV_FL ? "" : inv_format_names[c->format]);
	if (c->duplicate_of)
		printf("  listed again   the same thumbprint as at line %ld\n",
		       inv->certs[c->duplicate_of - 1].line);
	printf("  subject        %s\n", !c->subject ? "(none)" : *c->subject ? c->subject : "(empty)");
	printf("  issuer         %s\n", !c->issuer ? "(none)" : *c->issuer ? c->issuer : "(empty)");
	/* without IsSelfSigned, what was compared, and what came of it */
	printf("  self-signed    %s%s\n",
	       c->self_signed == 1 ? "yes" : c->self_signed == 0 ? "no" : "unknown",
	       !c->self_signed_derived ? ""
	       : c->self_signed	      ? " (no IsSelfSigned line: Subject and Issuer are the same)"
				      : " (no IsSelfSigned line: Subject and Issuer differ)");
	if (c->services_unknown && !c->services)
		printf("  services       (not in this output%s)\n",
		       a->user ? "" : ": treated as possibly SMTP");
	else
		printf("  services       %s%s\n", c->services ? c->services : "(none)",
		       c->services_unknown ? " (cut: treated as possibly SMTP)" : "");
	printf("  domains        ");
	if (!c->n_domains)
		printf("(none)");
	for (i = 0; i < c->n_domains; i++)
		printf("%s%s", i ? ", " : "", c->domains[i]);
	printf("%s\n", c->domains_cut ? ", ... (cut after four names)" : "");
	if (c->not_after.ok) {
		printf("  not after      %s (server time), %ld days %s\n",
		       inventory_local_time(c->not_after.t, when, 0), a->days < 0 ? -a->days : a->days,
		       a->days < 0 ? "ago" : "left");
	} else {
		printf("  not after      %s\n", c->not_after.text ? "unreadable (see above)" : "(none)");
	}
	if (order) {
		printf("  dates read as  %s\n", order);
		if (c->order_how == ORDER_CONSOLE)
			printf("                 (line %ld)\n", c->order_line);
		if (c->order_how == ORDER_EARLIER && c->not_after.ok && c->not_after_other)
			printf("                 the other reading of NotAfter is %s\n",
			       inventory_local_time(c->not_after_other, other, 0));
	}
	if (a->serial[0])
		printf("  minica         issued by this CA (serial %s)\n", a->serial);
	cmd = inventory_replacement_command(a);
	if (a->user) {
		printf("  replace with   (nothing: a user or client certificate, not a server's)\n"
		       "                 %s %s: no SMTP use, no host to issue for\n",
		       a->user_from_cn ? "its CN is the mail address" : "its names are mail addresses,",
		       a->user);
	} else if (cmd) {
		printf("  replace with   %s\n", cmd);
		if (a->hosts_from_cn)
			printf("                 (CertificateDomains is empty: the subject's CN)\n");
		if (c->domains_cut)
			printf("                 %s\n", INV_CUT_ADVICE);
	} else {
		printf("  replace with   (no host name: %s)\n",
		       c->subject_cut ? "no CertificateDomains, and Format-Table cut the subject"
				      : "CertificateDomains is empty and the subject has no CN");
	}
	free(cmd);
}

void inventory_print_report(const char *file, const struct inventory *inv,
			 const struct inv_assessed *as, int64_t now, long warn, int store_checked)
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
	       counts[VERDICT_EXPIRED], counts[VERDICT_EXPIRING], counts[VERDICT_OK],
	       counts[VERDICT_UNKNOWN], replace,
	       replace == 1 ? "s" : "", replace == 1 ? "is" : "are");
	if (replace)
		printf(": 'minica inventory %s --issue' replaces %s", file,
		       replace == 1 ? "it" : "them");
	putchar('\n');
}

static json_t *date_json(const struct inv_date *d)
{
	char when[TIME_BUF];

	return d->ok ? json_string(inventory_local_time(d->t, when, 1)) : json_null();
}

static json_t *cert_json(const struct inv_cert *c, const struct inv_assessed *a,
			 const struct inventory *inv)
{
	json_t *o = json_object(), *domains = json_array(), *services = json_array(), *rep;
	static const char *const how[] = {NULL,	     "option",	"other-date", "validity",
					   "earlier", "undecided", "console",	 "shape"};
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
	json_object_set_new(o, "thumbprint_missing", json_boolean(c->thumbprint_missing));
	json_object_set_new(o, "serial_number",
			    c->serial_number ? json_string(c->serial_number) : json_null());
	json_object_set_new(o, "format", json_string(inv_format_names[c->format]));
	json_object_set_new(o, "subject", c->subject ? json_string(c->subject) : json_null());
	json_object_set_new(o, "subject_cut", json_boolean(c->subject_cut));
	json_object_set_new(o, "issuer", c->issuer ? json_string(c->issuer) : json_null());
	json_object_set_new(o, "self_signed",
			    c->self_signed < 0 ? json_null() : json_boolean(c->self_signed));
	json_object_set_new(o, "self_signed_from",
			    c->self_signed < 0 ? json_null()
			    : c->self_signed_derived ? json_string("subject=issuer")
						     : json_string("IsSelfSigned"));
	json_object_set_new(o, "services", services);
	json_object_set_new(o, "smtp", json_boolean(c->smtp));
	json_object_set_new(o, "services_known", json_boolean(!c->services_unknown));
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
					    ? json_string(inventory_local_time(c->not_after_other, when, 1))
					    : json_null());
		json_object_set_new(d, "evidence_line", c->order_how == ORDER_CONSOLE
							       ? json_integer(c->order_line)
							       : json_null());
		json_object_set_new(o, "date_order", d);
	} else {
		json_object_set_new(o, "date_order", json_null());
	}
	json_object_set_new(o, "days_left", c->not_after.ok ? json_integer(a->days) : json_null());
	json_object_set_new(o, "verdict", json_string(inv_verdict_names[a->verdict]));
	json_object_set_new(o, "needs_replacement", json_boolean(a->replace));
	json_object_set_new(o, "user_certificate", json_boolean(a->user != NULL));
	json_object_set_new(o, "minica_serial", a->serial[0] ? json_string(a->serial) : json_null());
	json_object_set_new(o, "duplicate_of_line",
			    c->duplicate_of ? json_integer(inv->certs[c->duplicate_of - 1].line)
					    : json_null());
	cmd = inventory_replacement_command(a);
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

/* The report; its certificates array is left empty unless with_certs. */
static json_t *report_json(const char *file, const struct inventory *inv,
			   const struct inv_assessed *as, int64_t now, long warn, int store_checked,
			   int with_certs)
{
	json_t *o = json_object(), *certs = json_array(), *notes = json_array(), *sum;
	char when[TIME_BUF];
	size_t i, counts[4] = {0, 0, 0, 0}, replace = 0;

	for (i = 0; i < inv->n_certs; i++) {
		if (with_certs)
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
	json_object_set_new(sum, "expired", json_integer((json_int_t)counts[VERDICT_EXPIRED]));
	json_object_set_new(sum, "expiring", json_integer((json_int_t)counts[VERDICT_EXPIRING]));
	json_object_set_new(sum, "ok", json_integer((json_int_t)counts[VERDICT_OK]));
	json_object_set_new(sum, "unknown", json_integer((json_int_t)counts[VERDICT_UNKNOWN]));
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


json_t *inventory_report_json(const char *file, const struct inventory *inv,
			   const struct inv_assessed *as, int64_t now, long warn, int store_checked)
{
	return report_json(file, inv, as, now, warn, store_checked, 1);
}

struct stream_ctx {
	const struct inventory *inv;
	const struct inv_assessed *as;
};

static json_t *stream_cert(size_t i, void *vctx)
{
	const struct stream_ctx *x = vctx;

	return cert_json(&x->inv->certs[i], &x->as[i], x->inv);
}

int inventory_emit_json(const char *file, const struct inventory *inv,
			const struct inv_assessed *as, int64_t now, long warn, int store_checked)
{
	struct stream_ctx x = {inv, as};

	return json_emit_streamed(report_json(file, inv, as, now, warn, store_checked, 0),
				  "certificates", inv->n_certs, stream_cert, &x);
}
