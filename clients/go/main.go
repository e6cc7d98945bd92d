// Command thaiyyal-go-example calls Thaiyyal Server with containerd's own ttrpc client, unchanged:
// Health/Check, then Login, then WhoAmI with the token as ttrpc metadata.
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

	var signedIn LoginResponse
	request := &LoginRequest{Tenant: *tenant, Login: *login, Password: os.Getenv("THAIYYAL_PASSWORD")}
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
