/*
 * Unit tests: dates in Windows cultures (culture_dates.c) and the reader of
 * Get-ExchangeCertificate | Format-List output (inventory.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange/exchange.h"
#include "common/common.h"

#include "unit_inventory.h"

/* text must read as want in the given order (0: it must not be ambiguous). */
static void date_is(const char *text, unsigned order, const char *want)
{
	struct culture_date d;
	const char *why = NULL;
	int64_t t = 0;
	char buf[32];

	if (culture_date_parse(text, &d, &why) != 0)
		print_error("'%s': %s\n", text, why);
	assert_int_equal(culture_date_parse(text, &d, &why), 0);
	if (!order)
		assert_false(culture_date_ambiguous(&d));
	assert_int_equal(culture_date_epoch(&d, order ? order : DATE_ORDER_DMY, &t), 0);
	assert_string_equal(ymd(t, buf), want);
}

static void date_fails(const char *text, const char *reason)
{
	struct culture_date d;
	const char *why = NULL;

	assert_int_equal(culture_date_parse(text, &d, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void cultures(void **state)
{
	(void)state;
	/* en-US M/d/yyyy h:mm:ss tt */
	date_is("12/13/2008 2:01:11 PM", 0, "2008-12-13 14:01:11");
	date_is("12/13/2008 12:00:00 AM", 0, "2008-12-13 00:00:00");
	date_is("12/13/2008 12:30:05 PM", 0, "2008-12-13 12:30:05");
	date_is("1/31/2009 11:59:59 pm", 0, "2009-01-31 23:59:59");
	date_is("12/13/2008 2:01:11\xE2\x80\xAFPM", 0, "2008-12-13 14:01:11"); /* .NET 5+ U+202F */
	date_is("12/13/2008\xC2\xA0 2:01:11 PM", 0, "2008-12-13 14:01:11");   /* NBSP */
	/* en-GB and fr-FR dd/MM/yyyy HH:mm:ss */
	date_is("13/12/2008 14:01:11", 0, "2008-12-13 14:01:11");
	date_is("31/01/2009 00:00:00", 0, "2009-01-31 00:00:00");
	/* de-DE dd.MM.yyyy: dotted dates are always day first */
	date_is("13.12.2008 14:01:11", 0, "2008-12-13 14:01:11");
	date_is("02.03.2011 09:15:02", 0, "2011-03-02 09:15:02");
	date_is("02.03.2011 09.15.02", 0, "2011-03-02 09:15:02"); /* H.mm.ss clocks */
	/* nl-NL d-M-yyyy */
	date_is("2-3-2011 9:15:02", 0, "2011-03-02 09:15:02");
	/* ja-JP yyyy/MM/dd H:mm:ss, and the 12-hour pattern with 午前/午後 */
	date_is("2008/12/13 14:01:11", 0, "2008-12-13 14:01:11");
	date_is("2008/12/13 9:05:07", 0, "2008-12-13 09:05:07");
	date_is("2008/12/13 \xE5\x8D\x88\xE5\xBE\x8C 2:01:11", 0, "2008-12-13 14:01:11");
	date_is("2008/12/13 \xE5\x8D\x88\xE5\x89\x8D 12:01:11", 0, "2008-12-13 00:01:11");
	/* zh-TW: 上午/下午 before or after the time */
	date_is("2008/12/13 \xE4\xB8\x8B\xE5\x8D\x88 02:01:11", 0, "2008-12-13 14:01:11");
	date_is("2008/12/13 02:01:11 \xE4\xB8\x8B\xE5\x8D\x88", 0, "2008-12-13 14:01:11");
	date_is("2008/1/5 \xE4\xB8\x8A\xE5\x8D\x88 12:01:11", 0, "2008-01-05 00:01:11");
	date_is("2008/12/13 \xE4\xB8\x8B\xE5\x8D\x88\x30\x32:01:11", 0, "2008-12-13 14:01:11");
	/* zh-CN yyyy/M/d, 24 hours or with the designator */
	date_is("2008/12/3 14:01:11", 0, "2008-12-03 14:01:11");
	date_is("2008/1/5 \xE4\xB8\x8B\xE5\x8D\x88 2:01:11", 0, "2008-01-05 14:01:11");
	/* ko-KR yyyy-MM-dd tt h:mm:ss */
	date_is("2008-12-13 \xEC\x98\xA4\xED\x9B\x84 2:01:11", 0, "2008-12-13 14:01:11");
	date_is("2008-12-13 \xEC\x98\xA4\xEC\xA0\x84 12:00:00", 0, "2008-12-13 00:00:00");
	/* es-MX, en-CA designators */
	date_is("13/12/2008 02:01:11 p. m.", 0, "2008-12-13 14:01:11");
	date_is("2008-12-13 2:01:11 p.m.", 0, "2008-12-13 14:01:11");
	/* ISO 8601 */
	date_is("2008-12-13 14:01:11", 0, "2008-12-13 14:01:11");
	date_is("2008-12-13T14:01:11", 0, "2008-12-13 14:01:11");
	date_is("2008-12-13T14:01:11Z", 0, "2008-12-13 14:01:11");
	date_is("2008-12-13T14:01:11.1234567+01:00", 0, "2008-12-13 13:01:11");
	date_is("2008-12-13T14:01:11-0500", 0, "2008-12-13 19:01:11");
	date_is("2008-12-13", 0, "2008-12-13 00:00:00");
	date_is("  2008-12-13   14:01:11  ", 0, "2008-12-13 14:01:11");
	date_is("12/31/9999 11:59:59 PM", 0, "9999-12-31 23:59:59");
}

static void ambiguous_orders(void **state)
{
	struct culture_date d;
	const char *why;

	(void)state;
	date_is("3/2/2011 9:15:02 AM", DATE_ORDER_MDY, "2011-03-02 09:15:02");
	date_is("3/2/2011 9:15:02 AM", DATE_ORDER_DMY, "2011-02-03 09:15:02");
	assert_int_equal(culture_date_parse("3/2/2011 9:15:02 AM", &d, &why), 0);
	assert_true(culture_date_ambiguous(&d));
	assert_int_equal(culture_date_orders(&d), DATE_ORDER_DMY | DATE_ORDER_MDY);
	/* the same number twice is the same day either way */
	assert_int_equal(culture_date_parse("4/4/2011 10:00:00", &d, &why), 0);
	assert_false(culture_date_ambiguous(&d));
	/* a part above 12 decides, whatever order was asked for */
	date_is("12/13/2008 2:01:11 PM", DATE_ORDER_DMY, "2008-12-13 14:01:11");
	date_is("13/12/2008 14:01:11", DATE_ORDER_MDY, "2008-12-13 14:01:11");
	assert_int_equal(culture_date_parse("13/12/2008 14:01:11", &d, &why), 0);
	assert_int_equal(culture_date_orders(&d), DATE_ORDER_DMY);
	/* no calendar date in either order */
	assert_int_equal(culture_date_parse("13/13/2008 1:00:00", &d, &why), 0);
	assert_int_equal(culture_date_orders(&d), 0);
	assert_int_equal(culture_date_parse("31.02.2008 1:00:00", &d, &why), 0);
	assert_int_equal(culture_date_orders(&d), 0);
	assert_int_equal(culture_date_parse("2008/02/30 1:00:00", &d, &why), 0);
	assert_int_equal(culture_date_orders(&d), 0);
}

static void bad_dates(void **state)
{
	(void)state;
	date_fails("", "empty");
	date_fails("yesterday", "no date");
	date_fails("12/13/08 2:01:11 PM", "two-digit year");
	date_fails("2008/12/13 \xE4\xB8\x8A\xE5\x8D\x88 14:01:11", "12-hour");
	date_fails("12/13/2008 0:01:11 PM", "12-hour");
	date_fails("12/13/2008 2:01:11 PM PM", "two AM/PM");
	date_fails("12/13/2008 25:00:00", "unreadable time");
	date_fails("12/13/2008 2:01:11 PM extra", "unexpected text");
	date_fails("2008-12-13T14:01:11+25:00", "offset");
	date_fails("2008-13-13 14:01:11", "out of range");
	date_fails("12/13/2008 PM", "without a time");
	date_fails("12/13/20081 1:00:00", "four-digit year");
	date_fails("0001-01-01 00:00:00", "year out of range");
}

/* ---- the reader ---- */

static const char *na(size_t i, char buf[32])
{
	assert_true(inv.certs[i].not_after.ok);
	return ymd(inv.certs[i].not_after.t, buf);
}

#define EDGE_BLOCK                                                                       \
	"CertificateDomains : {mail-edge1, mail-edge1.corp.example}\r\n"                     \
	"HasPrivateKey      : True\r\n"                                                      \
	"IsSelfSigned       : True\r\n"                                                      \
	"Issuer             : CN=mail-edge1\r\n"                                             \
	"NotAfter           : 3/2/2011 9:15:02 AM\r\n"                                       \
	"NotBefore          : 3/2/2010 9:15:02 AM\r\n"                                       \
	"Services           : SMTP\r\n"                                                      \
	"Status             : Valid\r\n"                                                     \
	"Subject            : CN=mail-edge1\r\n"                                             \
	"Thumbprint         : 3F1A6C0D5E2B4A7798C1D0E9F2A3B4C5D6E7F809\r\n"

static void spec_block(void **state)
{
	char buf[32];

	(void)state;
	parse_text(EDGE_BLOCK, 0);
	assert_int_equal(inv.n_certs, 1);
	assert_string_equal(inv.certs[0].thumbprint, "3F1A6C0D5E2B4A7798C1D0E9F2A3B4C5D6E7F809");
	assert_true(inv.certs[0].thumbprint_ok);
	assert_string_equal(inv.certs[0].subject, "CN=mail-edge1");
	assert_int_equal(inv.certs[0].self_signed, 1);
	assert_int_equal(inv.certs[0].has_private_key, 1);
	assert_true(inv.certs[0].smtp);
	assert_int_equal(inv.certs[0].n_domains, 2);
	assert_string_equal(inv.certs[0].domains[1], "mail-edge1.corp.example");
	assert_int_equal(inv.certs[0].line, 1);
	assert_int_equal(inv.certs[0].end_line, 10);
	/* both dates read either way round, but AM/PM with an unpadded second number is en-US */
	assert_int_equal(inv.certs[0].order_how, ORDER_SHAPE);
	assert_int_equal(inv.certs[0].order, DATE_ORDER_MDY);
	assert_string_equal(na(0, buf), "2011-03-02 09:15:02");
	assert_int_equal(inv.n_notes, 0);
	/* with the order given, no note */
	parse_text(EDGE_BLOCK, DATE_ORDER_MDY);
	assert_int_equal(inv.certs[0].order_how, ORDER_OPTION);
	assert_string_equal(na(0, buf), "2011-03-02 09:15:02");
	assert_string_equal(ymd(inv.certs[0].not_before.t, buf), "2010-03-02 09:15:02");
	assert_int_equal(inv.n_notes, 0);
}

static void order_from_the_pair(void **state)
{
	char buf[32];

	(void)state;
	/* NotBefore can only be M/d: NotAfter, from the same server, is M/d too */
	parse_text("NotAfter   : 3/2/2011 9:15:02 AM\n"
		   "NotBefore  : 3/15/2010 9:15:02 AM\n"
		   "Subject    : CN=a\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.certs[0].order_how, ORDER_PAIR);
	assert_int_equal(inv.certs[0].order, DATE_ORDER_MDY);
	assert_string_equal(na(0, buf), "2011-03-02 09:15:02");
	assert_int_equal(inv.n_notes, 0);
	/* and d/M */
	parse_text("NotAfter   : 3/2/2011 09:15:02\n"
		   "NotBefore  : 15/2/2010 09:15:02\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.certs[0].order, DATE_ORDER_DMY);
	assert_string_equal(na(0, buf), "2011-02-03 09:15:02");
	/* the other reading would end before it begins */
	parse_text("NotAfter   : 1/12/2010 10:00:00\n"
		   "NotBefore  : 12/1/2010 10:00:00\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.certs[0].order_how, ORDER_VALIDITY);
	assert_int_equal(inv.certs[0].order, DATE_ORDER_DMY);
	assert_string_equal(na(0, buf), "2010-12-01 10:00:00");
	/* only M/d gives a whole year (364 days) */
	parse_text("NotAfter   : 1/1/2011 10:00:00\n"
		   "NotBefore  : 1/2/2010 10:00:00\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.certs[0].order_how, ORDER_VALIDITY);
	assert_int_equal(inv.certs[0].order, DATE_ORDER_MDY);
	assert_string_equal(ymd(inv.certs[0].not_before.t, buf), "2010-01-02 10:00:00");
	/* an ISO NotAfter, an ambiguous NotBefore: a whole year decides */
	parse_text("NotAfter   : 2011-03-02 09:15:02\n"
		   "NotBefore  : 3/2/2010 9:15:02\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.certs[0].order_how, ORDER_VALIDITY);
	assert_string_equal(ymd(inv.certs[0].not_before.t, buf), "2010-03-02 09:15:02");
	/* nothing decides: the verdict does not depend on NotBefore, but it is said */
	parse_text("NotAfter   : 2011-06-15 09:15:02\n"
		   "NotBefore  : 3/2/2010 9:15:02\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_string_equal(na(0, buf), "2011-06-15 09:15:02");
	assert_int_equal(inv.certs[0].order_how, ORDER_UNDECIDED);
	assert_true(has_note(2, "NotBefore"));
}

static void utf16_crlf(void **state)
{
	const char *ascii = "\r\n" EDGE_BLOCK "\r\n";
	size_t n = strlen(ascii), i;
	unsigned char *le = malloc(2 * n + 2);
	struct inventory_options o = {DATE_ORDER_MDY};

	(void)state;
	le[0] = 0xFF;
	le[1] = 0xFE;
	for (i = 0; i < n; i++) {
		le[2 + 2 * i] = (unsigned char)ascii[i];
		le[3 + 2 * i] = 0;
	}
	inventory_free(&inv);
	assert_int_equal(inventory_parse(le, 2 * n + 2, &o, &inv), 0);
	free(le);
	assert_string_equal(inv.encoding, "UTF-16LE");
	assert_int_equal(inv.n_certs, 1);
	assert_int_equal(inv.certs[0].line, 2);
	assert_string_equal(inv.certs[0].thumbprint, "3F1A6C0D5E2B4A7798C1D0E9F2A3B4C5D6E7F809");
	assert_int_equal(inv.lines, 12);
}

static void lists(void **state)
{
	(void)state;
	parse_text("CertificateDomains : {a.corp.example,}\n"
		   "Thumbprint         : 00112233445566778899AABBCCDDEEFF00112233\n"
		   "\n"
		   "CertificateDomains : {}\n"
		   "Subject            : CN=only-cn.corp.example, O=Corp\n"
		   "Thumbprint         : 11112233445566778899AABBCCDDEEFF00112233\n"
		   "\n"
		   "CertificateDomains : {a, b, c, d...}\n"
		   "Thumbprint         : 22112233445566778899AABBCCDDEEFF00112233\n"
		   "\n"
		   "CertificateDomains : {mail.corp.example, autodiscover.corp.example, legacy.cor\n"
		   "                     p.example}\n"
		   "Thumbprint         : 33112233445566778899AABBCCDDEEFF00112233\n"
		   "\n"
		   "CertificateDomains : {x, y, z, w\xE2\x80\xA6}\n"
		   "Thumbprint         : 44112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.n_certs, 5);
	assert_int_equal(inv.certs[0].n_domains, 1);
	assert_string_equal(inv.certs[0].domains[0], "a.corp.example");
	assert_false(inv.certs[0].domains_cut);
	assert_int_equal(inv.certs[1].n_domains, 0);
	assert_true(inv.certs[1].domains_given);
	assert_int_equal(inv.certs[2].n_domains, 4);
	assert_string_equal(inv.certs[2].domains[3], "d");
	assert_true(inv.certs[2].domains_cut);
	assert_int_equal(inv.certs[3].n_domains, 3);
	assert_string_equal(inv.certs[3].domains[2], "legacy.corp.example"); /* wrapped mid-word */
	assert_int_equal(inv.certs[3].end_line, 13);
	assert_true(inv.certs[4].domains_cut);
	assert_string_equal(inv.certs[4].domains[3], "w");
}

static void console_session(void **state)
{
	char buf[32];

	(void)state;
	parse_text("Windows PowerShell\n"
		   "Copyright (C) 2009 Microsoft Corporation. All rights reserved.\n"
		   "[PS] C:\\Windows\\system32>Get-ExchangeCertificate | fl\n"
		   "\n"
		   "\n"
		   "AccessRules        : {System.Security.AccessControl.CryptoKeyAccessRule, System.Se\n"
		   "                     curity.AccessControl.CryptoKeyAccessRule}\n"
		   "CertificateDomains : {mail-hub1, mail-hub1.corp.example}\n"
		   "IsSelfSigned       : True\n"
		   "Issuer             : CN=mail-hub1\n"
		   "NotAfter           : 13.12.2008 14:01:11\n"
		   "NotBefore          : 13.12.2007 14:01:11\n"
		   "Services           : IMAP, POP, IIS, SMTP\n"
		   "\n"
		   "Status             : Valid\n"
		   "Subject            : CN=mail-hub1\n"
		   "Thumbprint         : 0011 2233 4455 6677 8899 aabb ccdd eeff 0011 2233\n"
		   "\n"
		   "\n"
		   "C:\\>rem Hinweis: das Ereignisprotokoll zeigt Folgendes\n"
		   "Log Name:      Application\n"
		   "Source:        MSExchangeTransport\n"
		   "Date:          12/13/2008 2:01:11 PM\n"
		   "Event ID:      12014\n"
		   "Description:\n"
		   "Microsoft Exchange couldn't find a certificate that contains the domain name\n"
		   "mail-hub1.corp.example in the personal store on the local computer.\n"
		   "Thumbprint: 9999999999999999999999999999999999999999\n"
		   "\n"
		   "Hinweis: Zertifikat läuft ab\n"
		   "PS C:\\Users\\admin> exit\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_string_equal(inv.certs[0].thumbprint, "00112233445566778899AABBCCDDEEFF00112233");
	assert_int_equal(inv.certs[0].line, 6);
	assert_int_equal(inv.certs[0].end_line, 17);
	assert_string_equal(inv.certs[0].status, "Valid");
	assert_true(inv.certs[0].smtp);
	assert_string_equal(na(0, buf), "2008-12-13 14:01:11");
	assert_true(has_note(14, "blank line inside the certificate"));
	assert_true(has_note(28, "without any other certificate property"));
	assert_int_equal(inv.n_notes, 2);
}

static void stray_blank_after_thumbprint(void **state)
{
	(void)state;
	/* 'fl Thumbprint,Subject,...': the part after the blank line joins the one before */
	parse_text("Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n"
		   "Subject    : CN=a\n"
		   "\n"
		   "NotAfter   : 2030-01-01 00:00:00\n"
		   "Services   : SMTP\n"
		   "\n"
		   "Thumbprint : 11112233445566778899AABBCCDDEEFF00112233\n"
		   "Subject    : CN=b\n"
		   "NotAfter   : 2031-01-01 00:00:00\n",
		   0);
	assert_int_equal(inv.n_certs, 2);
	assert_true(inv.certs[0].not_after.ok);
	assert_true(inv.certs[0].smtp);
	assert_int_equal(inv.certs[0].end_line, 5);
	assert_false(inv.certs[1].smtp);
	/* a part made of properties that both neighbours have stays out */
	parse_text("Subject    : CN=a\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n"
		   "\n"
		   "Subject    : CN=lost\n"
		   "NotAfter   : 2030-01-01 00:00:00\n"
		   "Services   : SMTP\n"
		   "\n"
		   "Subject    : CN=b\n"
		   "NotAfter   : 2031-01-01 00:00:00\n"
		   "Thumbprint : 11112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.n_certs, 2);
	assert_string_equal(inv.certs[0].subject, "CN=a");
	assert_false(inv.certs[0].smtp);
	assert_true(has_note(4, "no Thumbprint"));
}

static void two_stray_blanks_and_indent(void **state)
{
	char buf[32];

	(void)state;
	/* two blank lines inside one certificate, three parts */
	parse_text("CertificateDomains : {a}\n"
		   "\n"
		   "NotAfter           : 2030-01-01 00:00:00\n"
		   "Services           : SMTP\n"
		   "\n"
		   "Subject            : CN=a\n"
		   "Thumbprint         : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_int_equal(inv.certs[0].line, 1);
	assert_int_equal(inv.certs[0].n_domains, 1);
	assert_true(inv.certs[0].smtp);
	assert_string_equal(na(0, buf), "2030-01-01 00:00:00");
	/* a block pasted with an indent (from a ticket), its wrapped value indented further */
	parse_text("Ticket 4711, from the admin of mail-hub1:\n"
		   "    CertificateDomains : {mail-hub1, mail-hub1.corp.exa\n"
		   "                         mple}\n"
		   "    NotAfter           : 13.12.2008 14:01:11\n"
		   "    Subject            : CN=mail-hub1\n"
		   "    Thumbprint         : 00112233445566778899AABBCCDDEEFF00112233\n"
		   "    Regards: the admin\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_string_equal(inv.certs[0].domains[1], "mail-hub1.corp.example");
	assert_string_equal(na(0, buf), "2008-12-13 14:01:11");
	assert_string_equal(inv.certs[0].thumbprint, "00112233445566778899AABBCCDDEEFF00112233");
}

static void glued_blocks_and_duplicates(void **state)
{
	(void)state;
	/* the blank line between two certificates lost: a repeated property splits them */
	parse_text("Subject    : CN=a\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n"
		   "Subject    : CN=b\n"
		   "Thumbprint : 11112233445566778899AABBCCDDEEFF00112233\n"
		   "\n"
		   "Subject    : CN=a again\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.n_certs, 3);
	assert_string_equal(inv.certs[1].subject, "CN=b");
	assert_int_equal(inv.certs[2].duplicate_of, 1);
	assert_true(has_note(6, "listed again"));
}

static void malformed(void **state)
{
	char buf[32];

	(void)state;
	parse_text("Subject    :, O=Corp\n"
		   "Issuer     :\n"
		   "NotAfter   : 31/31/2008 14:01:11\n"
		   "NotBefore  : next Tuesday\n"
		   "IsSelfSigned : Maybe\n"
		   "Thumbprint : XYZ\n"
		   "\n"
		   "Subject    : CN=good\n"
		   "NotAfter   : 2030-06-01 12:00:00\n"
		   "Thumbprint : 11112233445566778899AABBCCDDEEFF00112233\n"
		   "\n"
		   "Subject    : CN=no-date\n"
		   "Thumbprint : 22112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.n_certs, 3);
	assert_true(has_note(1, "truncated"));
	assert_true(has_note(2, "Issuer is empty"));
	assert_true(has_note(3, "NotAfter"));
	assert_true(has_note(4, "not a date"));
	assert_true(has_note(5, "neither True nor False"));
	assert_true(has_note(6, "not 40 hexadecimal"));
	assert_true(has_note(12, "no NotAfter"));
	assert_false(inv.certs[0].not_after.ok);
	assert_false(inv.certs[0].thumbprint_ok);
	assert_int_equal(inv.certs[0].self_signed, -1);
	assert_string_equal(na(1, buf), "2030-06-01 12:00:00");
	assert_int_equal(inv.certs[1].self_signed, -1);
	/* notes come in line order */
	for (size_t i = 1; i < inv.n_notes; i++)
		assert_true(inv.notes[i - 1].line <= inv.notes[i].line);
}

static void self_signed_derived(void **state)
{
	(void)state;
	parse_text("Issuer     : CN=mail\nSubject    : cn=MAIL\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.certs[0].self_signed, 1);
	assert_true(inv.certs[0].self_signed_derived);
}

/* A certificate whose CN is a mail address is a user's: no hosts, no replacement. */
static void user_certificates(void **state)
{
	struct inv_assessed *as;
	char *cmd;

	(void)state;
	parse_text("Subject      : CN=amanda.brady@contoso.com, OU=Staff\n"
		   "IsSelfSigned : True\nServices     : SMTP\nNotAfter     : 2008-12-10 00:00:00\n"
		   "Thumbprint   : 00112233445566778899AABBCCDDEEFF00112233\n\n"
		   "DnsNameList  : {a@contoso.com, b@contoso.com}\nSubject      : O=Contoso\n"
		   "Thumbprint   : 10112233445566778899AABBCCDDEEFF00112233\n\n"
		   "CertificateDomains : {mail-hub1.contoso.com, postmaster@contoso.com}\n"
		   "Subject            : CN=mail-hub1.contoso.com\nIsSelfSigned       : True\n"
		   "Services           : SMTP\n"
		   "Thumbprint         : 20112233445566778899AABBCCDDEEFF00112233\n\n"
		   "Subject    : CN=@\nThumbprint : 30112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.n_certs, 4);
	as = calloc(inv.n_certs, sizeof(*as));
	assert_non_null(as);
	assert_int_equal(inventory_assess(&inv, as, 1228089600 /* 2008-12-01 */, 60), 0);
	assert_string_equal(as[0].user, "amanda.brady@contoso.com");
	assert_true(as[0].user_from_cn);
	assert_false(as[0].replace); /* self-signed, SMTP, expiring: a user's all the same */
	assert_int_equal(as[0].n_hosts, 0);
	assert_null(inventory_replacement_command(&as[0]));
	assert_int_equal(as[0].verdict, VERDICT_EXPIRING);
	assert_string_equal(as[1].user, "a@contoso.com");
	assert_false(as[1].user_from_cn);
	assert_null(as[2].user);
	assert_true(as[2].replace);
	cmd = inventory_replacement_command(&as[2]);
	assert_string_equal(cmd, "minica issue --host mail-hub1.contoso.com");
	free(cmd);
	assert_null(as[3].user); /* "@" alone is no address */
	inventory_assessed_free(as, inv.n_certs);
}

static void legacy_code_page(void **state)
{
	(void)state;
	/* saved by an old Notepad in Windows-1252: 0xE4 is 'ä' there, invalid UTF-8 */
	parse_text("Hinweis: l\xE4uft ab\n"
		   "Subject    : CN=a\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_true(has_note(1, "neither UTF-8 nor UTF-16"));
	/* overlong forms and surrogates do not survive into values either */
	parse_text("\n\nSubject    : CN=\xC0\xAF" "a" "\xE0\x80\xAF\xED\xA0\x80\n"
		   "Thumbprint : 00112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_true(has_note(3, "neither UTF-8 nor UTF-16"));
	assert_string_equal(inv.certs[0].subject, "CN=\xEF\xBF\xBD\xEF\xBF\xBD" "a"
		"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

static void empty_and_junk(void **state)
{
	static const unsigned char junk[] = {0x00, 0xFF, 0x01, '\n', 0x80, 0x00, ':', '\r'};

	(void)state;
	inventory_free(&inv);
	assert_int_equal(inventory_parse((const unsigned char *)"", 0, NULL, &inv), 0);
	assert_int_equal(inv.n_certs, 0);
	inventory_free(&inv);
	assert_int_equal(inventory_parse(junk, sizeof(junk), NULL, &inv), 0);
	assert_int_equal(inv.n_certs, 0);
	parse_text("Thumbprint :\n\n:\n  \n\t\nA:B\n", 0);
	assert_int_equal(inv.n_certs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cultures),
		cmocka_unit_test(ambiguous_orders),
		cmocka_unit_test(bad_dates),
		cmocka_unit_test(spec_block),
		cmocka_unit_test(order_from_the_pair),
		cmocka_unit_test(utf16_crlf),
		cmocka_unit_test(lists),
		cmocka_unit_test(console_session),
		cmocka_unit_test(stray_blank_after_thumbprint),
		cmocka_unit_test(two_stray_blanks_and_indent),
		cmocka_unit_test(glued_blocks_and_duplicates),
		cmocka_unit_test(malformed),
		cmocka_unit_test(self_signed_derived),
		cmocka_unit_test(user_certificates),
		cmocka_unit_test(legacy_code_page),
		cmocka_unit_test(empty_and_junk),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
