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
		return cli_unexpected(arg);
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
		if (a.mail.n_to && (rc = reminder_send(&a.mail, &r, body))) {
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
