/*
 * minica schedule: run 'minica remind' regularly, with the absolute paths of
 * this binary and this store: a systemd service + timer pair, or one
 * crontab line. remind only reads the store, so neither needs the CA
 * passphrase.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"
#include "expiry/expiry.h"

#define CALENDAR_MAX 128

enum { OPT_SYSTEMD = 0x200, OPT_CRON, OPT_ON_CALENDAR, OPT_FORCE };

struct schedule_args {
	struct policy_limits limits;
	const char *systemd_dir;
	int cron, force;
	const char *calendar;
	struct mail_options mail; /* passed on to remind */
};

static const struct argp_option options[] = {
	{"systemd", OPT_SYSTEMD, "DIR", 0,
	 "Write " SCHEDULE_SERVICE " and " SCHEDULE_TIMER " into DIR (e.g. /etc/systemd/system)", 1},
	{"cron", OPT_CRON, NULL, 0, "Print a crontab line instead", 1},
	{"on-calendar", OPT_ON_CALENDAR, "SPEC", 0,
	 "When to run: a systemd calendar event (default daily); with --cron: hourly, daily, "
	 "weekly or monthly",
	 1},
	{"force", OPT_FORCE, NULL, 0, "Replace existing unit files", 1},
	{0}
};

/* Characters of systemd calendar events (weekdays, dates, times, ranges, time zones). */
static int calendar_chars_ok(const char *spec)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789 *:,./~+-_";

	return *spec && strlen(spec) <= CALENDAR_MAX && strspn(spec, allowed) == strlen(spec) &&
	       spec[0] != ' ';
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct schedule_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->limits;
		state->child_inputs[1] = &a->mail;
		return 0;
	case OPT_SYSTEMD:
		a->systemd_dir = arg;
		return 0;
	case OPT_CRON:
		a->cron = 1;
		return 0;
	case OPT_ON_CALENDAR:
		if (!calendar_chars_ok(arg))
			return cli_usage_error("--on-calendar '%s': not a calendar event (for example "
					       "daily, weekly, 'Mon *-*-* 06:00:00')",
					       printable(arg)),
			       EINVAL;
		a->calendar = arg;
		return 0;
	case OPT_FORCE:
		a->force = 1;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	case ARGP_KEY_END:
		if (!a->systemd_dir == !a->cron)
			return cli_usage_error("give either --systemd DIR or --cron"), EINVAL;
		if (a->cron && a->force)
			return cli_usage_error("--force is for --systemd (--cron writes no file)"),
			       EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child children[] = {
	{&policy_argp, 0, "Thresholds passed on to remind:", 3},
	{&mail_argp, 0, "Mail, passed on to remind:", 2},
	COMMON_CHILD,
	{0}};
static const struct argp argp = {
	options, parse, NULL,
	"Run 'minica remind' regularly: write a systemd service and timer, or print a crontab "
	"line.\v"
	"Both name this minica binary and this store by their absolute paths. remind only reads "
	"the store: no passphrase is needed.\n\nExamples:\n"
	"  minica schedule --systemd /etc/systemd/system --mail postmaster@corp.example\n"
	"  systemctl daemon-reload && systemctl enable --now " SCHEDULE_TIMER "\n"
	"  minica schedule --cron --mail postmaster@corp.example   (then 'crontab -e')",
	children, NULL, NULL};

/* ---- running a helper quietly (systemd-analyze) ---- */

/* Exit status of argv, or -1 when it cannot be run at all. */
static int run_quietly(char *const argv[])
{
	posix_spawn_file_actions_t actions;
	extern char **environ;
	pid_t pid;
	int status = 0, rc = -1;

	if (posix_spawn_file_actions_init(&actions) != 0)
		return -1;
	if (posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) == 0 &&
	    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) == 0 &&
	    posix_spawn_file_actions_adddup2(&actions, 1, 2) == 0 &&
	    posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) == 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	}
	posix_spawn_file_actions_destroy(&actions);
	return rc;
}

/* systemd itself decides what a calendar event is, when it is installed. */
static int calendar_check(const char *spec)
{
	char *argv[] = {(char *)"systemd-analyze", (char *)"calendar", (char *)spec, NULL};
	int status = run_quietly(argv);

	if (status > 0)
		return cli_usage_error("--on-calendar '%s': systemd does not accept it (see "
				       "'systemd-analyze calendar %s')",
				       printable(spec), printable(spec));
	return 0; /* accepted, or no systemd-analyze here: the characters were checked */
}

static int write_systemd(const struct schedule_args *a, const struct words *w, const char *dir)
{
	const char *calendar = a->calendar ? a->calendar : "daily";
	char *service = NULL, *timer = NULL, *spath = NULL, *tpath = NULL, *user = NULL;
	char *exec = NULL;
	int rc;

	if ((rc = out_check_dir(a->systemd_dir)))
		return rc;
	spath = path_join(a->systemd_dir, SCHEDULE_SERVICE);
	tpath = path_join(a->systemd_dir, SCHEDULE_TIMER);
	user = unit_store_owner(dir);
	if (!spath || !tpath || !user) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	service = unit_service_text(w, dir, user);
	timer = unit_timer_text(dir, calendar);
	exec = unit_command_line(w);
	if (!service || !timer || !exec) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	/* both or neither: check both before writing either */
	if ((rc = out_check_absent(spath, a->force)) || (rc = out_check_absent(tpath, a->force)) ||
	    (rc = out_write_atomic(spath, service, strlen(service), 0644, a->force)) ||
	    (rc = out_write_atomic(tpath, timer, strlen(timer), 0644, a->force)))
		goto out;
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "service", json_string(spath));
		json_object_set_new(o, "timer", json_string(tpath));
		json_object_set_new(o, "on_calendar", json_string(calendar));
		json_object_set_new(o, "user", json_string(user));
		json_object_set_new(o, "exec_start", json_string(exec));
		rc = json_emit(o);
		goto out;
	}
	printf("Wrote %s\n      %s\n", spath, tpath);
	printf("  runs      %s\n  as        %s\n  when      %s (Persistent=true: a missed run happens at the next "
	       "boot)\n",
	       exec, user, calendar);
	if (!g_opts.quiet)
		printf("\nEnable it (when DIR is not /etc/systemd/system, copy the files there "
		       "first):\n  systemctl daemon-reload\n  systemctl enable --now " SCHEDULE_TIMER
		       "\n  systemctl list-timers " SCHEDULE_TIMER "\n");
out:
	free(exec);
	free(service);
	free(timer);
	free(spath);
	free(tpath);
	free(user);
	return rc;
}

static int print_cron(const struct schedule_args *a, const struct words *w)
{
	const char *times = cron_times(a->calendar ? a->calendar : "daily");
	char *line = NULL;
	int rc;

	if (!times)
		return cli_usage_error("--cron takes --on-calendar hourly, daily, weekly or monthly; "
				       "for other times edit the printed line");
	if ((rc = cron_line(times, w, &line)))
		return rc;
	if (g_opts.json) {
		json_t *o = json_object();

		json_object_set_new(o, "cron", json_string(line));
		rc = json_emit(o);
		goto out;
	}
	printf("%s\n", line);
	if (a->mail.n_to)
		notice("add the line with 'crontab -e'; remind mails %s itself and prints nothing, so "
		       "cron mails only its errors",
		       a->mail.to[0]);
	else
		notice("add the line with 'crontab -e'; cron mails what remind prints (only when "
		       "something is due) to MAILTO");
out:
	free(line);
	return rc;
}

int cmd_schedule(int argc, char **argv)
{
	struct schedule_args a = {
		.limits = {POLICY_CA_WARN, POLICY_CA_CRIT, POLICY_LEAF_WARN, POLICY_LEAF_CRIT}};
	struct words w = {{0}, 0};
	store *st = NULL;
	char *exe = NULL, *dir = NULL;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "schedule", &a)))
		goto out;
	if (a.systemd_dir && a.calendar && (rc = calendar_check(a.calendar)))
		goto out;
	/* the timer must not run against nothing: the store has to be there now */
	if ((rc = store_open(store_dir(), &st)))
		goto out;
	exe = realpath("/proc/self/exe", NULL);
	dir = realpath(store_dir(), NULL);
	if (!exe || !dir) {
		rc = fail(EX_OSERR, "cannot find the absolute path of %s: %s",
			  exe ? store_dir() : "this program", strerror(errno));
		goto out;
	}
	if ((rc = schedule_plain_path("program", exe)) || (rc = schedule_plain_path("store", dir)))
		goto out;
	if (a.mail.sendmail && (rc = schedule_plain_path("--sendmail", a.mail.sendmail)))
		goto out;
	/* with --mail under cron, the mail is the reminder: stdout would be mailed twice */
	if ((rc = remind_words(&a.limits, &a.mail, exe, dir, a.cron && a.mail.n_to, &w)))
		goto out;
	rc = a.cron ? print_cron(&a, &w) : write_systemd(&a, &w, dir);
out:
	words_free(&w);
	free(exe);
	free(dir);
	free(a.mail.to);
	store_close(st);
	return rc;
}
