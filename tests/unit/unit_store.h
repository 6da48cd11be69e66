/*
 * For unit tests of the store: a fresh store path in a private temporary
 * directory per group (setup/teardown for cmocka_run_group_tests), and the
 * minimal first transaction of a store (one placeholder CA certificate).
 */
#ifndef MINICA_UNIT_STORE_H
#define MINICA_UNIT_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[256];

static int setup(void **state)
{
	char tmpl[] = "/tmp/minica-unit.XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(dir, sizeof(dir), "%s/store", tmpl);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(dir, '/') - dir), dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int init_fn(store_txn *txn, void *ctx)
{
	static const unsigned char ca[] = {0x30, 0x00};

	(void)ctx;
	return store_txn_ca_add(txn, ca, sizeof(ca), NULL);
}

#endif
