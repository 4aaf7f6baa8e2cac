"""AOE DAG factory: one Airflow DAG per JSON DAG spec that the dispatcher writes.

The dispatcher (services/dispatcher/src/airflow/dag-spec.ts) renders each pipeline
plan as ``<dag_id>.json`` into a DAG-spec folder. This single file turns every spec
in that folder into an Airflow DAG whose tasks run the platform's worker for one
plan task each::

    aoe worker run-task --run <run id from dag_run.conf['run_id']> --task <plan task id>

Configuration (environment of the DAG processor and of the workers):

``AOE_DAG_SPEC_DIR``
    Folder of ``*.json`` specs. Default: ``aoe_specs/`` next to this file.
``AOE_DAG_OPERATOR``
    ``bash`` (default): a BashOperator per task, running ``aoe`` on the Airflow worker.
    ``kubernetes``: a KubernetesPodOperator per task, running the worker image in its
    own pod (needs ``apache-airflow-providers-cncf-kubernetes``).
``AOE_WORKER_IMAGE``
    Image with the ``aoe`` CLI; required with ``kubernetes``.
``AOE_K8S_NAMESPACE``
    Namespace of the worker pods with ``kubernetes``. Default: ``default``.

The spec → DAG mapping (``validate_spec``, ``definition``, ``load_specs``) is plain
Python over dicts, importable and testable without Airflow. Airflow is imported only
by ``build_dag`` / ``register``, which run at import time when Airflow is installed.
A spec that cannot be read or is invalid is logged and skipped, so one bad file
never hides the other DAGs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, MutableMapping, Optional, Tuple

log = logging.getLogger(__name__)

SPEC_VERSION = 1
KINDS = ("extract", "transform", "validate", "load")
OPERATORS = ("bash", "kubernetes")
# Airflow's KEY_REGEX for DAG and task ids; a DAG id also names a (non-hidden) file.
KEY_RE = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")
DAG_ID_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,249}$")
# Jinja markers: an argument holding one is rendered by Airflow, so it must not be parsed by a shell.
JINJA_RE = re.compile(r"\{[{%#]")
DEFAULT_SPEC_DIR = Path(__file__).resolve().parent / "aoe_specs"

REQUIRED_FIELDS: Dict[str, Any] = {
    "spec_version": int,
    "dag_id": str,
    "description": str,
    "schedule": (str, type(None)),
    "start_date": str,
    "max_active_runs": int,
    "retries": int,
    "tags": list,
    "pipeline_id": str,
    "plan_version": int,
    "tasks": list,
}
TASK_FIELDS: Dict[str, Any] = {
    "task_id": str,
    "plan_task_id": str,
    "kind": str,
    "upstream": list,
    "command": list,
}


class SpecError(ValueError):
    """A DAG spec (or the factory's configuration) that cannot become a DAG."""


def spec_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if environ is None else environ
    value = env.get("AOE_DAG_SPEC_DIR", "").strip()
    return Path(value) if value else DEFAULT_SPEC_DIR


def parse_start_date(value: str) -> datetime:
    """ISO 8601 with an offset; ``Z`` is accepted on every Python version Airflow supports."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SpecError(f"start_date is not an ISO 8601 date-time: {value!r}") from error
    if parsed.tzinfo is None:
        raise SpecError(f"start_date has no UTC offset: {value!r}")
    return parsed


def _is(value: Any, expected: Any) -> bool:
    # bool is an int in Python; a spec field is never meant to be a bool.
    return isinstance(value, expected) and not isinstance(value, bool)


def validate_spec(spec: Any) -> Dict[str, Any]:
    """Returns the spec when it is a valid version-1 DAG spec, else raises SpecError naming every problem."""
    if not isinstance(spec, dict):
        raise SpecError("a DAG spec must be a JSON object")
    problems: List[str] = []
    for field, expected in REQUIRED_FIELDS.items():
        if field not in spec:
            problems.append(f"missing field {field!r}")
        elif not _is(spec[field], expected):
            problems.append(f"field {field!r} has the wrong type")
    unknown = sorted(set(spec) - set(REQUIRED_FIELDS))
    if unknown:
        problems.append(f"unknown fields {unknown}")
    if problems:
        raise SpecError("; ".join(problems))

    if spec["spec_version"] != SPEC_VERSION:
        raise SpecError(f"spec_version {spec['spec_version']} is not supported (this factory reads {SPEC_VERSION})")
    if not DAG_ID_RE.match(spec["dag_id"]):
        problems.append(f"dag_id {spec['dag_id']!r} is not a valid Airflow DAG id")
    if spec["max_active_runs"] < 1:
        problems.append("max_active_runs must be at least 1")
    if spec["retries"] < 0:
        problems.append("retries must not be negative")
    if not all(isinstance(tag, str) and 0 < len(tag) <= 100 for tag in spec["tags"]):
        problems.append("tags must be strings of 1 to 100 characters")
    try:
        parse_start_date(spec["start_date"])
    except SpecError as error:
        problems.append(str(error))
    if not spec["tasks"]:
        problems.append("a DAG needs at least one task")

    ids: List[str] = []
    for index, task in enumerate(spec["tasks"]):
        where = f"tasks[{index}]"
        if not isinstance(task, dict):
            problems.append(f"{where} must be an object")
            continue
        bad = [f for f, expected in TASK_FIELDS.items() if f not in task or not _is(task[f], expected)]
        if bad:
            problems.append(f"{where}: missing or mistyped fields {bad}")
            continue
        extra = sorted(set(task) - set(TASK_FIELDS))
        if extra:
            problems.append(f"{where}: unknown fields {extra}")
        if not KEY_RE.match(task["task_id"]):
            problems.append(f"{where}: task_id {task['task_id']!r} is not a valid Airflow task id")
        if task["kind"] not in KINDS:
            problems.append(f"{where}: kind {task['kind']!r} is not one of {list(KINDS)}")
        if not task["command"] or not all(isinstance(arg, str) and arg for arg in task["command"]):
            problems.append(f"{where}: command must be a non-empty list of non-empty strings")
        if not all(isinstance(up, str) for up in task["upstream"]):
            problems.append(f"{where}: upstream must be a list of task ids")
        ids.append(task["task_id"])
    if problems:
        raise SpecError("; ".join(problems))

    duplicates = sorted({task_id for task_id in ids if ids.count(task_id) > 1})
    if duplicates:
        problems.append(f"duplicate task ids {duplicates}")
    known = set(ids)
    for task in spec["tasks"]:
        for up in task["upstream"]:
            if up not in known:
                problems.append(f"task {task['task_id']!r} depends on unknown task {up!r}")
    if not problems:
        cycle = _find_cycle({task["task_id"]: task["upstream"] for task in spec["tasks"]})
        if cycle:
            problems.append("cycle: " + " -> ".join(cycle))
    if problems:
        raise SpecError("; ".join(problems))
    return spec


def _find_cycle(upstream: Mapping[str, List[str]]) -> Optional[List[str]]:
    state: Dict[str, str] = {}

    def visit(node: str, path: List[str]) -> Optional[List[str]]:
        if state.get(node) == "done":
            return None
        if state.get(node) == "visiting":
            return path + [node]
        state[node] = "visiting"
        for up in upstream[node]:
            found = visit(up, path + [node])
            if found:
                return found
        state[node] = "done"
        return None

    for node in upstream:
        found = visit(node, [])
        if found:
            return found
    return None


def bash_command(argv: List[str]) -> Tuple[str, Dict[str, str]]:
    """The BashOperator form of an argv: ``(bash_command, env)``.

    Plain arguments are shell-quoted. An argument holding Jinja (``{{ dag_run.conf['run_id'] }}``)
    goes into an environment variable (``env`` is templated too) and the command reads it as
    ``"$AOE_ARG_<n>"``: what Airflow renders is never parsed by the shell.
    """
    parts: List[str] = []
    env: Dict[str, str] = {}
    for index, arg in enumerate(argv):
        if JINJA_RE.search(arg):
            name = f"AOE_ARG_{index}"
            env[name] = arg
            parts.append(f'"${name}"')
        else:
            parts.append(shlex.quote(arg))
    command = " ".join(parts)
    # BashOperator reads a command ending in .sh/.bash as a template file; a trailing space prevents it.
    if command.endswith((".sh", ".bash")):
        command += " "
    return command, env


def pod_name(task_id: str) -> str:
    """A Kubernetes pod name (DNS-1123 label) for a task; the operator adds a random suffix."""
    name = re.sub(r"[^a-z0-9-]+", "-", task_id.lower()).strip("-")
    return ("aoe-" + name)[:50].rstrip("-") or "aoe-task"


def operator_settings(environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    env = os.environ if environ is None else environ
    operator = env.get("AOE_DAG_OPERATOR", "bash").strip() or "bash"
    if operator not in OPERATORS:
        raise SpecError(f"AOE_DAG_OPERATOR must be one of {list(OPERATORS)}, not {operator!r}")
    settings: Dict[str, Any] = {"operator": operator}
    if operator == "kubernetes":
        image = env.get("AOE_WORKER_IMAGE", "").strip()
        if not image:
            raise SpecError("AOE_WORKER_IMAGE must name the worker image when AOE_DAG_OPERATOR=kubernetes")
        settings["image"] = image
        settings["namespace"] = env.get("AOE_K8S_NAMESPACE", "").strip() or "default"
    return settings


def task_definition(task: Mapping[str, Any], settings: Mapping[str, Any]) -> Dict[str, Any]:
    argv = list(task["command"])
    if settings["operator"] == "kubernetes":
        # No shell: cmds and arguments are templated fields, so the Jinja argument is rendered in place.
        kwargs: Dict[str, Any] = {
            "task_id": task["task_id"],
            "name": pod_name(task["task_id"]),
            "namespace": settings["namespace"],
            "image": settings["image"],
            "cmds": argv[:1],
            "arguments": argv[1:],
            "get_logs": True,
            "on_finish_action": "delete_pod",
        }
    else:
        command, env = bash_command(argv)
        kwargs = {"task_id": task["task_id"], "bash_command": command}
        if env:
            kwargs["env"] = env
            kwargs["append_env"] = True
    return {
        "task_id": task["task_id"],
        "operator": settings["operator"],
        "upstream": list(task["upstream"]),
        "kwargs": kwargs,
    }


def definition(spec: Mapping[str, Any], settings: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The pure spec → DAG mapping: the DAG's keyword arguments and one operator definition per task."""
    valid = validate_spec(dict(spec))
    chosen = operator_settings() if settings is None else settings
    return {
        "dag_id": valid["dag_id"],
        "dag_kwargs": {
            "dag_id": valid["dag_id"],
            "description": valid["description"],
            "schedule": valid["schedule"],
            "start_date": parse_start_date(valid["start_date"]),
            "catchup": False,
            "max_active_runs": valid["max_active_runs"],
            "tags": list(valid["tags"]),
            "default_args": {"retries": valid["retries"]},
            "doc_md": (
                f"Generated by the AOE DAG factory from `{valid['dag_id']}.json`: "
                f"pipeline `{valid['pipeline_id']}`, plan version {valid['plan_version']}. "
                "Trigger it with `conf = {\"run_id\": \"<AOE run id>\"}`; the dispatcher does."
            ),
        },
        "tasks": [task_definition(task, chosen) for task in valid["tasks"]],
    }


def load_specs(folder: Optional[Path] = None) -> List[Dict[str, Any]]:
    """Valid specs of ``folder`` (default: ``spec_dir()``), by file name; bad files are logged and skipped."""
    directory = Path(folder) if folder is not None else spec_dir()
    if not directory.is_dir():
        log.warning("AOE DAG spec folder %s does not exist; no AOE DAGs", directory)
        return []
    specs: List[Dict[str, Any]] = []
    for path in sorted(directory.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            spec = validate_spec(json.loads(path.read_text(encoding="utf-8")))
            if spec["dag_id"] + ".json" != path.name:
                raise SpecError(f"file name must be {spec['dag_id']}.json")
        except (OSError, ValueError) as error:
            log.error("skipping AOE DAG spec %s: %s", path, error)
            continue
        specs.append(spec)
    return specs


# ---- Airflow ------------------------------------------------------------------------------------------------------


def airflow_available() -> bool:
    try:
        import airflow  # noqa: F401
    except ImportError:
        return False
    return True


def _airflow_classes(operator: str) -> Tuple[Any, Any]:
    try:
        from airflow.sdk import DAG  # Airflow 3
    except ImportError:
        from airflow import DAG  # Airflow 2
    if operator == "kubernetes":
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

        return DAG, KubernetesPodOperator
    try:
        from airflow.providers.standard.operators.bash import BashOperator  # Airflow 3
    except ImportError:
        from airflow.operators.bash import BashOperator  # Airflow 2
    return DAG, BashOperator


def build_dag(defn: Mapping[str, Any]) -> Any:
    """An Airflow DAG from ``definition(spec)``."""
    operators = {task["operator"] for task in defn["tasks"]}
    dag_class, operator_class = _airflow_classes(operators.pop() if operators else "bash")
    with dag_class(**defn["dag_kwargs"]) as dag:
        tasks = {task["task_id"]: operator_class(**task["kwargs"]) for task in defn["tasks"]}
        for task in defn["tasks"]:
            for up in task["upstream"]:
                tasks[up] >> tasks[task["task_id"]]
    return dag


def register(namespace: MutableMapping[str, Any], folder: Optional[Path] = None) -> List[str]:
    """Puts one DAG per valid spec into ``namespace`` (the module globals Airflow scans); returns their ids."""
    if not airflow_available():
        return []
    settings = operator_settings()
    registered: List[str] = []
    for spec in load_specs(folder):
        try:
            dag = build_dag(definition(spec, settings))
        except Exception:  # one broken spec must not hide the other DAGs
            log.exception("skipping AOE DAG spec %s", spec.get("dag_id"))
            continue
        namespace[spec["dag_id"]] = dag
        registered.append(spec["dag_id"])
    return registered


register(globals())
