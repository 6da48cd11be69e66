/*
 * PowerShell for completing a certificate request that Exchange made
 * itself (New-ExchangeCertificate -GenerateRequest): the key never left
 * the server, so the response (a PKCS#7 .p7b, or the certificate alone) is
 * imported without a password and pairs with the pending request there.
 */
#include "exchange.h"

void exchange_print_response_install(FILE *out, const char *file_name, const char *thumbprint)
{
	fprintf(out, "\nOn the Exchange server that made the request (copy %s and minica-ca.cer to "
		     "C:\\, Exchange Management Shell as administrator):\n",
		file_name);
	fprintf(out, "  certutil -addstore -f Root C:\\minica-ca.cer    "
		     "# from 'minica ca export --der --out minica-ca.cer'\n");
	fprintf(out, "  # Exchange 2007:\n  Import-ExchangeCertificate -Path C:\\%s\n", file_name);
	fprintf(out, "  # Exchange 2010:\n  Import-ExchangeCertificate -FileData ([Byte[]]$(Get-Content "
		     "-Path C:\\%s -Encoding Byte -ReadCount 0))\n",
		file_name);
	fprintf(out, "  # Exchange 2013 and later:\n  Import-ExchangeCertificate -FileData "
		     "([System.IO.File]::ReadAllBytes('C:\\%s'))\n",
		file_name);
	fprintf(out, "  Enable-ExchangeCertificate -Thumbprint %s -Services SMTP\n", thumbprint);
}
