"""``/metrics`` is not served to the world by default: compose publishes the bot's port on the
loopback interface, and both deployments carry the scrape token as a secret."""

from __future__ import annotations

import yaml

from tests.deploy.deploy_files import DEPLOY_DIR, K8S_DIR, compose_file

SECRET_TEMPLATE = K8S_DIR / "secret.example.yaml"


def test_compose_publishes_the_bot_on_loopback_unless_told_otherwise() -> None:
    [mapping] = compose_file()["services"]["bot"]["ports"]
    # HOST_IP:HOST_PORT:CONTAINER_PORT, the host address defaulting to the loopback one.
    assert str(mapping).startswith("${ALIGNBOT_HTTP_BIND:-127.0.0.1}:")


def test_the_k8s_secret_template_carries_the_metrics_token() -> None:
    secret = yaml.safe_load(SECRET_TEMPLATE.read_text())
    assert "ALIGN_METRICS_TOKEN" in secret["stringData"]


def test_the_deploy_guide_shows_a_scrape_that_sends_the_token() -> None:
    guide = (DEPLOY_DIR / "README.md").read_text()
    assert "ALIGN_METRICS_TOKEN" in guide
    assert "authorization:" in guide and "credentials_file:" in guide
