package main

import "github.com/gogo/protobuf/proto"

// The few messages this example sends and reads, written by hand with the struct tags protoc-gen-go
// emits, because Debian's ttrpc 1.1 marshals with gogo/protobuf and Debian has no generator whose
// output fits both it and our .proto files' imports. Field numbers and types follow
// proto/thaiyyal/v1/health.proto and user.proto; fields not declared here are skipped when reading.

// thaiyyal.v1.CheckRequest
type CheckRequest struct {
	Service string `protobuf:"bytes,1,opt,name=service,proto3" json:"service,omitempty"`
}

// thaiyyal.v1.CheckResponse (status and version)
type CheckResponse struct {
	Status  int32  `protobuf:"varint,1,opt,name=status,proto3" json:"status,omitempty"`
	Version string `protobuf:"bytes,2,opt,name=version,proto3" json:"version,omitempty"`
}

// thaiyyal.v1.LoginRequest
type LoginRequest struct {
	Tenant   string `protobuf:"bytes,1,opt,name=tenant,proto3" json:"tenant,omitempty"`
	Login    string `protobuf:"bytes,2,opt,name=login,proto3" json:"login,omitempty"`
	Password string `protobuf:"bytes,3,opt,name=password,proto3" json:"password,omitempty"`
}

// thaiyyal.v1.LoginResponse (token, token type and user)
type LoginResponse struct {
	AccessToken string `protobuf:"bytes,1,opt,name=access_token,json=accessToken,proto3" json:"access_token,omitempty"`
	TokenType   string `protobuf:"bytes,2,opt,name=token_type,json=tokenType,proto3" json:"token_type,omitempty"`
	User        *User  `protobuf:"bytes,4,opt,name=user,proto3" json:"user,omitempty"`
}

// thaiyyal.v1.WhoAmIRequest
type WhoAmIRequest struct{}

// thaiyyal.v1.WhoAmIResponse (user and tenant)
type WhoAmIResponse struct {
	User       *User  `protobuf:"bytes,1,opt,name=user,proto3" json:"user,omitempty"`
	TenantID   string `protobuf:"bytes,2,opt,name=tenant_id,json=tenantId,proto3" json:"tenant_id,omitempty"`
	TenantSlug string `protobuf:"bytes,3,opt,name=tenant_slug,json=tenantSlug,proto3" json:"tenant_slug,omitempty"`
}

// thaiyyal.v1.User (id, email, username)
type User struct {
	ID       string `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Email    string `protobuf:"bytes,3,opt,name=email,proto3" json:"email,omitempty"`
	Username string `protobuf:"bytes,4,opt,name=username,proto3" json:"username,omitempty"`
}

func (m *CheckRequest) Reset()         { *m = CheckRequest{} }
func (m *CheckRequest) String() string { return proto.CompactTextString(m) }
func (*CheckRequest) ProtoMessage()    {}

func (m *CheckResponse) Reset()         { *m = CheckResponse{} }
func (m *CheckResponse) String() string { return proto.CompactTextString(m) }
func (*CheckResponse) ProtoMessage()    {}

func (m *LoginRequest) Reset()         { *m = LoginRequest{} }
func (m *LoginRequest) String() string { return proto.CompactTextString(m) }
func (*LoginRequest) ProtoMessage()    {}

func (m *LoginResponse) Reset()         { *m = LoginResponse{} }
func (m *LoginResponse) String() string { return proto.CompactTextString(m) }
func (*LoginResponse) ProtoMessage()    {}

func (m *WhoAmIRequest) Reset()         { *m = WhoAmIRequest{} }
func (m *WhoAmIRequest) String() string { return proto.CompactTextString(m) }
func (*WhoAmIRequest) ProtoMessage()    {}

func (m *WhoAmIResponse) Reset()         { *m = WhoAmIResponse{} }
func (m *WhoAmIResponse) String() string { return proto.CompactTextString(m) }
func (*WhoAmIResponse) ProtoMessage()    {}

func (m *User) Reset()         { *m = User{} }
func (m *User) String() string { return proto.CompactTextString(m) }
func (*User) ProtoMessage()    {}

// thaiyyal.v1.CreateTenantRequest (the fields an operator needs)
type CreateTenantRequest struct {
	Slug          string `protobuf:"bytes,1,opt,name=slug,proto3" json:"slug,omitempty"`
	Name          string `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	OwnerEmail    string `protobuf:"bytes,6,opt,name=owner_email,json=ownerEmail,proto3" json:"owner_email,omitempty"`
	OwnerUsername string `protobuf:"bytes,7,opt,name=owner_username,json=ownerUsername,proto3" json:"owner_username,omitempty"`
	OwnerPassword string `protobuf:"bytes,8,opt,name=owner_password,json=ownerPassword,proto3" json:"owner_password,omitempty"`
}

// thaiyyal.v1.CreateTenantResponse (the owner)
type CreateTenantResponse struct {
	Owner *User `protobuf:"bytes,2,opt,name=owner,proto3" json:"owner,omitempty"`
}

// thaiyyal.v1.CreateWorkflowRequest (name and definition)
type CreateWorkflowRequest struct {
	Name           string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	DefinitionJSON string `protobuf:"bytes,6,opt,name=definition_json,json=definitionJson,proto3" json:"definition_json,omitempty"`
}

// thaiyyal.v1.Workflow (id, name, latest version)
type Workflow struct {
	ID            string `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string `protobuf:"bytes,3,opt,name=name,proto3" json:"name,omitempty"`
	LatestVersion int64  `protobuf:"varint,10,opt,name=latest_version,json=latestVersion,proto3" json:"latest_version,omitempty"`
}

// thaiyyal.v1.ListWorkflowsRequest (first page)
type ListWorkflowsRequest struct {
	PageSize int32 `protobuf:"varint,1,opt,name=page_size,json=pageSize,proto3" json:"page_size,omitempty"`
}

// thaiyyal.v1.ListWorkflowsResponse
type ListWorkflowsResponse struct {
	Workflows     []*Workflow `protobuf:"bytes,1,rep,name=workflows,proto3" json:"workflows,omitempty"`
	NextPageToken string      `protobuf:"bytes,2,opt,name=next_page_token,json=nextPageToken,proto3" json:"next_page_token,omitempty"`
}

// thaiyyal.v1.ExecuteWorkflowRequest (workflow and input)
type ExecuteWorkflowRequest struct {
	WorkflowID string `protobuf:"bytes,1,opt,name=workflow_id,json=workflowId,proto3" json:"workflow_id,omitempty"`
	InputJSON  string `protobuf:"bytes,3,opt,name=input_json,json=inputJson,proto3" json:"input_json,omitempty"`
}

// thaiyyal.v1.Execution (id, status, result, error)
type Execution struct {
	ID         string `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Status     int32  `protobuf:"varint,5,opt,name=status,proto3" json:"status,omitempty"`
	ResultJSON string `protobuf:"bytes,8,opt,name=result_json,json=resultJson,proto3" json:"result_json,omitempty"`
	Error      string `protobuf:"bytes,9,opt,name=error,proto3" json:"error,omitempty"`
}

// thaiyyal.v1.ListAuditLogsRequest (first page)
type ListAuditLogsRequest struct {
	PageSize int32 `protobuf:"varint,1,opt,name=page_size,json=pageSize,proto3" json:"page_size,omitempty"`
}

// thaiyyal.v1.ListAuditLogsResponse
type ListAuditLogsResponse struct {
	Entries []*AuditLog `protobuf:"bytes,1,rep,name=entries,proto3" json:"entries,omitempty"`
}

// thaiyyal.v1.AuditLog (action and resource)
type AuditLog struct {
	Action     string `protobuf:"bytes,6,opt,name=action,proto3" json:"action,omitempty"`
	ResourceID string `protobuf:"bytes,8,opt,name=resource_id,json=resourceId,proto3" json:"resource_id,omitempty"`
}

func (m *CreateTenantRequest) Reset()         { *m = CreateTenantRequest{} }
func (m *CreateTenantRequest) String() string { return proto.CompactTextString(m) }
func (*CreateTenantRequest) ProtoMessage()    {}

func (m *CreateTenantResponse) Reset()         { *m = CreateTenantResponse{} }
func (m *CreateTenantResponse) String() string { return proto.CompactTextString(m) }
func (*CreateTenantResponse) ProtoMessage()    {}

func (m *CreateWorkflowRequest) Reset()         { *m = CreateWorkflowRequest{} }
func (m *CreateWorkflowRequest) String() string { return proto.CompactTextString(m) }
func (*CreateWorkflowRequest) ProtoMessage()    {}

func (m *Workflow) Reset()         { *m = Workflow{} }
func (m *Workflow) String() string { return proto.CompactTextString(m) }
func (*Workflow) ProtoMessage()    {}

func (m *ListWorkflowsRequest) Reset()         { *m = ListWorkflowsRequest{} }
func (m *ListWorkflowsRequest) String() string { return proto.CompactTextString(m) }
func (*ListWorkflowsRequest) ProtoMessage()    {}

func (m *ListWorkflowsResponse) Reset()         { *m = ListWorkflowsResponse{} }
func (m *ListWorkflowsResponse) String() string { return proto.CompactTextString(m) }
func (*ListWorkflowsResponse) ProtoMessage()    {}

func (m *ExecuteWorkflowRequest) Reset()         { *m = ExecuteWorkflowRequest{} }
func (m *ExecuteWorkflowRequest) String() string { return proto.CompactTextString(m) }
func (*ExecuteWorkflowRequest) ProtoMessage()    {}

func (m *Execution) Reset()         { *m = Execution{} }
func (m *Execution) String() string { return proto.CompactTextString(m) }
func (*Execution) ProtoMessage()    {}

func (m *ListAuditLogsRequest) Reset()         { *m = ListAuditLogsRequest{} }
func (m *ListAuditLogsRequest) String() string { return proto.CompactTextString(m) }
func (*ListAuditLogsRequest) ProtoMessage()    {}

func (m *ListAuditLogsResponse) Reset()         { *m = ListAuditLogsResponse{} }
func (m *ListAuditLogsResponse) String() string { return proto.CompactTextString(m) }
func (*ListAuditLogsResponse) ProtoMessage()    {}

func (m *AuditLog) Reset()         { *m = AuditLog{} }
func (m *AuditLog) String() string { return proto.CompactTextString(m) }
func (*AuditLog) ProtoMessage()    {}
