/* ttrpc framing, envelopes and status decoding for thaiyyal_client.h. */
#define _POSIX_C_SOURCE 200809L
#include "thaiyyal_client.h"

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "ttrpc/ttrpc.pb-c.h"

#define HEADER_SIZE 10
#define MAX_MESSAGE_SIZE (4u << 20)
#define TYPE_REQUEST 1
#define TYPE_RESPONSE 2

struct thaiyyal_client {
  int fd;
  uint32_t next_stream;
  char *token;
  char *tenant;
};

static const char *const code_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

const char *thaiyyal_code_name(int code) {
  if (code >= 0 && code < (int)(sizeof code_names / sizeof *code_names)) return code_names[code];
  return "UNKNOWN";
}

static thaiyyal_client *wrap(int fd) {
  thaiyyal_client *client = calloc(1, sizeof *client);
  if (client == NULL) {
    close(fd);
    return NULL;
  }
  client->fd = fd;
  client->next_stream = 1;
  return client;
}

thaiyyal_client *thaiyyal_connect_unix(const char *path) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof address.sun_path) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  strcpy(address.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return NULL;
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return NULL;
  }
  return wrap(fd);
}

thaiyyal_client *thaiyyal_connect_tcp(const char *host, const char *port) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *found = NULL;
  if (getaddrinfo(host, port, &hints, &found) != 0) {
    errno = EHOSTUNREACH;
    return NULL;
  }
  int fd = -1;
  for (struct addrinfo *each = found; each != NULL; each = each->ai_next) {
    fd = socket(each->ai_family, each->ai_socktype, each->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, each->ai_addr, each->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  return fd < 0 ? NULL : wrap(fd);
}

void thaiyyal_close(thaiyyal_client *client) {
  if (client == NULL) return;
  close(client->fd);
  free(client->token);
  free(client->tenant);
  free(client);
}

static int replace(char **slot, const char *value) {
  char *copy = NULL;
  if (value != NULL && (copy = strdup(value)) == NULL) return -1;
  free(*slot);
  *slot = copy;
  return 0;
}

int thaiyyal_set_token(thaiyyal_client *client, const char *token) {
  return replace(&client->token, token);
}

int thaiyyal_set_tenant(thaiyyal_client *client, const char *tenant) {
  return replace(&client->tenant, tenant);
}

void thaiyyal_status_clear(thaiyyal_status *status) {
  if (status == NULL) return;
  free(status->message);
  free(status->reason);
  free(status->violation);
  memset(status, 0, sizeof *status);
}

/* Fills `status` and returns its code. */
static int fail(thaiyyal_status *status, int code, const char *message) {
  thaiyyal_status_clear(status);
  status->code = code;
  status->message = strdup(message);
  return code;
}

static int write_all(int fd, const uint8_t *data, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, data, length);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return -1;
    data += written;
    length -= (size_t)written;
  }
  return 0;
}

static int read_all(int fd, uint8_t *data, size_t length) {
  while (length > 0) {
    ssize_t got = read(fd, data, length);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return -1;
    data += got;
    length -= (size_t)got;
  }
  return 0;
}

static void put_u32(uint8_t *out, uint32_t value) {
  out[0] = value >> 24;
  out[1] = value >> 16;
  out[2] = value >> 8;
  out[3] = value;
}

static uint32_t get_u32(const uint8_t *in) {
  return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

/* Decodes the details the client understands: ErrorInfo's reason and BadRequest's first violation. */
static void decode_details(const Google__Rpc__Status *wire, thaiyyal_status *status) {
  for (size_t i = 0; i < wire->n_details; i++) {
    const Google__Protobuf__Any *any = wire->details[i];
    const char *type = strrchr(any->type_url, '/');
    type = type ? type + 1 : any->type_url;
    if (strcmp(type, "google.rpc.ErrorInfo") == 0 && status->reason == NULL) {
      Google__Rpc__ErrorInfo *info =
          google__rpc__error_info__unpack(NULL, any->value.len, any->value.data);
      if (info != NULL) {
        status->reason = strdup(info->reason);
        google__rpc__error_info__free_unpacked(info, NULL);
      }
    } else if (strcmp(type, "google.rpc.BadRequest") == 0 && status->violation == NULL) {
      Google__Rpc__BadRequest *bad =
          google__rpc__bad_request__unpack(NULL, any->value.len, any->value.data);
      if (bad != NULL) {
        if (bad->n_field_violations > 0) {
          const Google__Rpc__BadRequest__FieldViolation *v = bad->field_violations[0];
          size_t size = strlen(v->field) + strlen(v->description) + 3;
          status->violation = malloc(size);
          if (status->violation) snprintf(status->violation, size, "%s: %s", v->field, v->description);
        }
        google__rpc__bad_request__free_unpacked(bad, NULL);
      }
    }
  }
}

int thaiyyal_call(thaiyyal_client *client, const char *service, const char *method,
                  const ProtobufCMessage *request,
                  const ProtobufCMessageDescriptor *response_type, ProtobufCMessage **response,
                  double timeout_seconds, thaiyyal_status *status) {
  *response = NULL;
  thaiyyal_status_clear(status);
  if (timeout_seconds <= 0) timeout_seconds = 30;

  /* The envelope: the request's bytes, the relative timeout and the metadata. */
  size_t payload_size = protobuf_c_message_get_packed_size(request);
  uint8_t *payload = malloc(payload_size ? payload_size : 1);
  if (payload == NULL) return fail(status, 8, "out of memory");
  protobuf_c_message_pack(request, payload);

  char *bearer = NULL;
  Ttrpc__KeyValue pairs[2];
  Ttrpc__KeyValue *metadata[2];
  size_t n_metadata = 0;
  if (client->token != NULL) {
    size_t size = strlen(client->token) + 8;
    bearer = malloc(size);
    if (bearer == NULL) {
      free(payload);
      return fail(status, 8, "out of memory");
    }
    snprintf(bearer, size, "Bearer %s", client->token);
    ttrpc__key_value__init(&pairs[n_metadata]);
    pairs[n_metadata].key = "authorization";
    pairs[n_metadata].value = bearer;
    metadata[n_metadata] = &pairs[n_metadata];
    n_metadata++;
  }
  if (client->tenant != NULL) {
    ttrpc__key_value__init(&pairs[n_metadata]);
    pairs[n_metadata].key = "x-tenant";
    pairs[n_metadata].value = client->tenant;
    metadata[n_metadata] = &pairs[n_metadata];
    n_metadata++;
  }
  Ttrpc__Request envelope = TTRPC__REQUEST__INIT;
  envelope.service = (char *)service;
  envelope.method = (char *)method;
  envelope.payload.data = payload;
  envelope.payload.len = payload_size;
  envelope.timeout_nano = (int64_t)(timeout_seconds * 1e9);
  envelope.n_metadata = n_metadata;
  envelope.metadata = metadata;

  size_t body_size = ttrpc__request__get_packed_size(&envelope);
  if (body_size > MAX_MESSAGE_SIZE) {
    free(payload);
    free(bearer);
    return fail(status, 3, "request larger than 4 MiB");
  }
  uint8_t *frame = malloc(HEADER_SIZE + body_size);
  if (frame == NULL) {
    free(payload);
    free(bearer);
    return fail(status, 8, "out of memory");
  }
  uint32_t stream = client->next_stream;
  client->next_stream += 2;
  put_u32(frame, (uint32_t)body_size);
  put_u32(frame + 4, stream);
  frame[8] = TYPE_REQUEST;
  frame[9] = 0;
  ttrpc__request__pack(&envelope, frame + HEADER_SIZE);
  free(payload);
  free(bearer);

  struct timeval wait = {.tv_sec = (time_t)timeout_seconds + 1};
  setsockopt(client->fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  int sent = write_all(client->fd, frame, HEADER_SIZE + body_size);
  free(frame);
  if (sent != 0) return fail(status, 14, "cannot send to the server");

  /* Frames until ours: the answer to an older, abandoned call is skipped. */
  for (;;) {
    uint8_t header[HEADER_SIZE];
    if (read_all(client->fd, header, HEADER_SIZE) != 0) {
      return fail(status, 14, "the connection closed before the answer");
    }
    uint32_t length = get_u32(header);
    uint32_t answered = get_u32(header + 4);
    if (length > MAX_MESSAGE_SIZE) return fail(status, 14, "oversized frame from the server");
    uint8_t *body = malloc(length ? length : 1);
    if (body == NULL) return fail(status, 8, "out of memory");
    if (read_all(client->fd, body, length) != 0) {
      free(body);
      return fail(status, 14, "the connection closed before the answer");
    }
    if (answered != stream || header[8] != TYPE_RESPONSE) {
      free(body);
      continue;
    }
    Ttrpc__Response *reply = ttrpc__response__unpack(NULL, length, body);
    free(body);
    if (reply == NULL) return fail(status, 13, "malformed response envelope");
    int code = 0;
    if (reply->status != NULL && reply->status->code != 0) {
      code = fail(status, reply->status->code, reply->status->message);
      decode_details(reply->status, status);
    } else {
      *response = protobuf_c_message_unpack(response_type, NULL, reply->payload.len,
                                            reply->payload.data);
      if (*response == NULL) code = fail(status, 13, "malformed response message");
    }
    ttrpc__response__free_unpacked(reply, NULL);
    return code;
  }
}
