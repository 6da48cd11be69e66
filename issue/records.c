/* How certificate records are shown: status, table lines, JSON, lookups. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "issue.h"
#include "common/common.h"

const char *record_status(const struct store_record *rec, int64_t now)
{
	if (rec->status == STORE_REVOKED)
		return "revoked";
	if (rec->status == STORE_SUPERSEDED)
		return "superseded";
	return rec->not_after <= now ? "expired" : "valid";
}

const char *revoke_reason_name(int reason)
{
	static const char *const names[] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
		"cessationOfOperation", "certificateHold", "(unused)", "removeFromCRL",
		"privilegeWithdrawn", "aACompromise"};

	if (reason < 0)
		return "unspecified"; /* RFC 5280: no reason code means unspecified */
	if (reason > 10)
		return "";
	return names[reason];
}

json_t *record_json(const struct store_record *rec, int64_t now, int full)
{
	json_t *o = json_object(), *names = json_array();
	char serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], hash[2 * STORE_HASH_LEN + 1];
	size_t i;

	serial_hex(rec->serial, serial);
	for (i = 0; i < rec->n_hosts; i++)
		json_array_append_new(names, json_string(rec->hosts[i]));
	json_object_set_new(o, "serial", json_string(serial));
	json_object_set_new(o, "status", json_string(record_status(rec, now)));
	json_object_set_new(o, "not_after", json_string(fmt_time_iso(rec->not_after, when)));
	json_object_set_new(o, "days_left", json_integer(days_left(rec->not_after, now)));
	json_object_set_new(o, "template", json_string(rec->template_name));
	json_object_set_new(o, "names", names);
	if (rec->status == STORE_REVOKED) {
		json_object_set_new(o, "revoked_at", json_string(fmt_time_iso(rec->revoked_at, when)));
		json_object_set_new(o, "revoke_reason",
				    json_string(revoke_reason_name(rec->revoke_reason)));
	}
	if (!full)
		return o;
	hex_upper(rec->template_hash, STORE_HASH_LEN, hash);
	json_object_set_new(o, "not_before", json_string(fmt_time_iso(rec->not_before, when)));
	json_object_set_new(o, "issued_at", json_string(fmt_time_iso(rec->issued_at, when)));
	json_object_set_new(o, "template_sha256", json_string(hash));
	json_object_set_new(o, "ca_version", json_integer(rec->ca_version));
	json_object_set_new(o, "key_kept", json_boolean(rec->key != NULL));
	if (rec->status == STORE_REVOKED)
		json_object_set_new(o, "crl_listed_at",
				    rec->crl_listed_at
					    ? json_string(fmt_time_iso(rec->crl_listed_at, when))
					    : json_null());
	if (rec->has_predecessor) {
		serial_hex(rec->predecessor, serial);
		json_object_set_new(o, "predecessor", json_string(serial));
	}
	if (rec->has_successor) {
		serial_hex(rec->successor, serial);
		json_object_set_new(o, "successor", json_string(serial));
	}
	return o;
}

struct table *record_table_new(void)
{
	static const char *const headers[] = {"SERIAL", "STATUS", "NOT AFTER", "DAYS", "TEMPLATE",
					      "NAMES"};

	return table_new(headers, 6, "...r..");
}

int record_table_row(struct table *t, const struct store_record *rec, int64_t now)
{
	char serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], days[24];
	char *names = text_join(rec->hosts, rec->n_hosts, ", ");
	const char *cells[6];
	int rc;

	if (!names)
		return fail(EX_OSERR, "out of memory");
	serial_hex(rec->serial, serial);
	snprintf(days, sizeof(days), "%ld", days_left(rec->not_after, now));
	cells[0] = serial;
	cells[1] = record_status(rec, now);
	cells[2] = fmt_time(rec->not_after, when);
	cells[3] = days;
	cells[4] = rec->template_name;
	cells[5] = names;
	rc = table_row(t, cells);
	free(names);
	return rc;
}

/* list --status revoked: when and why instead of the days left. */
struct table *record_revoked_table_new(void)
{
	static const char *const headers[] = {"SERIAL", "REVOKED", "REASON", "NOT AFTER", "NAMES"};

	return table_new(headers, 5, ".....");
}

int record_revoked_table_row(struct table *t, const struct store_record *rec)
{
	char serial[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], until[TIME_BUF];
	char *names = text_join(rec->hosts, rec->n_hosts, ", ");
	const char *cells[5];
	int rc;

	if (!names)
		return fail(EX_OSERR, "out of memory");
	serial_hex(rec->serial, serial);
	cells[0] = serial;
	cells[1] = fmt_time(rec->revoked_at, when);
	cells[2] = revoke_reason_name(rec->revoke_reason);
	cells[3] = fmt_time(rec->not_after, until);
	cells[4] = names;
	rc = table_row(t, cells);
	free(names);
	return rc;
}

struct newest_ctx {
	struct store_record *best;
	int64_t now;
};

/* Is a better than b? */
static int later(const struct store_record *a, const struct store_record *b)
{
	if (a->not_after != b->not_after)
		return a->not_after > b->not_after;
	if (a->issued_at != b->issued_at)
		return a->issued_at > b->issued_at;
	return memcmp(a->serial, b->serial, STORE_SERIAL_LEN) > 0;
}

/*
 * For --host: a valid certificate before any other, and among those the one
 * that expires last (after a renewal, the new one), so the choice does not
 * depend on the order of the index.
 */
static int pick_newest(const struct store_record *rec, void *vctx)
{
	struct newest_ctx *c = vctx;
	int valid = rec->status == STORE_VALID && rec->not_after > c->now;
	int best_valid = c->best && c->best->status == STORE_VALID && c->best->not_after > c->now;

	if (!c->best || (valid && !best_valid) || (valid == best_valid && later(rec, c->best))) {
		struct store_record *copy = store_record_dup(rec);

		if (!copy)
			return fail(EX_OSERR, "out of memory");
		store_record_free(c->best);
		c->best = copy;
	}
	return 0;
}

int record_lookup(store *st, const char *serial_text, const char *host,
		  struct store_record **out)
{
	unsigned char serial[STORE_SERIAL_LEN];
	struct newest_ctx c = {NULL, now_utc()};
	char *name = NULL;
	int rc, is_ip;

	*out = NULL;
	if (serial_text) {
		if (serial_parse(serial_text, serial) != 0)
			return fail(EX_DATAERR, "serial '%s': not a hexadecimal serial number of at most "
						"32 digits",
				    printable(serial_text));
		return store_get(st, serial, out);
	}
	if ((rc = host_check(host, 1, &name, &is_ip)))
		return rc;
	rc = store_scan_host(st, name, pick_newest, &c);
	if (rc == 0 && !c.best)
		rc = fail(EX_NOINPUT, "no certificate for host %s in store %s (see 'minica list')", name,
			  store_path(st));
	free(name);
	if (rc) {
		store_record_free(c.best);
		return rc;
	}
	*out = c.best;
	return 0;
}
