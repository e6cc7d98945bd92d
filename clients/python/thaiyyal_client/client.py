"""A thread-safe Thaiyyal client over one ttrpc connection (Unix socket or TCP)."""

import socket
import threading

from thaiyyal_client import _framing, services
from thaiyyal_client._proto.ttrpc import ttrpc_pb2
from thaiyyal_client.errors import ConnectionFailed, RPCError


class Client:
    """One connection to a Thaiyyal server; calls from any number of threads share it.

    Calls are pipelined: each gets its own odd stream id, its request is written at once, and a
    reader thread hands each response to the call waiting for it, in whatever order they come.

        client = Client.unix("./data/thaiyyal.sock")
        client.login("acme", "alice", password)
        flow = client.workflows.create_workflow(name="hello", definition_json=text)
        run = client.executions.execute_workflow(workflow_id=flow.id)

    The services are attributes: `health`, `tenants`, `users`, `workflows`, `executions`, `audit`.
    Errors raise `RPCError` (status code, message and decoded details); a lost connection raises
    `ConnectionFailed` for the calls in flight, and the next call reconnects.
    """

    def __init__(self, connect, *, token=None, tenant=None, timeout=30.0):
        self._connect = connect
        self.token = token
        self.tenant = tenant
        self.timeout = timeout
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._sock = None
        self._next_stream = 1
        self._pending = {}
        self.health = services.Health(self)
        self.tenants = services.TenantService(self)
        self.users = services.UserService(self)
        self.workflows = services.WorkflowService(self)
        self.executions = services.ExecutionService(self)
        self.audit = services.AuditService(self)

    @classmethod
    def unix(cls, path, **options):
        """A client of the server listening on the Unix socket at `path`."""

        def connect():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
            except OSError:
                sock.close()
                raise
            return sock

        return cls(connect, **options)

    @classmethod
    def tcp(cls, host, port, **options):
        """A client of the server listening on TCP `host:port`."""

        def connect():
            sock = socket.create_connection((host, port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock

        return cls(connect, **options)

    def login(self, tenant, login, password):
        """Signs in; later calls carry the token and act in `tenant`. Returns the LoginResponse."""
        self.token = None  # an old token must not get in the way of signing in
        response = self.users.login(tenant=tenant, login=login, password=password)
        self.token = response.access_token
        self.tenant = tenant
        return response

    def close(self):
        """Closes the connection; calls in flight fail with ConnectionFailed."""
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, service, method, request, response_type, *, timeout=None, metadata=None):
        """Calls `service/method` with a request message; returns a `response_type` message.

        `metadata` is a list of (key, value) pairs or a dict, sent after the client's own
        `authorization` and `x-tenant`.
        """
        timeout = self.timeout if timeout is None else timeout
        envelope = ttrpc_pb2.Request(
            service=service,
            method=method,
            payload=request.SerializeToString(),
            timeout_nano=int(timeout * 1e9) if timeout else 0,
        )
        pairs = []
        if self.token:
            pairs.append(("authorization", "Bearer " + self.token))
        if self.tenant:
            pairs.append(("x-tenant", self.tenant))
        if metadata:
            pairs.extend(metadata.items() if isinstance(metadata, dict) else metadata)
        for key, value in pairs:
            envelope.metadata.add(key=key, value=value)

        waiter = _Waiter()
        sock, stream_id = self._register(waiter)
        try:
            frame = _framing.encode(stream_id, _framing.TYPE_REQUEST, envelope.SerializeToString())
            with self._write_lock:
                sock.sendall(frame)
        except OSError as error:
            self._forget(stream_id)
            self._broken(sock, f"cannot send: {error}")
            raise ConnectionFailed(f"cannot send: {error}") from None
        # The server enforces the timeout; the client gives it a little longer to answer.
        if not waiter.event.wait(None if not timeout else timeout + 1.0):
            self._forget(stream_id)
            raise RPCError(4, "deadline exceeded: no answer from the server")
        if waiter.failure is not None:
            raise waiter.failure
        response = waiter.response
        if response.HasField("status") and response.status.code != 0:
            raise RPCError(response.status.code, response.status.message, response.status.details)
        result = response_type()
        result.ParseFromString(response.payload)
        return result

    # Connection management.

    def _register(self, waiter):
        with self._lock:
            if self._sock is None:
                try:
                    self._sock = self._connect()
                except OSError as error:
                    raise ConnectionFailed(f"cannot connect: {error}") from None
                threading.Thread(target=self._read, args=(self._sock,), daemon=True).start()
            stream_id = self._next_stream
            self._next_stream = self._next_stream + 2 if self._next_stream < (1 << 31) - 3 else 1
            self._pending[stream_id] = waiter
            return self._sock, stream_id

    def _forget(self, stream_id):
        with self._lock:
            self._pending.pop(stream_id, None)

    def _read(self, sock):
        """Hands each response to its waiting call until the connection ends."""
        reason = "the server closed the connection"
        try:
            while True:
                frame = _framing.read_frame(sock)
                if frame is None:
                    break
                stream_id, frame_type, payload = frame
                if frame_type != _framing.TYPE_RESPONSE:
                    continue
                with self._lock:
                    waiter = self._pending.pop(stream_id, None)
                if waiter is None:
                    continue
                response = ttrpc_pb2.Response()
                try:
                    response.ParseFromString(payload)
                    waiter.response = response
                except Exception as error:  # a malformed envelope fails only its own call
                    waiter.failure = RPCError(13, f"malformed response: {error}")
                waiter.event.set()
        except (OSError, ValueError) as error:
            reason = f"connection lost: {error}"
        self._broken(sock, reason)

    def _broken(self, sock, reason):
        """Fails every call waiting on `sock` and forgets it, so the next call reconnects."""
        with self._lock:
            if self._sock is sock:
                self._sock = None
                waiters, self._pending = self._pending, {}
            else:
                waiters = {}
        for waiter in waiters.values():
            waiter.failure = ConnectionFailed(reason)
            waiter.event.set()
        try:
            sock.close()
        except OSError:
            pass


class _Waiter:
    __slots__ = ("event", "response", "failure")

    def __init__(self):
        self.event = threading.Event()
        self.response = None
        self.failure = None
