"""Python client for Thaiyyal Server: ttrpc over a Unix socket or TCP, with typed stubs generated
from the server's .proto files. Only the `protobuf` package is needed at run time."""

from thaiyyal_client.client import Client
from thaiyyal_client.errors import CODE_NAMES, ConnectionFailed, RPCError
from thaiyyal_client._proto.thaiyyal.v1 import (
    audit_pb2,
    common_pb2,
    execution_pb2,
    health_pb2,
    tenant_pb2,
    user_pb2,
    workflow_pb2,
)

__all__ = [
    "Client", "RPCError", "ConnectionFailed", "CODE_NAMES", "audit_pb2", "common_pb2",
    "execution_pb2", "health_pb2", "tenant_pb2", "user_pb2", "workflow_pb2",
]
__version__ = "0.1.0"
