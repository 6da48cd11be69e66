/* What is specific to Microsoft Exchange: PowerShell text for importing. */
#ifndef MINICA_EXCHANGE_H
#define MINICA_EXCHANGE_H

#include <stdio.h>

enum exchange_version { EXCHANGE_ALL = 0, EXCHANGE_2007 = 2007, EXCHANGE_2010 = 2010,
			EXCHANGE_2013 = 2013 };

/* The Import-ExchangeCertificate line for one version (2013 covers later ones). */
void exchange_import_line(FILE *out, enum exchange_version v, const char *windows_path);
void exchange_print_install(FILE *out, const char *pfx_name, const char *thumbprint);
/* Completing a request Exchange made itself with the .p7b or .cer of 'minica sign'. */
void exchange_print_response_install(FILE *out, const char *file_name, const char *thumbprint);

#endif
