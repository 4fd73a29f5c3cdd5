"""GHL's retry-on-429 on the simulator's compressible clock: the policy, the stamp's backdating,
and the background delivery queue (fake time and an in-process receiver: no sockets, no sleeps)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ghl_simulator.app import create_app
from ghl_simulator.deliveries import DeliveryScheduler
from ghl_simulator.settings import SimSettings
from ghl_simulator.webhook_clock import WebhookClock
from ghl_simulator.webhooks import ED25519_PUBLIC_KEY, DeliveryState, WebhookSigner, prepare, run_attempts

URL = "http://ingest.test/webhooks/ghl"
SIGNER = WebhookSigner.from_dir()
FAST = WebhookClock(interval_s=600, max_retries=6, speedup=300)  # a 10-minute wait lasts 2 s


@dataclass
class FakeTime:
    """Wall clock and sleep in one: sleeping moves the clock, nothing waits for real."""

    now_s: float = 1_800_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.now_s

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds
        await asyncio.sleep(0)


@dataclass
class Receiver:
    """Answers from a script (then 200); each request takes ``takes_s`` of fake time."""

    time: FakeTime
    answers: list[int] = field(default_factory=list)
    by_contact: dict[str, list[int]] = field(default_factory=dict)  # scripts per body "id"
    takes_s: float = 0.5
    received: list[tuple[float, bytes, dict[str, str]]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.received.append((self.time.now_s, request.content, dict(request.headers)))
        self.time.now_s += self.takes_s
        script = self.by_contact.get(orjson.loads(request.content).get("id"), self.answers)
        status = script.pop(0) if script else 200
        if status == 0:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status, json={"status": "ok"})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def receiver(fake_time: FakeTime) -> Iterator[Receiver]:
    yield Receiver(fake_time)


def scheduler_for(receiver: Receiver, clock: WebhookClock = FAST) -> DeliveryScheduler:
    time = receiver.time
    return DeliveryScheduler(SIGNER, clock, transport=receiver.transport(), sleep=time.sleep, now=time.now)


# --- the clock ---------------------------------------------------------------------------------


def test_real_timing_has_no_lag_and_waits_the_full_interval() -> None:
    clock = WebhookClock()
    assert (clock.wait_s, clock.stamp_lag_s, clock.stamp_time(1000.0)) == (600.0, 0.0, 1000.0)


def test_compressed_clock_waits_less_and_stamps_what_the_waits_lost() -> None:
    assert FAST.wait_s == pytest.approx(2.0)
    assert FAST.stamp_lag_s == pytest.approx(6 * (600 - 2))
    assert FAST.sim_elapsed_s(real_elapsed_s=13.0, waits=6) == pytest.approx(13.0 + 6 * 598)


def test_only_429_is_retried_and_at_most_max_retries_times() -> None:
    assert [FAST.retries_after(429, made) for made in range(1, 8)] == [True] * 6 + [False]
    assert not any(FAST.retries_after(status, 1) for status in (200, 202, 400, 401, 500, 503, 0))


@pytest.mark.parametrize("kwargs", [{"speedup": 0.5}, {"interval_s": -1}, {"max_retries": -1}])
def test_a_clock_that_would_stamp_in_the_future_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        WebhookClock(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("answers", [[429] * 6, [429, 200], [429] * 3 + [200]])
async def test_the_receiver_sees_each_attempt_at_least_as_old_as_ghls_and_the_last_exactly(
    fake_time: FakeTime, receiver: Receiver, answers: list[int]
) -> None:
    receiver.answers = list(answers)
    delivery = prepare(SIGNER, 1, URL, {"type": "ContactCreate"}, "ed25519", FAST, fake_time.now())
    transport = receiver.transport()
    async with httpx.AsyncClient(transport=transport) as client:
        await run_attempts(delivery, client, fake_time.sleep, fake_time.now)
    for attempt in delivery.attempts:
        assert attempt.age_s is not None and attempt.age_s >= attempt.sim_elapsed_s - 1e-6
        # never older than GHL's last retry: 6 intervals plus the attempts' own (real) time
        assert attempt.age_s <= 6 * 600 + len(delivery.attempts) * receiver.takes_s + 1e-6
    if len(delivery.attempts) == 7:
        assert delivery.attempts[-1].age_s == pytest.approx(delivery.attempts[-1].sim_elapsed_s)
    # GHL's own clock: the k-th retry goes out k intervals (plus the attempts' time) after the first send
    for attempt in delivery.attempts:
        assert attempt.sim_elapsed_s == pytest.approx(attempt.number * (600 + receiver.takes_s))


# --- the delivery queue ------------------------------------------------------------------------


async def test_enqueue_returns_at_once_and_retries_the_same_signed_bytes_in_the_background(
    fake_time: FakeTime, receiver: Receiver
) -> None:
    receiver.answers = [429, 429, 200]
    scheduler = scheduler_for(receiver)
    delivery = scheduler.enqueue(URL, {"type": "ContactCreate", "locationId": "L1"})
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, [])  # nothing sent yet
    await asyncio.wait_for(delivery.finished.wait(), timeout=5)
    await scheduler.aclose()

    assert (delivery.state, delivery.statuses) == (DeliveryState.DELIVERED, [429, 429, 200])
    assert fake_time.sleeps == [FAST.wait_s] * 2
    assert len({(body, headers["x-ghl-signature"]) for _, body, headers in receiver.received}) == 1
    _, body, headers = receiver.received[0]
    key = serialization.load_pem_public_key(ED25519_PUBLIC_KEY.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    key.verify(base64.b64decode(headers["x-ghl-signature"]), body)
    stamped = orjson.loads(body)
    assert stamped["webhookId"] == delivery.webhook_id and stamped["timestamp"] == delivery.timestamp
    ages = [a.age_s for a in delivery.attempts]
    assert ages[0] == pytest.approx(FAST.stamp_lag_s)  # already older than 5 minutes at first send
    assert ages == pytest.approx([FAST.stamp_lag_s + n * (FAST.wait_s + receiver.takes_s) for n in range(3)])


@pytest.mark.parametrize(
    ("answers", "state", "attempts"),
    [
        ([429] * 7, DeliveryState.EXHAUSTED, 7),
        ([500], DeliveryState.REFUSED, 1),
        ([401], DeliveryState.REFUSED, 1),
        ([0], DeliveryState.REFUSED, 1),  # no answer: GHL gives up
        ([429, 503], DeliveryState.REFUSED, 2),
    ],
)
async def test_final_answers(
    receiver: Receiver, answers: list[int], state: DeliveryState, attempts: int
) -> None:
    receiver.answers = list(answers)
    scheduler = scheduler_for(receiver)
    delivery = scheduler.enqueue(URL, {"type": "ContactCreate"})
    await asyncio.wait_for(delivery.finished.wait(), timeout=5)
    await scheduler.aclose()
    assert (delivery.state, len(delivery.attempts)) == (state, attempts)
    assert len(receiver.received) == attempts


async def test_history_is_filtered_bounded_and_reset_cancels_pending_deliveries(receiver: Receiver) -> None:
    receiver.answers = [200, 200]
    clock = WebhookClock(interval_s=600, max_retries=6, speedup=1)
    scheduler = DeliveryScheduler(SIGNER, clock, history=2, transport=receiver.transport())
    first = scheduler.enqueue(URL, {"type": "ContactCreate", "webhookId": "same"})
    second = scheduler.enqueue(URL, {"type": "ContactCreate", "webhookId": "same"})
    await asyncio.wait_for(asyncio.gather(first.finished.wait(), second.finished.wait()), timeout=5)
    assert [d.id for d in scheduler.since(webhook_id="same")] == [first.id, second.id]
    assert scheduler.since(after_id=first.id) == [second]

    receiver.answers = [429]  # then a real 600 s wait: only a reset ends it
    waiting = scheduler.enqueue(URL, {"type": "ContactCreate"})
    assert scheduler.get(first.id) is None  # the oldest fell out of the history
    for _ in range(500):  # bounded: 5 s on a loaded machine
        if waiting.next_attempt_at is not None:
            break
        await asyncio.sleep(0.01)
    assert waiting.next_attempt_at is not None
    scheduler.reset()
    await asyncio.wait_for(waiting.finished.wait(), timeout=5)
    assert waiting.state is DeliveryState.CANCELLED and scheduler.since() == []
    await scheduler.aclose()


# --- the admin API -----------------------------------------------------------------------------


async def test_admin_api_starts_deliveries_and_shows_their_attempts(receiver: Receiver) -> None:
    app = create_app(SimSettings(webhook_clock_speedup=300))
    sim = app.state.sim
    assert sim.deliveries.clock == FAST
    receiver.by_contact = {"c0": [429], "c1": [429, 429]}
    sim.deliveries = scheduler_for(receiver, sim.deliveries.clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as admin:
        started = await admin.post(
            "/admin/webhooks/deliveries",
            json={"url": URL, "payloads": [{"type": "ContactCreate", "id": f"c{i}"} for i in range(2)]},
        )
        assert started.status_code == 202
        ids = [d["id"] for d in started.json()["deliveries"]]
        for _ in range(500):
            listed = (await admin.get("/admin/webhooks/deliveries")).json()
            if listed["summary"]["pending"] == 0:
                break
            await asyncio.sleep(0.01)
        assert listed["summary"]["delivered"] == 2
        assert listed["clock"]["stamp_lag_s"] == pytest.approx(FAST.stamp_lag_s)
        rows = {row["id"]: row for row in listed["deliveries"]}
        assert sorted(len(rows[i]["statuses"]) for i in ids) == [2, 3]
        assert all(rows[i]["statuses"][-1] == 200 and set(rows[i]["statuses"][:-1]) == {429} for i in ids)
        one = (await admin.get(f"/admin/webhooks/deliveries/{ids[0]}")).json()
        assert orjson.loads(one["body"])["timestamp"] == one["timestamp"]
        assert (await admin.get("/admin/webhooks/deliveries/999")).status_code == 404
        assert (await admin.post("/admin/webhooks/deliveries", json={"url": URL})).status_code == 422
        await admin.post("/admin/reset")
        assert (await admin.get("/admin/webhooks/deliveries")).json()["deliveries"] == []
    await sim.deliveries.aclose()
