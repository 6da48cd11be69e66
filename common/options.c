/*
 * The global options, in a file of their own below both the parser that sets
 * them (cli.c) and the diagnostics that read them (diag.c: -q silences
 * notices), so that neither calls the other to reach them.
 */
#include "common/common.h"

struct minica_options g_opts;
