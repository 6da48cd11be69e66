/* Every command's entry point; the table that dispatches them is in minica.c. */
#ifndef MINICA_SUBCOMMANDS_H
#define MINICA_SUBCOMMANDS_H

#include "ca/ca.h"
#include "exchange/exchange.h"
#include "issue/issue.h"
#include "report/report.h"

int cmd_store(int argc, char **argv); /* store/cmd_store.c */
int cmd_acme(int argc, char **argv);  /* cmd/acme.c */
int cmd_serve(int argc, char **argv); /* cmd/serve.c */

#endif
