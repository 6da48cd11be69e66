/*
 * The CA's name constraints (RFC 5280 4.2.1.10): the DNS suffixes and the
 * IP ranges a CA created with --permit-dns / --permit-ip may certify.
 *
 * An iPAddress subtree is an address and a mask, 8 octets for IPv4 and 32
 * for IPv6. A name-constrained CA always says something about IP
 * addresses: the --permit-ip ranges, or, without any, every address
 * excluded (0.0.0.0/0 and ::/0), as a technically constrained CA does:
 * otherwise a verifier accepts any IP address in a leaf it signs.
 *
 * The extension is written in OpenSSL's configuration syntax
 * (permitted;DNS:corp.example, permitted;IP:192.168.0.0/255.255.0.0,
 * excluded;IP:0.0.0.0/0.0.0.0) and read back with OpenSSL's decoder.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "common/common.h"

/* "192.168.0.0/16", "2001:db8::/32", or a bare address (a range of one). */
int ip_range_parse(const char *text, struct ip_range *out, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	long prefix;
	char *end = NULL;
	int i, bits;

	memset(out, 0, sizeof(*out));
	*why = "not an IPv4 or IPv6 range (ADDRESS/PREFIX, as in 192.168.0.0/16)";
	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->len = 4;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->len = 16;
	else
		return -1;
	bits = out->len * 8;
	prefix = bits;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		prefix = strtol(slash + 1, &end, 10);
		if (*end || prefix > bits) {
			*why = out->len == 4 ? "the prefix length of an IPv4 range is 0 to 32"
					     : "the prefix length of an IPv6 range is 0 to 128";
			return -1;
		}
	}
	for (i = 0; i < out->len; i++) {
		long left = prefix - 8L * i;

		out->mask[i] = left >= 8 ? 0xff : left <= 0 ? 0 : (unsigned char)(0xff << (8 - left));
		if (out->addr[i] & ~out->mask[i]) {
			*why = "the address has bits set beyond the prefix length (give the "
			       "network's first address)";
			return -1;
		}
	}
	return 0;
}

int ip_ranges_parse(const char *option, char *const *texts, size_t n, struct ip_range **out)
{
	const char *why;
	size_t i;

	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return fail(EX_OSERR, "out of memory");
	for (i = 0; i < n; i++) {
		if (ip_range_parse(texts[i], &(*out)[i], &why)) {
			free(*out);
			*out = NULL;
			return cli_usage_error("%s '%s': %s", option, printable(texts[i]), why);
		}
	}
	return 0;
}

/* ADDRESS/PREFIX when the mask is a prefix, else ADDRESS/MASK (as another CA may write it) */
const char *ip_range_text(const struct ip_range *r, char buf[IP_RANGE_TEXT])
{
	char addr[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
	int af = r->len == 4 ? AF_INET : AF_INET6, i, prefix = 0, contiguous = 1;

	for (i = 0; i < r->len; i++) {
		unsigned char m = r->mask[i];

		for (int b = 7; b >= 0; b--) {
			if (m & (1u << b)) {
				contiguous &= prefix == 8 * i + (7 - b);
				prefix++;
			}
		}
	}
	if (!inet_ntop(af, r->addr, addr, sizeof(addr)) || !inet_ntop(af, r->mask, mask, sizeof(mask)))
		snprintf(buf, IP_RANGE_TEXT, "?");
	else if (contiguous)
		snprintf(buf, IP_RANGE_TEXT, "%s/%d", addr, prefix);
	else
		snprintf(buf, IP_RANGE_TEXT, "%s/%s", addr, mask);
	return buf;
}

static int ip_in(const struct ip_range *r, const unsigned char *addr, int len)
{
	int i;

	if (r->len != len)
		return 0;
	for (i = 0; i < len; i++)
		if ((addr[i] & r->mask[i]) != (r->addr[i] & r->mask[i]))
			return 0;
	return 1;
}

int nc_config(char *const *dns, size_t n_dns, const struct ip_range *ip, size_t n_ip, char **out)
{
	char *text = NULL, addr[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);
	int rc = 0;

	*out = NULL;
	if (!f)
		return fail(EX_OSERR, "out of memory");
	fputs("critical", f);
	for (i = 0; i < n_dns; i++)
		fprintf(f, ",permitted;DNS:%s", dns[i]);
	for (i = 0; i < n_ip; i++) {
		int af = ip[i].len == 4 ? AF_INET : AF_INET6;

		if (inet_ntop(af, ip[i].addr, addr, sizeof(addr)) &&
		    inet_ntop(af, ip[i].mask, mask, sizeof(mask)))
			fprintf(f, ",permitted;IP:%s/%s", addr, mask);
		else if (!rc)
			rc = fail(EX_SOFTWARE, "cannot write an IP range");
	}
	if (!n_ip)
		fputs(",excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::", f);
	if (fclose(f) != 0 && !rc)
		rc = fail(EX_OSERR, "out of memory");
	if (rc)
		free(text);
	else
		*out = text;
	return rc;
}

static int add_ip(struct ip_range **list, size_t *n, const ASN1_OCTET_STRING *ip)
{
	const unsigned char *p = ASN1_STRING_get0_data(ip);
	int len = ASN1_STRING_length(ip);
	struct ip_range *grown;

	if (len != 8 && len != 32) /* not a subtree minica can compare with: say nothing */
		return 0;
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return fail(EX_OSERR, "out of memory");
	*list = grown;
	memset(&grown[*n], 0, sizeof(grown[*n]));
	grown[*n].len = len / 2;
	memcpy(grown[*n].addr, p, (size_t)len / 2);
	memcpy(grown[*n].mask, p + len / 2, (size_t)len / 2);
	(*n)++;
	return 0;
}

static int add_dns(struct ca *ca, const ASN1_IA5STRING *dns)
{
	int len = ASN1_STRING_length(dns);
	char *s, **grown;

	if (len <= 0 || memchr(ASN1_STRING_get0_data(dns), '\0', (size_t)len))
		return 0;
	grown = realloc(ca->permitted, (ca->n_permitted + 1) * sizeof(char *));
	if (!grown)
		return fail(EX_OSERR, "out of memory");
	ca->permitted = grown;
	s = malloc((size_t)len + 1);
	if (!s)
		return fail(EX_OSERR, "out of memory");
	memcpy(s, ASN1_STRING_get0_data(dns), (size_t)len);
	s[len] = '\0';
	ca->permitted[ca->n_permitted++] = s;
	return 0;
}

int ca_load_name_constraints(struct ca *ca)
{
	NAME_CONSTRAINTS *nc = X509_get_ext_d2i(ca->cert, NID_name_constraints, NULL, NULL);
	int i, rc = 0;

	if (!nc)
		return 0;
	ca->constrained = 1;
	for (i = 0; !rc && i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		GENERAL_SUBTREE *sub = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);

		if (sub->base->type == GEN_DNS)
			rc = add_dns(ca, sub->base->d.dNSName);
		else if (sub->base->type == GEN_IPADD)
			rc = add_ip(&ca->ip_permitted, &ca->n_ip_permitted, sub->base->d.iPAddress);
		else
			ca->nc_other = 1;
	}
	for (i = 0; !rc && i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); i++) {
		GENERAL_SUBTREE *sub = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i);

		if (sub->base->type == GEN_IPADD)
			rc = add_ip(&ca->ip_excluded, &ca->n_ip_excluded, sub->base->d.iPAddress);
		else
			ca->nc_other = 1;
	}
	NAME_CONSTRAINTS_free(nc);
	return rc;
}

int ca_ip_unconstrained(const struct ca *ca)
{
	return ca->n_permitted && !ca->n_ip_permitted && !ca->n_ip_excluded;
}

const char *ca_ip_unconstrained_fix(void)
{
	return "IP addresses are not constrained by this CA certificate (it was created with "
	       "--permit-dns before minica constrained them): a verifier that trusts it accepts any "
	       "IP address in a certificate signed with its key. minica refuses IP addresses under "
	       "it; to constrain them for every verifier, re-sign the CA certificate with IP "
	       "constraints ('minica ca extend --years N --no-ip', or --permit-ip CIDR) and replace "
	       "the old CA certificate in every trust store (every leaf keeps verifying), or create "
	       "a new CA (minica --store NEW init --permit-dns SUFFIX [--permit-ip CIDR]) and "
	       "re-issue: as long as a trust store holds the old CA certificate, it accepts any IP "
	       "address";
}

/* Why the CA's certificate refuses this address, or NULL when it may be certified. */
static const char *ip_refusal(const struct ca *ca, const unsigned char *addr, int len)
{
	size_t i;
	int in_permitted = 0;

	if (ca_ip_unconstrained(ca))
		return "the CA is restricted to DNS names and its certificate does not constrain IP "
		       "addresses, so minica refuses them (see 'minica ca show')";
	for (i = 0; i < ca->n_ip_excluded; i++) {
		static const unsigned char zero[16];

		if (!ip_in(&ca->ip_excluded[i], addr, len))
			continue;
		if (memcmp(ca->ip_excluded[i].mask, zero, (size_t)len))
			return "it is in a range the CA's name constraints exclude";
		return len == 4 ? "the CA's name constraints permit no IPv4 address (the CA was "
				  "created without --permit-ip)"
				: "the CA's name constraints permit no IPv6 address (the CA was "
				  "created without --permit-ip)";
	}
	for (i = 0; i < ca->n_ip_permitted; i++)
		in_permitted |= ip_in(&ca->ip_permitted[i], addr, len);
	if (ca->n_ip_permitted && !in_permitted)
		return "it is outside the CA's permitted IP ranges";
	return NULL;
}

const char *ca_ip_refusal(const struct ca *ca, const char *ip)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, ip, addr) == 1)
		return ip_refusal(ca, addr, 4);
	if (inet_pton(AF_INET6, ip, addr) == 1)
		return ip_refusal(ca, addr, 16);
	return "not an IP address";
}

int ca_ip_check(const struct ca *ca, const char *ip)
{
	unsigned char addr[16];
	char ranges[256], one[IP_RANGE_TEXT];
	size_t i, used = 0;
	const char *why;

	if (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
		return fail(EX_DATAERR, "'%s' is not an IP address", printable(ip));
	why = ca_ip_refusal(ca, ip);
	if (!why)
		return 0;
	ranges[0] = '\0';
	for (i = 0; i < ca->n_ip_permitted && used < sizeof(ranges); i++)
		used += (size_t)snprintf(ranges + used, sizeof(ranges) - used, "%s%s", i ? ", " : "",
					 ip_range_text(&ca->ip_permitted[i], one));
	if (ca->n_ip_permitted)
		return fail(EX_DATAERR, "IP address %s: %s (%s)", ip, why, ranges);
	return fail(EX_DATAERR, "IP address %s: %s", ip, why);
}

void ca_name_constraints_free(struct ca *ca)
{
	size_t i;

	for (i = 0; i < ca->n_permitted; i++)
		free(ca->permitted[i]);
	free(ca->permitted);
	free(ca->ip_permitted);
	free(ca->ip_excluded);
	ca->permitted = NULL;
	ca->ip_permitted = ca->ip_excluded = NULL;
	ca->n_permitted = ca->n_ip_permitted = ca->n_ip_excluded = 0;
}
