"""A single-node Apache Kafka broker (KRaft) for local runs and tests, from Maven Central jars.

Layout under ``<home>/kafka``: ``build/`` (the Maven build file, copied from the package), ``lib/``
(the broker's jars), ``data/`` (the log and metadata), ``server.properties``, ``broker.log`` and
``broker.pid``. Only loopback addresses are ever bound.

A broker for security tests adds SASL_PLAINTEXT, SASL_SSL and SSL listeners beside its PLAINTEXT
one (`BrokerSecurity`); the default broker has only PLAINTEXT.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from stocksync.logs import get_logger

log = get_logger(__name__)

BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"


class BrokerError(RuntimeError):
    """The local broker could not be built, started or stopped; the message says why."""


@dataclass(frozen=True)
class BrokerSecurity:
    """Extra listeners: each user logs in with PLAIN (JAAS in the properties) or SCRAM-SHA-256/512
    (credentials written when the storage is formatted). The TLS listeners serve the PEM
    `keystore` (private key and certificate chain)."""

    users: tuple[tuple[str, str], ...]  # (name, password)
    sasl_plaintext_port: int | None = None
    sasl_ssl_port: int | None = None
    ssl_port: int | None = None
    keystore: Path | None = None

    def listeners(self) -> dict[str, int]:
        ports = {"SASL_PLAINTEXT": self.sasl_plaintext_port, "SASL_SSL": self.sasl_ssl_port,
                 "SSL": self.ssl_port}
        return {name: port for name, port in ports.items() if port is not None}

    def properties(self) -> dict[str, str]:
        plain_users = " ".join(f'user_{name}="{password}"' for name, password in self.users)
        settings = {"sasl.enabled.mechanisms": ",".join(("PLAIN", *SCRAM_MECHANISMS))}
        for listener in self.listeners():
            if listener.startswith("SASL_"):
                prefix = f"listener.name.{listener.lower()}"
                settings[f"{prefix}.plain.sasl.jaas.config"] = (
                    f"{PLAIN_LOGIN} required {plain_users};")
                for mechanism in SCRAM_MECHANISMS:
                    settings[f"{prefix}.{mechanism.lower()}.sasl.jaas.config"] = (
                        f"{SCRAM_LOGIN} required;")
        if self.keystore is not None:
            settings.update({"ssl.keystore.type": "PEM",
                             "ssl.keystore.location": str(self.keystore)})
        return settings

    def scram_arguments(self) -> list[str]:
        return [f"--add-scram={mechanism}=[name={name},password={password}]"
                for name, password in self.users for mechanism in SCRAM_MECHANISMS]


@dataclass(frozen=True)
class LocalBroker:
    home: Path  # <project home>/kafka
    host: str = "127.0.0.1"
    port: int = 19092
    heap: str = "768m"
    lib: Path | None = None  # the jars, when another broker's home holds them
    security: BrokerSecurity | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def controller_port(self) -> int:
        return self.port + 1

    @property
    def lib_dir(self) -> Path:
        return self.lib or self.home / "lib"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def properties_file(self) -> Path:
        return self.home / "server.properties"

    @classmethod
    def from_bootstrap(cls, home: Path, bootstrap: str) -> LocalBroker:
        host, _, port = bootstrap.split(",")[0].rpartition(":")
        if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
            raise BrokerError(
                f"the local broker only binds loopback; KAFKA_BOOTSTRAP_SERVERS={bootstrap} is "
                "not a local address (unset it, or start that broker yourself)"
            )
        return cls(home=home / "kafka", host="127.0.0.1", port=int(port))

    # -- build ---------------------------------------------------------------------------------

    def ensure_jars(self) -> None:
        """Fetch the broker jars with Maven once; later calls find them in place."""
        if any(self.lib_dir.glob("kafka_2.13-*.jar")):
            return
        if shutil.which("mvn") is None:
            raise BrokerError("Maven (mvn) is needed to fetch the Kafka jars; install it first")
        build = self._write_build_files()
        log.info("kafka_jars_fetching", build_file=str(build / "pom.xml"))
        result = subprocess.run(
            ["mvn", "-B", "-q", "-f", str(build / "pom.xml"), "package",
             f"-DoutputDirectory={self.lib_dir}"],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0 or not any(self.lib_dir.glob("kafka_2.13-*.jar")):
            raise BrokerError(f"mvn could not fetch the Kafka jars:\n{result.stdout[-4000:]}"
                              f"{result.stderr[-4000:]}")
        log.info("kafka_jars_ready", lib=str(self.lib_dir))

    def _write_build_files(self) -> Path:
        build = self.home / "build"
        build.mkdir(parents=True, exist_ok=True)
        for name in ("pom.xml", "log4j2.yaml"):
            source = resources.files("stocksync.kafka_build").joinpath(name)
            (build / name).write_bytes(source.read_bytes())
        return build

    # -- lifecycle -----------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The broker's process id if it is alive, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        if _is_zombie(pid):
            return None
        return pid

    def accepts_clients(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def status(self) -> str:
        pid = self.pid()
        if pid is None:
            return "stopped"
        return "running" if self.accepts_clients() else "starting"

    def start(self, timeout_s: float = 90.0) -> bool:
        """Start the broker unless it runs already; True if this call started it."""
        if self.pid() is not None:
            self.wait_until_ready(timeout_s)
            return False
        if self.accepts_clients():
            raise BrokerError(f"port {self.port} is taken by another process; "
                              "stop it or set KAFKA_BOOTSTRAP_SERVERS to another local port")
        self.ensure_jars()
        self._write_build_files()
        self.properties_file.write_text(self._server_properties())
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage()
        pid = self._spawn_daemon(
            ["java", f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseG1GC",
             # Pauses, as Kafka's own start script logs them: a stall of the broker shows there.
             f"-Xlog:gc:file={self.home / 'gc.log'}:time,uptime:filecount=2,filesize=10m",
             f"-Dlog4j2.configurationFile={self.home / 'build' / 'log4j2.yaml'}",
             "-cp", f"{self.lib_dir}/*", BROKER_MAIN, str(self.properties_file)]
        )
        self.pid_file.write_text(str(pid))
        log.info("kafka_starting", pid=pid, bootstrap=self.bootstrap)
        self.wait_until_ready(timeout_s)
        return True

    def wait_until_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise BrokerError(f"the broker exited during start-up; see {self.log_file}:\n"
                                  f"{_tail(self.log_file)}")
            if self.accepts_clients() and _metadata_answers(self.bootstrap):
                return
            time.sleep(0.25)
        raise BrokerError(f"the broker did not accept clients within {timeout_s:.0f}s; "
                          f"see {self.log_file}")

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the broker; True if it was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.pid() is not None:
            time.sleep(0.2)
        if self.pid() is not None:
            log.warning("kafka_kill", pid=pid, waited_s=timeout_s)
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _spawn_daemon(self, command: list[str]) -> int:
        """Start `command` in its own session, detached from this process; return its pid.

        A shell starts it in the background and exits at once, so the broker outlives whoever
        started it (a CLI, a test session) and nobody holds a child process handle to it.
        """
        result = subprocess.run(
            ["sh", "-c", 'setsid "$@" >>"$BROKER_LOG" 2>&1 </dev/null & echo $!', "sh", *command],
            env={**os.environ, "BROKER_LOG": str(self.log_file)},
            capture_output=True, text=True, check=True,
        )
        return int(result.stdout.strip())

    # -- files ---------------------------------------------------------------------------------

    def _format_storage(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["java", "-cp", f"{self.lib_dir}/*", STORAGE_TOOL, "format",
             f"--cluster-id={_cluster_id()}", "--config", str(self.properties_file),
             *(self.security.scram_arguments() if self.security else ())],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise BrokerError(f"formatting the broker storage failed:\n{result.stdout}{result.stderr}")

    def _server_properties(self) -> str:
        extra = self.security.listeners() if self.security else {}
        advertised = ",".join(f"{name}://{self.host}:{port}"
                              for name, port in {"PLAINTEXT": self.port, **extra}.items())
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": f"{advertised},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": advertised,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": ",".join(
                f"{name}:{name}" for name in ("PLAINTEXT", *extra)) + ",CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # stocksync creates its topics explicitly; a typo must not create a new one.
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Short retention checks so that retention can be tested with small settings.
            "log.retention.check.interval.ms": "5000",
            "log.cleaner.backoff.ms": "2000",
            **(self.security.properties() if self.security else {}),
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())


def _cluster_id() -> str:
    # A KRaft cluster id is a base64url UUID without padding, as `kafka-storage random-uuid` prints.
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _metadata_answers(bootstrap: str) -> bool:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
