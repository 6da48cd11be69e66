/*
 * minica audit [--since DATE]: the store's audit log, one line per change:
 * when, who (user, uid, host and process), what (action, serial, detail).
 * Entries are written in the same transaction as the change they describe,
 * so the log has exactly the changes the store has.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/common.h"

enum { OPT_SINCE = 0x100 };

struct audit_args {
	int64_t since;
};

static const struct argp_option options[] = {
	{"since", OPT_SINCE, "DATE", 0, "Only changes from DATE on (YYYY-MM-DD, UTC)", 0},
	{0}
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct audit_args *a = state->input;

	switch (key) {
	case OPT_SINCE:
		if (parse_date(arg, &a->since) != 0)
			return cli_usage_error("--since '%s': not a date (YYYY-MM-DD or "
					       "YYYY-MM-DDTHH:MM:SSZ)",
					       printable(arg)),
			       EINVAL;
		return 0;
	case ARGP_KEY_ARG:
		return cli_unexpected(arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Show who changed what in the store, and when (oldest first).\v"
	"Example:\n  minica audit --since 2026-01-01",
	cli_children, NULL, NULL};

struct audit_ctx {
	json_t *json;
};

/* Text from the store, whole but with control bytes escaped (one line per entry). */
static const char *escaped(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02X", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static int visit(const struct store_audit *a, void *vctx)
{
	struct audit_ctx *c = vctx;
	char when[TIME_BUF], serial[2 * STORE_SERIAL_LEN + 1] = "-", action[64], who[600];
	char text[4096];

	if (a->has_serial)
		serial_hex(a->serial, serial);
	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "seq", json_integer(a->seq));
		json_object_set_new(o, "time", json_string(fmt_time_iso(a->time, when)));
		json_object_set_new(o, "uid", json_integer(a->uid));
		json_object_set_new(o, "user", json_text(a->user));
		json_object_set_new(o, "host", json_text(a->host));
		json_object_set_new(o, "pid", json_integer(a->pid));
		json_object_set_new(o, "action", json_text(a->action));
		json_object_set_new(o, "serial", a->has_serial ? json_string(serial) : json_null());
		json_object_set_new(o, "detail", json_text(a->detail));
		if (json_array_append_new(c->json, o) != 0)
			return fail(EX_OSERR, "out of memory");
		return 0;
	}
	snprintf(text, sizeof(text), "%s(%lu)@%s[%lld]", a->user, (unsigned long)a->uid, a->host,
		 (long long)a->pid);
	printf("%-5lld %-23s %-10s %-32s %-30s ", (long long)a->seq, fmt_time(a->time, when),
	       escaped(a->action, action, sizeof(action)), serial, escaped(text, who, sizeof(who)));
	printf("%s\n", escaped(a->detail, text, sizeof(text)));
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_args a = {INT64_MIN};
	struct audit_ctx c = {0};
	store *st = NULL;
	int rc;

	if ((rc = cli_parse(&argp, argc, argv, "audit", &a)) ||
	    (rc = store_open(store_dir(), &st)))
		goto out;
	if (g_opts.json && !(c.json = json_array())) {
		rc = fail(EX_OSERR, "out of memory");
		goto out;
	}
	if (!c.json)
		printf("%-5s %-23s %-10s %-32s %-30s %s\n", "SEQ", "TIME", "ACTION", "SERIAL",
		       "USER(UID)@HOST[PID]", "DETAIL");
	if ((rc = store_scan_audit(st, a.since, visit, &c)))
		goto out;
	if (c.json) {
		rc = json_emit(c.json);
		c.json = NULL;
	}
out:
	json_decref(c.json);
	store_close(st);
	return rc;
}
