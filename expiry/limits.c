/*
 * --warn, --crit, --leaf-warn and --leaf-crit: the thresholds of the expiry
 * policy (SPEC section 6) as an argp child, shared by check, remind and
 * schedule.
 */
#include <errno.h>

#include "common/common.h"
#include "expiry.h"
#include "issue/issue.h"

enum { OPT_WARN = 0x100, OPT_CRIT, OPT_LEAF_WARN, OPT_LEAF_CRIT };

static const struct argp_option options[] = {
	{"warn", OPT_WARN, "DAYS", 0, "CA: WARNING under DAYS days left (default 365)", 0},
	{"crit", OPT_CRIT, "DAYS", 0, "CA: CRITICAL under DAYS days left (default 90)", 0},
	{"leaf-warn", OPT_LEAF_WARN, "DAYS", 0,
	 "Certificates: WARNING under DAYS days left (default 60)", 0},
	{"leaf-crit", OPT_LEAF_CRIT, "DAYS", 0,
	 "Certificates: CRITICAL under DAYS days left (default 14)", 0},
	{0}
};

/* --warn, --crit, --leaf-warn, --leaf-crit: shared with remind and schedule (argp child). */
static error_t limits_parse(int key, char *arg, struct argp_state *state)
{
	struct policy_limits *lim = state->input;

	switch (key) {
	case OPT_WARN:
		return parse_long(arg, "--warn", 0, DAYS_MAX, &lim->ca_warn) ? EINVAL : 0;
	case OPT_CRIT:
		return parse_long(arg, "--crit", 0, DAYS_MAX, &lim->ca_crit) ? EINVAL : 0;
	case OPT_LEAF_WARN:
		return parse_long(arg, "--leaf-warn", 0, DAYS_MAX, &lim->leaf_warn) ? EINVAL : 0;
	case OPT_LEAF_CRIT:
		return parse_long(arg, "--leaf-crit", 0, DAYS_MAX, &lim->leaf_crit) ? EINVAL : 0;
	case ARGP_KEY_END:
		return policy_limits_check(lim) ? EINVAL : 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp policy_argp = {options, limits_parse, NULL, NULL, NULL, NULL, NULL};
