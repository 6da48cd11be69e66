/*
 * Every command's entry point, one file each in cmd/ named after the
 * command; the table that dispatches them is in minica.c. Nothing below
 * cmd/ includes this header.
 */
#ifndef MINICA_CMD_H
#define MINICA_CMD_H

int cmd_init(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_renew(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_crl(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int ca_extend(int argc, char **argv); /* 'ca extend' (ca_extend.c), in cmd/ca.c's table */
int ca_move_key_cmd(int argc, char **argv); /* 'ca move-key' (ca_move_key.c) */
int cmd_templates(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_remind(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_runbook(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_acme(int argc, char **argv);
int cmd_dane(int argc, char **argv);

/* Shared by check and remind (check.c): the UNKNOWN status line (or JSON) on stdout. */
void policy_report_unknown(const char *why);

/* Shared by issue and renew (issue.c): install hints after one certificate's report. */
struct issuer;
void issue_print_install(const struct issuer *is);

#endif
