"""A throwaway certificate authority and a broker certificate for 127.0.0.1, made with the
openssl command line (the project does not depend on a crypto package)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificates:
    ca: Path  # what clients trust (KAFKA_SSL_CAFILE)
    broker_keystore: Path  # the broker's private key and certificate chain, PEM


def make_certificates(folder: Path) -> Certificates:
    """A CA valid for a day, and a broker certificate it signed for IP 127.0.0.1 / localhost."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, request, cert = (folder / name for name in (
        "ca.key", "ca.pem", "broker.key", "broker.csr", "broker.pem"))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=stocksync test CA", "-keyout", ca_key, "-out", ca,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", key, "-out", request)
    extensions = folder / "broker.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                          "basicConstraints=CA:FALSE\n"
                          "keyUsage=critical,digitalSignature,keyEncipherment\n"
                          "extendedKeyUsage=serverAuth\n"
                          "authorityKeyIdentifier=keyid\n")
    _openssl("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
             "-days", "1", "-extfile", extensions, "-out", cert)
    keystore = folder / "broker-keystore.pem"
    keystore.write_text(key.read_text() + cert.read_text())
    return Certificates(ca=ca, broker_keystore=keystore)


def _openssl(*arguments: str | Path) -> None:
    result = subprocess.run(["openssl", *map(str, arguments)], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {arguments[0]} failed: {result.stderr}")
