/* main.c - the kctl binary. */
#include "kctl.h"

#include <signal.h>

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* libcurl runs with CURLOPT_NOSIGNAL */
    return kctl_main(argc, argv, stdout, stderr);
}
