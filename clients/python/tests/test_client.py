"""The Python client against a real `thaiyyal serve` started on a temporary socket.

THAIYYAL_BINARY names the server binary (default: the repository's .build/debug/thaiyyal).
"""

import hashlib
import json
import os
import pathlib
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from thaiyyal_client import Client, ConnectionFailed, RPCError, common_pb2, execution_pb2, health_pb2, workflow_pb2

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]
BINARY = os.environ.get("THAIYYAL_BINARY", str(REPOSITORY / ".build" / "debug" / "thaiyyal"))
PASSWORD = "a long enough password"
SUM = json.dumps({
    "nodes": [
        {"id": "n", "data": {"value": 10}},
        {"id": "e", "data": {"expression": "input * variables.input.x"}},
    ],
    "edges": [{"source": "n", "target": "e"}],
})


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerTestCase(unittest.TestCase):
    """Starts one server for the class, on its own data directory, socket and port."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="thy-py-", dir="/tmp")
        cls.socket_path = os.path.join(cls.directory, "s.sock")
        cls.port = free_port()
        cls.http_port = free_port()
        cls.server = subprocess.Popen(
            [BINARY, "serve", "--data-dir", os.path.join(cls.directory, "data"),
             "--socket", cls.socket_path, "--tcp", f"127.0.0.1:{cls.port}", "--log-format", "json",
             "--http", f"127.0.0.1:{cls.http_port}"],
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with Client.unix(cls.socket_path, timeout=2) as probe:
                    probe.health.check()
                break
            except RPCError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the server did not start")
        cls.operator = Client.unix(cls.socket_path)

    @classmethod
    def tearDownClass(cls):
        cls.operator.close()
        cls.server.terminate()
        cls.server.wait(timeout=20)
        shutil.rmtree(cls.directory, ignore_errors=True)

    def make_tenant(self, slug, plan=common_pb2.PLAN_FREE):
        """A new tenant (created by the operator over the socket) and a client signed in as its owner."""
        self.operator.tenants.create_tenant(
            slug=slug, name=slug.title(), plan=plan, owner_email=f"owner@{slug}.io",
            owner_username="owner", owner_password=PASSWORD,
        )
        owner = Client.unix(self.socket_path)
        owner.login(slug, "owner", PASSWORD)
        self.addCleanup(owner.close)
        return owner


class ClientTests(ServerTestCase):
    def test_health_over_unix_and_tcp(self):
        for client in (Client.unix(self.socket_path), Client.tcp("127.0.0.1", self.port)):
            with client:
                response = client.health.check()
                self.assertEqual(response.status, health_pb2.CheckResponse.SERVING)
                self.assertTrue(response.version)

    def test_tenant_workflow_execution_and_audit(self):
        owner = self.make_tenant("acme")
        me = owner.users.who_am_i()
        self.assertEqual(me.user.username, "owner")

        flow = owner.workflows.create_workflow(name="times", definition_json=SUM, tags=["demo"])
        self.assertEqual(flow.latest_version, 1)
        listed = owner.workflows.list_workflows(tag="demo")
        self.assertEqual([w.id for w in listed.workflows], [flow.id])

        run = owner.executions.execute_workflow(workflow_id=flow.id, input_json='{"x": 4}')
        self.assertEqual(run.status, execution_pb2.COMPLETED, run.error)
        self.assertEqual(json.loads(run.result_json)["final_output"], 40)
        self.assertEqual([node.node_id for node in run.node_runs], ["n", "e"])

        started = owner.executions.start_execution(workflow_id=flow.id, input_json='{"x": 1}')
        self.assertIn(started.status, (execution_pb2.PENDING, execution_pb2.RUNNING))
        executions = owner.executions.list_executions(workflow_id=flow.id)
        self.assertEqual({e.id for e in executions.executions}, {run.id, started.id})

        actions = [entry.action for entry in owner.audit.list_audit_logs(page_size=100).entries]
        self.assertIn("workflow.created", actions)
        self.assertIn("execution.created", actions)
        self.assertIn("user.login", actions)

    def test_errors_carry_code_message_and_details(self):
        owner = self.make_tenant("globex")
        with self.assertRaises(RPCError) as missing:
            owner.workflows.get_workflow(id="01900000-0000-7000-8000-000000000000")
        self.assertEqual(missing.exception.code_name, "NOT_FOUND")

        bad = json.dumps({"nodes": [{"id": "a", "type": "teleport"}], "edges": [{"source": "a", "target": "ghost"}]})
        with self.assertRaises(RPCError) as invalid:
            owner.workflows.create_workflow(name="bad", definition_json=bad)
        self.assertEqual(invalid.exception.code, 3)
        fields = [field for field, _ in invalid.exception.violations]
        self.assertGreaterEqual(len(fields), 2)
        self.assertTrue(all(field.startswith("definition_json.") for field in fields))

        stranger = Client.unix(self.socket_path)
        self.addCleanup(stranger.close)
        with self.assertRaises(RPCError) as denied:
            stranger.login("globex", "owner", "wrong password!")
        self.assertEqual(denied.exception.code_name, "UNAUTHENTICATED")
        self.assertEqual(denied.exception.reason, "INVALID_CREDENTIALS")

        owner.users.create_user(email="v@globex.io", username="viewer", role=common_pb2.ROLE_VIEWER, password=PASSWORD)
        viewer = Client.unix(self.socket_path)
        self.addCleanup(viewer.close)
        viewer.login("globex", "viewer", PASSWORD)
        with self.assertRaises(RPCError) as forbidden:
            viewer.workflows.create_workflow(name="nope", definition_json=SUM)
        self.assertEqual(forbidden.exception.code_name, "PERMISSION_DENIED")

        forged = Client.unix(self.socket_path, token="not.a.token", tenant="globex")
        self.addCleanup(forged.close)
        with self.assertRaises(RPCError) as unauthenticated:
            forged.workflows.list_workflows()
        self.assertEqual(unauthenticated.exception.code_name, "UNAUTHENTICATED")

    def test_calls_pipelined_from_many_threads_on_one_connection(self):
        owner = self.make_tenant("initech", plan=common_pb2.PLAN_ENTERPRISE)
        flows = [
            owner.workflows.create_workflow(name=f"flow {i}", definition_json=SUM)
            for i in range(8)
        ]
        failures = []

        def worker(index):
            try:
                for _ in range(50):
                    flow = random.choice(flows)
                    got = owner.workflows.get_workflow(workflow_pb2.GetWorkflowRequest(id=flow.id))
                    if got.name != flow.name:
                        failures.append(f"{got.name} != {flow.name}")
            except Exception as error:  # noqa: BLE001 - collected and reported below
                failures.append(repr(error))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertEqual(failures, [])

    def test_unreachable_server_is_connection_failed(self):
        client = Client.unix(os.path.join(self.directory, "missing.sock"))
        self.addCleanup(client.close)
        with self.assertRaises(ConnectionFailed) as failed:
            client.health.check()
        self.assertEqual(failed.exception.code_name, "UNAVAILABLE")


class ObservabilityTests(ServerTestCase):
    """The operator's HTTP endpoint, scraped and parsed as Prometheus does."""

    def get(self, path, method="GET"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}", method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def scrape(self):
        """Every sample, by (name, frozen labels)."""
        status, text = self.get("/metrics")
        self.assertEqual(status, 200)
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return samples

    @staticmethod
    def value(samples, name, **labels):
        return samples.get((name, frozenset(labels.items())), 0)

    def test_health_and_readiness(self):
        self.assertEqual(self.get("/healthz"), (200, "ok\n"))
        self.assertEqual(self.get("/readyz"), (200, "ready\n"))
        self.assertEqual(self.get("/nowhere")[0], 404)
        self.assertEqual(self.get("/metrics", method="POST")[0], 405)

    def test_numbers_move_when_calls_are_made(self):
        owner = self.make_tenant("metrics-co")
        flow = owner.workflows.create_workflow(name="times", definition_json=SUM)
        before = self.scrape()
        checks = dict(service="thaiyyal.v1.Health", method="thaiyyal.v1.Health/Check", code="OK")
        for _ in range(3):
            owner.health.check()
        owner.executions.execute_workflow(workflow_id=flow.id, input_json='{"x": 2}')
        after = self.scrape()

        self.assertEqual(
            self.value(after, "thaiyyal_rpc_requests_total", **checks)
            - self.value(before, "thaiyyal_rpc_requests_total", **checks), 3)
        timing = dict(service="thaiyyal.v1.Health", method="thaiyyal.v1.Health/Check")
        self.assertGreaterEqual(
            self.value(after, "thaiyyal_rpc_duration_seconds_count", **timing)
            - self.value(before, "thaiyyal_rpc_duration_seconds_count", **timing), 3)
        self.assertEqual(
            self.value(after, "thaiyyal_executions_total", status="completed")
            - self.value(before, "thaiyyal_executions_total", status="completed"), 1)
        self.assertGreater(
            self.value(after, "thaiyyal_db_transaction_seconds_count", kind="write"),
            self.value(before, "thaiyyal_db_transaction_seconds_count", kind="write"))
        # Per-tenant usage, read from the database at scrape time.
        self.assertEqual(self.value(after, "thaiyyal_tenant_workflows_used", tenant="metrics-co"), 1)
        self.assertGreaterEqual(
            self.value(after, "thaiyyal_tenant_executions_per_day_used", tenant="metrics-co"), 1)
        self.assertEqual(
            self.value(after, "thaiyyal_tenant_workflows_headroom", tenant="metrics-co"), 10 - 1)
        self.assertIn(("thaiyyal_executions_queued", frozenset()), after)


class GeneratedCodeTests(unittest.TestCase):
    def test_generated_code_matches_the_proto_files(self):
        """Fails when a .proto changed without `scripts/gen-python-client`."""
        package = pathlib.Path(__file__).resolve().parents[1] / "thaiyyal_client" / "_proto"
        recorded = json.loads((package / "digests.json").read_text())
        proto = REPOSITORY / "proto"
        current = {
            str(path.relative_to(proto)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(proto.rglob("*.proto"))
        }
        self.assertEqual(recorded, current, "run scripts/gen-python-client and commit the result")


if __name__ == "__main__":
    unittest.main()
