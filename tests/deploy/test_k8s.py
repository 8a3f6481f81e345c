"""The Kubernetes manifests: valid against the API schemas, and wired together as intended."""

from __future__ import annotations

import copy
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml

from tests.deploy.deploy_files import (
    K8S_DIR,
    REDIS_CONF,
    SECRET_SETTINGS,
    all_k8s_resources,
    k8s_manifest_files,
    k8s_resources,
    redis_directives,
)
from tests.deploy.real_redis import config_for, refuses_unauthenticated_clients

# The oldest Kubernetes release the README promises, and the newest the validator knows.
KUBERNETES_VERSIONS = ["1.29", kubernetes_validate.latest_version()]
SECRET_TEMPLATE = K8S_DIR / "secret.example.yaml"
RESOURCES = all_k8s_resources()
SETTINGS = RESOURCES[("ConfigMap", "alignbot-settings")]["data"]


def pod_spec(kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = RESOURCES[(kind, name)]["spec"]["template"]["spec"]
    return spec


def pod_labels(kind: str, name: str) -> dict[str, str]:
    labels: dict[str, str] = RESOURCES[(kind, name)]["spec"]["template"]["metadata"]["labels"]
    return labels


def only_container(kind: str, name: str) -> dict[str, Any]:
    containers = pod_spec(kind, name)["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


QUANTITY_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
QUANTITY_FACTORS.update({"Ki": 2**10, "Mi": 2**20, "Gi": 2**30})


def quantity(text: str | int) -> float:
    """A Kubernetes quantity (cpu "200m", memory "768Mi") as a plain number."""
    match = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?", str(text))
    assert match, text
    factors = {
        None: 1,
        "m": 1e-3,
        "k": 1e3,
        "M": 1e6,
        "G": 1e9,
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
    }
    return float(match[1]) * factors[match[2]]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", k8s_manifest_files(), ids=lambda path: path.name)
def test_manifest_is_valid_against_the_kubernetes_schema(path: Path, version: str) -> None:
    resources = k8s_resources(path)
    assert resources
    for resource in resources:
        # strict: a misspelled or misplaced field is an error, not silently ignored
        kubernetes_validate.validate(resource, version, strict=True)


def test_strict_validation_catches_a_misspelled_field() -> None:
    deployment = copy.deepcopy(RESOURCES[("Deployment", "alignbot")])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_kustomization_applies_every_manifest_but_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    expected = {path.name for path in k8s_manifest_files()} - {SECRET_TEMPLATE.name}
    assert set(listed) == expected


def test_bot_runs_two_or_more_replicas_in_http_mode() -> None:
    assert RESOURCES[("Deployment", "alignbot")]["spec"]["replicas"] >= 2
    bot = only_container("Deployment", "alignbot")
    assert bot["args"] == ["alignbot", "serve"]
    assert "SLACK_APP_TOKEN" not in SETTINGS, "an app token would switch the bot to Socket Mode"
    assert RESOURCES[("PodDisruptionBudget", "alignbot")]["spec"]["minAvailable"] >= 1


def http_probe(container: dict[str, Any], probe: str) -> tuple[str, int]:
    """(path, container port number) that ``probe`` calls, resolving a named port."""
    get = container[probe]["httpGet"]
    named = {port["name"]: port["containerPort"] for port in container["ports"]}
    port = named[get["port"]] if isinstance(get["port"], str) else get["port"]
    return get["path"], port


def test_bot_probes_ask_readyz_for_readiness_and_healthz_for_liveness() -> None:
    bot = only_container("Deployment", "alignbot")
    listening = int(SETTINGS["PORT"])
    assert http_probe(bot, "readinessProbe") == ("/readyz", listening)
    assert http_probe(bot, "livenessProbe") == ("/healthz", listening)
    # Liveness must not depend on Redis: a Redis outage should take pods out of the Service,
    # not restart every replica at once.
    assert http_probe(bot, "startupProbe")[0] == "/healthz"


WORKLOADS = [
    ("Deployment", "alignbot"),
    ("Deployment", "alignbot-worker"),
    ("StatefulSet", "alignbot-redis"),
]


@pytest.mark.parametrize(("kind", "name"), WORKLOADS)
def test_every_container_has_requests_within_limits(kind: str, name: str) -> None:
    resources = only_container(kind, name)["resources"]
    for kind_of_resource in ("cpu", "memory"):
        request = quantity(resources["requests"][kind_of_resource])
        limit = quantity(resources["limits"][kind_of_resource])
        assert 0 < request <= limit


@pytest.mark.parametrize(("kind", "name"), WORKLOADS)
def test_every_pod_runs_unprivileged(kind: str, name: str) -> None:
    pod = pod_spec(kind, name)["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] != 0
    container = only_container(kind, name)["securityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]
    assert pod_spec(kind, name)["automountServiceAccountToken"] is False


@pytest.mark.parametrize("name", ["alignbot", "alignbot-worker"])
def test_settings_come_from_the_config_map_and_secrets_from_the_secret(name: str) -> None:
    container = only_container("Deployment", name)
    sources = [
        ("configMap", s["configMapRef"]["name"])
        if "configMapRef" in s
        else ("secret", s["secretRef"]["name"])
        for s in container["envFrom"]
    ]
    secret_name = k8s_resources(SECRET_TEMPLATE)[0]["metadata"]["name"]
    # The Secret comes last so that it wins, e.g. for an external REDIS_URL with a password.
    assert sources == [("configMap", "alignbot-settings"), ("secret", secret_name)]
    for variable in container.get("env", []):
        if variable["name"] in SECRET_SETTINGS:
            assert "value" not in variable, f"{variable['name']} is written into the manifest"


def test_no_secret_setting_sits_in_the_config_map() -> None:
    assert not set(SETTINGS) & set(SECRET_SETTINGS)


def secret_template() -> dict[str, str]:
    (secret,) = k8s_resources(SECRET_TEMPLATE)
    assert secret["kind"] == "Secret"
    values: dict[str, str] = secret["stringData"]
    return values


def test_secret_template_holds_only_placeholders() -> None:
    values = secret_template()
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_PASSWORD"} <= set(values)
    # REDIS_URL is the one value around a placeholder: the URL is no secret, its password is.
    url = values.pop("REDIS_URL")
    assert set(values.values()) == {"REPLACE_ME"}
    assert urlparse(url).password == "REPLACE_ME"
    assert "TEMPLATE" in SECRET_TEMPLATE.read_text().splitlines()[0]


def test_workers_run_the_worker_command() -> None:
    assert RESOURCES[("Deployment", "alignbot-worker")]["spec"]["replicas"] >= 1
    worker = only_container("Deployment", "alignbot-worker")
    assert worker["args"] == ["alignbot", "worker"]
    # A worker serves no HTTP: an HTTP probe would restart healthy workers for ever.
    assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(worker)


def test_redis_url_with_its_password_is_in_the_secret_and_points_at_the_statefulset() -> None:
    assert "REDIS_URL" not in SETTINGS, "the ConfigMap would hold a URL without the password"
    url = urlparse(secret_template()["REDIS_URL"])
    assert url.password == secret_template()["REDIS_PASSWORD"]
    service = RESOURCES[("Service", "alignbot-redis")]
    statefulset = RESOURCES[("StatefulSet", "alignbot-redis")]
    assert url.scheme == "redis"
    assert url.hostname == service["metadata"]["name"] == statefulset["spec"]["serviceName"]
    assert url.port == service["spec"]["ports"][0]["port"]
    redis_labels = pod_labels("StatefulSet", "alignbot-redis")
    assert service["spec"]["selector"].items() <= redis_labels.items()


def test_redis_keeps_data_on_a_claim_and_reads_the_shipped_config() -> None:
    statefulset = RESOURCES[("StatefulSet", "alignbot-redis")]
    redis = only_container("StatefulSet", "alignbot-redis")
    mounts = {mount["name"]: mount["mountPath"] for mount in redis["volumeMounts"]}
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    data_dir = redis_directives(REDIS_CONF.read_text())["dir"][-1][0]
    assert mounts[claim["metadata"]["name"]] == data_dir
    assert claim["spec"]["resources"]["requests"]["storage"]
    assert statefulset["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"

    assert redis["args"][0] == "redis-server"
    config_path = Path(redis["args"][1])
    (config_volume,) = [
        v for v in pod_spec("StatefulSet", "alignbot-redis")["volumes"] if "configMap" in v
    ]
    assert mounts[config_volume["name"]] == str(config_path.parent)
    config_map = RESOURCES[("ConfigMap", config_volume["configMap"]["name"])]
    assert config_map["data"][config_path.name] == REDIS_CONF.read_text()


def test_only_bot_and_worker_pods_may_reach_redis() -> None:
    policy = RESOURCES[("NetworkPolicy", "alignbot-redis")]["spec"]
    redis_labels = RESOURCES[("StatefulSet", "alignbot-redis")]["spec"]["template"]["metadata"][
        "labels"
    ]
    assert policy["podSelector"]["matchLabels"].items() <= redis_labels.items()
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    (peer,) = rule["from"]
    allowed = {e["key"]: set(e["values"]) for e in peer["podSelector"]["matchExpressions"]}
    assert allowed["app.kubernetes.io/component"] == {"bot", "worker"}
    for name in ("alignbot", "alignbot-worker"):
        labels = pod_labels("Deployment", name)
        assert all(labels[key] in values for key, values in allowed.items())


def test_service_reaches_the_bot_pods_on_their_http_port() -> None:
    service = RESOURCES[("Service", "alignbot")]["spec"]
    labels = pod_labels("Deployment", "alignbot")
    assert service["selector"].items() <= labels.items()
    worker_labels = RESOURCES[("Deployment", "alignbot-worker")]["spec"]["template"]["metadata"][
        "labels"
    ]
    assert not service["selector"].items() <= worker_labels.items()
    port_names = {port["name"] for port in only_container("Deployment", "alignbot")["ports"]}
    assert {port["targetPort"] for port in service["ports"]} <= port_names


def test_ingress_exposes_only_slack_events() -> None:
    ingress = RESOURCES[("Ingress", "alignbot")]["spec"]
    assert "defaultBackend" not in ingress
    paths = [path for rule in ingress["rules"] for path in rule["http"]["paths"]]
    assert [(p["path"], p["pathType"]) for p in paths] == [("/slack/events", "Exact")]
    backend = paths[0]["backend"]["service"]
    service = RESOURCES[("Service", backend["name"])]
    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    # Slack calls only https:// request URLs.
    tls_hosts = {host for tls in ingress["tls"] for host in tls["hosts"]}
    assert {rule["host"] for rule in ingress["rules"]} <= tls_hosts


def secret_key_of(variable: dict[str, Any]) -> tuple[str, str]:
    ref = variable["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def test_redis_writes_its_password_from_the_secret_into_the_file_its_config_includes() -> None:
    secret_name = k8s_resources(SECRET_TEMPLATE)[0]["metadata"]["name"]
    pod = pod_spec("StatefulSet", "alignbot-redis")
    [init] = pod["initContainers"]
    redis = only_container("StatefulSet", "alignbot-redis")
    [include] = redis_directives(REDIS_CONF.read_text())["include"]
    auth_dir = str(Path(include[0]).parent)

    [password] = [v for v in init["env"] if v["name"] == "REDIS_PASSWORD"]
    assert secret_key_of(password) == (secret_name, "REDIS_PASSWORD")
    writes = {m["name"] for m in init["volumeMounts"] if m["mountPath"] == auth_dir}
    reads = {m["name"] for m in redis["volumeMounts"] if m["mountPath"] == auth_dir}
    assert writes == reads != set()
    [volume] = [v for v in pod["volumes"] if v["name"] in reads]
    assert volume["emptyDir"]["medium"] == "Memory"  # the password never reaches a disk
    # Not on a command line either, where ps would show it.
    assert not any("REDIS_PASSWORD" in part for part in redis["args"])

    # The readiness probe authenticates: an unauthenticated ping is refused, and not a PONG.
    [auth] = [v for v in redis["env"] if v["name"] == "REDISCLI_AUTH"]
    assert secret_key_of(auth) == (secret_name, "REDIS_PASSWORD")
    assert "PONG" in " ".join(redis["readinessProbe"]["exec"]["command"])


def test_the_init_containers_password_file_makes_a_real_redis_require_it(tmp_path: Path) -> None:
    [init] = pod_spec("StatefulSet", "alignbot-redis")["initContainers"]
    [include] = redis_directives(REDIS_CONF.read_text())["include"]
    config = config_for(tmp_path, password=None)  # the file is the init container's to write
    command = [part.replace(include[0], str(tmp_path / "auth.conf")) for part in init["command"]]
    password = "from-the-secret"
    subprocess.run(command, env={**os.environ, "REDIS_PASSWORD": password}, check=True)

    assert refuses_unauthenticated_clients(config, password=password)
    # And with an empty secret it writes nothing, so Redis would not start.
    (tmp_path / "auth.conf").unlink()
    empty = subprocess.run(command, env={**os.environ, "REDIS_PASSWORD": ""}, check=False)
    assert empty.returncode != 0
    assert not (tmp_path / "auth.conf").exists()
