/*
 * Dates as an Exchange server prints them: DateTime.ToString() in the
 * server's culture, "short date" then "long time". Examples:
 *
 *   en-US  12/13/2008 2:01:11 PM      M/d/yyyy h:mm:ss tt
 *   en-GB  13/12/2008 14:01:11        dd/MM/yyyy HH:mm:ss  (fr-FR, es-ES, it-IT alike)
 *   de-DE  13.12.2008 14:01:11        dd.MM.yyyy HH:mm:ss  (every dotted culture is d.M.y)
 *   nl-NL  13-12-2008 14:01:11        d-M-yyyy             (a dashed year-last date is d-M-y)
 *   ja-JP  2008/12/13 14:01:11        yyyy/MM/dd H:mm:ss
 *   zh-TW  2008/12/13 下午 02:01:11   yyyy/M/d tt hh:mm:ss
 *   zh-CN  2008/12/13 14:01:11        yyyy/M/d H:mm:ss     (older Windows: tt h:mm:ss)
 *   ko-KR  2008-12-13 오후 2:01:11    yyyy-MM-dd tt h:mm:ss
 *   ISO    2008-12-13 14:01:11, 2008-12-13T14:01:11[Z|+01:00]
 *
 * The numbers are read by strptime and checked by a timegm round trip (so
 * 31/02 is refused); the AM/PM designators come from a table of the ones
 * Windows cultures use. A slashed year-last date whose first two numbers are
 * both 12 or less can be d/M or M/d: this file says which orders are
 * possible and leaves the choice to the caller, who has more context.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange.h"

/* AM/PM designators of Windows cultures (DateTimeFormatInfo.AMDesignator/PMDesignator). */
static const struct {
	const char *text;
	int pm;
	int ascii; /* compared case-insensitively and only as a whole word */
} markers[] = {
	{"a. m.", 0, 1}, {"p. m.", 1, 1}, /* es-MX, es-US (Windows 10 and later) */
	{"a.m.", 0, 1},  {"p.m.", 1, 1},  /* en-CA, en-NZ, en-IE */
	{"am", 0, 1},    {"pm", 1, 1},    /* en-US, en-AU, en-PH, ... */
	{"\xE4\xB8\x8A\xE5\x8D\x88", 0, 0}, /* 上午 zh-TW, zh-CN, zh-HK */
	{"\xE4\xB8\x8B\xE5\x8D\x88", 1, 0}, /* 下午 */
	{"\xE5\x8D\x88\xE5\x89\x8D", 0, 0}, /* 午前 ja-JP (with the tt pattern) */
	{"\xE5\x8D\x88\xE5\xBE\x8C", 1, 0}, /* 午後 */
	{"\xEC\x98\xA4\xEC\xA0\x84", 0, 0}, /* 오전 ko-KR */
	{"\xEC\x98\xA4\xED\x9B\x84", 1, 0}, /* 오후 */
	{"\xCF\x80.\xCE\xBC.", 0, 0},       /* π.μ. el-GR */
	{"\xCE\xBC.\xCE\xBC.", 1, 0},       /* μ.μ. */
};

#define DATE_TEXT_MAX 96

/*
 * Spaces as .NET writes them (U+00A0, U+202F before the designator since
 * .NET 5 / ICU) become ' '; bidi marks (U+200E, U+200F) go; runs of spaces
 * become one. Returns 0, or -1 when the text is too long to be a date.
 */
static int normalise(const char *in, char out[DATE_TEXT_MAX])
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	while (*p) {
		int space = 0;

		if (p[0] == 0xC2 && p[1] == 0xA0) {
			space = 1;
			p += 2;
		} else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xAF || p[2] == 0x8E ||
							     p[2] == 0x8F)) {
			space = p[2] == 0xAF;
			p += 3;
			if (!space)
				continue;
		} else if (*p == ' ' || *p == '\t') {
			space = 1;
			p++;
		}
		if (space) {
			if (o > 0 && out[o - 1] != ' ') {
				if (o + 1 >= DATE_TEXT_MAX)
					return -1;
				out[o++] = ' ';
			}
			continue;
		}
		if (o + 1 >= DATE_TEXT_MAX)
			return -1;
		out[o++] = (char)*p++;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return 0;
}

static int is_letter(char c)
{
	return isalpha((unsigned char)c) != 0;
}

/* Every character of an ASCII designator is in s, in either case (cheap, before strcasestr). */
static int has_letters(const char *s, const char *marker)
{
	for (; *marker; marker++)
		if (!strchr(s, *marker) && !strchr(s, toupper((unsigned char)*marker)))
			return 0;
	return 1;
}

/* Finds and blanks out the one AM/PM designator; 0 none, 1 found, -1 two of them. */
static int take_marker(char *s, struct culture_date *d)
{
	size_t i, j, found = 0;
	int high = 0; /* a byte from 0x80: the other designators are not ASCII */
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c && !high; c++)
		high = *c >= 0x80;
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		size_t len = strlen(markers[i].text);
		char *hit = s;

		if (markers[i].ascii ? !has_letters(s, markers[i].text) : !high)
			continue;

		while ((hit = markers[i].ascii ? strcasestr(hit, markers[i].text)
					       : strstr(hit, markers[i].text))) {
			if (markers[i].ascii &&
			    ((hit > s && is_letter(hit[-1])) || is_letter(hit[len]))) {
				hit += len;
				continue;
			}
			if (found++)
				return -1;
			d->pm = markers[i].pm;
			d->marker = markers[i].text;
			for (j = 0; j < len; j++)
				hit[j] = ' ';
			hit += len;
		}
	}
	return found ? 1 : 0;
}

/* strptime must consume the whole token. */
static int scan(const char *tok, const char *fmt, struct tm *tm)
{
	const char *end = strptime(tok, fmt, tm);

	return end && *end == '\0' ? 0 : -1;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

static int parse_date_token(char *tok, struct culture_date *d, const char **why)
{
	size_t len = strlen(tok), first, last_start;
	char *p, fmt[12];
	struct tm tm;

	if (len > 0 && tok[len - 1] == '.')
		tok[--len] = '\0'; /* "13.12.2008." */
	first = strspn(tok, "0123456789");
	if (first == 0 || first >= len || !strchr("/.-", tok[first])) {
		*why = "no date (expected numbers separated by '/', '.' or '-')";
		return -1;
	}
	d->sep = tok[first];
	p = strrchr(tok, d->sep);
	last_start = (size_t)(p - tok) + 1;
	if (p == tok + first || !all_digits(p + 1, len - last_start) ||
	    !all_digits(tok + first + 1, (size_t)(p - tok) - first - 1)) {
		*why = "not a date of three numbers";
		return -1;
	}
	d->year_first = first == 4;
	if (!d->year_first && len - last_start != 4) {
		*why = first == 2 && len - last_start == 2 ? "two-digit year (the year must have "
							     "four digits)"
							   : "no four-digit year first or last";
		return -1;
	}
	/* the two numbers that are not the year, as written */
	memset(&tm, 0, sizeof(tm));
	if (d->year_first) {
		snprintf(fmt, sizeof(fmt), "%%Y%c%%m%c%%d", d->sep, d->sep);
		if (scan(tok, fmt, &tm)) {
			*why = "month or day out of range";
			return -1;
		}
		d->year = tm.tm_year + 1900;
		d->a = tm.tm_mon + 1;
		d->b = tm.tm_mday;
		return 0;
	}
	/* year last: the two numbers in the order written; the caller picks d/M or M/d */
	d->pad_a = (signed char)(first == 1 ? -1 : tok[0] == '0' ? 1 : 0);
	d->pad_b = (signed char)((size_t)(p - tok) - first - 1 == 1 ? -1 : tok[first + 1] == '0' ? 1 : 0);
	d->a = (int)strtol(tok, NULL, 10);
	d->b = (int)strtol(tok + first + 1, NULL, 10);
	if (d->a < 1 || d->a > 31 || d->b < 1 || d->b > 31 || scan(tok + last_start, "%Y", &tm)) {
		*why = "day or month out of range";
		return -1;
	}
	d->year = tm.tm_year + 1900;
	return 0;
}

/* An ISO 8601 zone: Z, +hh:mm, +hhmm or +hh. */
static int parse_zone(const char *zone, struct culture_date *d, const char **why)
{
	int hh = 0, mm = 0, sign = *zone == '-' ? -1 : 1;
	size_t len = strlen(zone);

	if (!strcmp(zone, "Z") || !strcmp(zone, "z") || !strcmp(zone, "UTC"))
		return 0;
	if ((*zone != '+' && *zone != '-') ||
	    !((len == 6 && zone[3] == ':' && all_digits(zone + 1, 2) && all_digits(zone + 4, 2)) ||
	      (len == 5 && all_digits(zone + 1, 4)) || (len == 3 && all_digits(zone + 1, 2)))) {
		*why = "unreadable UTC offset";
		return -1;
	}
	hh = (zone[1] - '0') * 10 + (zone[2] - '0');
	if (len > 3)
		mm = (zone[len - 2] - '0') * 10 + (zone[len - 1] - '0');
	if (hh > 14 || mm > 59) {
		*why = "UTC offset out of range";
		return -1;
	}
	d->offset = sign * (hh * 3600L + mm * 60L);
	return 0;
}

/* H:mm[:ss[.fffffff]] (or H.mm.ss as some cultures write it) and an optional ISO zone. */
static int parse_time_token(char *tok, struct culture_date *d, const char **why)
{
	char *zone = strpbrk(tok, "Zz+-"), *frac;
	struct tm tm;
	int colons = 0;
	const char *fmt;
	size_t i;

	if (zone) {
		if (zone == tok || parse_zone(zone, d, why))
			return zone == tok ? (*why = "unreadable time", -1) : -1;
		*zone = '\0';
	}
	for (i = 0; tok[i]; i++)
		colons += tok[i] == ':';
	if (colons == 0 && strchr(tok, '.')) {
		fmt = strchr(strchr(tok, '.') + 1, '.') ? "%H.%M.%S" : "%H.%M";
	} else {
		frac = colons == 2 ? strchr(tok, '.') : NULL;
		if (frac && all_digits(frac + 1, strlen(frac + 1)))
			*frac = '\0'; /* fractions of a second do not matter here */
		fmt = colons == 2 ? "%H:%M:%S" : colons == 1 ? "%H:%M" : NULL;
	}
	memset(&tm, 0, sizeof(tm));
	if (!fmt || scan(tok, fmt, &tm)) {
		*why = "unreadable time";
		return -1;
	}
	d->hour = tm.tm_hour;
	d->minute = tm.tm_min;
	d->second = tm.tm_sec;
	d->has_time = 1;
	return 0;
}

static int zone_like(const char *tok)
{
	return tok[0] == '+' || tok[0] == '-' || !strcmp(tok, "Z") || !strcmp(tok, "UTC");
}

/*
 * ConvertTo-Json's "/Date(1824912000000)/" (milliseconds since 1970, UTC; an
 * offset such as +0200 after them only says which zone the writer was in).
 * 1 when text is one, 0 when not, -1 when it is one that cannot be read.
 */
static int json_date(const char *text, struct culture_date *d, const char **why)
{
	const char *p = text + (text[0] == '\\');
	char *end;
	long long ms;
	time_t t;
	struct tm tm;

	if (strncmp(p, "/Date(", 6))
		return 0;
	p += 6;
	errno = 0;
	ms = strtoll(p, &end, 10);
	if (end == p || errno || ms < -11644473600000LL || ms > 253402300799999LL) {
		*why = "/Date(...)/ out of range";
		return -1;
	}
	p = end;
	if ((*p == '+' || *p == '-') && all_digits(p + 1, 4))
		p += 5;
	if (strcmp(p, ")/") && strcmp(p, ")\\/")) {
		*why = "unreadable /Date(...)/";
		return -1;
	}
	t = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
	if (!gmtime_r(&t, &tm)) {
		*why = "/Date(...)/ out of range";
		return -1;
	}
	d->year = tm.tm_year + 1900;
	d->a = tm.tm_mon + 1;
	d->b = tm.tm_mday;
	d->year_first = 1;
	d->sep = '-';
	d->has_time = 1;
	d->hour = tm.tm_hour;
	d->minute = tm.tm_min;
	d->second = tm.tm_sec;
	return 1;
}

static int parse_text(const char *text, struct culture_date *out, const char **why)
{
	char buf[DATE_TEXT_MAX], *tok, *save = NULL, *t;
	int ntok = 0, marker;

	memset(out, 0, sizeof(*out));
	*why = "empty";
	if ((marker = json_date(text, out, why)) != 0)
		return marker < 0 ? -1 : out->year < 1601 ? (*why = "year out of range", -1) : 0;
	if (normalise(text, buf) != 0) {
		*why = "too long for a date";
		return -1;
	}
	if (!buf[0])
		return -1;
	marker = take_marker(buf, out);
	if (marker < 0) {
		*why = "two AM/PM designators";
		return -1;
	}
	/* ISO 8601: 2008-12-13T14:01:11 */
	t = strchr(buf, 'T');
	if (t && t > buf && isdigit((unsigned char)t[-1]) && isdigit((unsigned char)t[1]))
		*t = ' ';
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (ntok == 0) {
			if (parse_date_token(tok, out, why))
				return -1;
		} else if (ntok == 1) {
			if (parse_time_token(tok, out, why))
				return -1;
		} else if (ntok == 2 && zone_like(tok)) {
			if (parse_zone(tok, out, why))
				return -1;
		} else {
			*why = "unexpected text after the time";
			return -1;
		}
		ntok++;
	}
	if (marker) {
		if (!out->has_time) {
			*why = "AM/PM designator without a time";
			return -1;
		}
		if (out->hour == 0 || out->hour > 12) {
			if (!(out->pm && out->hour > 12)) {
				*why = "hour out of range for a 12-hour clock";
				return -1;
			}
		} else if (out->hour == 12) {
			out->hour = out->pm ? 12 : 0;
		} else if (out->pm) {
			out->hour += 12;
		}
	}
	if (out->year < 1601) { /* Windows FILETIME starts in 1601 */
		*why = "year out of range";
		return -1;
	}
	return 0;
}

/* y-m-d h:m:s as UTC seconds, or -1 when the calendar has no such day. */
static int to_epoch(const struct culture_date *d, int month, int day, int64_t *out)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = d->hour;
	tm.tm_min = d->minute;
	tm.tm_sec = d->second;
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mon != month - 1 || tm.tm_mday != day)
		return -1; /* timegm moved 31/02 to March */
	*out = (int64_t)t - d->offset;
	return 0;
}

/* Which readings are calendar dates, and their times (to_epoch, once each). */
static void read_orders(struct culture_date *d)
{
	d->orders = 0;
	if (d->year_first) {
		if (to_epoch(d, d->a, d->b, &d->t_ab) == 0)
			d->orders = DATE_ORDER_YMD;
		return;
	}
	if (to_epoch(d, d->b, d->a, &d->t_ba) == 0)
		d->orders |= DATE_ORDER_DMY;
	/* dotted and dashed year-last dates are d.M.y in every culture that writes them */
	if (d->sep == '/' && to_epoch(d, d->a, d->b, &d->t_ab) == 0)
		d->orders |= DATE_ORDER_MDY;
}

int culture_date_parse(const char *text, struct culture_date *out, const char **why)
{
	if (parse_text(text, out, why))
		return -1;
	read_orders(out);
	return 0;
}

unsigned culture_date_orders(const struct culture_date *d)
{
	return d->orders;
}

int culture_date_ambiguous(const struct culture_date *d)
{
	return culture_date_orders(d) == (DATE_ORDER_DMY | DATE_ORDER_MDY) && d->a != d->b;
}

int culture_date_epoch(const struct culture_date *d, unsigned order, int64_t *out)
{
	unsigned orders = culture_date_orders(d);

	if (d->year_first) {
		if (!orders)
			return -1;
		*out = d->t_ab;
		return 0;
	}
	if (!(orders & order)) {
		/* a lone possible order wins; an impossible requested one fails */
		if (orders == DATE_ORDER_DMY || orders == DATE_ORDER_MDY)
			order = orders;
		else
			return -1;
	}
	if (order == DATE_ORDER_MDY ? !(orders & DATE_ORDER_MDY) : !(orders & DATE_ORDER_DMY))
		return -1;
	*out = order == DATE_ORDER_MDY ? d->t_ab : d->t_ba;
	return 0;
}
