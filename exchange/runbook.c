/*
 * The steps that install a minica certificate on an Exchange server, with
 * its real thumbprint and file names, in the syntax of the Exchange version
 * at hand. On an Edge Transport server, making the new certificate the
 * default SMTP certificate breaks the EdgeSync subscription (the Hub checks
 * the Edge's certificate that the subscription file carried), so the Edge
 * runbook goes on with re-subscribing.
 *
 * Cmdlet syntax, per version, as Microsoft documents it:
 *   Import-ExchangeCertificate  2007 -Path; 2010 -FileData from Get-Content
 *                               -Encoding Byte; 2013+ -FileData from ReadAllBytes
 *   New-EdgeSubscription (Hub)  2007 -FileName -Site; 2010 -FileData (Get-Content)
 *                               -Site; 2013+ -FileData (ReadAllBytes) -Site
 *   Remove-EdgeSubscription -Identity <Edge host name>; Start-/Test-EdgeSynchronization
 *   (Exchange 2007 SP1 and later).
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "issue/issue.h"
#include "common/common.h"

#define EDGE_FILE "C:\\edgesub.xml"
#define CA_FILE "minica-ca.cer"

struct builder {
	struct runbook *rb;
	struct runbook_step *step; /* the step being written */
	int oom;
};

static char *text(struct builder *b, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0) {
		b->oom = 1;
		return NULL;
	}
	return s;
}

static void step(struct builder *b, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step(struct builder *b, const char *where, const char *fmt, ...)
{
	struct runbook *rb = b->rb;
	struct runbook_step *grown;
	va_list ap;

	b->step = NULL;
	if (b->oom)
		return;
	grown = realloc(rb->steps, (rb->n_steps + 1) * sizeof(*grown));
	if (!grown) {
		b->oom = 1;
		return;
	}
	rb->steps = grown;
	b->step = &rb->steps[rb->n_steps++];
	memset(b->step, 0, sizeof(*b->step));
	b->step->where = strdup(where);
	va_start(ap, fmt);
	b->step->title = text(b, fmt, ap);
	va_end(ap);
	if (!b->step->where)
		b->oom = 1;
}

static void command(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void command(struct builder *b, const char *fmt, ...)
{
	struct runbook_step *s = b->step;
	char **grown;
	va_list ap;
	char *c;

	if (b->oom || !s)
		return;
	va_start(ap, fmt);
	c = text(b, fmt, ap);
	va_end(ap);
	if (!c)
		return;
	grown = realloc(s->commands, (s->n_commands + 1) * sizeof(*grown));
	if (!grown) {
		free(c);
		b->oom = 1;
		return;
	}
	s->commands = grown;
	s->commands[s->n_commands++] = c;
}

static void step_note(struct builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void step_note(struct builder *b, const char *fmt, ...)
{
	va_list ap;

	if (b->oom || !b->step)
		return;
	va_start(ap, fmt);
	b->step->note = text(b, fmt, ap);
	va_end(ap);
}

/* A line that powershell.c writes to a stream, as a command of the step. */
typedef void (*line_fn)(FILE *out, enum exchange_version v, const char *path, const char *extra);

static void import_cert(FILE *out, enum exchange_version v, const char *path, const char *extra)
{
	(void)extra;
	exchange_import_line(out, v, path);
}

static void import_edge(FILE *out, enum exchange_version v, const char *path, const char *site)
{
	exchange_edge_import_line(out, v, path, site);
}

static void versioned(struct builder *b, enum exchange_version v, line_fn fn, const char *path,
		      const char *extra)
{
	static const struct {
		enum exchange_version v;
		const char *label;
	} all[] = {{EXCHANGE_2007, "# Exchange 2007:"},
		   {EXCHANGE_2010, "# Exchange 2010:"},
		   {EXCHANGE_2013, "# Exchange 2013 and later:"}};
	size_t i;

	for (i = 0; i < 3; i++) {
		char *line = NULL;
		size_t len = 0;
		FILE *mem;

		if (v != EXCHANGE_ALL && !(all[i].v == v || (i == 2 && v > EXCHANGE_2013)))
			continue;
		if (v == EXCHANGE_ALL)
			command(b, "%s", all[i].label);
		if (!(mem = open_memstream(&line, &len))) {
			b->oom = 1;
			return;
		}
		fn(mem, all[i].v, path, extra);
		if (fclose(mem) != 0 || !line) {
			free(line);
			b->oom = 1;
			return;
		}
		command(b, "%s", line);
		free(line);
	}
}

static const char *hub_name(enum exchange_version v)
{
	if (v == EXCHANGE_ALL)
		return "the Hub Transport server (Exchange 2013 and later: a Mailbox server)";
	return v >= EXCHANGE_2013 ? "a Mailbox server" : "the Hub Transport server";
}

static void build(struct builder *b, const struct runbook_options *o)
{
	struct runbook *rb = b->rb;
	const char *host = rb->host, *site = o->site ? o->site : "<AD site>";
	enum exchange_version v = o->version;
	char pfx_path[HOST_MAX + 32], edge_id[HOST_MAX + 1], hub_where[64];
	const char *dot;

	snprintf(pfx_path, sizeof(pfx_path), "C:\\%s", rb->pfx_name);
	/* Remove-EdgeSubscription names the Edge by its host name */
	dot = rb->is_ip ? NULL : strchr(host, '.');
	snprintf(edge_id, sizeof(edge_id), "%.*s", dot ? (int)(dot - host) : (int)strlen(host),
		 host);
	snprintf(hub_where, sizeof(hub_where), "%s", v >= EXCHANGE_2013 ? "Mailbox server"
						    : v == EXCHANGE_ALL ? "Hub (2013+: Mailbox) server"
									: "Hub Transport server");

	step(b, "minica", "Export the CA certificate for Windows' Trusted Root store");
	command(b, "minica ca export --der --out %s", CA_FILE);
	step(b, "minica", "Copy %s and %s to C:\\ on %s", rb->pfx_name, CA_FILE, host);
	step_note(b, "The PFX password is in %s-password when minica generated it (else it is the "
		     "one given with --pfx-pass-file). No PFX? 'minica export --serial %s --pfx %s' "
		     "writes it again.",
		  rb->pfx_name, rb->serial, rb->pfx_name);

	step(b, host, "Trust the CA (command prompt or PowerShell, as administrator)");
	command(b, "certutil -addstore -f Root C:\\%s", CA_FILE);
	step_note(b, "Do the same on every server that checks %s's certificate (other Exchange "
		     "servers%s, partners' servers with TLS).",
		  host, o->edge ? ", the Hub Transport or Mailbox servers of its site" : "");

	step(b, host, "Import the certificate with its key (Exchange Management Shell, as "
		      "administrator)");
	versioned(b, v, import_cert, pfx_path, NULL);
	step_note(b, "Get-Credential asks for a user name and a password: the user name is not "
		     "used, the password is the PFX password.");

	step(b, host, "Use it for SMTP");
	command(b, "Enable-ExchangeCertificate -Thumbprint %s -Services SMTP", rb->thumbprint);
	step_note(b, "It asks whether to overwrite the existing default SMTP certificate: answer "
		     "Yes (Y). The new certificate then becomes the default for STARTTLS and for "
		     "Exchange's own transport, replacing the self-signed one; No leaves the old "
		     "default in place.%s",
		  o->edge ? " On an Edge server this breaks the EdgeSync subscription until the "
			    "subscription steps below are done."
			  : "");

	step(b, host, "Check");
	command(b, "Get-ExchangeCertificate -Thumbprint %s | fl", rb->thumbprint);
	command(b, "Get-EventLog Application -Newest 200 | Where-Object { $_.Source -eq "
		   "'MSExchangeTransport' -and ($_.EventID -eq 12014 -or $_.EventID -eq 12015) }");
	if (!o->edge && (v == EXCHANGE_ALL || v >= EXCHANGE_2010)) {
		if (v == EXCHANGE_ALL || v == EXCHANGE_2010)
			command(b, "# Exchange 2010 and later, on a Mailbox server:");
		command(b, "Test-Mailflow");
	}
	step_note(b, "Services must include SMTP and NotAfter be %s's. No MSExchangeTransport "
		     "event 12014 or 12015 (no certificate for the FQDN, TLS failures) newer than the "
		     "import means STARTTLS works%s.",
		  host, !o->edge && v != EXCHANGE_2007 ? "; Test-Mailflow sends a test message "
							 "through transport"
						       : "");
	if (o->edge) {
		step(b, host, "Export a new Edge Subscription file (Exchange Management Shell)");
		command(b, "New-EdgeSubscription -FileName %s", EDGE_FILE);
		step_note(b, "Answer Yes: the Edge's own connectors and accepted domains are replaced "
			     "by the organisation's at the next synchronisation. The file holds "
			     "credentials that expire 24 hours after it is written: finish the next "
			     "steps within 24 hours, or run this again.");
		step(b, host, "Copy %s from %s to C:\\ on %s in the Active Directory site the "
				  "Edge is subscribed to",
		     EDGE_FILE, host, hub_name(v));
		step(b, hub_where, "Note the Edge's site, then remove the old subscription "
				   "(Exchange Management Shell)");
		command(b, "Get-EdgeSubscription -Identity %s | Format-List Name,Site", edge_id);
		command(b, "Remove-EdgeSubscription -Identity %s", edge_id);
		step_note(b, "Answer Yes to the confirmation.");
		step(b, hub_where, "Import the new subscription into the same site");
		versioned(b, v, import_edge, EDGE_FILE, site);
		step_note(b, "%sThen delete %s on both servers: it holds the credentials in clear "
			     "text.",
			  o->site ? "" : "Replace <AD site> with the Site shown in the previous step. ",
			  EDGE_FILE);
		step(b, host, "Restart the Edge's AD LDS instance (ADAM on Windows Server 2003), so "
			      "that LDAP over SSL (port 50636) presents the new certificate "
			      "(PowerShell, as administrator)");
		command(b, "Restart-Service ADAM_MSExchange -Force");
		command(b, "Start-Service MSExchangeTransport");
		step_note(b, "-Force also stops the services that depend on ADAM_MSExchange; start "
			     "any Microsoft Exchange service that 'Get-Service *Exchange*' then shows "
			     "as Stopped.");
		step(b, hub_where, "Synchronise now and test");
		command(b, "Start-EdgeSynchronization");
		command(b, "Test-EdgeSynchronization");
		step_note(b, "SyncStatus must be Normal for %s.%s", edge_id,
			  v == EXCHANGE_2007 || v == EXCHANGE_ALL
				  ? " Exchange 2007 needs SP1 or later for these two cmdlets."
				  : "");
	}
	if (o->replaces) {
		step(b, host, "Once mail flows, remove the certificate this one replaces");
		command(b, "Remove-ExchangeCertificate -Thumbprint %s", o->replaces);
	}
	{
		char vb[16] = "";
		const char *role = o->edge ? "Edge Transport"
				   : v == EXCHANGE_ALL ? "Hub Transport (2013 and later: Mailbox)"
				   : v >= EXCHANGE_2013 ? "Mailbox" : "Hub Transport";

		if (v != EXCHANGE_ALL)
			snprintf(vb, sizeof(vb), " %d", (int)v);
		if (!b->oom && asprintf(&rb->title, "Install the certificate of %s on an Exchange%s "
						    "%s server",
					host, vb, role) < 0) {
			rb->title = NULL;
			b->oom = 1;
		}
	}
}

int runbook_build(const struct store_record *rec, const struct runbook_options *o,
		  struct runbook *out)
{
	struct builder b = {out, NULL, 0};
	X509 *cert = NULL;
	char base[HOST_MAX + 16];
	const char *slash;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = x509_from_der(rec->cert, rec->cert_len, &cert)))
		return rc;
	x509_thumbprint(cert, out->thumbprint);
	X509_free(cert);
	serial_hex(rec->serial, out->serial);
	out->not_after = rec->not_after;
	out->edge = o->edge;
	out->version = o->version;
	out->host = strdup(rec->n_hosts ? rec->hosts[0] : "");
	out->is_ip = rec->n_hosts && strchr(rec->hosts[0], ':') != NULL;
	if (!out->is_ip && rec->n_hosts) {
		size_t i, digits = 0, dots = 0, len = strlen(rec->hosts[0]);

		for (i = 0; i < len; i++) {
			digits += rec->hosts[0][i] >= '0' && rec->hosts[0][i] <= '9';
			dots += rec->hosts[0][i] == '.';
		}
		out->is_ip = digits + dots == len;
	}
	if (o->pfx) {
		slash = strrchr(o->pfx, '/');
		out->pfx_name = strdup(slash ? slash + 1 : o->pfx);
	} else if (host_file_name(out->host ? out->host : "", base, sizeof(base)) == 0) {
		strcat(base, ".pfx");
		out->pfx_name = strdup(base);
	}
	if (!out->host || !out->pfx_name) {
		runbook_free(out);
		return fail(EX_OSERR, "out of memory");
	}
	build(&b, o);
	if (b.oom) {
		runbook_free(out);
		return fail(EX_OSERR, "out of memory");
	}
	return 0;
}

/* Prose at most width columns wide (counted in bytes: notes are ASCII). */
static void print_wrapped(FILE *out, const char *text, int indent, size_t width)
{
	const char *p = text;

	while (*p) {
		size_t room = width - (size_t)indent, len = strlen(p), cut = len;

		if (len > room) {
			cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = strcspn(p, " ");
		}
		fprintf(out, "%*s%.*s\n", indent, "", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

void runbook_print(const struct runbook *rb, FILE *out)
{
	char when[TIME_BUF];
	size_t i, j;

	fprintf(out, "%s\n", rb->title);
	fprintf(out, "  certificate  serial %s, thumbprint %s\n", rb->serial, rb->thumbprint);
	fprintf(out, "               not after %s\n", fmt_time(rb->not_after, when));
	fprintf(out, "  files        %s, %s\n", rb->pfx_name, CA_FILE);
	for (i = 0; i < rb->n_steps; i++) {
		const struct runbook_step *s = &rb->steps[i];

		fprintf(out, "\n%2zu. [%s] %s\n", i + 1, s->where, s->title);
		for (j = 0; j < s->n_commands; j++)
			fprintf(out, "      %s\n", s->commands[j]);
		if (s->note)
			print_wrapped(out, s->note, 4, 92);
	}
}

json_t *runbook_json(const struct runbook *rb)
{
	json_t *o = json_object(), *steps = json_array();
	char when[TIME_BUF], vb[16];
	size_t i, j;

	json_object_set_new(o, "host", json_string(rb->host));
	json_object_set_new(o, "role", json_string(rb->edge ? "edge" : "hub"));
	snprintf(vb, sizeof(vb), "%d", (int)rb->version);
	json_object_set_new(o, "exchange", rb->version == EXCHANGE_ALL ? json_null()
								       : json_string(vb));
	json_object_set_new(o, "serial", json_string(rb->serial));
	json_object_set_new(o, "thumbprint", json_string(rb->thumbprint));
	json_object_set_new(o, "not_after", json_string(fmt_time_iso(rb->not_after, when)));
	json_object_set_new(o, "pfx", json_string(rb->pfx_name));
	json_object_set_new(o, "ca_file", json_string(CA_FILE));
	json_object_set_new(o, "title", json_string(rb->title));
	for (i = 0; i < rb->n_steps; i++) {
		const struct runbook_step *s = &rb->steps[i];
		json_t *so = json_object(), *cmds = json_array();

		for (j = 0; j < s->n_commands; j++)
			json_array_append_new(cmds, json_string(s->commands[j]));
		json_object_set_new(so, "number", json_integer((json_int_t)i + 1));
		json_object_set_new(so, "where", json_string(s->where));
		json_object_set_new(so, "title", json_string(s->title));
		json_object_set_new(so, "commands", cmds);
		json_object_set_new(so, "note", s->note ? json_string(s->note) : json_null());
		json_array_append_new(steps, so);
	}
	json_object_set_new(o, "steps", steps);
	return o;
}

void runbook_free(struct runbook *rb)
{
	size_t i, j;

	for (i = 0; i < rb->n_steps; i++) {
		free(rb->steps[i].where);
		free(rb->steps[i].title);
		free(rb->steps[i].note);
		for (j = 0; j < rb->steps[i].n_commands; j++)
			free(rb->steps[i].commands[j]);
		free(rb->steps[i].commands);
	}
	free(rb->steps);
	free(rb->title);
	free(rb->host);
	free(rb->pfx_name);
	memset(rb, 0, sizeof(*rb));
}
