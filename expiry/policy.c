/*
 * The expiry policy (SPEC section 6) behind check and remind: the state of
 * the CA and of every valid leaf, the worst of which is the exit code, and
 * the command that fixes each problem.
 *
 * Leaves are found with one range walk over the expiry index, from the
 * beginning of time to the end of the warning window: expired leaves are in
 * it, certificates that expire later are never read.
 */
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "issue/issue.h"
#include "common/common.h"

#define DAY 86400

const char *policy_state_name(int state)
{
	switch (state) {
	case MON_OK:
		return "OK";
	case MON_WARNING:
		return "WARNING";
	case MON_CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

/* check and remind speak the monitoring-plugin convention only. */
int policy_exit_code(int rc)
{
	return rc >= MON_OK && rc <= MON_UNKNOWN ? rc : MON_UNKNOWN;
}

int policy_limits_check(const struct policy_limits *lim)
{
	if (lim->ca_crit > lim->ca_warn)
		return cli_usage_error("--crit %ld is more than --warn %ld: CRITICAL must come after "
				       "WARNING",
				       lim->ca_crit, lim->ca_warn);
	if (lim->leaf_crit > lim->leaf_warn)
		return cli_usage_error("--leaf-crit %ld is more than --leaf-warn %ld: CRITICAL must "
				       "come after WARNING",
				       lim->leaf_crit, lim->leaf_warn);
	return 0;
}

/* "fewer than N days left": compared in seconds, so the rounding of days_left plays no part */
static int state_for(int64_t not_after, int64_t now, long warn, long crit)
{
	int64_t left = not_after - now;

	if (left <= 0 || left < (int64_t)crit * DAY)
		return MON_CRITICAL;
	if (left < (int64_t)warn * DAY)
		return MON_WARNING;
	return MON_OK;
}

/* ---- the CA and the templates ---- */

struct longest_ctx {
	char *name;
	long days;
};

static int visit_template(const char *name, const char *path, void *vctx)
{
	struct longest_ctx *c = vctx;
	struct template *t = NULL;

	/* a broken template has said why on stderr; it issues nothing, so it cannot be clamped */
	if (template_load(path, &t) != 0)
		return 0;
	if (t->days > c->days) {
		char *copy = strdup(name);

		if (!copy) {
			template_free(t);
			return fail(EX_OSERR, "out of memory");
		}
		free(c->name);
		c->name = copy;
		c->days = t->days;
	}
	template_free(t);
	return 0;
}

static int evaluate_ca(const struct ca *ca, struct policy_report *r)
{
	struct longest_ctx lc = {NULL, 0};
	int64_t not_before;
	int rc;

	if (x509_times(ca->cert, &not_before, &r->ca_not_after) != 0)
		return fail(EX_IOERR, "store %s: cannot read the CA certificate's validity",
			    store_path(ca->st));
	r->ca_subject = x509_name_text(X509_get_subject_name(ca->cert));
	if (!r->ca_subject)
		return fail(EX_OSERR, "out of memory");
	x509_thumbprint(ca->cert, r->ca_thumbprint);
	r->ca_version = ca->version;
	r->ca_days = days_left(r->ca_not_after, r->now);
	r->ca_state = state_for(r->ca_not_after, r->now, r->limits.ca_warn, r->limits.ca_crit);
	r->ip_unconstrained = ca_ip_unconstrained(ca);
	/* a CA whose token is gone or whose PIN fails signs nothing: as bad as expired */
	if (ca->key_uri && ca_token_probe(ca->key_uri, ca->cert, 1, &r->token_problem) != 0) {
		if (!r->token_problem && !(r->token_problem = strdup("the CA key's token")))
			return fail(EX_OSERR, "out of memory");
		r->ca_state = MON_CRITICAL;
	}
	if ((rc = template_each(visit_template, &lc))) {
		free(lc.name);
		return rc;
	}
	r->longest_template = lc.name;
	r->longest_days = lc.days;
	if (!lc.name) {
		/* said, not skipped in silence: a timer without --templates lost them once */
		const char *dirs[3];
		int n = template_dirs(dirs);

		warning("no templates found (searched %s%s%s%s%s): cannot tell whether the CA "
			"outlives a new certificate; give --templates DIR",
			dirs[0], n > 1 ? ", " : "", n > 1 ? dirs[1] : "", n > 2 ? ", " : "",
			n > 2 ? dirs[2] : "");
	}
	/* SPEC 6: a CA that ends before a new certificate would clamps it: extend it now */
	if (lc.days > 0 && r->ca_not_after - r->now < (int64_t)lc.days * DAY) {
		r->ca_clamps = 1;
		if (r->ca_state < MON_WARNING)
			r->ca_state = MON_WARNING;
	}
	return 0;
}

/* ---- the leaves ---- */

static int add_leaf(struct policy_report *r, const struct store_record *rec, int state)
{
	struct policy_leaf *grown;

	if (r->n_leaves % 16 == 0) {
		grown = realloc(r->leaves, (r->n_leaves + 16) * sizeof(*grown));
		if (!grown)
			return fail(EX_OSERR, "out of memory");
		r->leaves = grown;
	}
	memset(&r->leaves[r->n_leaves], 0, sizeof(r->leaves[0]));
	r->leaves[r->n_leaves].rec = store_record_dup(rec);
	if (!r->leaves[r->n_leaves].rec)
		return fail(EX_OSERR, "out of memory");
	r->leaves[r->n_leaves].state = state;
	r->leaves[r->n_leaves].days = days_left(rec->not_after, r->now);
	r->n_leaves++;
	return 0;
}

static int visit_leaf(const struct store_record *rec, void *vctx)
{
	struct policy_report *r = vctx;
	int state;

	/* revoked and superseded certificates never alarm, nor does one that was renewed */
	if (rec->status != STORE_VALID || rec->has_successor)
		return 0;
	state = state_for(rec->not_after, r->now, r->limits.leaf_warn, r->limits.leaf_crit);
	return state == MON_OK ? 0 : add_leaf(r, rec, state);
}

static int names_cover(const struct store_record *newer, const struct store_record *older)
{
	size_t i, j;

	for (i = 0; i < older->n_hosts; i++) {
		for (j = 0; j < newer->n_hosts; j++)
			if (!strcmp(older->hosts[i], newer->hosts[j]))
				break;
		if (j == newer->n_hosts)
			return 0;
	}
	return 1;
}

struct replaced_ctx {
	const struct store_record *old;
	int64_t now;
	int found;
};

/*
 * Rollover overlap (SPEC 3): a valid certificate for the same names that
 * lasts longer, issued with 'issue' rather than 'renew', replaced this one.
 */
static int visit_replacement(const struct store_record *rec, void *vctx)
{
	struct replaced_ctx *c = vctx;

	if (rec->status == STORE_VALID && rec->not_after > c->now &&
	    rec->not_after > c->old->not_after &&
	    memcmp(rec->serial, c->old->serial, STORE_SERIAL_LEN) && names_cover(rec, c->old)) {
		c->found = 1;
		return 1;
	}
	return 0;
}

static int classify_leaves(store *st, struct policy_report *r)
{
	size_t i, kept = 0;
	int rc = 0;

	for (i = 0; i < r->n_leaves; i++) {
		struct policy_leaf *l = &r->leaves[i];
		struct replaced_ctx rctx = {l->rec, r->now, 0};
		struct store_record *picked = NULL;

		if (l->rec->n_hosts) {
			if ((rc = store_scan_host(st, l->rec->hosts[0], visit_replacement, &rctx)))
				break;
			if (rctx.found) {
				store_record_free(l->rec);
				r->n_replaced++;
				continue;
			}
			if ((rc = record_lookup(st, NULL, l->rec->hosts[0], &picked)))
				break;
			l->by_host = !memcmp(picked->serial, l->rec->serial, STORE_SERIAL_LEN);
			store_record_free(picked);
		}
		if (l->rec->not_after <= r->now)
			r->n_expired++;
		else if (l->state == MON_CRITICAL)
			r->n_critical++;
		else
			r->n_warning++;
		if (l->state > r->status)
			r->status = l->state;
		r->leaves[kept++] = *l;
	}
	if (rc) /* the rest are still owned by the array */
		for (; i < r->n_leaves; i++)
			r->leaves[kept++] = r->leaves[i];
	r->n_leaves = kept;
	return rc;
}

int policy_evaluate(store *st, const struct ca *ca, const struct policy_limits *lim,
		    struct policy_report *r)
{
	char *abs;
	int rc;

	memset(r, 0, sizeof(*r));
	r->now = now_utc();
	r->limits = *lim;
	abs = realpath(store_path(st), NULL);
	r->store = abs ? abs : strdup(store_path(st));
	if (!r->store)
		return fail(EX_OSERR, "out of memory");
	if ((rc = evaluate_ca(ca, r)))
		return rc;
	r->status = r->ca_state;
	if ((rc = store_scan_expiry(st, INT64_MIN, r->now + (int64_t)lim->leaf_warn * DAY - 1,
				    visit_leaf, r)))
		return rc;
	return classify_leaves(st, r);
}

void policy_release(struct policy_report *r)
{
	size_t i;

	for (i = 0; i < r->n_leaves; i++)
		store_record_free(r->leaves[i].rec);
	free(r->leaves);
	free(r->store);
	free(r->ca_subject);
	free(r->longest_template);
	free(r->token_problem);
	memset(r, 0, sizeof(*r));
}

/* ---- words ---- */

static char *text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *text(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* The arguments that name this store, so that a printed command works as printed. */
static char *store_arg(const struct policy_report *r)
{
	char *q = sh_quote(r->store), *out;

	if (!q)
		return NULL;
	out = text("--store %s", q);
	free(q);
	return out;
}

/* "3 days ago", counting whole days elapsed (days_left counts down, so it rounds the other way) */
const char *policy_ago(int64_t t, int64_t now, char buf[32])
{
	int64_t days = (now - t) / DAY;

	if (days < 1)
		snprintf(buf, 32, "less than a day ago");
	else
		snprintf(buf, 32, "%lld day%s ago", (long long)days, days == 1 ? "" : "s");
	return buf;
}

char *policy_summary(const struct policy_report *r)
{
	char *ca = NULL, *leaves = NULL, *out = NULL, ago[32];

	if (r->token_problem)
		ca = text("the CA key's token cannot sign: %s", r->token_problem);
	else if (r->ca_not_after <= r->now)
		ca = text("CA expired %s", policy_ago(r->ca_not_after, r->now, ago));
	else if (r->ca_clamps && r->ca_state == MON_WARNING)
		ca = text("CA expires in %ld days, sooner than a new %s certificate (%ld days): "
			  "extend it now",
			  r->ca_days, r->longest_template, r->longest_days);
	else
		ca = text("CA expires in %ld day%s", r->ca_days, plural((size_t)r->ca_days));
	if (!r->n_leaves) {
		leaves = text("no certificate expires within %ld days", r->limits.leaf_warn);
	} else {
		char buf[256] = "";
		size_t used = 0;

		if (r->n_expired)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%zu certificate%s expired",
						 r->n_expired, plural(r->n_expired));
		if (r->n_critical && used < sizeof(buf))
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "%s%zu certificate%s expire%s within %ld days",
						 used ? ", " : "", r->n_critical, plural(r->n_critical),
						 r->n_critical == 1 ? "s" : "", r->limits.leaf_crit);
		if (r->n_warning && used < sizeof(buf))
			snprintf(buf + used, sizeof(buf) - used,
				 "%s%zu certificate%s expire%s within %ld days", used ? ", " : "",
				 r->n_warning, plural(r->n_warning), r->n_warning == 1 ? "s" : "",
				 r->limits.leaf_warn);
		leaves = text("%s", buf);
	}
	if (ca && leaves)
		out = text("%s; %s", ca, leaves);
	free(ca);
	free(leaves);
	return out;
}

/* 'label'=value;warn;crit, the Nagios plugin format */
char *policy_perfdata(const struct policy_report *r)
{
	return text("ca_days=%ld;%ld;%ld certs_expired=%zu certs_critical=%zu certs_warning=%zu",
		    r->ca_days, r->limits.ca_warn, r->limits.ca_crit, r->n_expired, r->n_critical,
		    r->n_warning);
}

char *policy_fix_ca(const struct policy_report *r)
{
	char *s = store_arg(r), *out;

	if (!s)
		return NULL;
	if (r->token_problem)
		out = text("plug in the token named by the store's key URI ('minica %s ca show') and "
			   "check the PIN file (--pin-file, $MINICA_PIN_FILE); after a wrong PIN, one "
			   "signing command with the right PIN clears the token's count-down",
			   s);
	else
		out = text("minica %s ca extend --years %d", s, POLICY_EXTEND_YEARS);
	free(s);
	return out;
}

char *policy_fix_leaf(const struct policy_report *r, const struct policy_leaf *leaf)
{
	const struct store_record *rec = leaf->rec;
	char serial[2 * STORE_SERIAL_LEN + 1], *s = store_arg(r), *out;

	if (!s)
		return NULL;
	serial_hex(rec->serial, serial);
	if (!rec->key)
		out = text("a new CSR from the server, then: minica %s sign --csr FILE --template %s",
			   s, rec->template_name);
	else if (leaf->by_host && rec->n_hosts)
		out = text("minica %s renew --host %s", s, rec->hosts[0]);
	else
		out = text("minica %s renew --serial %s", s, serial);
	free(s);
	return out;
}

static json_t *leaf_json(const struct policy_report *r, const struct policy_leaf *l)
{
	json_t *o = record_json(l->rec, r->now, 0);
	char *fix = policy_fix_leaf(r, l);

	json_object_set_new(o, "state", json_string(policy_state_name(l->state)));
	json_object_set_new(o, "key_kept", json_boolean(l->rec->key != NULL));
	json_object_set_new(o, "fix", fix ? json_string(fix) : json_null());
	free(fix);
	return o;
}

json_t *policy_json(const struct policy_report *r)
{
	json_t *o = json_object(), *ca = json_object(), *certs = json_array(), *lim = json_object();
	char when[TIME_BUF], *summary = policy_summary(r), *fix = policy_fix_ca(r);
	size_t i;

	json_object_set_new(o, "status", json_string(policy_state_name(r->status)));
	json_object_set_new(o, "summary", summary ? json_string(summary) : json_null());
	json_object_set_new(o, "checked_at", json_string(fmt_time_iso(r->now, when)));
	json_object_set_new(o, "store", json_string(r->store));
	json_object_set_new(lim, "ca_warn", json_integer(r->limits.ca_warn));
	json_object_set_new(lim, "ca_crit", json_integer(r->limits.ca_crit));
	json_object_set_new(lim, "leaf_warn", json_integer(r->limits.leaf_warn));
	json_object_set_new(lim, "leaf_crit", json_integer(r->limits.leaf_crit));
	json_object_set_new(o, "thresholds", lim);
	json_object_set_new(ca, "state", json_string(policy_state_name(r->ca_state)));
	json_object_set_new(ca, "subject", json_string(r->ca_subject));
	json_object_set_new(ca, "thumbprint", json_string(r->ca_thumbprint));
	json_object_set_new(ca, "version", json_integer(r->ca_version));
	json_object_set_new(ca, "not_after", json_string(fmt_time_iso(r->ca_not_after, when)));
	json_object_set_new(ca, "days_left", json_integer(r->ca_days));
	json_object_set_new(ca, "longest_template",
			    r->longest_template ? json_string(r->longest_template) : json_null());
	json_object_set_new(ca, "longest_template_days", json_integer(r->longest_days));
	json_object_set_new(ca, "clamps_new_certificates", json_boolean(r->ca_clamps));
	json_object_set_new(ca, "fix", r->ca_state != MON_OK && fix ? json_string(fix) : json_null());
	json_object_set_new(o, "ca", ca);
	for (i = 0; i < r->n_leaves; i++)
		json_array_append_new(certs, leaf_json(r, &r->leaves[i]));
	json_object_set_new(o, "certificates", certs);
	json_object_set_new(o, "replaced", json_integer((json_int_t)r->n_replaced));
	free(summary);
	free(fix);
	return o;
}
