"""How every Kafka client of the project connects: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL,
with SASL PLAIN or SCRAM. The one place that turns the settings into client options:
kafka-python and aiokafka take the same keyword arguments, faust takes credentials."""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import TYPE_CHECKING, Any

from stocksync.settings import SettingsError

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

    from stocksync.settings import Settings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class KafkaLoginError(RuntimeError):
    """The broker refused the configured credentials or TLS failed; the message says which."""


def uses_sasl(settings: Settings) -> bool:
    return settings.kafka_security_protocol.startswith("SASL_")


def uses_ssl(settings: Settings) -> bool:
    return settings.kafka_security_protocol in ("SSL", "SASL_SSL")


def check_security(settings: Settings) -> None:
    """SettingsError naming the variable when the Kafka security settings do not fit together."""
    protocol = settings.kafka_security_protocol
    if protocol not in PROTOCOLS:
        raise SettingsError(f"KAFKA_SECURITY_PROTOCOL={protocol!r}: one of {', '.join(PROTOCOLS)}")
    sasl = {"KAFKA_SASL_MECHANISM": settings.kafka_sasl_mechanism,
            "KAFKA_SASL_USERNAME": settings.kafka_sasl_username,
            "KAFKA_SASL_PASSWORD": settings.kafka_sasl_password}
    files = {"KAFKA_SSL_CAFILE": settings.kafka_ssl_cafile,
             "KAFKA_SSL_CERTFILE": settings.kafka_ssl_certfile,
             "KAFKA_SSL_KEYFILE": settings.kafka_ssl_keyfile}
    if uses_sasl(settings):
        for variable, value in sasl.items():
            if not value:
                raise SettingsError(f"KAFKA_SECURITY_PROTOCOL={protocol} needs {variable}")
        if settings.kafka_sasl_mechanism not in MECHANISMS:
            raise SettingsError(f"KAFKA_SASL_MECHANISM={settings.kafka_sasl_mechanism!r}: one of "
                                f"{', '.join(MECHANISMS)}")
    else:
        _none_set(sasl, f"{protocol} does not use SASL (KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT "
                        "or SASL_SSL does)")
    if not uses_ssl(settings):
        _none_set(files, f"{protocol} does not use TLS (KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL "
                         "does)")
    if settings.kafka_ssl_keyfile and not settings.kafka_ssl_certfile:
        raise SettingsError("KAFKA_SSL_KEYFILE is the key of KAFKA_SSL_CERTFILE, which is not set")
    for variable, path in files.items():
        if path and not os.access(path, os.R_OK):
            raise SettingsError(f"{variable}={path}: no such readable file")


def _none_set(values: dict[str, str], why: str) -> None:
    given = [variable for variable, value in values.items() if value]
    if given:
        raise SettingsError(f"{', '.join(given)} set but KAFKA_SECURITY_PROTOCOL={why}")


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of SSL and SASL_SSL (server certificate and host name verified against
    KAFKA_SSL_CAFILE, or the system's CAs); None for the other protocols."""
    if not uses_ssl(settings):
        return None
    try:
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(f"KAFKA_SSL_CAFILE={settings.kafka_ssl_cafile}: {exc}") from None
    if settings.kafka_ssl_certfile:
        try:
            context.load_cert_chain(settings.kafka_ssl_certfile,
                                    settings.kafka_ssl_keyfile or None)
        except (OSError, ssl.SSLError) as exc:
            raise SettingsError(f"KAFKA_SSL_CERTFILE={settings.kafka_ssl_certfile}: "
                                f"{exc}") from None
    return context


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for a kafka-python or aiokafka client (producer, consumer, admin):
    the bootstrap servers and how to connect to them."""
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers,
                               "security_protocol": settings.kafka_security_protocol}
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if uses_sasl(settings):
        options.update(sasl_mechanism=settings.kafka_sasl_mechanism,
                       sasl_plain_username=settings.kafka_sasl_username,
                       sasl_plain_password=settings.kafka_sasl_password)
    return options


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """faust's `broker_credentials`: None for PLAINTEXT."""
    import faust

    context = ssl_context(settings)
    if uses_sasl(settings):
        return faust.SASLCredentials(username=settings.kafka_sasl_username,
                                     password=settings.kafka_sasl_password,
                                     ssl_context=context,
                                     mechanism=settings.kafka_sasl_mechanism)
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def describe(settings: Settings) -> dict[str, str]:
    """What a log line may say about the connection: never the password."""
    described = {"security_protocol": settings.kafka_security_protocol}
    if uses_sasl(settings):
        described.update(sasl_mechanism=settings.kafka_sasl_mechanism,
                         sasl_username=settings.kafka_sasl_username)
    return described


def check_login(settings: Settings, timeout_s: float = 10.0) -> None:
    """Log in once to the first bootstrap server that answers, as every client will: a wrong
    password, an untrusted certificate or a listener of another protocol raises KafkaLoginError
    at once (kafka-python's clients would retry the bootstrap until their timeout and then
    report only that they could not bootstrap). An unreachable broker is left to the clients."""
    if settings.kafka_security_protocol != "PLAINTEXT":
        asyncio.run(_check_login(settings, timeout_s))


async def _check_login(settings: Settings, timeout_s: float) -> None:
    from aiokafka.conn import create_conn
    from aiokafka.errors import KafkaError

    options = client_options(settings)
    for server in options.pop("bootstrap_servers").split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            connection = await asyncio.wait_for(
                create_conn(host.strip("[]"), int(port), request_timeout_ms=int(timeout_s * 1000),
                            **options), timeout_s)
        except ssl.SSLCertVerificationError as exc:
            trusted = settings.kafka_ssl_cafile or "unset: the system's CAs"
            raise KafkaLoginError(f"Kafka at {server} presented a certificate that is not "
                                  f"trusted (KAFKA_SSL_CAFILE={trusted}): "
                                  f"{exc.verify_message}") from None
        except (KafkaError, ssl.SSLError, ConnectionResetError) as exc:
            raise KafkaLoginError(f"Kafka at {server} refused the {_described(settings)}: "
                                  f"{_reason(exc)}") from None
        except (OSError, asyncio.TimeoutError):
            continue  # not reachable: the next server, or the clients' own retries
        connection.close()
        return


def _described(settings: Settings) -> str:
    if uses_sasl(settings):
        return (f"{settings.kafka_security_protocol} {settings.kafka_sasl_mechanism} login of user "
                f"{settings.kafka_sasl_username!r} (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)")
    return f"{settings.kafka_security_protocol} connection"


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "<AIOKafkaConnection" in text or not text:  # a listener of another protocol
        return (f"{type(exc).__name__}: is KAFKA_SECURITY_PROTOCOL the protocol of that "
                "listener?")
    return text
