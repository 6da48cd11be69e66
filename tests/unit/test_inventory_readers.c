/*
 * Unit tests: what the inventory makes of copied text (inventory_text.c,
 * inventory_fl.c), the other formats' readers (inventory_table.c,
 * inventory_csv.c, inventory_json.c, inventory_certutil.c), certificates
 * cut short, and the day/month order from the whole output (date_order.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit_inventory.h"

#define T1 "00112233445566778899AABBCCDDEEFF00112233"
#define T2 "11112233445566778899AABBCCDDEEFF00112233"

/* The same block with the padding as no-break spaces, figure spaces, ideographic spaces and tabs. */
static void unicode_spaces(void **state)
{
	char buf[32];

	(void)state;
	parse_text("Subject\xC2\xA0\xC2\xA0\xC2\xA0\xC2\xA0: CN=a, O=Corp\r\n"
		   "NotAfter\xE2\x80\x87\xE2\x80\xAF\xE3\x80\x80\t: 13.12.2008 14:01:11\n"
		   "Ser\xE2\x80\x8Bvices\xEF\xBB\xBF   : SMTP\r\n"
		   "Thumbprint\xC2\xA0: " T1 "\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_string_equal(inv.certs[0].subject, "CN=a, O=Corp");
	assert_true(inv.certs[0].smtp);
	assert_string_equal(ymd(inv.certs[0].not_after.t, buf), "2008-12-13 14:01:11");
	assert_int_equal(inv.n_notes, 0);
	assert_int_equal(inv.lines, 4);
}

static void mail_quoted_and_wrapped(void **state)
{
	char buf[32];

	(void)state;
	parse_text("On Monday, the admin wrote:\n"
		   "> CertificateDomains : {mail-hub1.corp.example, autodiscover.corp.example,\n"
		   "> owa.corp.example}\n"
		   ">> Subject            : CN=mail-hub1.corp.example, OU=Messaging, O=Corp,\n"
		   "> > C=US\n"
		   "> NotAfter           : 13.12.2008 14:01:11\n"
		   "> Thumbprint         : " T1 "\n"
		   "> Regards\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_int_equal(inv.certs[0].n_domains, 3);
	assert_string_equal(inv.certs[0].domains[2], "owa.corp.example");
	assert_string_equal(inv.certs[0].subject, "CN=mail-hub1.corp.example, OU=Messaging, O=Corp, C=US");
	assert_string_equal(ymd(inv.certs[0].not_after.t, buf), "2008-12-13 14:01:11");
	assert_true(has_note(3, "a mail client wrapped"));
	assert_true(has_note(5, "a mail client wrapped"));
	/* a short line is no wrap: prose after a block stays prose */
	parse_text("Subject    : CN=a\nThumbprint : " T1 "\nNotAfter   : 2030-01-01 00:00:00\n"
		   "see you, the admin\n",
		   0);
	assert_true(inv.certs[0].not_after.ok);
	assert_int_equal(inv.n_notes, 0);
}

static void cut_short(void **state)
{
	(void)state;
	/* the top of a long output: a certificate known by its serial number */
	parse_text("CertificateDomains : {a.corp.example}\n"
		   "Issuer             : CN=a.corp.example\n"
		   "NotAfter           : 2030-01-01 00:00:00\n"
		   "SerialNumber       : 1a 2b 3c\n"
		   "Services           : SMTP\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_true(inv.certs[0].thumbprint_missing);
	assert_false(inv.certs[0].thumbprint_ok);
	assert_string_equal(inv.certs[0].thumbprint, "");
	assert_string_equal(inv.certs[0].serial_number, "1A2B3C");
	assert_true(has_note(1, "thumbprint missing"));
	/* a serial number alone, or with one other property, is not one */
	parse_text("SerialNumber : 1a2b3c\nIssuer : CN=x\n\nSerialNumber : 99\n", 0);
	assert_int_equal(inv.n_certs, 0);
}

static void value_bound(void **state)
{
	size_t n = 20000, i, len = 0;
	char *text = malloc(n * 40 + 200);

	(void)state;
	len += (size_t)sprintf(text, "Subject    : CN=a\nAccessRules: {x\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "            continued %zu\n", i);
	sprintf(text + len, "Thumbprint : " T1 "\n");
	parse_text(text, 0);
	free(text);
	assert_int_equal(inv.n_certs, 1);
	assert_true(has_note(2, "longer than 65536 bytes"));
	assert_int_equal(inv.certs[0].line, 1);
	assert_int_equal(inv.certs[0].end_line, (long)n + 3);
}

static void order_from_the_output(void **state)
{
	(void)state;
	/* 3/5/2008 could be either; 12/13/2008 of the same shape two lines up cannot */
	parse_text("NotAfter   : 12/13/2008 14:01:11\n"
		   "Thumbprint : " T1 "\n"
		   "\n"
		   "NotAfter   : 3/5/2008 08:30:00\n"
		   "NotBefore  : 3/5/2007 08:30:00\n"
		   "Thumbprint : " T2 "\n",
		   0);
	assert_int_equal(inv.certs[1].order_how, ORDER_CONSOLE);
	assert_int_equal(inv.certs[1].order, DATE_ORDER_MDY);
	assert_int_equal(inv.certs[1].order_line, 1);
	assert_int_equal(inv.n_notes, 0);
	/* another console output (after a prompt) says nothing about this one */
	parse_text("NotAfter   : 12/13/2008 14:01:11\n"
		   "Thumbprint : " T1 "\n"
		   "PS C:\\> Get-ExchangeCertificate | fl\n"
		   "NotAfter   : 3/5/2008 08:30:00\n"
		   "Thumbprint : " T2 "\n",
		   0);
	assert_int_equal(inv.certs[1].order_how, ORDER_EARLIER);
	/* another shape neither: a padded month where this one has none */
	parse_text("NotAfter   : 13/03/2008 14:01:11\n"
		   "Thumbprint : " T1 "\n\n"
		   "NotAfter   : 3/5/2008 08:30:00\n"
		   "Thumbprint : " T2 "\n",
		   0);
	assert_int_equal(inv.certs[1].order_how, ORDER_EARLIER);
	/* two dates of that shape that disagree (two servers in one paste): undecided */
	parse_text("NotAfter   : 12/13/2008 14:01:11\n"
		   "Thumbprint : " T1 "\n\n"
		   "NotAfter   : 13/12/2008 14:01:11\n"
		   "Subject    : CN=b\n"
		   "Thumbprint : " T2 "\n\n"
		   "NotAfter   : 3/5/2008 08:30:00\n"
		   "Thumbprint : 22112233445566778899AABBCCDDEEFF00112233\n",
		   0);
	assert_int_equal(inv.certs[2].order_how, ORDER_EARLIER);
	/* --date-order first */
	parse_text("NotAfter   : 12/13/2008 14:01:11\n"
		   "Thumbprint : " T1 "\n\n"
		   "NotAfter   : 3/5/2008 08:30:00\n"
		   "Thumbprint : " T2 "\n",
		   DATE_ORDER_DMY);
	assert_int_equal(inv.certs[1].order_how, ORDER_OPTION);
	assert_int_equal(inv.certs[1].order, DATE_ORDER_DMY);
}

static void order_from_the_shape(void **state)
{
	char buf[32];

	(void)state;
	/* AM/PM and an unpadded second number: en-US */
	parse_text("NotAfter   : 3/5/2008 8:30:00 AM\nThumbprint : " T1 "\n", 0);
	assert_int_equal(inv.certs[0].order_how, ORDER_SHAPE);
	assert_string_equal(ymd(inv.certs[0].not_after.t, buf), "2008-03-05 08:30:00");
	/* AM/PM and a zero-padded month second: en-AU, en-NZ */
	parse_text("NotAfter   : 3/05/2008 8:30:00 AM\nThumbprint : " T1 "\n", 0);
	assert_int_equal(inv.certs[0].order_how, ORDER_SHAPE);
	assert_string_equal(ymd(inv.certs[0].not_after.t, buf), "2008-05-03 08:30:00");
	assert_non_null(strstr(inventory_order_text(&inv.certs[0]), "en-AU"));
	/* a 24-hour clock says nothing */
	parse_text("NotAfter   : 3/5/2008 08:30:00\nThumbprint : " T1 "\n", 0);
	assert_int_equal(inv.certs[0].order_how, ORDER_EARLIER);
}

static void json_dates(void **state)
{
	struct culture_date d;
	const char *why;
	int64_t t;
	char buf[32];

	(void)state;
	assert_int_equal(culture_date_parse("/Date(1824912000000)/", &d, &why), 0);
	assert_int_equal(culture_date_epoch(&d, 0, &t), 0);
	assert_string_equal(ymd(t, buf), "2027-10-30 16:00:00");
	assert_int_equal(culture_date_parse("\\/Date(1229176871000+0100)\\/", &d, &why), 0);
	assert_int_equal(culture_date_epoch(&d, 0, &t), 0);
	assert_string_equal(ymd(t, buf), "2008-12-13 14:01:11");
	assert_int_equal(culture_date_parse("/Date(x)/", &d, &why), -1);
	assert_int_equal(culture_date_parse("/Date(99999999999999999)/", &d, &why), -1);
	assert_int_equal(culture_date_parse("/Date(1229176871000)", &d, &why), -1);
}

static void table(void **state)
{
	(void)state;
	parse_text("Thumbprint                                Services   Subject\n"
		   "----------                                --------   -------\n"
		   T1 "  IP..S..    CN=h\xC3\xA9, O=Corp\n"
		   T2 "  ...W...    CN=webmail.corp.example, OU=Mess...\n",
		   0);
	assert_int_equal(inv.n_certs, 2);
	assert_int_equal(inv.certs[0].format, INV_TABLE);
	assert_true(inv.certs[0].smtp);
	assert_string_equal(inv.certs[0].subject, "CN=h\xC3\xA9, O=Corp");
	assert_false(inv.certs[1].smtp);
	assert_true(inv.certs[1].subject_cut);
	assert_true(has_note(4, "Format-Table cut the Subject column"));
	/* dashes without a Thumbprint column are no certificate table */
	parse_text("Name  Value\n----  -----\nA     B\n", 0);
	assert_int_equal(inv.n_certs, 0);
}

static void csv(void **state)
{
	(void)state;
	parse_text("\"Thumbprint\",\"Subject\",\"NotAfter\",\"Services\"\n"
		   "\"" T1 "\",\"CN=a, O=\"\"Corp\"\"\",\"2030-01-01 00:00:00\",\"SMTP\"\n"
		   "\"" T2 "\",\"CN=b\"\n"
		   "\n"
		   "Thumbprint;Subject;NotAfter\n"
		   "22112233445566778899AABBCCDDEEFF00112233;CN=c;2030-01-01 00:00:00\n",
		   0);
	assert_int_equal(inv.n_certs, 3);
	assert_int_equal(inv.certs[0].format, INV_CSV);
	assert_string_equal(inv.certs[0].subject, "CN=a, O=\"Corp\"");
	assert_true(inv.certs[0].smtp);
	assert_true(has_note(3, "the row was cut"));
	assert_string_equal(inv.certs[2].subject, "CN=c");
	assert_int_equal(inv.certs[2].line, 6);
}

static void json(void **state)
{
	(void)state;
	parse_text("PS> Get-ExchangeCertificate | ConvertTo-Json\n"
		   "[\n"
		   "  {\"Thumbprint\": \"" T1 "\", \"Services\": 16, \"IsSelfSigned\": true,\n"
		   "   \"NotAfter\": {\"value\": \"/Date(1229176871000)/\", \"DateTime\": \"...\"},\n"
		   "   \"CertificateDomains\": [{\"Domain\": \"a.corp.example\"}, \"b.corp.example\"]},\n"
		   "  {\"Thumbprint\": \"" T2 "\", \"Subject\": \"CN=b\", \"Unknown\": [1, {}]}\n"
		   "]\n"
		   "{ \"not\": \"json\"\n",
		   0);
	assert_int_equal(inv.n_certs, 2);
	assert_int_equal(inv.certs[0].format, INV_JSON);
	assert_true(inv.certs[0].smtp);
	assert_int_equal(inv.certs[0].self_signed, 1);
	assert_true(inv.certs[0].not_after.ok);
	assert_int_equal(inv.certs[0].n_domains, 2);
	assert_string_equal(inv.certs[0].domains[0], "a.corp.example");
	assert_int_equal(inv.certs[0].line, 3);
	assert_int_equal(inv.certs[1].line, 6);
	/* one object, a string wrapped by a mail client */
	parse_text("{\"Thumbprint\": \"" T1 "\", \"Subject\": \"CN=a, O=Corp,\nC=US\"}\n", 0);
	assert_int_equal(inv.n_certs, 1);
	assert_string_equal(inv.certs[0].subject, "CN=a, O=Corp, C=US");
	assert_true(has_note(2, "JSON string"));
}

static void certutil(void **state)
{
	(void)state;
	parse_text("================ Certificate 0 ================\n"
		   "Serial Number: 1a2b\n"
		   "Issuer: CN=a\n"
		   " NotAfter: 10/22/2027 4:18 PM\n"
		   "Subject: CN=a\n"
		   "Cert Hash(sha1): 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33\n"
		   "================ Zertifikat 1 ================\n"
		   "Seriennummer: 1a2c\n"
		   "Antragsteller: CN=b\n"
		   "Zertifikathash(sha1): " T2 "\n"
		   "CertUtil: -store-Befehl wurde erfolgreich ausgef\xC3\xBChrt.\n"
		   "Subject: CN=not-in-a-block\n",
		   0);
	assert_int_equal(inv.n_certs, 2);
	assert_int_equal(inv.certs[0].format, INV_CERTUTIL);
	assert_string_equal(inv.certs[0].thumbprint, T1);
	assert_string_equal(inv.certs[0].serial_number, "1A2B");
	assert_int_equal(inv.certs[0].self_signed, 1);
	assert_true(inv.certs[0].services_unknown);
	assert_true(inv.certs[0].not_after.ok);
	assert_int_equal(inv.certs[1].end_line, 11);
	assert_string_equal(inv.certs[1].subject, "CN=b");
}

/*
 * A paste indented as a whole (a web page's code block, a mail that quotes
 * with spaces): the indent common to a block goes, the indents inside it
 * stay; unindented prose around it changes nothing.
 */
static void indented_blocks(void **state)
{
	(void)state;
	/* certutil with one leading space on every line, a prompt among them */
	parse_text(" C:\\Users\\abrady>certutil -store -user My\r\n"
		   " ================ Certificate 0 ================\r\n"
		   " Serial Number: 1a2b\r\n"
		   " Issuer: CN=a\r\n"
		   "  NotAfter: 10/22/2027 4:18 PM\r\n"
		   " Subject: CN=a\r\n"
		   " Cert Hash(sha1): " T1 "\r\n"
		   " CertUtil: -store command completed successfully.\r\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_int_equal(inv.certs[0].format, INV_CERTUTIL);
	assert_true(inv.certs[0].not_after.ok);
	assert_int_equal(inv.certs[0].line, 2);
	/* Format-List quoted with four spaces between prose: a continuation stays one */
	parse_text("Hi, here it is:\n"
		   "\n"
		   "    PS C:\\> Get-ChildItem Cert:\\CurrentUser\\My | fl *\n"
		   "\n"
		   "    PSDrive      : Cert\n"
		   "    DnsNameList  : {a.corp.example, b.corp\n"
		   "                   .example}\n"
		   "    NotAfter     : 13.12.2008 14:01:11\n"
		   "    Thumbprint   : " T1 "\n"
		   "\n"
		   "      Subject    : CN=other\n"
		   "      Thumbprint : " T2 "\n"
		   "Thanks\n",
		   0);
	assert_int_equal(inv.n_certs, 2);
	assert_int_equal(inv.certs[0].n_domains, 2);
	assert_string_equal(inv.certs[0].domains[1], "b.corp.example");
	assert_true(inv.certs[0].not_after.ok);
	assert_string_equal(inv.certs[1].subject, "CN=other");
	assert_int_equal(inv.n_notes, 1);
	assert_true(has_note(11, "has no NotAfter"));
	/* one unindented line in the block: its indents are meaning, as before */
	parse_text("    Subject    : CN=a\n"
		   "NotAfter   : 13.12.2008 14:01:11\n"
		   "    Thumbprint : " T1 "\n",
		   0);
	assert_int_equal(inv.n_certs, 1);
	assert_int_equal(inv.certs[0].line, 1);
	/* ConvertTo-Json and Format-Table, every line indented */
	parse_text("  [\n"
		   "      {\n"
		   "          \"Thumbprint\":  \"" T1 "\",\n"
		   "          \"Subject\":  \"CN=a\"\n"
		   "      }\n"
		   "  ]\n"
		   "\n"
		   "   Thumbprint                               Subject\n"
		   "   ----------                               -------\n"
		   "   " T2 " CN=b\n",
		   0);
	assert_int_equal(inv.n_certs, 2);
	assert_int_equal(inv.certs[0].format, INV_JSON);
	assert_int_equal(inv.certs[1].format, INV_TABLE);
	assert_string_equal(inv.certs[1].subject, "CN=b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unicode_spaces),   cmocka_unit_test(mail_quoted_and_wrapped),
		cmocka_unit_test(cut_short),	    cmocka_unit_test(value_bound),
		cmocka_unit_test(order_from_the_output), cmocka_unit_test(order_from_the_shape),
		cmocka_unit_test(json_dates),	    cmocka_unit_test(table),
		cmocka_unit_test(csv),		    cmocka_unit_test(json),
		cmocka_unit_test(certutil),	    cmocka_unit_test(indented_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
