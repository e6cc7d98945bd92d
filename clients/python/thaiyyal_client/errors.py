"""Errors a call can raise: the server's status, or a connection problem."""

from thaiyyal_client._proto.google.rpc import error_details_pb2

# google.rpc.Code names by number.
CODE_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED",
    13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}


class RPCError(Exception):
    """A call the server answered with an error status.

    `code` is the numeric google.rpc.Code and `code_name` its name (`NOT_FOUND`); `message` is the
    server's text. Decoded details: `reason` and `error_metadata` (from `ErrorInfo`), `violations`
    (`(field, description)` pairs from `BadRequest`) and `retry_after` (seconds, from `RetryInfo`).
    """

    def __init__(self, code, message, details=()):
        self.code = code
        self.code_name = CODE_NAMES.get(code, str(code))
        self.message = message
        self.details = list(details)
        self.reason = None
        self.error_metadata = {}
        self.violations = []
        self.retry_after = None
        for detail in self.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                self.reason = info.reason
                self.error_metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                self.violations = [(v.field, v.description) for v in bad.field_violations]
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                self.retry_after = retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9
        super().__init__(f"{self.code_name}: {message}")


class ConnectionFailed(RPCError):
    """The server could not be reached, or the connection broke before an answer (UNAVAILABLE)."""

    def __init__(self, message):
        super().__init__(14, message)
