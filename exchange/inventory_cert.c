/*
 * One certificate's values, as Get-ExchangeCertificate prints them:
 * thumbprint, names, CertificateDomains lists, booleans, Services and the
 * two dates; what is wrong with them becomes a note, never a failure.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "inventory_parser.h"
#include "common/common.h"

static int istrue(const char *v, int *out)
{
	if (!strcasecmp(v, "True"))
		*out = 1;
	else if (!strcasecmp(v, "False"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int add_domain(struct parser *p, struct inv_cert *c, const char *name, size_t len)
{
	char **grown;
	size_t i;

	for (i = 0; i < c->n_domains; i++)
		if (strlen(c->domains[i]) == len && !strncasecmp(c->domains[i], name, len))
			return 0;
	grown = realloc(c->domains, (c->n_domains + 1) * sizeof(*grown));
	if (!grown || !(grown[c->n_domains] = strndup(name, len))) {
		if (grown)
			c->domains = grown;
		p->oom = 1;
		return -1;
	}
	c->domains = grown;
	c->n_domains++;
	return 0;
}

/*
 * {a, b}, {a,}, {} or a bare "a, b". PowerShell shows at most four items
 * ($FormatEnumerationLimit) and ends the list with "..." (PowerShell 7: "…").
 */
static int parse_domains(struct parser *p, struct inv_cert *c, const struct prop *pr)
{
	const char *v = pr->value, *end;
	size_t len = strlen(v);
	char q[QUOTE_MAX + 4];

	c->domains_given = 1;
	if (len > 0 && v[0] == '{') {
		v++;
		len--;
		if (len > 0 && v[len - 1] == '}')
			len--;
		else
			inv_note(p, pr->line, "CertificateDomains '%s': the list has no closing '}'; "
					  "read what is there",
			     inv_quote(pr->value, q));
	}
	end = v + len;
	while (v < end) {
		const char *comma = memchr(v, ',', (size_t)(end - v)), *stop = comma ? comma : end;
		const char *a = v, *b = stop;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (!comma && b - a >= 3 && !memcmp(b - 3, "...", 3)) {
			c->domains_cut = 1;
			b -= 3;
		} else if (!comma && b - a >= 3 && !memcmp(b - 3, "\xE2\x80\xA6", 3)) {
			c->domains_cut = 1;
			b -= 3;
		}
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a && add_domain(p, c, a, (size_t)(b - a)))
			return -1;
		v = comma ? comma + 1 : end;
	}
	return 0;
}

/*
 * "IMAP, POP, IIS, SMTP" as Format-List and Export-Csv print the flags, or
 * Format-Table's ServicesStringForm "IP.WS.." (one letter or '.' a service:
 * IMAP, POP, UM, IIS (W), SMTP, ...).
 */
static int services_include_smtp(const char *services)
{
	const char *s = services;
	size_t len = strlen(services);

	if (len >= 5 && len <= 8 && strspn(services, "IPUWSFC.") == len)
		return strchr(services, 'S') != NULL;

	while ((s = strcasestr(s, "SMTP"))) {
		int before = s == services || !isalnum((unsigned char)s[-1]);
		int after = !isalnum((unsigned char)s[4]);

		if (before && after)
			return 1;
		s += 4;
	}
	return 0;
}

static int set_string(struct parser *p, char **dst, const char *value)
{
	free(*dst);
	if (!(*dst = strdup(value))) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

/* A distinguished name as Exchange prints it; says what is wrong with it. 1 when fine. */
static int check_name(struct parser *p, const struct prop *pr)
{
	const char *v = pr->value;
	size_t len = strlen(v);
	char q[QUOTE_MAX + 4];

	if (len == 0) {
		inv_note(p, pr->line, "%s is empty", pr->name);
		return 0;
	}
	if (v[0] == ',' || v[0] == '=' || v[len - 1] == '=' || v[len - 1] == ',' ||
	    !strchr(v, '=')) {
		inv_note(p, pr->line, "%s '%s' looks truncated (not a distinguished name such as "
				  "'CN=host, O=org')",
		     pr->name, inv_quote(v, q));
		return 0;
	}
	return 1;
}

static void read_date(struct parser *p, struct inv_date *d, const struct prop *pr)
{
	const char *why = NULL;
	char q[QUOTE_MAX + 4];

	d->line = pr->line;
	if (set_string(p, &d->text, pr->value))
		return;
	if (culture_date_parse(pr->value, &d->d, &why) != 0) {
		inv_note(p, pr->line, "%s '%s': not a date minica can read (%s)", pr->name,
		     inv_quote(pr->value, q), why);
		return;
	}
	if (!culture_date_orders(&d->d)) {
		inv_note(p, pr->line, "%s '%s': no such day in the calendar", pr->name,
		     inv_quote(pr->value, q));
		return;
	}
	d->ok = 1;
}

/* Serial numbers as Windows prints them: hex, any case, maybe with spaces; upper case, no spaces. */
static int read_serial(struct parser *p, struct inv_cert *c, const struct prop *pr)
{
	size_t i, o = 0;

	if (set_string(p, &c->serial_number, pr->value))
		return -1;
	for (i = 0; c->serial_number[i]; i++)
		if (c->serial_number[i] != ' ')
			c->serial_number[o++] = (char)toupper((unsigned char)c->serial_number[i]);
	c->serial_number[o] = '\0';
	return 0;
}

/* Get-ChildItem Cert:\ and certutil show no Exchange services. */
static int services_unknown(const struct run *r)
{
	return !inv_find_prop(r, "Services") &&
	       (r->format == INV_CERTUTIL || inv_find_prop(r, "PSPath") ||
		inv_find_prop(r, "PSParentPath") || inv_find_prop(r, "EnhancedKeyUsageList") ||
		inv_find_prop(r, "DnsNameList"));
}

int inventory_read_cert(struct parser *p, const struct run *r, struct inv_cert *c)
{
	size_t i;
	char q[QUOTE_MAX + 4];
	int self = -1, subject_ok = 0, issuer_ok = 0;
	const struct prop *dns = NULL;

	memset(c, 0, sizeof(*c));
	c->self_signed = -1;
	c->has_private_key = -1;
	c->line = r->first;
	c->end_line = r->last;
	c->format = r->format;
	c->services_unknown = services_unknown(r);
	for (i = 0; i < r->n && !p->oom; i++) {
		const struct prop *pr = &r->props[i];
		const char *n = pr->name;

		if (inv_same_name(n, "Thumbprint")) {
			char *t;
			size_t o = 0, j;

			if (set_string(p, &c->thumbprint, pr->value))
				break;
			for (t = c->thumbprint, j = 0; t[j]; j++)
				if (t[j] != ' ')
					t[o++] = (char)toupper((unsigned char)t[j]);
			t[o] = '\0';
			c->thumbprint_ok = o == 40 && strspn(t, "0123456789ABCDEF") == 40;
			if (!c->thumbprint_ok)
				inv_note(p, pr->line, "Thumbprint '%s' is not 40 hexadecimal digits (a SHA-1 "
						  "thumbprint)",
				     inv_quote(pr->value, q));
		} else if (inv_same_name(n, "Subject")) {
			set_string(p, &c->subject, pr->value);
			c->subject_cut = pr->cut;
			subject_ok = !pr->cut && check_name(p, pr);
		} else if (inv_same_name(n, "Issuer")) {
			set_string(p, &c->issuer, pr->value);
			issuer_ok = !pr->cut && check_name(p, pr);
		} else if (inv_same_name(n, "Services")) {
			set_string(p, &c->services, pr->value);
			c->smtp = services_include_smtp(pr->value);
			c->services_unknown = pr->cut && !c->smtp;
		} else if (inv_same_name(n, "Status")) {
			set_string(p, &c->status, pr->value);
		} else if (inv_same_name(n, "CertificateDomains")) {
			parse_domains(p, c, pr);
		} else if (inv_same_name(n, "DnsNameList")) {
			dns = pr;
		} else if (inv_same_name(n, "SerialNumber")) {
			read_serial(p, c, pr);
		} else if (inv_same_name(n, "IsSelfSigned")) {
			if (istrue(pr->value, &self))
				inv_note(p, pr->line, "IsSelfSigned '%s' is neither True nor False",
				     inv_quote(pr->value, q));
		} else if (inv_same_name(n, "HasPrivateKey")) {
			if (istrue(pr->value, &c->has_private_key))
				inv_note(p, pr->line, "HasPrivateKey '%s' is neither True nor False",
				     inv_quote(pr->value, q));
		} else if (inv_same_name(n, "NotAfter")) {
			read_date(p, &c->not_after, pr);
		} else if (inv_same_name(n, "NotBefore")) {
			read_date(p, &c->not_before, pr);
		}
	}
	if (!c->domains_given && dns)
		parse_domains(p, c, dns);
	if (!c->thumbprint && !p->oom) {
		c->thumbprint_missing = 1;
		set_string(p, &c->thumbprint, "");
		inv_note(p, r->first, "the certificate at lines %ld-%ld (serial number %s) was cut "
				      "before its Thumbprint: thumbprint missing",
			 r->first, r->last, c->serial_number ? c->serial_number : "unknown");
	}
	if (self >= 0) {
		c->self_signed = self;
	} else if (subject_ok && issuer_ok) {
		c->self_signed = !strcasecmp(c->subject, c->issuer);
		c->self_signed_derived = 1;
	}
	if (!c->not_after.text)
		inv_note(p, r->first, "the certificate at lines %ld-%ld has no NotAfter: its verdict is "
				  "UNKNOWN",
		     r->first, r->last);
	return p->oom ? -1 : 0;
}

/* Decides the day/month order (date_order.c) and says so when nothing decided it. */
void inventory_report_order(struct parser *p, struct inv_cert *c)
{
	char q[QUOTE_MAX + 4];

	switch (c->order_how) {
	case ORDER_EARLIER:
		inv_note(p, c->not_after.line,
		     "NotAfter '%s' can be read as d/M/yyyy or M/d/yyyy; the earlier date is used; give "
		     "--date-order dmy or mdy to choose",
		     inv_quote(c->not_after.text, q));
		break;
	case ORDER_UNDECIDED:
		inv_note(p, c->not_before.line,
		     "NotBefore '%s' can be read as d/M/yyyy or M/d/yyyy (the verdict does not depend "
		     "on it); read as d/M/yyyy; give --date-order dmy or mdy to choose",
		     inv_quote(c->not_before.text, q));
		break;
	default:
		break;
	}
}

