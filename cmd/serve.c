/* placeholder until the server lands */
#include "minica.h"
int cmd_serve(int argc, char **argv);
int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return fail(EX_SOFTWARE, "serve: not yet");
}
