"""Kafka security settings: read from the environment, checked for consistency, turned into the
options of every client in one place, and the password never printed."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import faust
import pytest

from stocksync.kafka_security import client_options, describe, faust_credentials
from stocksync.settings import Settings, SettingsError
from tests.security.tls import make_certificates

SCRAM = {"KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "KAFKA_SASL_MECHANISM": "scram-sha-512",
         "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": "pw-Zq81"}


def test_plaintext_is_the_default_and_adds_nothing() -> None:
    """Without security settings clients get the bootstrap servers and PLAINTEXT only."""
    settings = Settings.from_env({})
    assert {"bootstrap_servers": "127.0.0.1:19092",
            "security_protocol": "PLAINTEXT"} == client_options(settings)
    assert faust_credentials(settings) is None


def test_sasl_settings_become_client_options_and_faust_credentials() -> None:
    """SASL_PLAINTEXT with SCRAM: the same keyword arguments for kafka-python and aiokafka."""
    settings = Settings.from_env(SCRAM)
    assert {"bootstrap_servers": "127.0.0.1:19092", "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "alice",
            "sasl_plain_password": "pw-Zq81"} == client_options(settings)
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert ("SASL_PLAINTEXT", "SCRAM-SHA-512", "alice", "pw-Zq81") == (
        credentials.protocol.value, credentials.mechanism.value, credentials.username,
        credentials.password)


def test_tls_settings_give_a_verifying_context(tmp_path: Path) -> None:
    """SASL_SSL: a context that verifies the broker's certificate and host name."""
    ca = make_certificates(tmp_path).ca
    settings = Settings.from_env({**SCRAM, "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                                  "KAFKA_SSL_CAFILE": str(ca)})
    context = client_options(settings)["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    credentials = faust_credentials(settings)
    assert credentials.protocol.value == "SASL_SSL" and credentials.ssl_context is not None
    ssl_only = faust_credentials(Settings.from_env({"KAFKA_SECURITY_PROTOCOL": "SSL"}))
    assert isinstance(ssl_only, faust.SSLCredentials)


@pytest.mark.parametrize(("env", "words"), [
    ({"KAFKA_SECURITY_PROTOCOL": "SASL"}, "one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
    ({**SCRAM, "KAFKA_SASL_USERNAME": ""}, "SASL_PLAINTEXT needs KAFKA_SASL_USERNAME"),
    ({**SCRAM, "KAFKA_SASL_PASSWORD": ""}, "needs KAFKA_SASL_PASSWORD"),
    ({**SCRAM, "KAFKA_SASL_MECHANISM": ""}, "needs KAFKA_SASL_MECHANISM"),
    ({**SCRAM, "KAFKA_SASL_MECHANISM": "GSSAPI"}, "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"),
    ({"KAFKA_SASL_USERNAME": "alice"}, "KAFKA_SASL_USERNAME set but KAFKA_SECURITY_PROTOCOL"),
    ({**SCRAM, "KAFKA_SSL_CAFILE": "/etc/hosts"}, "KAFKA_SSL_CAFILE set but"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"},
     "no such readable file"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_KEYFILE": "/etc/hosts"},
     "KAFKA_SSL_CERTFILE, which is not set"),
])
def test_inconsistent_settings_fail_clearly(env: dict[str, str], words: str) -> None:
    """Settings that do not fit together are refused at start, naming the variable."""
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(env)


def test_the_password_never_reaches_a_repr_or_a_description() -> None:
    """repr(settings), the worker's start-up log fields and faust's credentials hide it."""
    settings = Settings.from_env(SCRAM)
    assert Settings.from_env(settings.to_env()) == settings
    for text in (repr(settings), str(describe(settings)), repr(faust_credentials(settings))):
        assert "pw-Zq81" not in text
        assert "alice" in text


def test_the_settings_secrets_are_masked_in_every_log_line() -> None:
    """Whoever logs the Kafka password or a token (kafka-python's admin client logs its whole
    configuration at DEBUG), the line shows a mask."""
    settings = Settings.from_env({**SCRAM, "STOCKSYNC_API_TOKENS": "viewer:tok-V1,operator:tok-O2"})
    assert ("pw-Zq81", "tok-V1", "tok-O2") == settings.secrets
    script = ("import logging, sys, structlog\n"
              "from stocksync.logs import configure_logging\n"
              "configure_logging('json', 'debug', sys.argv[1:])\n"
              "logging.getLogger('some.library').warning('config: %s', {'password': 'pw-Zq81'})\n"
              "structlog.get_logger('ours').info('started', tokens='tok-V1,tok-O2')\n")
    result = subprocess.run([sys.executable, "-c", script, *settings.secrets],
                            capture_output=True, text=True, timeout=60, check=True)
    lines = result.stderr.splitlines()
    assert 2 == len(lines)
    assert "{'password': '********'}" in lines[0] and "'********,********'" in lines[1].replace(
        '"', "'")
