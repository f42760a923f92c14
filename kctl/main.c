/* main.c - the kctl binary. */
#include "kctl.h"

#include <signal.h>

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write is an error return, not a signal */
    return kctl_main(argc, argv, stdout, stderr);
}
