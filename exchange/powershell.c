/*
 * PowerShell for installing a minica certificate on Exchange. The syntax of
 * Import-ExchangeCertificate changed twice: 2007 reads a -Path, 2010 takes
 * -FileData as a byte array from Get-Content, 2013 and later need
 * [System.IO.File]::ReadAllBytes (Get-Content -Encoding Byte is gone from
 * newer PowerShell).
 */
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
