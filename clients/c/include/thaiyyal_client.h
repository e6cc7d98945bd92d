/*
 * thaiyyal_client: a small C client for Thaiyyal Server over ttrpc (Unix socket or TCP).
 *
 * Messages are the protobuf-c types generated from the server's .proto files (see the Makefile).
 * A client holds one connection and makes one call at a time; it is not thread-safe. Every
 * function that returns a status fills `status` on failure; free it with thaiyyal_status_clear.
 */
#ifndef THAIYYAL_CLIENT_H
#define THAIYYAL_CLIENT_H

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct thaiyyal_client thaiyyal_client;

/* The outcome of a call: code is a google.rpc.Code (0 OK, 5 NOT_FOUND, 14 UNAVAILABLE, ...). */
typedef struct {
  int code;
  char *message;   /* the server's message, or what went wrong locally; NULL when OK */
  char *reason;    /* ErrorInfo.reason when the server sent one, else NULL */
  char *violation; /* the first BadRequest violation as "field: description", else NULL */
} thaiyyal_status;

/* Connects; NULL (with errno set) when the server cannot be reached. */
thaiyyal_client *thaiyyal_connect_unix(const char *path);
thaiyyal_client *thaiyyal_connect_tcp(const char *host, const char *port);
void thaiyyal_close(thaiyyal_client *client);

/* Metadata sent with every later call: the bearer token and the tenant (x-tenant). NULL clears. */
int thaiyyal_set_token(thaiyyal_client *client, const char *token);
int thaiyyal_set_tenant(thaiyyal_client *client, const char *tenant);

/*
 * Calls service/method (e.g. "thaiyyal.v1.Health", "Check") with `request`. On success returns 0
 * and sets *response to a message of `response_type` (free it with protobuf_c_message_free_unpacked).
 * On failure returns the status code (never 0) and fills `status`. `timeout_seconds` <= 0 means 30.
 */
int thaiyyal_call(thaiyyal_client *client, const char *service, const char *method,
                  const ProtobufCMessage *request,
                  const ProtobufCMessageDescriptor *response_type, ProtobufCMessage **response,
                  double timeout_seconds, thaiyyal_status *status);

/* Frees the strings of a status and zeroes it. */
void thaiyyal_status_clear(thaiyyal_status *status);

/* "NOT_FOUND" for 5, and so on. */
const char *thaiyyal_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif
