/*
 * Fuzz target: the inventory reader (exchange/inventory*.c: the text
 * normalisation, the Format-List, Format-Table, CSV, JSON and certutil
 * readers, the date order of the whole output): any bytes as pasted
 * console output, read with each day/month order; then every
 * certificate's order text, its verdict and its replacement command.
 * Seeds: the fixtures of tests/fixtures/inventory and of
 * tests/cmd/inventory_formats.sh (fuzz/corpus/inventory/fmt-*).
 */
#include <stdint.h>
#include <stdlib.h>

#include "exchange/exchange.h"
#include "common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned orders[] = {0, DATE_ORDER_DMY, DATE_ORDER_MDY};
	struct inventory_options o = {0};
	struct inventory inv;
	struct inv_assessed *as;
	size_t i;

	/* the first byte picks the order, so the fuzzer explores all three */
	if (size > 0)
		o.date_order = orders[data[0] % 3];
	if (inventory_parse(data, size, &o, &inv) != 0)
		return 0;
	as = calloc(inv.n_certs ? inv.n_certs : 1, sizeof(*as));
	if (as && inventory_assess(&inv, as, 1228089600 /* 2008-12-01 */, 60) == 0) {
		for (i = 0; i < inv.n_certs; i++) {
			char *cmd = inventory_replacement_command(&as[i]);

			(void)inventory_order_text(&inv.certs[i]);
			free(cmd);
		}
	}
	inventory_assessed_free(as, inv.n_certs);
	inventory_free(&inv);
	return 0;
}
