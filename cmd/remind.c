/*
 * minica remind: the evaluation of check, said in words a person acts on:
 * what expires, when, and the exact command that fixes it; with --mail,
 * the same text as an RFC 5322 message through sendmail. Silent when
 * nothing is due, so that cron mails only when there is something to do.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"
#include "expiry/expiry.h"
#include "issue/issue.h"

struct remind_args {
	struct policy_limits limits;
	struct mail_options mail;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct remind_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->limits;
		state->child_inputs[1] = &a->mail;
		return 0;
	case ARGP_KEY_ARG:
		return cli_usage_error("unexpected argument '%s'", printable(arg)), EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {
	{&policy_argp, 0, "Thresholds (as for check):", 2},
	{&mail_argp, 0, "Mail:", 1},
	COMMON_CHILD,
	{0}};
static const struct argp argp = {
	NULL, parse, NULL,
	"Remind about what expires: the evaluation of 'check', with the command that fixes "
	"each problem; with --mail, also as a mail.\v"
	"Prints nothing and mails nothing when everything is OK. Never needs the passphrase. "
	"Exit codes as for check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (store unreadable, "
	"bad option, or the mail command failed).\n\nExample (cron or 'minica schedule'):\n"
	"  minica -q remind --mail postmaster@corp.example",
	children, NULL, NULL};

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

static char *reminder_text(const struct policy_report *r)
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

static int send_reminder(const struct remind_args *a, const struct policy_report *r,
			 const char *body)
{
	char *from = a->mail.from ? strdup(a->mail.from) : mail_default_from(), *summary = policy_summary(r);
	char *subject = NULL, *message = NULL;
	int rc;

	if (!from || !summary ||
	    asprintf(&subject, "[minica] %s: %s", policy_state_name(r->status), summary) < 0) {
		subject = NULL;
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	message = mail_message(from, a->mail.to, a->mail.n_to, subject, policy_state_name(r->status), body);
	if (!message) {
		rc = fail(EX_OSERR, "cannot build the reminder mail");
		goto out;
	}
	rc = mail_send(a->mail.sendmail ? a->mail.sendmail : MAIL_DEFAULT_COMMAND, message);
out:
	free(message);
	free(subject);
	free(summary);
	free(from);
	return rc;
}

int cmd_remind(int argc, char **argv)
{
	struct remind_args a = {
		.limits = {POLICY_CA_WARN, POLICY_CA_CRIT, POLICY_LEAF_WARN, POLICY_LEAF_CRIT}};
	struct policy_report r = {0};
	struct ca ca = {0};
	store *st = NULL;
	char *body = NULL;
	json_t *json = NULL;
	size_t i;
	int rc;

	if ((rc = cli_parse_flags(&argp, argc, argv, "remind", &a, ARGP_NO_EXIT))) {
		policy_report_unknown("invalid command line (see 'minica remind --help')");
		goto out;
	}
	if ((rc = store_open(store_dir(), &st)) || (rc = ca_load(st, &ca)) ||
	    (rc = policy_evaluate(st, &ca, &a.limits, &r))) {
		policy_report_unknown(diag_last());
		goto out;
	}
	if (g_opts.json)
		json = policy_json(&r);
	if (r.status != MON_OK) {
		if (!(body = reminder_text(&r))) {
			rc = fail(EX_OSERR, "out of memory");
			goto out;
		}
		if (!g_opts.json && !g_opts.quiet)
			fputs(body, stdout);
		if (a.mail.n_to && (rc = send_reminder(&a, &r, body))) {
			if (g_opts.json) /* the reminder was not delivered: UNKNOWN */
				policy_report_unknown(diag_last());
			goto out;
		}
	}
	if (json) {
		json_t *mailed = json_array();

		for (i = 0; r.status != MON_OK && i < a.mail.n_to; i++)
			json_array_append_new(mailed, json_string(a.mail.to[i]));
		json_object_set_new(json, "mailed_to", mailed);
		json_object_set_new(json, "reminder", body ? json_string(body) : json_null());
		rc = json_emit(json);
		json = NULL;
		if (rc)
			goto out;
	}
	rc = r.status;
out:
	json_decref(json);
	free(body);
	free(a.mail.to);
	policy_release(&r);
	ca_release(&ca);
	store_close(st);
	return policy_exit_code(rc);
}
