/*
 * The resolver of the validating threads (dns-01, tls-alpn-01): libresolv's
 * own state per thread (res_ninit), pointed at --resolver when given, with
 * retries that fit in the validation timeout.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

int resolver_addr(const char *text, struct sockaddr_in *sin)
{
	char addr[64], *end = NULL;
	const char *colon = text ? strrchr(text, ':') : NULL;
	long port = 53;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (!text)
		return -1;
	if (colon) {
		if ((size_t)(colon - text) >= sizeof(addr))
			return -1;
		memcpy(addr, text, (size_t)(colon - text));
		addr[colon - text] = '\0';
		/* as strictly as every other number: "41053x" is a typo, not port 41053 */
		port = colon[1] >= '0' && colon[1] <= '9' ? strtol(colon + 1, &end, 10) : 0;
		if (!end || *end)
			return -1;
	} else {
		snprintf(addr, sizeof(addr), "%s", text);
	}
	if (port < 1 || port > 65535 || inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -1;
	sin->sin_port = htons((unsigned short)port);
	return 0;
}

int acme_resolver_ok(const char *text)
{
	struct sockaddr_in sin;

	return resolver_addr(text, &sin) == 0;
}

int validate_res_init(const struct vjob *j, struct __res_state *rs)
{
	struct sockaddr_in sin;

	memset(rs, 0, sizeof(*rs));
	if (res_ninit(rs) != 0)
		return -1;
	if (j->s->o->resolver && resolver_addr(j->s->o->resolver, &sin) == 0) {
		rs->nscount = 1;
		rs->nsaddr_list[0] = sin;
	}
	rs->retrans = (int)(j->s->validation_timeout / 2 > 0 ? j->s->validation_timeout / 2 : 1);
	rs->retry = 2;
	return 0;
}
