/*
 * Writing the tables inside a store_write() transaction: meta, CA versions,
 * certificate records and their indexes (by_host, by_expiry), the revoked
 * table and the audit log; and reading one record back.
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

static int put(store_txn *t, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned int flags,
	       const char *what)
{
	int rc = mdb_put(t->txn, dbi, k, v, flags);

	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return STORE_AGAIN;
	if (rc)
		return lmdb_fail(t->st, what, rc);
	return 0;
}

int store_txn_meta_put(store_txn *t, const char *key, const void *val, size_t len)
{
	MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};

	return put(t, t->st->meta, &k, &v, 0, "write settings");
}

int store_txn_meta_del(store_txn *t, const char *key)
{
	MDB_val k = {strlen(key), (void *)key};
	int rc = mdb_del(t->txn, t->st->meta, &k, NULL);

	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? lmdb_fail(t->st, "delete a setting", rc) : 0;
}

int store_txn_meta_get(store_txn *t, const char *key, void **val, size_t *len)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc = mdb_get(t->txn, t->st->meta, &k, &v);

	*val = NULL;
	*len = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return lmdb_fail(t->st, "read settings", rc);
	*val = malloc(v.mv_size + 1);
	if (!*val)
		return fail(EX_OSERR, "out of memory");
	memcpy(*val, v.mv_data, v.mv_size);
	((char *)*val)[v.mv_size] = '\0';
	*len = v.mv_size;
	return 0;
}

static int last_key(store_txn *t, MDB_dbi dbi, MDB_val *k)
{
	MDB_cursor *c = NULL;
	MDB_val v;
	int rc = mdb_cursor_open(t->txn, dbi, &c);

	if (rc)
		return lmdb_fail(t->st, "open cursor", rc);
	rc = mdb_cursor_get(c, k, &v, MDB_LAST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		k->mv_size = 0;
		return 0;
	}
	return rc ? lmdb_fail(t->st, "read last entry", rc) : 0;
}

int store_txn_ca_add(store_txn *t, const void *der, size_t len, uint32_t *version)
{
	unsigned char kb[4];
	MDB_val k, v = {len, (void *)der};
	uint32_t next = 1;
	int rc;

	if ((rc = last_key(t, t->st->ca, &k)))
		return rc;
	if (k.mv_size == 4)
		next = get_u32(k.mv_data) + 1;
	put_u32(kb, next);
	k.mv_size = 4;
	k.mv_data = kb;
	if ((rc = put(t, t->st->ca, &k, &v, MDB_NOOVERWRITE, "add CA certificate")))
		return rc;
	if (version)
		*version = next;
	return 0;
}

static int index_add(store_txn *t, const struct store_record *rec)
{
	unsigned char ek[8 + STORE_SERIAL_LEN];
	MDB_val k, v;
	size_t i;
	int rc;

	for (i = 0; i < rec->n_hosts; i++) {
		k.mv_size = strlen(rec->hosts[i]);
		k.mv_data = rec->hosts[i];
		v.mv_size = STORE_SERIAL_LEN;
		v.mv_data = (void *)rec->serial;
		if (k.mv_size == 0 || k.mv_size > 511)
			return fail(EX_DATAERR, "store: host name length %zu cannot be indexed",
				    k.mv_size);
		rc = mdb_put(t->txn, t->st->by_host, &k, &v, MDB_NODUPDATA);
		if (rc == MDB_KEYEXIST)
			continue; /* the same name twice in one certificate */
		if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
			return STORE_AGAIN;
		if (rc)
			return lmdb_fail(t->st, "index host", rc);
	}
	expiry_key(ek, rec->not_after, rec->serial);
	k.mv_size = sizeof(ek);
	k.mv_data = ek;
	v.mv_size = 0;
	v.mv_data = (void *)"";
	if ((rc = put(t, t->st->by_expiry, &k, &v, 0, "index expiry")))
		return rc;
	return rec->status == STORE_REVOKED ? revoked_put(t, rec->serial, rec->crl_listed_at) : 0;
}

static int index_del(store_txn *t, const struct store_record *rec)
{
	unsigned char ek[8 + STORE_SERIAL_LEN];
	MDB_val k, v;
	size_t i;
	int rc;

	for (i = 0; i < rec->n_hosts; i++) {
		k.mv_size = strlen(rec->hosts[i]);
		k.mv_data = rec->hosts[i];
		v.mv_size = STORE_SERIAL_LEN;
		v.mv_data = (void *)rec->serial;
		rc = mdb_del(t->txn, t->st->by_host, &k, &v);
		if (rc && rc != MDB_NOTFOUND)
			return lmdb_fail(t->st, "unindex host", rc);
	}
	expiry_key(ek, rec->not_after, rec->serial);
	k.mv_size = sizeof(ek);
	k.mv_data = ek;
	rc = mdb_del(t->txn, t->st->by_expiry, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_fail(t->st, "unindex expiry", rc);
	if (rec->status != STORE_REVOKED || !t->revoked_open)
		return 0;
	k.mv_size = STORE_SERIAL_LEN;
	k.mv_data = (void *)rec->serial;
	rc = mdb_del(t->txn, t->st->revoked, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return lmdb_fail(t->st, "unindex revocation", rc);
	return 0;
}

static int put_record(store_txn *t, const struct store_record *rec, unsigned int flags)
{
	unsigned char *der = NULL;
	size_t len = 0;
	MDB_val k = {STORE_SERIAL_LEN, (void *)rec->serial}, v;
	int rc;

	if (store_record_encode(rec, &der, &len) != 0)
		return fail(EX_SOFTWARE, "store: cannot encode the certificate record");
	v.mv_size = len;
	v.mv_data = der;
	rc = mdb_put(t->txn, t->st->certs, &k, &v, flags);
	OPENSSL_free(der);
	if (rc == MDB_KEYEXIST)
		return fail(EX_TEMPFAIL, "store %s: serial number collision; run the command again",
			    t->st->path);
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return STORE_AGAIN;
	if (rc)
		return lmdb_fail(t->st, "write certificate record", rc);
	return 0;
}

int store_txn_insert(store_txn *t, const struct store_record *rec)
{
	int rc = put_record(t, rec, MDB_NOOVERWRITE);

	return rc ? rc : index_add(t, rec);
}

/* ---- the revoked table: serial -> crl_listed_at ---- */

int revoked_put(store_txn *t, const unsigned char *serial, int64_t listed_at)
{
	unsigned char when[8];
	MDB_val k = {STORE_SERIAL_LEN, (void *)serial}, v = {sizeof(when), when};

	if (!t->revoked_open)
		return 0;
	put_u64(when, (uint64_t)listed_at);
	return put(t, t->st->revoked, &k, &v, 0, "index revocation");
}

int revoked_value(store_txn *t, const MDB_val *v, int64_t *listed_at)
{
	if (v->mv_size != 8)
		return fail(EX_IOERR, "store %s: damaged revocation index (run 'minica store verify')",
			    t->st->path);
	*listed_at = (int64_t)get_u64(v->mv_data);
	return 0;
}

/* A revoked record's crl_listed_at, from the table when there is one. */
static int revoked_overlay(store_txn *t, struct store_record *rec)
{
	MDB_val k = {STORE_SERIAL_LEN, rec->serial}, v;
	int rc;

	if (rec->status != STORE_REVOKED || !t->revoked_open)
		return 0;
	rc = mdb_get(t->txn, t->st->revoked, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0; /* revoked by a minica older than the table: never listed */
	if (rc)
		return lmdb_fail(t->st, "read revocation index", rc);
	return revoked_value(t, &v, &rec->crl_listed_at);
}

int store_txn_mark_listed(store_txn *t, const unsigned char serial[STORE_SERIAL_LEN],
			  int64_t when)
{
	struct store_record *rec = NULL;
	int rc;

	if (t->revoked_open)
		return revoked_put(t, serial, when);
	if ((rc = store_txn_get(t, serial, &rec)))
		return rc;
	rec->crl_listed_at = when;
	rc = store_txn_update(t, rec);
	store_record_free(rec);
	return rc;
}

int get_record(store_txn *t, const unsigned char serial[STORE_SERIAL_LEN],
	       struct store_record **out)
{
	MDB_val k = {STORE_SERIAL_LEN, (void *)serial}, v;
	char hex[2 * STORE_SERIAL_LEN + 1];
	int rc = mdb_get(t->txn, t->st->certs, &k, &v);

	*out = NULL;
	hex_upper(serial, STORE_SERIAL_LEN, hex);
	if (rc == MDB_NOTFOUND)
		return fail(EX_NOINPUT, "no certificate with serial %s in store %s", hex, t->st->path);
	if (rc)
		return lmdb_fail(t->st, "read certificate record", rc);
	if (store_record_decode(v.mv_data, v.mv_size, out) != 0)
		return fail(EX_IOERR, "store %s: record %s is damaged (run 'minica store verify')",
			    t->st->path, hex);
	return 0;
}

int store_txn_get(store_txn *t, const unsigned char serial[STORE_SERIAL_LEN],
		  struct store_record **out)
{
	int rc = get_record(t, serial, out);

	if (rc == 0 && (rc = revoked_overlay(t, *out)) != 0) {
		store_record_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Do two versions of a record have the same index entries? */
static int same_index_keys(const struct store_record *a, const struct store_record *b)
{
	size_t i;

	if (a->not_after != b->not_after || a->n_hosts != b->n_hosts ||
	    (a->status == STORE_REVOKED) != (b->status == STORE_REVOKED))
		return 0;
	for (i = 0; i < a->n_hosts; i++)
		if (strcmp(a->hosts[i], b->hosts[i]))
			return 0;
	return 1;
}

/* The indexes are rewritten only when their keys change. */
int store_txn_update(store_txn *t, const struct store_record *rec)
{
	struct store_record *old = NULL;
	int rc, reindex;

	if ((rc = store_txn_get(t, rec->serial, &old)))
		return rc;
	reindex = !same_index_keys(old, rec);
	if ((!reindex || (rc = index_del(t, old)) == 0) && (rc = put_record(t, rec, 0)) == 0) {
		if (reindex)
			rc = index_add(t, rec);
		else if (rec->status == STORE_REVOKED && rec->crl_listed_at != old->crl_listed_at)
			rc = revoked_put(t, rec->serial, rec->crl_listed_at);
	}
	store_record_free(old);
	return rc;
}

int store_txn_audit(store_txn *t, const struct store_audit *a)
{
	struct store_audit full = *a;
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "";
	unsigned char kb[8], *der = NULL;
	size_t len = 0;
	MDB_val k, v;
	int rc;

	if ((rc = last_key(t, t->st->audit, &k)))
		return rc;
	full.seq = k.mv_size == 8 ? (int64_t)get_u64(k.mv_data) + 1 : 1;
	if (!full.time)
		full.time = now_utc();
	full.uid = (uint32_t)geteuid();
	full.user = pw ? pw->pw_name : (char *)"?";
	(void)gethostname(host, sizeof(host) - 1);
	full.host = host;
	full.pid = (int64_t)getpid();
	if (store_audit_encode(&full, &der, &len) != 0)
		return fail(EX_SOFTWARE, "store: cannot encode the audit entry");
	put_u64(kb, (uint64_t)full.seq);
	k.mv_size = 8;
	k.mv_data = kb;
	v.mv_size = len;
	v.mv_data = der;
	rc = put(t, t->st->audit, &k, &v, MDB_NOOVERWRITE, "write audit entry");
	OPENSSL_free(der);
	return rc;
}
