/* api_cmd.h - the k8c subcommands of the API server component (cmd.c). */
#ifndef API_CMD_H
#define API_CMD_H

struct api_server;
struct ctrl_namespace;

int api_cmd_server(int argc, char **argv);    /* k8c server */
int api_cmd_apiserver(int argc, char **argv); /* k8c apiserver */
int api_cmd_pki(int argc, char **argv);       /* k8c pki */

/* Waits for SIGTERM/SIGINT (blocked by the caller), then stops the namespace controller (may be NULL) and srv. */
int api_cmd_wait(struct api_server *srv, struct ctrl_namespace *nsc);

#endif
