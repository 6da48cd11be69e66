/*
 * store verify, the store's half: one read transaction (a consistent
 * snapshot, writers go on meanwhile) walks every table and cross-checks the
 * indexes against the records in both directions. A problem is reported as
 * one line and the walk goes on, so one run lists everything that is wrong;
 * only an LMDB error that stops the walk itself ends it early.
 *
 * Certificates and keys are opaque here: the hooks (ca/verify.c) judge them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "store_internal.h"

struct walk {
	store *st;
	MDB_txn *txn;
	MDB_cursor *hosts; /* for by_host lookups of (host, serial) */
	const struct store_verify_hooks *h;
	struct store_verify_counts *counts;
	uint32_t ca_max;    /* newest CA version seen */
	uint64_t audit_seq; /* last audit sequence seen */
	MDB_val prev_host;  /* to count distinct host names */
};

static void problem(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct walk *w, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->h->problem(w->h->ctx, line);
}

/* A key or value from disk as text for a problem line (NULs and controls escaped). */
static const char *shown(const MDB_val *v)
{
	char buf[128];
	size_t i, n = v->mv_size < sizeof(buf) - 1 ? v->mv_size : sizeof(buf) - 1;

	for (i = 0; i < n; i++) {
		char c = ((const char *)v->mv_data)[i];

		buf[i] = c ? c : '?';
	}
	buf[n] = '\0';
	return printable(buf);
}

enum found { FOUND, ABSENT, DAMAGED };

/* The record behind a serial found in an index: 0 with *how, or an exit code. */
static int lookup(struct walk *w, const unsigned char *serial, struct store_record **rec,
		  enum found *how)
{
	MDB_val k = {STORE_SERIAL_LEN, (void *)serial}, v;
	int rc = mdb_get(w->txn, w->st->certs, &k, &v);

	*rec = NULL;
	*how = ABSENT;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return lmdb_fail(w->st, "read certificate record", rc);
	*how = store_record_decode(v.mv_data, v.mv_size, rec) == 0 ? FOUND : DAMAGED;
	return 0;
}

/* 1 when the table holds the key (and, for by_host, this serial under it), 0 when not. */
static int indexed(struct walk *w, MDB_dbi dbi, const void *key, size_t klen,
		   const unsigned char *serial, int *present)
{
	MDB_val k = {klen, (void *)key}, v = {STORE_SERIAL_LEN, (void *)serial};
	int rc = serial ? mdb_cursor_get(w->hosts, &k, &v, MDB_GET_BOTH) : mdb_get(w->txn, dbi, &k, &v);

	*present = rc == 0;
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_fail(w->st, "read index", rc);
	return 0;
}

typedef int (*entry_fn)(struct walk *w, const MDB_val *k, const MDB_val *v);

static int walk_table(struct walk *w, MDB_dbi dbi, const char *what, entry_fn fn)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc = mdb_cursor_open(w->txn, dbi, &c), frc = 0;

	if (rc)
		return lmdb_fail(w->st, what, rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if ((frc = fn(w, &k, &v)))
			goto out;
	frc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(w->st, what, rc);
out:
	mdb_cursor_close(c);
	return frc;
}

/* ---- the CA certificates and the settings ---- */

static int check_ca(struct walk *w, const MDB_val *k, const MDB_val *v)
{
	uint32_t version;

	w->counts->ca_versions++;
	if (k->mv_size != 4) {
		problem(w, "ca: a key of %zu bytes (versions have 4)", k->mv_size);
		return 0;
	}
	version = get_u32(k->mv_data);
	if (version != w->ca_max + 1)
		problem(w, "ca: version %u follows version %u (versions are numbered 1, 2, ...)",
			version, w->ca_max);
	if (version > w->ca_max)
		w->ca_max = version;
	if (w->h->ca_cert)
		w->h->ca_cert(w->h->ctx, version, v->mv_data, v->mv_size);
	return 0;
}

static int meta_value(struct walk *w, const char *name, MDB_val *v, int *present)
{
	MDB_val k = {strlen(name), (void *)name};
	int rc = mdb_get(w->txn, w->st->meta, &k, v);

	*present = rc == 0;
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_fail(w->st, "read settings", rc);
	return 0;
}

static int check_meta(struct walk *w)
{
	MDB_val schema, key, prot, uri;
	int has_schema, has_key, has_prot, has_uri, rc;
	char protection[64] = "";

	if ((rc = meta_value(w, "schema", &schema, &has_schema)) ||
	    (rc = meta_value(w, "ca.key", &key, &has_key)) ||
	    (rc = meta_value(w, "ca.key.protection", &prot, &has_prot)) ||
	    (rc = meta_value(w, "ca.key.uri", &uri, &has_uri)))
		return rc;
	if (!has_schema)
		problem(w, "meta: no schema version");
	else if (schema.mv_size != 4 || get_u32(schema.mv_data) < 1 ||
		 get_u32(schema.mv_data) > STORE_SCHEMA)
		problem(w, "meta: schema version is not 1..%d", STORE_SCHEMA);
	if (w->counts->ca_versions == 0)
		problem(w, "ca: no CA certificate");
	if (!has_prot)
		problem(w, "meta: no ca.key.protection (how the CA key is stored)");
	else if (prot.mv_size >= sizeof(protection) || memchr(prot.mv_data, '\0', prot.mv_size))
		problem(w, "meta: ca.key.protection is not a short name");
	else
		memcpy(protection, prot.mv_data, prot.mv_size);
	if (!strcmp(protection, "pkcs11")) {
		/* the key is on a token: the store holds its URI, never the key */
		if (has_key)
			problem(w, "meta: a software copy of the CA key is left beside its token URI");
		if (!has_uri || uri.mv_size == 0)
			problem(w, "meta: the CA key's token URI is missing");
		else if (w->h->ca_key)
			w->h->ca_key(w->h->ctx, uri.mv_data, uri.mv_size, protection);
	} else if (!has_key || key.mv_size == 0)
		problem(w, "meta: the CA key is missing");
	else if (w->h->ca_key)
		w->h->ca_key(w->h->ctx, key.mv_data, key.mv_size, protection);
	return 0;
}

/* ---- records: each decodes, matches its key, and is indexed ---- */

static int check_links(struct walk *w, const struct store_record *rec, const char *hex)
{
	const unsigned char *links[] = {rec->predecessor, rec->successor};
	const int has[] = {rec->has_predecessor, rec->has_successor};
	const char *names[] = {"predecessor", "successor"};
	int i, present, rc;

	for (i = 0; i < 2; i++) {
		char other[2 * STORE_SERIAL_LEN + 1];

		if (!has[i])
			continue;
		if ((rc = indexed(w, w->st->certs, links[i], STORE_SERIAL_LEN, NULL, &present)))
			return rc;
		hex_upper(links[i], STORE_SERIAL_LEN, other);
		if (!present)
			problem(w, "record %s: its %s %s is not in the store", hex, names[i], other);
	}
	return 0;
}

static int check_record(struct walk *w, const MDB_val *k, const MDB_val *v)
{
	struct store_record *rec = NULL;
	unsigned char ek[EXPIRY_KEY_LEN];
	char hex[2 * STORE_SERIAL_LEN + 1], other[2 * STORE_SERIAL_LEN + 1];
	int present, rc = 0;
	size_t i;

	w->counts->records++;
	if (k->mv_size != STORE_SERIAL_LEN) {
		problem(w, "certs: a key of %zu bytes (serials have %d)", k->mv_size,
			STORE_SERIAL_LEN);
		return 0;
	}
	hex_upper(k->mv_data, STORE_SERIAL_LEN, hex);
	if (store_record_decode(v->mv_data, v->mv_size, &rec) != 0) {
		problem(w, "record %s: does not decode (%zu bytes, damaged)", hex, v->mv_size);
		return 0;
	}
	if (memcmp(rec->serial, k->mv_data, STORE_SERIAL_LEN)) {
		hex_upper(rec->serial, STORE_SERIAL_LEN, other);
		problem(w, "record %s: holds serial %s", hex, other);
	}
	if (rec->not_before > rec->not_after)
		problem(w, "record %s: notBefore is after notAfter", hex);
	if (rec->ca_version < 1 || rec->ca_version > w->ca_max)
		problem(w, "record %s: signed by CA version %u, which the store does not have", hex,
			rec->ca_version);
	for (i = 0; i < rec->n_hosts; i++) {
		size_t len = strlen(rec->hosts[i]);

		if (len == 0 || len > 511) {
			problem(w, "record %s: host name %zu of %zu has %zu bytes", hex, i + 1,
				rec->n_hosts, len);
			continue;
		}
		if ((rc = indexed(w, w->st->by_host, rec->hosts[i], len, rec->serial, &present)))
			goto out;
		if (!present)
			problem(w, "record %s: host '%s' is not in the host index", hex,
				printable(rec->hosts[i]));
	}
	expiry_key(ek, rec->not_after, rec->serial);
	if ((rc = indexed(w, w->st->by_expiry, ek, sizeof(ek), NULL, &present)))
		goto out;
	if (!present)
		problem(w, "record %s: not in the expiry index", hex);
	if ((rc = check_links(w, rec, hex)))
		goto out;
	if (w->h->record)
		w->h->record(w->h->ctx, rec);
out:
	store_record_free(rec);
	return rc;
}

/* ---- indexes: each entry points at a record whose fields match ---- */

static int check_host_entry(struct walk *w, const MDB_val *k, const MDB_val *v)
{
	struct store_record *rec = NULL;
	enum found how;
	char hex[2 * STORE_SERIAL_LEN + 1];
	int rc, named = 0;
	size_t i;

	w->counts->host_entries++;
	if (!w->prev_host.mv_data || w->prev_host.mv_size != k->mv_size ||
	    memcmp(w->prev_host.mv_data, k->mv_data, k->mv_size)) {
		w->counts->hosts++;
		w->prev_host = *k;
	}
	if (v->mv_size != STORE_SERIAL_LEN) {
		problem(w, "by_host '%s': a value of %zu bytes (serials have %d)", shown(k),
			v->mv_size, STORE_SERIAL_LEN);
		return 0;
	}
	hex_upper(v->mv_data, STORE_SERIAL_LEN, hex);
	if ((rc = lookup(w, v->mv_data, &rec, &how)))
		return rc;
	if (how == ABSENT)
		problem(w, "by_host '%s' -> %s: no such record", shown(k), hex);
	for (i = 0; how == FOUND && i < rec->n_hosts; i++)
		named |= strlen(rec->hosts[i]) == k->mv_size &&
			 !memcmp(rec->hosts[i], k->mv_data, k->mv_size);
	if (how == FOUND && !named)
		problem(w, "by_host '%s' -> %s: the record does not name this host", shown(k), hex);
	store_record_free(rec);
	return 0;
}

static int check_expiry_entry(struct walk *w, const MDB_val *k, const MDB_val *v)
{
	struct store_record *rec = NULL;
	enum found how;
	char hex[2 * STORE_SERIAL_LEN + 1], when[TIME_BUF], theirs[TIME_BUF];
	const unsigned char *serial = (const unsigned char *)k->mv_data + 8;
	int rc;

	w->counts->expiry_entries++;
	if (k->mv_size != EXPIRY_KEY_LEN) {
		problem(w, "by_expiry: a key of %zu bytes (entries have %d)", k->mv_size,
			EXPIRY_KEY_LEN);
		return 0;
	}
	hex_upper(serial, STORE_SERIAL_LEN, hex);
	fmt_time(expiry_time(k->mv_data), when);
	if (v->mv_size != 0)
		problem(w, "by_expiry %s %s: holds a value of %zu bytes", when, hex, v->mv_size);
	if ((rc = lookup(w, serial, &rec, &how)))
		return rc;
	if (how == ABSENT)
		problem(w, "by_expiry %s -> %s: no such record", when, hex);
	else if (how == FOUND && rec->not_after != expiry_time(k->mv_data))
		problem(w, "by_expiry %s -> %s: the record's notAfter is %s", when, hex,
			fmt_time(rec->not_after, theirs));
	store_record_free(rec);
	return 0;
}

static int check_audit(struct walk *w, const MDB_val *k, const MDB_val *v)
{
	struct store_audit *a = NULL;
	unsigned long long seq;

	w->counts->audit_entries++;
	if (k->mv_size != 8) {
		problem(w, "audit: a key of %zu bytes (sequence numbers have 8)", k->mv_size);
		return 0;
	}
	seq = get_u64(k->mv_data);
	if (seq != w->audit_seq + 1)
		problem(w, "audit: entry %llu follows entry %llu (entries are missing)", seq,
			(unsigned long long)w->audit_seq);
	w->audit_seq = seq;
	if (store_audit_decode(v->mv_data, v->mv_size, &a) != 0)
		problem(w, "audit entry %llu: does not decode (damaged)", seq);
	store_audit_free(a);
	return 0;
}

int store_verify(store *st, const struct store_verify_hooks *hooks,
		 struct store_verify_counts *counts)
{
	struct walk w = {0};
	int rc;

	memset(counts, 0, sizeof(*counts));
	w.st = st;
	w.h = hooks;
	w.counts = counts;
	if ((rc = read_begin(st, &w.txn)))
		return rc;
	rc = mdb_cursor_open(w.txn, st->by_host, &w.hosts);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	/* the CA first: records are checked against the versions it has */
	rc = walk_table(&w, st->ca, "walk CA certificates", check_ca);
	if (!rc)
		rc = check_meta(&w);
	if (!rc)
		rc = walk_table(&w, st->certs, "walk certificate records", check_record);
	if (!rc)
		rc = walk_table(&w, st->by_host, "walk host index", check_host_entry);
	if (!rc)
		rc = walk_table(&w, st->by_expiry, "walk expiry index", check_expiry_entry);
	if (!rc)
		rc = walk_table(&w, st->audit, "walk audit log", check_audit);
	if (!rc)
		rc = store_acme_verify(st, w.txn, hooks->problem, hooks->ctx, &counts->acme_objects);
out:
	if (w.hosts)
		mdb_cursor_close(w.hosts);
	mdb_txn_abort(w.txn);
	return rc;
}
