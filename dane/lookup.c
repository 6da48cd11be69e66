/*
 * DNS for 'check --dane': TLSA and address records asked of a validating
 * resolver, trusting its AD bit, as Postfix and Exim do (RFC 7672 section
 * 2.1: the MTA relies on a local validating resolver). The query sets AD
 * and, in an EDNS0 OPT record, DO, so that the resolver validates and says
 * so; RES_TRUSTAD keeps glibc from clearing the bit. Every query is bounded
 * (retrans seconds, two tries); TCP after a truncated answer is glibc's.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "dane/dane.h"

int dane_resolver_open(const char *resolver, int timeout, struct __res_state *rs)
{
	struct sockaddr_in sin = {0};
	char host[64];
	const char *colon;
	long port = 53;
	char *end;

	memset(rs, 0, sizeof(*rs));
	if (res_ninit(rs) != 0)
		return fail(EX_OSERR, "cannot set up the DNS resolver (/etc/resolv.conf)");
	rs->options |= RES_TRUSTAD | RES_USE_EDNS0 | RES_USE_DNSSEC;
	rs->retrans = timeout > 1 ? timeout / 2 : 1;
	rs->retry = 2;
	if (!resolver)
		return 0;
	colon = strrchr(resolver, ':');
	if (colon) {
		port = strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535)
			colon = NULL, port = -1;
	}
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - resolver) : (int)strlen(resolver),
		 resolver);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (port < 0 || inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		res_nclose(rs);
		return fail(EX_USAGE, "--resolver '%s': an IPv4 address, optionally with :PORT",
			    printable(resolver));
	}
	rs->nscount = 1;
	rs->nsaddr_list[0] = sin;
	return 0;
}

/* One query with AD and DO set; the answer parsed into msg. */
static int ask(struct __res_state *rs, const char *name, int type, unsigned char *answer,
	       size_t size, ns_msg *msg)
{
	/* the EDNS0 OPT pseudo-record: root owner, type 41, 1232-byte UDP payload, DO set */
	static const unsigned char opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0};
	unsigned char query[NS_MAXDNAME + 64];
	HEADER *h = (HEADER *)query;
	int qlen = res_nmkquery(rs, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, query,
				(int)sizeof(query) - (int)sizeof(opt));
	int n;

	if (qlen < 0)
		return DNS_FAILED;
	h->ad = 1;
	h->rd = 1;
	memcpy(query + qlen, opt, sizeof(opt));
	qlen += (int)sizeof(opt);
	h->arcount = htons((uint16_t)(ntohs(h->arcount) + 1));
	n = res_nsend(rs, query, qlen, answer, (int)size);
	if (n < 0 || ns_initparse(answer, n, msg) != 0)
		return DNS_UNREACHABLE;
	switch (ns_msg_getflag(*msg, ns_f_rcode)) {
	case ns_r_noerror:
	case ns_r_nxdomain:
		return ns_msg_getflag(*msg, ns_f_ad) ? DNS_SECURE : DNS_INSECURE;
	case ns_r_servfail:
		return DNS_SERVFAIL;
	default:
		return DNS_FAILED;
	}
}

int dane_tlsa_lookup(struct __res_state *rs, const char *owner, struct tlsa_set *out)
{
	unsigned char answer[8192];
	ns_msg msg;
	ns_rr rr;
	int i, count;

	memset(out, 0, sizeof(*out));
	out->result = ask(rs, owner, ns_t_tlsa, answer, sizeof(answer), &msg);
	if (out->result != DNS_SECURE && out->result != DNS_INSECURE)
		return out->result;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count && out->n < TLSA_SET_MAX; i++) {
		struct tlsa_rr *t = &out->rr[out->n];
		const unsigned char *d;
		size_t len;

		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_tlsa ||
		    ns_rr_rdlen(rr) < 4 || (size_t)ns_rr_rdlen(rr) - 3 > sizeof(t->data))
			continue;
		d = ns_rr_rdata(rr);
		len = ns_rr_rdlen(rr) - 3;
		t->usage = d[0];
		t->selector = d[1];
		t->mtype = d[2];
		memcpy(t->data, d + 3, len);
		t->len = len;
		out->n++;
	}
	return out->result;
}

int dane_addr_lookup(struct __res_state *rs, const char *name, char addr[INET6_ADDRSTRLEN])
{
	unsigned char answer[4096];
	ns_msg msg;
	ns_rr rr;
	int i, count, r = ask(rs, name, ns_t_a, answer, sizeof(answer), &msg);

	if (r != DNS_SECURE && r != DNS_INSECURE)
		return r;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++)
		if (ns_parserr(&msg, ns_s_an, i, &rr) == 0 && ns_rr_type(rr) == ns_t_a &&
		    ns_rr_rdlen(rr) == 4 && inet_ntop(AF_INET, ns_rr_rdata(rr), addr, INET6_ADDRSTRLEN))
			return r;
	return DNS_NO_ADDRESS;
}

/* The set holds a record with these fields and this digest. */
int tlsa_set_has(const struct tlsa_set *s, const struct tlsa *t)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->rr[i].usage == t->usage && s->rr[i].selector == 1 && s->rr[i].mtype == 1 &&
		    s->rr[i].len == sizeof(t->digest) &&
		    !memcmp(s->rr[i].data, t->digest, sizeof(t->digest)))
			return 1;
	return 0;
}
