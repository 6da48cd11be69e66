/*
 * inventory --issue: a replacement for every SMTP certificate that is
 * self-signed, expired or expiring, through the issuing path that 'issue'
 * uses, and the runbook of each new certificate.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "issue/issue.h"
#include "common/common.h"

/*
 * Each SMTP certificate that is self-signed, expired or expiring gets a
 * replacement with its names (those that break the host-name rules are
 * reported and skipped) and a runbook. A name problem skips that
 * certificate; anything else (passphrase, I/O) stops.
 */
int inventory_issue(const struct inventory *inv, const struct inv_assessed *as,
		    const struct issue_options *io, const struct runbook_options *ro_in, json_t *report)
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
	if ((rc = issuer_init(&is, NULL, NULL, io)) || (rc = store_open(store_dir(), &st)) ||
	    (rc = ca_load(st, &ca)))
		goto out;
	is.st = st;
	is.ca = &ca;
	if (report && !(runbooks = json_array())) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	for (i = 0; i < inv->n_certs && rc == 0; i++) {
		const struct inv_cert *c = &inv->certs[i];
		const struct inv_assessed *a = &as[i];
		struct runbook_options ro = *ro_in;
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
			       inv_verdict_names[a->verdict]);
		rc = issuer_issue(&is, names, n, NULL);
		if (rc == EX_DATAERR) {
			first_error = first_error ? first_error : rc;
			rc = 0;
			continue;
		}
		if (rc)
			break;
		if (c->domains_cut)
			warning("certificate %s (line %ld): %s", c->thumbprint, c->line, INV_CUT_ADVICE);
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

