/*
 * Fuzz target: the messages between serve's front and signer (acme/proto.c),
 * as either process reads them from the other: a subverted front may send
 * the signer anything. The input is a whole message, head and body. What
 * parses must build again to the same bytes (fields in tag order), and the
 * typed readers (proto_number) must stay in their bounds.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg m, again;
	struct proto_out o;
	uint32_t head[3];
	const char *why = NULL;
	long n;
	int t;

	if (size < PROTO_HEAD)
		return 0;
	memcpy(head, data, sizeof(head));
	if (proto_parse(ntohl(head[0]), ntohl(head[1]), data + PROTO_HEAD, size - PROTO_HEAD, &m,
			&why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	if (proto_number(&m, T_INDEX, 0, 16, &n) == 0 && (n < 0 || n > 16))
		abort();
	proto_begin(&o, m.type, m.id);
	for (t = 1; t < T_TAG_END; t++)
		if (m.field[t])
			proto_add(&o, t, m.field[t], m.len[t]);
	if (o.failed || o.len < PROTO_HEAD ||
	    proto_parse(m.type, m.id, o.buf + PROTO_HEAD, o.len - PROTO_HEAD, &again, &why) != 0)
		abort();
	for (t = 1; t < T_TAG_END; t++)
		if (again.len[t] != m.len[t] || (m.field[t] && memcmp(again.field[t], m.field[t], m.len[t])))
			abort();
	free(o.buf);
	proto_msg_release(&again);
	proto_msg_release(&m);
	return 0;
}
