/*
 * The reminder: what needs attention in a store and the command that fixes
 * each item, as text for a person, and that text as a mail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "expiry.h"

static void ca_item(FILE *f, const struct policy_report *r)
{
	char when[TIME_BUF], ago[32], *fix = policy_fix_ca(r);

	fprintf(f, "%-9s The CA %s ", policy_state_name(r->ca_state), r->ca_subject);
	if (r->ca_not_after <= r->now)
		fprintf(f, "expired on %s (%s).\n", fmt_time(r->ca_not_after, when),
			policy_ago(r->ca_not_after, r->now, ago));
	else
		fprintf(f, "expires on %s (in %ld days).\n", fmt_time(r->ca_not_after, when),
			r->ca_days);
	if (r->ca_clamps)
		fprintf(f, "%-9s That is sooner than a new %s certificate (%ld days) would last:\n"
			   "%-9s new certificates are cut short to the CA's end.\n",
			"", r->longest_template, r->longest_days, "");
	fprintf(f, "%-9s When it expires, no server accepts any certificate it issued.\n", "");
	fprintf(f, "%-9s Fix: %s\n", "", fix ? fix : "minica ca extend --years 10");
	fprintf(f, "%-9s      then replace the CA certificate wherever it is trusted:\n"
		   "%-9s      minica ca export --der --out minica-ca.cer; certutil -addstore -f "
		   "Root minica-ca.cer\n\n",
		"", "");
	free(fix);
}

static void leaf_item(FILE *f, const struct policy_report *r, const struct policy_leaf *l)
{
	const struct store_record *rec = l->rec;
	char when[TIME_BUF], ago[32], serial[2 * STORE_SERIAL_LEN + 1], *fix = policy_fix_leaf(r, l);
	char *where = sh_quote(r->store);
	size_t i;

	serial_hex(rec->serial, serial);
	fprintf(f, "%-9s %s", policy_state_name(l->state), rec->n_hosts ? rec->hosts[0] : serial);
	if (rec->n_hosts > 1) {
		fputs(" (", f);
		for (i = 0; i < rec->n_hosts; i++)
			fprintf(f, "%s%s", i ? ", " : "", rec->hosts[i]);
		fputs(")", f);
	}
	if (rec->not_after <= r->now)
		fprintf(f, " expired on %s (%s).\n", fmt_time(rec->not_after, when),
			policy_ago(rec->not_after, r->now, ago));
	else
		fprintf(f, " expires on %s (in %ld days).\n", fmt_time(rec->not_after, when), l->days);
	fprintf(f, "%-9s Serial %s, template %s.\n", "", serial, rec->template_name);
	fprintf(f, "%-9s Fix: %s\n", "", fix ? fix : "minica renew");
	if (rec->key)
		fprintf(f, "%-9s      then install the new files on the server ('renew' prints "
			   "how).\n",
			"");
	fprintf(f, "%-9s If the server is gone: minica --store %s revoke %s --reason "
		   "cessationOfOperation\n\n",
		"", where ? where : r->store, serial);
	free(where);
	free(fix);
}

char *reminder_text(const struct policy_report *r)
{
	char *text = NULL, when[TIME_BUF], *where;
	size_t len = 0, i, n = r->n_leaves + (r->ca_state != MON_OK);
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	where = sh_quote(r->store);
	fprintf(f, "minica: %zu item%s in store %s need%s attention (checked %s).\n\n", n,
		n == 1 ? "" : "s", r->store, n == 1 ? "s" : "", fmt_time(r->now, when));
	if (r->ca_state != MON_OK)
		ca_item(f, r);
	for (i = 0; i < r->n_leaves; i++)
		leaf_item(f, r, &r->leaves[i]);
	fprintf(f, "'minica --store %s check' shows the whole state.\n", where ? where : r->store);
	free(where);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int reminder_send(const struct mail_options *mail, const struct policy_report *r,
		  const char *body)
{
	char *from = mail->from ? strdup(mail->from) : mail_default_from();
	char *summary = policy_summary(r);
	char *subject = NULL, *message = NULL;
	int rc;

	if (!from || !summary ||
	    asprintf(&subject, "[minica] %s: %s", policy_state_name(r->status), summary) < 0) {
		subject = NULL;
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	message = mail_message(from, mail->to, mail->n_to, subject, policy_state_name(r->status),
			       body);
	if (!message) {
		rc = fail(EX_OSERR, "cannot build the reminder mail");
		goto out;
	}
	rc = mail_send(mail->sendmail ? mail->sendmail : MAIL_DEFAULT_COMMAND, message);
out:
	free(message);
	free(subject);
	free(summary);
	free(from);
	return rc;
}
