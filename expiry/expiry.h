/*
 * When certificates expire and who is told: the policy behind check, remind
 * and schedule (policy.c, SPEC section 6), its options (limits.c), the
 * reminder (reminder.c), mail (sendmail.c) and what schedule writes (units.c).
 */
#ifndef MINICA_EXPIRY_H
#define MINICA_EXPIRY_H

#include "ca/ca.h"

/* ---- the expiry policy behind check and remind (policy.c, SPEC section 6) ---- */
#define POLICY_CA_WARN 365 /* days */
#define POLICY_CA_CRIT 90
#define POLICY_LEAF_WARN 60
#define POLICY_LEAF_CRIT 14
#define POLICY_EXTEND_YEARS 10 /* what the advice suggests */
struct policy_limits {
	long ca_warn, ca_crit, leaf_warn, leaf_crit; /* days */
};
struct policy_leaf {
	struct store_record *rec;
	int state;        /* MON_WARNING or MON_CRITICAL */
	long days;        /* days left, negative once expired */
	int by_host;      /* 'renew --host FIRST-NAME' picks this very certificate */
};
struct policy_report {
	int64_t now;
	struct policy_limits limits;
	char *store;              /* absolute path, for the commands that fix things */
	char *ca_subject;
	char ca_thumbprint[THUMBPRINT_HEX];
	uint32_t ca_version;
	int64_t ca_not_after;
	long ca_days;
	int ca_state;
	int ca_clamps;            /* the CA ends before a certificate of the longest template */
	int ip_unconstrained;     /* DNS name constraints, nothing about IP addresses */
	char *token_problem;      /* the CA key's token is missing, locked or refuses the PIN */
	char *longest_template;   /* NULL when no template was found */
	long longest_days;
	struct policy_leaf *leaves; /* WARNING or CRITICAL, soonest first */
	size_t n_leaves, n_expired, n_critical, n_warning, n_replaced;
	int status;               /* the worst state: the exit code */
};
int policy_limits_check(const struct policy_limits *lim); /* 0 or EX_USAGE after a message */
int policy_evaluate(store *st, const struct ca *ca, const struct policy_limits *lim,
		    struct policy_report *out);
void policy_release(struct policy_report *r);
const char *policy_state_name(int state); /* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *policy_ago(int64_t t, int64_t now, char buf[32]); /* "3 days ago" */
char *policy_summary(const struct policy_report *r);  /* one line, malloc'ed */
char *policy_perfdata(const struct policy_report *r); /* Nagios performance data */
char *policy_fix_ca(const struct policy_report *r);
char *policy_fix_leaf(const struct policy_report *r, const struct policy_leaf *leaf);
struct json_t *policy_json(const struct policy_report *r);
int policy_exit_code(int rc); /* any other exit code of check/remind becomes UNKNOWN */
/* limits.c: --warn --crit --leaf-warn --leaf-crit as an argp child (input: policy_limits) */
extern const struct argp policy_argp;

/* ---- mail for remind (sendmail.c) ---- */
#define MAIL_DEFAULT_COMMAND "/usr/sbin/sendmail -t -oi"
int mail_address_check(const char *addr); /* 0 for a plain local@domain, else -1 */
/* --mail (repeatable), --from and --sendmail of remind and schedule: an argp child */
struct mail_options {
	char **to;
	size_t n_to;
	const char *from, *sendmail;
};
extern const struct argp mail_argp; /* input: struct mail_options */
char *mail_default_from(void);            /* user@host, malloc'ed */
char *mail_message(const char *from, char *const *to, size_t n_to, const char *subject,
		   const char *status, const char *body); /* RFC 5322 text, malloc'ed */
int mail_send(const char *command, const char *message); /* no shell; bounded wait */


/* ---- the reminder (reminder.c) ---- */
char *reminder_text(const struct policy_report *r); /* what needs attention, malloc'ed */
int reminder_send(const struct mail_options *mail, const struct policy_report *r,
		  const char *body); /* to mail->to, through mail->sendmail */

/* ---- what schedule writes (units.c) ---- */
#define SCHEDULE_SERVICE "minica-remind.service"
#define SCHEDULE_TIMER "minica-remind.timer"
struct words {
	char *v[64];
	size_t n;
};
void words_free(struct words *w);
/* The remind command line: exe --store dir [--templates T] [-q] remind, the mail
 * options, non-default limits. */
int remind_words(const struct policy_limits *lim, const struct mail_options *mail,
		 const char *exe, const char *dir, const char *templates, int quiet,
		 struct words *w);
char *schedule_templates_dir(void); /* the template directory in use, absolute, or NULL */
int schedule_plain_path(const char *what, const char *path); /* no control characters */
char *unit_command_line(const struct words *w); /* ExecStart's words, malloc'ed */
char *unit_service_text(const struct words *w, const char *dir, const char *user);
char *unit_timer_text(const char *dir, const char *calendar);
char *unit_store_owner(const char *dir); /* the account that owns the store */
void unit_put_word(FILE *f, const char *word); /* one ExecStart= word, quoted as needed */
void unit_put_text(FILE *f, const char *text); /* free text in a unit ('%' doubled) */
const char *cron_times(const char *spec); /* hourly, daily, weekly, monthly; else NULL */
int cron_line(const char *times, const struct words *w, char **out); /* malloc'ed */

#endif

