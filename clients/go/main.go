// Command thaiyyal-go-example calls Thaiyyal Server with containerd's own ttrpc client, unchanged:
// Health/Check; with -create-tenant, CreateTenant as the platform operator (a Unix-socket peer with
// the server's uid, no token); Login; then, with the token as ttrpc metadata, WhoAmI, and with
// -workflow FILE: CreateWorkflow, ListWorkflows, ExecuteWorkflow and ListAuditLogs.
//
//	THAIYYAL_PASSWORD=... thaiyyal-go-example -socket ./data/thaiyyal.sock -tenant acme -login alice
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/status"
)

func main() {
	socket := flag.String("socket", "./data/thaiyyal.sock", "the server's Unix socket")
	tenant := flag.String("tenant", "", "tenant slug to sign in to")
	login := flag.String("login", "", "email or username")
	createTenant := flag.Bool("create-tenant", false, "first create the tenant, as the operator, with -login as owner")
	workflowFile := flag.String("workflow", "", "a workflow definition file to store and run")
	input := flag.String("input", "", "the run's input as JSON")
	flag.Parse()

	conn, err := net.Dial("unix", *socket)
	if err != nil {
		fmt.Fprintf(os.Stderr, "UNAVAILABLE: %v\n", err)
		os.Exit(3)
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var health CheckResponse
	if err := client.Call(ctx, "thaiyyal.v1.Health", "Check", &CheckRequest{}, &health); err != nil {
		fail("Health/Check", err)
	}
	fmt.Printf("server %s: status %d (1 is SERVING)\n", health.Version, health.Status)
	if *tenant == "" {
		return
	}
	password := os.Getenv("THAIYYAL_PASSWORD")

	if *createTenant {
		var created CreateTenantResponse
		request := &CreateTenantRequest{
			Slug: *tenant, Name: *tenant, OwnerEmail: *login + "@" + *tenant + ".example.com",
			OwnerUsername: *login, OwnerPassword: password,
		}
		if err := client.Call(ctx, "thaiyyal.v1.TenantService", "CreateTenant", request, &created); err != nil {
			fail("CreateTenant", err)
		}
		fmt.Printf("tenant %s created, owner %s\n", *tenant, created.Owner.Username)
	}

	var signedIn LoginResponse
	request := &LoginRequest{Tenant: *tenant, Login: *login, Password: password}
	if err := client.Call(ctx, "thaiyyal.v1.UserService", "Login", request, &signedIn); err != nil {
		fail("Login", err)
	}
	fmt.Printf("signed in as %s (%s token)\n", signedIn.User.Username, signedIn.TokenType)

	authorized := ttrpc.WithMetadata(ctx, ttrpc.MD{
		"authorization": {"Bearer " + signedIn.AccessToken},
		"x-tenant":      {*tenant},
	})
	var me WhoAmIResponse
	if err := client.Call(authorized, "thaiyyal.v1.UserService", "WhoAmI", &WhoAmIRequest{}, &me); err != nil {
		fail("WhoAmI", err)
	}
	fmt.Printf("whoami: %s in tenant %s\n", me.User.Email, me.TenantSlug)
	if *workflowFile == "" {
		return
	}

	definition, err := os.ReadFile(*workflowFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot read %s: %v\n", *workflowFile, err)
		os.Exit(2)
	}
	var workflow Workflow
	create := &CreateWorkflowRequest{Name: *workflowFile, DefinitionJSON: string(definition)}
	if err := client.Call(authorized, "thaiyyal.v1.WorkflowService", "CreateWorkflow", create, &workflow); err != nil {
		fail("CreateWorkflow", err)
	}
	var listed ListWorkflowsResponse
	if err := client.Call(authorized, "thaiyyal.v1.WorkflowService", "ListWorkflows", &ListWorkflowsRequest{PageSize: 100}, &listed); err != nil {
		fail("ListWorkflows", err)
	}
	fmt.Printf("workflow %s stored; %d in the tenant\n", workflow.ID, len(listed.Workflows))
	var execution Execution
	run := &ExecuteWorkflowRequest{WorkflowID: workflow.ID, InputJSON: *input}
	if err := client.Call(authorized, "thaiyyal.v1.ExecutionService", "ExecuteWorkflow", run, &execution); err != nil {
		fail("ExecuteWorkflow", err)
	}
	fmt.Printf("execution %s status %d (3 is COMPLETED) %s\n%s\n", execution.ID, execution.Status, execution.Error, execution.ResultJSON)
	var audit ListAuditLogsResponse
	if err := client.Call(authorized, "thaiyyal.v1.AuditService", "ListAuditLogs", &ListAuditLogsRequest{PageSize: 5}, &audit); err != nil {
		fail("ListAuditLogs", err)
	}
	for _, entry := range audit.Entries {
		fmt.Printf("audit: %s %s\n", entry.Action, entry.ResourceID)
	}
	if execution.Status != 3 {
		os.Exit(1)
	}
}

// fail prints the status the server answered (code name and message) and exits 1.
func fail(call string, err error) {
	if s, ok := status.FromError(err); ok {
		fmt.Fprintf(os.Stderr, "%s: %s: %s\n", call, s.Code(), s.Message())
	} else {
		fmt.Fprintf(os.Stderr, "%s: %v\n", call, err)
	}
	os.Exit(1)
}
