"""A second local Kafka broker with a SASL_SSL listener, as managed clusters offer: TLS with a
certificate authority made for the run, and SCRAM users written when its storage is formatted.
Started with the project's launcher (`deploy/local/kafka/kafka.sh`) on free ports, in a state
directory of its own, and stopped at the end."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.process import free_port

KAFKA_SH = Path(__file__).resolve().parents[2] / "deploy" / "local" / "kafka" / "kafka.sh"
USER, PASSWORD = "roster-app", "scram-secret-for-tests"


@dataclass(frozen=True)
class SecuredBroker:
    bootstrap: str  # the SASL_SSL listener
    plaintext_bootstrap: str  # the broker's own listener, for setting up what a test needs
    ca_file: Path
    stop: Callable[[], None]  # a broker gone away (stopping it twice is harmless)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_certificates(directory: Path) -> tuple[Path, Path]:
    """A certificate authority, and a broker certificate for 127.0.0.1 and localhost signed by
    it: returns the CA's PEM and the broker's keystore (its key, then its chain). The key is
    not encrypted: the JDK's PEM reader takes no PBES2-encrypted keys, which is all that
    `cryptography` writes; the file lives in the test's temporary directory."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("roster test CA"))
        .issuer_name(_name("roster test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    keystore = directory / "broker.pem"
    keystore.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
        + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    return ca_file, keystore


@contextmanager
def secured_broker(directory: Path) -> Iterator[SecuredBroker]:
    ca_file, keystore = write_certificates(directory)
    port, controller, secured = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "ROSTER_STATE_DIR": str(directory / "state"),
        "ROSTER_KAFKA_PORT": str(port),
        "ROSTER_KAFKA_CONTROLLER_PORT": str(controller),
        "ROSTER_KAFKA_SASL_SSL_PORT": str(secured),
        "ROSTER_KAFKA_TLS_KEYSTORE": str(keystore),
        "ROSTER_KAFKA_SCRAM_USERS": f"{USER}:{PASSWORD}",
        "ROSTER_KAFKA_HEAP_OPTS": "-Xms128m -Xmx384m",
    }

    def kafka(*args: str) -> None:
        subprocess.run(["bash", str(KAFKA_SH), *args], env=env, check=True)

    kafka("start")
    try:
        kafka("ready", "120")
        yield SecuredBroker(
            bootstrap=f"127.0.0.1:{secured}",
            plaintext_bootstrap=f"127.0.0.1:{port}",
            ca_file=ca_file,
            stop=lambda: kafka("stop"),
        )
    finally:
        kafka("stop")
