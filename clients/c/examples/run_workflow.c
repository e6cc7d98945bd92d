/*
 * run_workflow: checks the server's health, signs in, stores a workflow from a file, lists the
 * tenant's workflows, runs it, prints the Result JSON and the newest audit entries.
 *
 *   THAIYYAL_PASSWORD=... run_workflow SOCKET TENANT LOGIN WORKFLOW.json [INPUT_JSON]
 *
 * With THAIYYAL_CREATE_TENANT=1 it first creates TENANT as the platform operator (a Unix-socket
 * peer with the server's uid, sending no token), with LOGIN as its owner.
 *
 * Exit status: 0 when the run completed, 1 when the server answered an error or the run failed,
 * 2 for bad usage, 3 when the server cannot be reached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thaiyyal/v1/audit.pb-c.h"
#include "thaiyyal/v1/execution.pb-c.h"
#include "thaiyyal/v1/tenant.pb-c.h"
#include "thaiyyal/v1/health.pb-c.h"
#include "thaiyyal/v1/user.pb-c.h"
#include "thaiyyal/v1/workflow.pb-c.h"
#include "thaiyyal_client.h"

static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  char *text = NULL;
  if (fseek(file, 0, SEEK_END) == 0) {
    long size = ftell(file);
    if (size >= 0 && size <= (4L << 20) && fseek(file, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)size + 1)) != NULL) {
      if (fread(text, 1, (size_t)size, file) != (size_t)size) {
        free(text);
        text = NULL;
      } else {
        text[size] = '\0';
      }
    }
  }
  fclose(file);
  return text;
}

static int report(const char *what, thaiyyal_status *status) {
  fprintf(stderr, "%s: %s: %s", what, thaiyyal_code_name(status->code),
          status->message ? status->message : "");
  if (status->reason) fprintf(stderr, " [%s]", status->reason);
  if (status->violation) fprintf(stderr, " (%s)", status->violation);
  fprintf(stderr, "\n");
  int code = status->code == 14 ? 3 : 1;
  thaiyyal_status_clear(status);
  return code;
}

int main(int argc, char **argv) {
  if (argc < 5 || argc > 6) {
    fprintf(stderr, "usage: THAIYYAL_PASSWORD=... %s SOCKET TENANT LOGIN WORKFLOW.json [INPUT_JSON]\n",
            argv[0]);
    return 2;
  }
  const char *password = getenv("THAIYYAL_PASSWORD");
  if (password == NULL) {
    fprintf(stderr, "set THAIYYAL_PASSWORD\n");
    return 2;
  }
  char *definition = read_file(argv[4]);
  if (definition == NULL) {
    fprintf(stderr, "cannot read %s\n", argv[4]);
    return 2;
  }
  thaiyyal_client *client = thaiyyal_connect_unix(argv[1]);
  if (client == NULL) {
    fprintf(stderr, "UNAVAILABLE: cannot connect to %s: %s\n", argv[1], strerror(errno));
    free(definition);
    return 3;
  }
  thaiyyal_status status = {0};
  int exit_code = 0;
  ProtobufCMessage *answer = NULL;

  Thaiyyal__V1__CheckRequest check = THAIYYAL__V1__CHECK_REQUEST__INIT;
  if (thaiyyal_call(client, "thaiyyal.v1.Health", "Check", &check.base,
                    &thaiyyal__v1__check_response__descriptor, &answer, 5, &status) != 0) {
    exit_code = report("health", &status);
    goto done;
  }
  Thaiyyal__V1__CheckResponse *health = (Thaiyyal__V1__CheckResponse *)answer;
  printf("server %s: %s\n", health->version,
         health->status == THAIYYAL__V1__CHECK_RESPONSE__SERVING_STATUS__SERVING ? "SERVING"
                                                                                 : "NOT SERVING");
  protobuf_c_message_free_unpacked(answer, NULL);

  const char *create_tenant = getenv("THAIYYAL_CREATE_TENANT");
  if (create_tenant != NULL && strcmp(create_tenant, "1") == 0) {
    char email[256];
    snprintf(email, sizeof email, "%s@%s.example.com", argv[3], argv[2]);
    Thaiyyal__V1__CreateTenantRequest tenant = THAIYYAL__V1__CREATE_TENANT_REQUEST__INIT;
    tenant.slug = argv[2];
    tenant.name = argv[2];
    tenant.owner_email = email;
    tenant.owner_username = argv[3];
    tenant.owner_password = (char *)password;
    if (thaiyyal_call(client, "thaiyyal.v1.TenantService", "CreateTenant", &tenant.base,
                      &thaiyyal__v1__create_tenant_response__descriptor, &answer, 10,
                      &status) != 0) {
      exit_code = report("create tenant", &status);
      goto done;
    }
    printf("tenant %s created\n", ((Thaiyyal__V1__CreateTenantResponse *)answer)->tenant->slug);
    protobuf_c_message_free_unpacked(answer, NULL);
  }

  Thaiyyal__V1__LoginRequest login = THAIYYAL__V1__LOGIN_REQUEST__INIT;
  login.tenant = argv[2];
  login.login = argv[3];
  login.password = (char *)password;
  if (thaiyyal_call(client, "thaiyyal.v1.UserService", "Login", &login.base,
                    &thaiyyal__v1__login_response__descriptor, &answer, 10, &status) != 0) {
    exit_code = report("login", &status);
    goto done;
  }
  thaiyyal_set_token(client, ((Thaiyyal__V1__LoginResponse *)answer)->access_token);
  thaiyyal_set_tenant(client, argv[2]);
  protobuf_c_message_free_unpacked(answer, NULL);

  Thaiyyal__V1__CreateWorkflowRequest create = THAIYYAL__V1__CREATE_WORKFLOW_REQUEST__INIT;
  create.name = argv[4];
  create.definition_json = definition;
  if (thaiyyal_call(client, "thaiyyal.v1.WorkflowService", "CreateWorkflow", &create.base,
                    &thaiyyal__v1__workflow__descriptor, &answer, 10, &status) != 0) {
    exit_code = report("create workflow", &status);
    goto done;
  }
  Thaiyyal__V1__Workflow *workflow = (Thaiyyal__V1__Workflow *)answer;
  printf("workflow %s version %lld\n", workflow->id, (long long)workflow->latest_version);

  Thaiyyal__V1__ListWorkflowsRequest list = THAIYYAL__V1__LIST_WORKFLOWS_REQUEST__INIT;
  ProtobufCMessage *listed = NULL;
  if (thaiyyal_call(client, "thaiyyal.v1.WorkflowService", "ListWorkflows", &list.base,
                    &thaiyyal__v1__list_workflows_response__descriptor, &listed, 10, &status) != 0) {
    protobuf_c_message_free_unpacked(answer, NULL);
    exit_code = report("list workflows", &status);
    goto done;
  }
  printf("workflows in the tenant: %zu\n", ((Thaiyyal__V1__ListWorkflowsResponse *)listed)->n_workflows);
  protobuf_c_message_free_unpacked(listed, NULL);

  Thaiyyal__V1__ExecuteWorkflowRequest execute = THAIYYAL__V1__EXECUTE_WORKFLOW_REQUEST__INIT;
  execute.workflow_id = workflow->id;
  execute.input_json = argc == 6 ? argv[5] : "";
  ProtobufCMessage *ran = NULL;
  int failed = thaiyyal_call(client, "thaiyyal.v1.ExecutionService", "ExecuteWorkflow",
                             &execute.base, &thaiyyal__v1__execution__descriptor, &ran, 60, &status);
  protobuf_c_message_free_unpacked(answer, NULL);
  if (failed != 0) {
    exit_code = report("execute", &status);
    goto done;
  }
  Thaiyyal__V1__Execution *execution = (Thaiyyal__V1__Execution *)ran;
  printf("execution %s: %s\n", execution->id,
         execution->status == THAIYYAL__V1__EXECUTION_STATUS__COMPLETED ? "completed" : "not completed");
  if (execution->error[0] != '\0') printf("error: %s\n", execution->error);
  printf("%s\n", execution->result_json);
  if (execution->status != THAIYYAL__V1__EXECUTION_STATUS__COMPLETED) exit_code = 1;
  protobuf_c_message_free_unpacked(ran, NULL);

  Thaiyyal__V1__ListAuditLogsRequest audit = THAIYYAL__V1__LIST_AUDIT_LOGS_REQUEST__INIT;
  audit.page_size = 5;
  if (thaiyyal_call(client, "thaiyyal.v1.AuditService", "ListAuditLogs", &audit.base,
                    &thaiyyal__v1__list_audit_logs_response__descriptor, &answer, 10, &status) != 0) {
    exit_code = report("audit log", &status);
    goto done;
  }
  Thaiyyal__V1__ListAuditLogsResponse *entries = (Thaiyyal__V1__ListAuditLogsResponse *)answer;
  for (size_t i = 0; i < entries->n_entries; i++) {
    printf("audit: %s %s\n", entries->entries[i]->action, entries->entries[i]->resource_id);
  }
  protobuf_c_message_free_unpacked(answer, NULL);

done:
  thaiyyal_close(client);
  free(definition);
  return exit_code;
}
