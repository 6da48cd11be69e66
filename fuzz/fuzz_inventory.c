/*
 * Fuzz target: the inventory reader (exchange/inventory.c and friends): any
 * bytes as pasted console output, read with each day/month order, then
 * every certificate's order decision and its text.
 */
#include <stdint.h>

#include "exchange/exchange.h"
#include "common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned orders[] = {0, DATE_ORDER_DMY, DATE_ORDER_MDY};
	struct inventory_options o = {0};
	struct inventory inv;
	size_t i;

	/* the first byte picks the order, so the fuzzer explores all three */
	if (size > 0)
		o.date_order = orders[data[0] % 3];
	if (inventory_parse(data, size, &o, &inv) != 0)
		return 0;
	for (i = 0; i < inv.n_certs; i++)
		(void)inventory_order_text(&inv.certs[i]);
	inventory_free(&inv);
	return 0;
}
