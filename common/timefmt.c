/*
 * Time: minica keeps int64 seconds since the epoch (UTC) in its records and
 * leaves calendar arithmetic to OpenSSL (ASN1_TIME_diff, OPENSSL_gmtime).
 */
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <string.h>
#include <time.h>

#include "common/common.h"

int64_t now_utc(void)
{
	return (int64_t)time(NULL);
}

static const char *fmt(int64_t t, char buf[TIME_BUF], int iso)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (OPENSSL_gmtime(&tt, &tm))
		n = iso ? strftime(buf, TIME_BUF, "%Y-%m-%dT%H:%M:%SZ", &tm)
			: strftime(buf, TIME_BUF, "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (n == 0)
		snprintf(buf, TIME_BUF, "@%lld", (long long)t);
	return buf;
}

const char *fmt_time(int64_t t, char buf[TIME_BUF])
{
	return fmt(t, buf, 0);
}

const char *fmt_time_iso(int64_t t, char buf[TIME_BUF])
{
	return fmt(t, buf, 1);
}

long days_left(int64_t not_after, int64_t now)
{
	int64_t diff;

	/* times come from records on disk: any value must give an answer, not overflow */
	if (__builtin_sub_overflow(not_after, now, &diff))
		return not_after < now ? LONG_MIN : LONG_MAX;
	/* floor, so that a certificate expired 1 second ago has -1 days left */
	if (diff < 0)
		return (long)(diff / 86400 - (diff % 86400 != 0));
	return (long)(diff / 86400);
}

int asn1_time_epoch(const ASN1_TIME *t, int64_t *out)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0, ok;

	if (!epoch)
		return -1;
	ok = ASN1_TIME_diff(&days, &secs, epoch, t);
	ASN1_TIME_free(epoch);
	if (!ok)
		return -1;
	*out = (int64_t)days * 86400 + secs;
	return 0;
}

/* YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM:SSZ, validated by OpenSSL. */
int parse_date(const char *text, int64_t *out)
{
	char compact[16];
	ASN1_TIME *t = NULL;
	size_t len = strlen(text), i, j = 0;
	int rc = -1;

	if (len != 10 && len != 20)
		return -1;
	for (i = 0; i < len && j < sizeof(compact) - 2; i++) {
		char c = text[i];

		if ((i == 4 || i == 7) && c == '-')
			continue;
		if (len == 20 && (i == 10 || i == 13 || i == 16 || i == 19)) {
			if ((i == 10 && c != 'T') || ((i == 13 || i == 16) && c != ':') ||
			    (i == 19 && c != 'Z'))
				return -1;
			continue;
		}
		if (c < '0' || c > '9')
			return -1;
		compact[j++] = c;
	}
	if (len == 10) {
		memcpy(compact + j, "000000", 6);
		j += 6;
	}
	compact[j++] = 'Z';
	compact[j] = '\0';
	if (j != 15)
		return -1;
	t = ASN1_TIME_new();
	if (t && ASN1_GENERALIZEDTIME_set_string(t, compact) && ASN1_TIME_check(t) &&
	    asn1_time_epoch(t, out) == 0)
		rc = 0;
	ASN1_TIME_free(t);
	return rc;
}
