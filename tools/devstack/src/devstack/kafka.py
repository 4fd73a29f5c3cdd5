"""Apache Kafka, single-node KRaft, from the official jars resolved from Maven Central."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_delay, wait_fixed

from devstack.errors import DevstackError
from devstack.paths import cache_dir, state_dir
from devstack.procs import (
    free_port,
    pid_alive,
    port_accepts,
    require_binary,
    running_from_runfile,
    stop_pid,
    wait_until,
)
from devstack.state import ServerState

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
SLF4J_VERSION = "2.0.17"

POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>leadflow.devstack</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>{SLF4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>{LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>{LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
"""

LOG4J2 = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console></Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/><Logger name="org.apache.kafka" level="WARN"/>
    <Root level="WARN"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
"""


def jar_dir() -> Path:
    return cache_dir() / f"kafka-{KAFKA_VERSION}"


def resolve_jars() -> Path:
    """mvn dependency:copy-dependencies into the cache, once."""
    libs = jar_dir() / "libs"
    marker = jar_dir() / ".resolved"
    if marker.exists() and any(libs.glob("kafka_2.13-*.jar")):
        return libs
    mvn = require_binary("mvn", "apt-get install -y maven (and a Java 17 JDK: openjdk-17-jdk-headless)")
    jar_dir().mkdir(parents=True, exist_ok=True)
    (jar_dir() / "pom.xml").write_text(POM)
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        cwd=jar_dir(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DevstackError(
            f"resolving Kafka {KAFKA_VERSION} from Maven Central failed:\n{result.stdout[-1500:]}{result.stderr[-500:]}",
            "check that Maven Central is reachable (mvn -v, ~/.m2/settings.xml), then rerun `devstack up`",
        )
    marker.write_text(KAFKA_VERSION)
    return libs


def classpath() -> str:
    return str(resolve_jars()) + "/*"


def java() -> str:
    path = require_binary("java", "apt-get install -y openjdk-17-jre-headless")
    out = subprocess.run([path, "-version"], capture_output=True, text=True, check=False).stderr
    if '"1.' in out or any(f'"{v}.' in out for v in range(9, 17)):
        raise DevstackError(
            f"Kafka {KAFKA_VERSION} needs Java 17+, found: {out.splitlines()[0]}",
            "install openjdk-17-jre-headless and put it first on PATH",
        )
    return path


def kafka_home() -> Path:
    path = state_dir() / "kafka"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_cluster_id(random_bytes: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    """A KRaft cluster id (base64url of 16 random bytes) that never starts with ``-``.

    About one id in 64 does, and the storage tool's parser reads ``-t -Xy...`` as an option.
    Kafka's own ``Uuid.randomUuid`` redraws such ids; so do we (and pass ``--cluster-id=``).
    """
    for _ in range(1000):  # P(1000 draws all start with '-') = 64**-1000
        cluster_id = base64.urlsafe_b64encode(random_bytes()).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
    raise DevstackError("no usable Kafka cluster id drawn", "check the random source")


def server_properties(port: int, controller_port: int, data: Path) -> str:
    return f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={data}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.segment.bytes=67108864
log.cleaner.threads=1
num.network.threads=2
num.io.threads=4
"""


def start(state: ServerState) -> ServerState:
    """Start (or find running) the devstack's own broker. Idempotent."""
    home = kafka_home()
    if state.managed and pid_alive(state.pid) and port_accepts(state.port):
        return state
    if found := running_from_runfile(home):
        port_found, controller = int(found["port"]), int(found.get("controller_port", 0))
        return ServerState(
            port=port_found,
            pid=int(found["pid"]),
            managed=True,
            url=f"127.0.0.1:{port_found}",
            extra={"controller_port": controller},
        )
    if state.managed and pid_alive(state.pid):
        stop_pid(state.pid)  # half-started: stop it and start clean
    port = free_port(state.port or 9092)
    controller_port = free_port(int(state.extra.get("controller_port", 0)) or 9093)
    if controller_port == port:
        controller_port = free_port()
    cp = classpath()
    java_bin = java()
    data = home / "data"
    props = home / "server.properties"
    props.write_text(server_properties(port, controller_port, data))
    (home / "log4j2.xml").write_text(LOG4J2)
    if not (data / "meta.properties").exists():
        data.mkdir(parents=True, exist_ok=True)
        fmt = subprocess.run(
            [
                java_bin,
                "-cp",
                cp,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                f"--cluster-id={new_cluster_id()}",
                "-c",
                str(props),
                "--ignore-formatted",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            raise DevstackError(
                f"kafka storage format failed: {fmt.stderr[-800:]}", f"rm -rf {data} and retry"
            )
    log = home / "kafka.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                java_bin,
                "-Xms256m",
                "-Xmx1g",
                "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={home / 'log4j2.xml'}",
                f"-Dkafka.logs.dir={home}",
                "-cp",
                cp,
                "kafka.Kafka",
                str(props),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    new = ServerState(
        port=port,
        pid=proc.pid,
        managed=True,
        url=f"127.0.0.1:{port}",
        extra={"controller_port": controller_port},
    )
    try:
        wait_until(lambda: proc.poll() is None and port_accepts(port), 90, "Kafka broker", log)
        asyncio.run(wait_for_cluster(new.url, 60))
    except BaseException:
        stop_pid(proc.pid)
        raise
    return new


async def wait_for_cluster(bootstrap: str, timeout_s: float) -> None:
    """Retry an admin request every 0.5 s until the broker answers or ``timeout_s`` has passed."""
    from leadflow_common.kafka.admin import describe_cluster

    def unanswered(state: RetryCallState) -> NoReturn:
        last = state.outcome.exception() if state.outcome else None
        raise DevstackError(
            f"Kafka at {bootstrap} does not answer admin requests: {last!r}",
            f"see {kafka_home() / 'kafka.log'}",
        ) from last

    # A fixed short interval, not a backoff: a starting broker answers within seconds, and this
    # waits for exactly that moment.
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(Exception),
        stop=stop_after_delay(timeout_s),
        wait=wait_fixed(0.5),
        sleep=asyncio.sleep,
        retry_error_callback=unanswered,
    )
    await retrying(describe_cluster, bootstrap)


def stop(state: ServerState) -> None:
    if state.managed:
        stop_pid(state.pid, timeout_s=30)


def run_tool(main_class: str, args: list[str]) -> int:
    """Run one of Kafka's own CLIs (TopicCommand, ConsumerGroupCommand) on the same classpath."""
    return subprocess.run([java(), "-cp", classpath(), main_class, *args], check=False).returncode


def tool_output(main_class: str, args: list[str]) -> str:
    result = subprocess.run(
        [
            java(),
            "-cp",
            classpath(),
            f"-Dlog4j2.configurationFile={kafka_home() / 'log4j2.xml'}",
            main_class,
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DevstackError(f"{main_class} failed: {result.stderr[-800:]}", "is Kafka up? `devstack status`")
    return result.stdout


TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"
GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
