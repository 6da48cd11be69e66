/*
 * PowerShell for installing a minica certificate on Exchange. The syntax of
 * Import-ExchangeCertificate changed twice: 2007 reads a -Path, 2010 takes
 * -FileData as a byte array from Get-Content, 2013 and later need
 * [System.IO.File]::ReadAllBytes (Get-Content -Encoding Byte is gone from
 * newer PowerShell).
 */
#include <string.h>

#include "exchange.h"

void exchange_import_line(FILE *out, enum exchange_version v, const char *path)
{
	switch (v) {
	case EXCHANGE_2007:
		fprintf(out, "Import-ExchangeCertificate -Path %s -Password (Get-Credential).Password",
			path);
		break;
	case EXCHANGE_2010:
		fprintf(out,
			"Import-ExchangeCertificate -FileData ([Byte[]]$(Get-Content -Path %s "
			"-Encoding Byte -ReadCount 0)) -Password (Get-Credential).Password",
			path);
		break;
	default:
		fprintf(out,
			"Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('%s')) "
			"-Password (Get-Credential).Password",
			path);
		break;
	}
}

void exchange_print_install(FILE *out, const char *pfx_name, const char *thumbprint)
{
	char path[512];

	snprintf(path, sizeof(path), "C:\\%s", pfx_name);
	fprintf(out, "\nOn Exchange (copy %s and minica-ca.cer to C:\\, Exchange Management Shell "
		     "as administrator):\n",
		pfx_name);
	fprintf(out, "  certutil -addstore -f Root C:\\minica-ca.cer    "
		     "# from 'minica ca export --der --out minica-ca.cer'\n");
	fprintf(out, "  # Exchange 2007:\n  ");
	exchange_import_line(out, EXCHANGE_2007, path);
	fprintf(out, "\n  # Exchange 2010:\n  ");
	exchange_import_line(out, EXCHANGE_2010, path);
	fprintf(out, "\n  # Exchange 2013 and later:\n  ");
	exchange_import_line(out, EXCHANGE_2013, path);
	fprintf(out, "\n  Enable-ExchangeCertificate -Thumbprint %s -Services SMTP\n", thumbprint);
	fprintf(out, "  # answer Yes to replace the default SMTP certificate; on an Edge server "
		     "then re-create the EdgeSync subscription ('minica runbook --role edge')\n");
}

/*
 * On the Hub Transport server (Mailbox server from 2013): the Edge's
 * subscription file. 2007 reads a -FileName; 2010 added -FileData, fed
 * from Get-Content -Encoding Byte; 2013 and later read the bytes with
 * [System.IO.File]::ReadAllBytes.
 */
void exchange_edge_import_line(FILE *out, enum exchange_version v, const char *path,
			       const char *site)
{
	switch (v) {
	case EXCHANGE_2007:
		fprintf(out, "New-EdgeSubscription -FileName %s -Site \"%s\"", path, site);
		break;
	case EXCHANGE_2010:
		fprintf(out,
			"New-EdgeSubscription -FileData ([Byte[]]$(Get-Content -Path %s -Encoding Byte "
			"-ReadCount 0)) -Site \"%s\"",
			path, site);
		break;
	default:
		fprintf(out,
			"New-EdgeSubscription -FileData ([System.IO.File]::ReadAllBytes('%s')) "
			"-Site \"%s\"",
			path, site);
		break;
	}
}

int exchange_version_parse(const char *text, enum exchange_version *out)
{
	static const enum exchange_version known[] = {EXCHANGE_2007, EXCHANGE_2010, EXCHANGE_2013,
						      EXCHANGE_2016, EXCHANGE_2019};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char buf[8];

		snprintf(buf, sizeof(buf), "%d", (int)known[i]);
		if (!strcmp(text, buf)) {
			*out = known[i];
			return 0;
		}
	}
	return -1;
}
