/*
 * Reading outside a write: settings, CA versions, one record, and the scans
 * (by expiry range, revoked, by host, every record, the audit log).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "store_internal.h"

int store_meta_get(store *st, const char *key, void **val, size_t *len)
{
	store_txn t = {st, NULL, st->has_revoked};
	int rc;

	*val = NULL;
	*len = 0;
	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = store_txn_meta_get(&t, key, val, len);
	mdb_txn_abort(t.txn);
	return rc;
}

int store_ca_get(store *st, uint32_t version, void **der, size_t *len)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	unsigned char kb[4];
	MDB_val k = {4, kb}, v;
	int rc;

	*der = NULL;
	*len = 0;
	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_cursor_open(txn, st->ca, &c);
	if (rc == 0) {
		if (version == 0) {
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		} else {
			put_u32(kb, version);
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
		}
	}
	if (rc == MDB_NOTFOUND) {
		rc = version ? fail(EX_NOINPUT, "store %s: no CA certificate version %u", st->path,
				    version)
			     : fail(EX_IOERR, "store %s: no CA certificate (restore a backup)",
				    st->path);
	} else if (rc) {
		rc = lmdb_fail(st, "read CA certificate", rc);
	} else if (!(*der = malloc(v.mv_size ? v.mv_size : 1))) {
		rc = fail(EX_OSERR, "out of memory");
	} else {
		memcpy(*der, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}

int store_ca_count(store *st, uint32_t *count)
{
	MDB_txn *txn = NULL;
	MDB_stat s;
	int rc;

	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_stat(txn, st->ca, &s);
	mdb_txn_abort(txn);
	if (rc)
		return lmdb_fail(st, "count CA certificates", rc);
	*count = (uint32_t)s.ms_entries;
	return 0;
}

int store_get(store *st, const unsigned char serial[STORE_SERIAL_LEN],
	      struct store_record **out)
{
	store_txn t = {st, NULL, st->has_revoked};
	int rc;

	*out = NULL;
	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = store_txn_get(&t, serial, out);
	mdb_txn_abort(t.txn);
	return rc;
}

/* Visit the record behind one serial found in an index. */
static int visit_serial(store_txn *t, const unsigned char *serial, store_visit_fn fn, void *ctx)
{
	struct store_record *rec = NULL;
	int rc;

	if ((rc = store_txn_get(t, serial, &rec)))
		return rc;
	rc = fn(rec, ctx);
	store_record_free(rec);
	return rc;
}

int store_scan_expiry(store *st, int64_t from, int64_t to, store_visit_fn fn, void *ctx)
{
	store_txn t = {st, NULL, st->has_revoked};
	MDB_cursor *c = NULL;
	unsigned char start[8 + STORE_SERIAL_LEN];
	MDB_val k, v;
	int rc;

	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = mdb_cursor_open(t.txn, st->by_expiry, &c);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	expiry_key(start, from, NULL);
	k.mv_size = sizeof(start);
	k.mv_data = start;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != sizeof(start)) {
			rc = fail(EX_IOERR, "store %s: damaged expiry index (run 'minica store verify')",
				  st->path);
			goto out;
		}
		if (expiry_time(k.mv_data) > to) {
			rc = 0;
			goto out;
		}
		rc = visit_serial(&t, (const unsigned char *)k.mv_data + 8, fn, ctx);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk expiry index", rc);
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(t.txn);
	return rc;
}

/*
 * Every revoked record: a walk of the revoked table, or of every record in
 * a store that does not have the table yet. A record whose status is no
 * longer revoked (changed by a minica that predates the table) is skipped.
 */
int store_txn_scan_revoked(store_txn *t, store_visit_fn fn, void *ctx)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	rc = mdb_cursor_open(t->txn, t->revoked_open ? t->st->revoked : t->st->certs, &c);
	if (rc)
		return lmdb_fail(t->st, "open cursor", rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct store_record *rec = NULL;

		if (k.mv_size != STORE_SERIAL_LEN) {
			rc = fail(EX_IOERR, "store %s: damaged %s (run 'minica store verify')",
				  t->st->path,
				  t->revoked_open ? "revocation index" : "certificate table");
			goto out;
		}
		if (t->revoked_open) {
			int64_t listed_at = 0;

			if ((rc = revoked_value(t, &v, &listed_at)) == 0 &&
			    (rc = get_record(t, k.mv_data, &rec)) == 0)
				rec->crl_listed_at = listed_at;
		} else if (store_record_decode(v.mv_data, v.mv_size, &rec) != 0) {
			rc = fail(EX_IOERR, "store %s: a certificate record is damaged (run 'minica "
					    "store verify')",
				  t->st->path);
		}
		if (rc == 0 && rec->status == STORE_REVOKED)
			rc = fn(rec, ctx);
		store_record_free(rec);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(t->st, "walk revocations", rc);
out:
	mdb_cursor_close(c);
	return rc;
}

int store_scan_revoked(store *st, store_visit_fn fn, void *ctx)
{
	store_txn t = {st, NULL, st->has_revoked};
	int rc;

	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = store_txn_scan_revoked(&t, fn, ctx);
	mdb_txn_abort(t.txn);
	return rc;
}

int store_scan_all(store *st, store_visit_fn fn, void *ctx)
{
	return store_scan_expiry(st, INT64_MIN, INT64_MAX, fn, ctx);
}

int store_scan_host(store *st, const char *host, store_visit_fn fn, void *ctx)
{
	store_txn t = {st, NULL, st->has_revoked};
	MDB_cursor *c = NULL;
	MDB_val k = {strlen(host), (void *)host}, v;
	int rc;

	if (k.mv_size == 0 || k.mv_size > 511)
		return 0;
	if ((rc = read_begin(st, &t.txn)))
		return rc;
	rc = mdb_cursor_open(t.txn, st->by_host, &c);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != STORE_SERIAL_LEN) {
			rc = fail(EX_IOERR, "store %s: damaged host index (run 'minica store verify')",
				  st->path);
			goto out;
		}
		rc = visit_serial(&t, v.mv_data, fn, ctx);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk host index", rc);
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(t.txn);
	return rc;
}

int store_scan_audit(store *st, int64_t since, store_audit_fn fn, void *ctx)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	if ((rc = read_begin(st, &txn)))
		return rc;
	rc = mdb_cursor_open(txn, st->audit, &c);
	if (rc) {
		rc = lmdb_fail(st, "open cursor", rc);
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct store_audit *a = NULL;

		if (store_audit_decode(v.mv_data, v.mv_size, &a) != 0) {
			rc = fail(EX_IOERR, "store %s: damaged audit entry (run 'minica store verify')",
				  st->path);
			goto out;
		}
		a->seq = k.mv_size == 8 ? (int64_t)get_u64(k.mv_data) : 0;
		rc = a->time >= since ? fn(a, ctx) : 0;
		store_audit_free(a);
		if (rc) {
			rc = rc == 1 ? 0 : rc;
			goto out;
		}
	}
	rc = rc == MDB_NOTFOUND ? 0 : lmdb_fail(st, "walk audit log", rc);
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}
