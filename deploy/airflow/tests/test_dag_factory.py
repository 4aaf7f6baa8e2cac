"""Tests of the AOE DAG factory's spec → DAG mapping, with the standard library only (no Airflow).

Run from the repository root: ``python3 -m unittest discover deploy/airflow/tests``.
``fixtures/aoe__orders.json`` is what the dispatcher's ``renderDagSpec`` produces for a
four-task plan; a jest test (services/dispatcher/test/airflow-dag-spec.test.ts) keeps it in step.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import types
import unittest
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "dags"))

import aoe_dag_factory as factory  # noqa: E402

FIXTURE = json.loads((HERE / "fixtures" / "aoe__orders.json").read_text(encoding="utf-8"))
RUN_ID = "{{ dag_run.conf['run_id'] }}"
BASH = {"operator": "bash"}
K8S = {"operator": "kubernetes", "image": "ghcr.io/example/aoe:1.0", "namespace": "etl"}


def spec(**changes):
    value = copy.deepcopy(FIXTURE)
    value.update(changes)
    return value


class FakeDag:
    current = None

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.tasks = {}

    def __enter__(self):
        FakeDag.current = self
        return self

    def __exit__(self, *exc):
        FakeDag.current = None
        return False


class FakeOperator:
    def __init__(self, **kwargs):
        if kwargs["task_id"] == "explode":
            raise RuntimeError("operator refused its arguments")
        self.kwargs = kwargs
        self.upstream = []
        FakeDag.current.tasks[kwargs["task_id"]] = self

    def __rshift__(self, other):
        other.upstream.append(self.kwargs["task_id"])
        return other


def fake_airflow(version):
    """sys.modules entries that look like Airflow 3 or 2 to the factory's imports."""
    root = types.ModuleType("airflow")
    modules = {"airflow": root}

    def add(name, **attrs):
        module = types.ModuleType(name)
        for key, value in attrs.items():
            setattr(module, key, value)
        modules[name] = module

    if version == 3:
        add("airflow.sdk", DAG=FakeDag)
        add("airflow.providers.standard.operators.bash", BashOperator=FakeOperator)
    else:
        root.DAG = FakeDag
        add("airflow.operators.bash", BashOperator=FakeOperator)
    add("airflow.providers.cncf.kubernetes.operators.pod", KubernetesPodOperator=FakeOperator)
    return modules


class DefinitionTest(unittest.TestCase):
    def test_fixture_becomes_a_dag_of_bash_tasks_wired_by_upstream(self):
        defn = factory.definition(FIXTURE, BASH)
        self.assertEqual(defn["dag_id"], "aoe__orders")
        self.assertEqual([t["task_id"] for t in defn["tasks"]], ["extract", "transform", "validate", "load"])
        self.assertEqual({t["task_id"]: t["upstream"] for t in defn["tasks"]}["load"], ["validate"])
        self.assertEqual(defn["tasks"][0]["upstream"], [])
        load = defn["tasks"][3]
        self.assertEqual(load["operator"], "bash")
        self.assertEqual(
            load["kwargs"],
            {
                "task_id": "load",
                "bash_command": 'aoe worker run-task --run "$AOE_ARG_4" --task load',
                "env": {"AOE_ARG_4": RUN_ID},
                "append_env": True,
            },
        )

    def test_dag_arguments(self):
        kwargs = factory.definition(spec(schedule="@daily", retries=2), BASH)["dag_kwargs"]
        self.assertEqual(kwargs["start_date"], datetime(2025, 1, 1, tzinfo=timezone.utc))
        self.assertEqual(kwargs["schedule"], "@daily")
        self.assertIs(kwargs["catchup"], False)
        self.assertEqual(kwargs["max_active_runs"], 1)
        self.assertEqual(kwargs["default_args"], {"retries": 2})
        self.assertEqual(kwargs["tags"], ["aoe", "pipeline:orders"])
        self.assertIn("plan version 3", kwargs["doc_md"])
        self.assertIsNone(factory.definition(FIXTURE, BASH)["dag_kwargs"]["schedule"])

    def test_settings_default_to_the_environment(self):
        with mock.patch.dict("os.environ", {"AOE_DAG_OPERATOR": ""}, clear=False):
            self.assertEqual(factory.definition(FIXTURE)["tasks"][0]["operator"], "bash")

    def test_bash_command_quotes_plain_arguments_and_moves_jinja_to_the_environment(self):
        command, env = factory.bash_command(["/opt/aoe bin/aoe", "it's", RUN_ID, "{% raw %}x", "plain"])
        self.assertEqual(command, "'/opt/aoe bin/aoe' 'it'\"'\"'s' \"$AOE_ARG_2\" \"$AOE_ARG_3\" plain")
        self.assertEqual(env, {"AOE_ARG_2": RUN_ID, "AOE_ARG_3": "{% raw %}x"})
        self.assertEqual(factory.bash_command(["aoe", "--task", "deploy.sh"]), ("aoe --task deploy.sh ", {}))

    def test_kubernetes_variant_runs_the_worker_image_without_a_shell(self):
        load = factory.definition(FIXTURE, K8S)["tasks"][3]
        self.assertEqual(load["operator"], "kubernetes")
        self.assertEqual(
            load["kwargs"],
            {
                "task_id": "load",
                "name": "aoe-load",
                "namespace": "etl",
                "image": "ghcr.io/example/aoe:1.0",
                "cmds": ["aoe"],
                "arguments": ["worker", "run-task", "--run", RUN_ID, "--task", "load"],
                "get_logs": True,
                "on_finish_action": "delete_pod",
            },
        )

    def test_pod_names_are_dns_labels(self):
        self.assertEqual(factory.pod_name("Load_Orders.v2"), "aoe-load-orders-v2")
        self.assertEqual(len(factory.pod_name("x" * 250)), 50)
        self.assertEqual(factory.pod_name("___"), "aoe")
        self.assertEqual(factory.pod_name("a" * 45 + "-" * 10), "aoe-" + "a" * 45)


class SettingsTest(unittest.TestCase):
    def test_operator_settings(self):
        self.assertEqual(factory.operator_settings({}), {"operator": "bash"})
        self.assertEqual(
            factory.operator_settings({"AOE_DAG_OPERATOR": "kubernetes", "AOE_WORKER_IMAGE": "img"}),
            {"operator": "kubernetes", "image": "img", "namespace": "default"},
        )
        self.assertEqual(
            factory.operator_settings(
                {"AOE_DAG_OPERATOR": "kubernetes", "AOE_WORKER_IMAGE": "img", "AOE_K8S_NAMESPACE": "etl"}
            )["namespace"],
            "etl",
        )
        with self.assertRaisesRegex(factory.SpecError, "AOE_WORKER_IMAGE"):
            factory.operator_settings({"AOE_DAG_OPERATOR": "kubernetes"})
        with self.assertRaisesRegex(factory.SpecError, "must be one of"):
            factory.operator_settings({"AOE_DAG_OPERATOR": "docker"})

    def test_spec_dir(self):
        self.assertEqual(factory.spec_dir({"AOE_DAG_SPEC_DIR": "/specs"}), Path("/specs"))
        self.assertEqual(factory.spec_dir({}), factory.DEFAULT_SPEC_DIR)
        self.assertEqual(factory.DEFAULT_SPEC_DIR, HERE.parent / "dags" / "aoe_specs")
        self.assertIsInstance(factory.spec_dir(), Path)


class ValidationTest(unittest.TestCase):
    def assertInvalid(self, value, fragment):
        with self.assertRaises(factory.SpecError) as caught:
            factory.validate_spec(value)
        self.assertIn(fragment, str(caught.exception))

    def test_the_fixture_is_valid(self):
        self.assertEqual(factory.validate_spec(copy.deepcopy(FIXTURE)), FIXTURE)

    def test_top_level_problems(self):
        without_dag_id = spec()
        del without_dag_id["dag_id"]
        cases = [
            ([], "must be a JSON object"),
            (without_dag_id, "missing field 'dag_id'"),
            (spec(retries=True), "field 'retries' has the wrong type"),
            (spec(plan_version="3"), "field 'plan_version' has the wrong type"),
            (spec(owner="me"), "unknown fields ['owner']"),
            (spec(spec_version=2), "spec_version 2 is not supported"),
            (spec(dag_id=".hidden"), "not a valid Airflow DAG id"),
            (spec(dag_id="a/b"), "not a valid Airflow DAG id"),
            (spec(max_active_runs=0), "max_active_runs must be at least 1"),
            (spec(retries=-1), "retries must not be negative"),
            (spec(tags=["x" * 101]), "tags must be strings"),
            (spec(start_date="yesterday"), "not an ISO 8601 date-time"),
            (spec(start_date="2025-01-01T00:00:00"), "has no UTC offset"),
            (spec(tasks=[]), "at least one task"),
        ]
        for value, fragment in cases:
            with self.subTest(fragment=fragment):
                self.assertInvalid(value, fragment)

    def test_task_problems(self):
        def with_task(**changes):
            value = spec()
            value["tasks"][0].update(changes)
            return value

        without_command = spec()
        del without_command["tasks"][0]["command"]
        cases = [
            (spec(tasks=["extract"]), "tasks[0] must be an object"),
            (without_command, "missing or mistyped fields ['command']"),
            (with_task(upstream="load"), "missing or mistyped fields ['upstream']"),
            (with_task(pool="x"), "unknown fields ['pool']"),
            (with_task(task_id="has space"), "is not a valid Airflow task id"),
            (with_task(kind="sensor"), "kind 'sensor' is not one of"),
            (with_task(command=[]), "command must be a non-empty list"),
            (with_task(command=["aoe", ""]), "command must be a non-empty list"),
            (with_task(upstream=[1]), "upstream must be a list of task ids"),
        ]
        for value, fragment in cases:
            with self.subTest(fragment=fragment):
                self.assertInvalid(value, fragment)

    def test_graph_problems(self):
        duplicate = spec()
        duplicate["tasks"][1]["task_id"] = "extract"
        self.assertInvalid(duplicate, "duplicate task ids ['extract']")
        unknown = spec()
        unknown["tasks"][0]["upstream"] = ["nowhere"]
        self.assertInvalid(unknown, "task 'extract' depends on unknown task 'nowhere'")
        cycle = spec()
        cycle["tasks"][0]["upstream"] = ["load"]
        self.assertInvalid(cycle, "cycle: extract -> load -> validate -> transform -> extract")


class LoadSpecsTest(unittest.TestCase):
    def test_reads_valid_specs_and_skips_bad_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "aoe__orders.json").write_text(json.dumps(FIXTURE), encoding="utf-8")
            (folder / "aoe__b.json").write_text(json.dumps(spec(dag_id="aoe__b")), encoding="utf-8")
            (folder / "broken.json").write_text("{", encoding="utf-8")
            (folder / "invalid.json").write_text(json.dumps(spec(dag_id="invalid", spec_version=9)), encoding="utf-8")
            (folder / "renamed.json").write_text(json.dumps(FIXTURE), encoding="utf-8")
            (folder / ".aoe__c.json").write_text(json.dumps(spec(dag_id="aoe__c")), encoding="utf-8")
            (folder / ".aoe__d.json.0b1c.tmp").write_text("{", encoding="utf-8")
            (folder / "notes.txt").write_text("not a spec", encoding="utf-8")
            with self.assertLogs(factory.log, level="ERROR") as logs:
                specs = factory.load_specs(folder)
        self.assertEqual([s["dag_id"] for s in specs], ["aoe__b", "aoe__orders"])
        self.assertEqual(len(logs.records), 3)
        joined = "\n".join(logs.output)
        self.assertIn("broken.json", joined)
        self.assertIn("spec_version 9", joined)
        self.assertIn("file name must be aoe__orders.json", joined)

    def test_a_missing_folder_means_no_dags(self):
        with self.assertLogs(factory.log, level="WARNING"):
            self.assertEqual(factory.load_specs(Path("/nonexistent/aoe-specs")), [])

    def test_defaults_to_the_configured_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "aoe__orders.json").write_text(json.dumps(FIXTURE), encoding="utf-8")
            with mock.patch.dict("os.environ", {"AOE_DAG_SPEC_DIR": tmp}):
                self.assertEqual([s["dag_id"] for s in factory.load_specs()], ["aoe__orders"])


class AirflowPartTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = Path(self.tmp.name)
        (self.folder / "aoe__orders.json").write_text(json.dumps(FIXTURE), encoding="utf-8")

    def tearDown(self):
        self.tmp.cleanup()

    def test_without_airflow_nothing_is_registered(self):
        namespace = {}
        with mock.patch.dict(sys.modules, {"airflow": None}):
            self.assertFalse(factory.airflow_available())
            self.assertEqual(factory.register(namespace, self.folder), [])
        self.assertEqual(namespace, {})
        self.assertNotIn("aoe__orders", vars(factory))

    def test_airflow_3_gets_one_dag_per_spec_with_the_wiring(self):
        namespace = {}
        with mock.patch.dict(sys.modules, fake_airflow(3)), mock.patch.dict("os.environ", {"AOE_DAG_OPERATOR": "bash"}):
            self.assertEqual(factory.register(namespace, self.folder), ["aoe__orders"])
        dag = namespace["aoe__orders"]
        self.assertIsInstance(dag, FakeDag)
        self.assertEqual(dag.kwargs["dag_id"], "aoe__orders")
        self.assertEqual(
            {task_id: task.upstream for task_id, task in dag.tasks.items()},
            {"extract": [], "transform": ["extract"], "validate": ["transform"], "load": ["validate"]},
        )
        self.assertEqual(dag.tasks["load"].kwargs["env"], {"AOE_ARG_4": RUN_ID})

    def test_airflow_2_imports_and_the_kubernetes_variant(self):
        namespace = {}
        env = {"AOE_DAG_OPERATOR": "kubernetes", "AOE_WORKER_IMAGE": "img:1"}
        with mock.patch.dict(sys.modules, fake_airflow(2)), mock.patch.dict("os.environ", env):
            self.assertEqual(factory.register(namespace, self.folder), ["aoe__orders"])
        self.assertEqual(namespace["aoe__orders"].tasks["load"].kwargs["cmds"], ["aoe"])

    def test_airflow_2_bash(self):
        namespace = {}
        with mock.patch.dict(sys.modules, fake_airflow(2)), mock.patch.dict("os.environ", {"AOE_DAG_OPERATOR": "bash"}):
            self.assertEqual(factory.register(namespace, self.folder), ["aoe__orders"])
        self.assertIn("bash_command", namespace["aoe__orders"].tasks["load"].kwargs)

    def test_a_spec_airflow_refuses_is_skipped_and_the_others_registered(self):
        bad = spec(dag_id="aoe__bad")
        bad["tasks"][0]["task_id"] = "explode"
        bad["tasks"][1]["upstream"] = ["explode"]
        (self.folder / "aoe__bad.json").write_text(json.dumps(bad), encoding="utf-8")
        namespace = {}
        with mock.patch.dict(sys.modules, fake_airflow(3)), self.assertLogs(factory.log, level="ERROR") as logs:
            self.assertEqual(factory.register(namespace, self.folder), ["aoe__orders"])
        self.assertIn("aoe__bad", logs.output[0])
        self.assertEqual(sorted(namespace), ["aoe__orders"])


if __name__ == "__main__":
    unittest.main()
