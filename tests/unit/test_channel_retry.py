"""The one retry and pacing layer of the channel clients (shared/channels/retry.py)."""

from collections.abc import Callable

import httpx
import pytest

from shared.channels.base import ChannelError
from shared.channels.retry import Retrying, Throttled, retry_after, send
from tests.fakes import FakeClock


def retrying(clock: FakeClock, **limits: float) -> Retrying:
    return Retrying(
        sleep=clock.sleep,
        store_url="https://shop.example.com",
        unreachable="could not reach the shop",
        answered="the shop answered",
        lasting_fix="check the shop",
        throttler="the shop throttled",
        throttled_fix="try again later",
        **limits,  # type: ignore[arg-type]
    )


def attempts(*responses: httpx.Response | Exception) -> tuple[list[int], Callable[[], httpx.Response]]:
    sent: list[int] = []
    queue = list(responses)

    def attempt() -> httpx.Response:
        sent.append(1)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return sent, attempt


def read_ok(response: httpx.Response) -> int:
    if response.status_code >= 400:
        raise ChannelError(f"refused with HTTP {response.status_code}", retryable=False)
    return response.status_code


class Recording:
    def __init__(self, paced: float | None = None) -> None:
        self.calls: list[str] = []
        self.paced = paced

    def wait_turn(self) -> None:
        self.calls.append("turn")

    def throttled(self) -> float | None:
        self.calls.append("throttled")
        return self.paced

    def succeeded(self) -> None:
        self.calls.append("ok")


def test_transport_errors_and_5xx_back_off_with_jitter_then_succeed() -> None:
    clock = FakeClock()
    sent, attempt = attempts(httpx.ConnectError("down"), httpx.Response(502), httpx.Response(200))

    assert send(attempt, read_ok, retrying(clock)) == 200
    assert len(sent) == 3 and len(clock.sleeps) == 2
    assert 0.25 <= clock.sleeps[0] <= 0.5 and 0.5 <= clock.sleeps[1] <= 1.0


def test_the_attempt_limit_ends_in_a_retryable_error_naming_the_fix() -> None:
    clock = FakeClock()
    sent, attempt = attempts(*[httpx.Response(500)] * 5)

    with pytest.raises(ChannelError) as raised:
        send(attempt, read_ok, retrying(clock))

    assert raised.value.retryable is True and len(sent) == 5 and len(clock.sleeps) == 4
    assert "the shop answered HTTP 500 at https://shop.example.com, 5 times in a row" in raised.value.message
    assert "check the shop" in raised.value.message


def test_a_4xx_that_cannot_succeed_is_not_retried_but_408_is() -> None:
    clock = FakeClock()
    sent, attempt = attempts(httpx.Response(408), httpx.Response(404))

    with pytest.raises(ChannelError) as raised:
        send(attempt, read_ok, retrying(clock))

    assert raised.value.retryable is False and "HTTP 404" in raised.value.message
    assert len(sent) == 2 and len(clock.sleeps) == 1


def test_429_and_503_honour_retry_after_as_seconds_or_an_http_date() -> None:
    clock = FakeClock()
    pacer = Recording()
    dated = {"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"}
    _, attempt = attempts(
        httpx.Response(429, headers=dated),
        httpx.Response(503, headers={"Retry-After": "4"}),
        httpx.Response(200),
    )

    assert send(attempt, read_ok, retrying(clock), pacer) == 200
    assert clock.sleeps == [30.0, 4.0]
    assert pacer.calls == ["turn", "throttled", "turn", "turn", "ok"]


def test_a_retry_after_past_the_cap_fails_retryably() -> None:
    clock = FakeClock()
    _, attempt = attempts(httpx.Response(503, headers={"Retry-After": "600"}))

    with pytest.raises(ChannelError) as raised:
        send(attempt, read_ok, retrying(clock))

    assert raised.value.retryable is True and "asked to wait 600 s" in raised.value.message
    assert clock.sleeps == []


def test_a_throttle_read_from_the_body_waits_as_the_pacer_says_at_least_the_floor() -> None:
    clock = FakeClock()
    _, attempt = attempts(httpx.Response(200), httpx.Response(200), httpx.Response(201))

    def read(response: httpx.Response) -> int:
        if response.status_code == 200:
            raise Throttled
        return response.status_code

    result = send(attempt, read, retrying(clock, min_throttle_wait=1.0), Recording(paced=0.25))

    assert result == 201 and clock.sleeps == [1.0, 1.0]


def test_throttling_past_its_limit_fails_retryably() -> None:
    clock = FakeClock()
    _, attempt = attempts(*[httpx.Response(429)] * 4)

    with pytest.raises(ChannelError) as raised:
        send(attempt, read_ok, retrying(clock, max_throttled_retries=3))

    assert raised.value.retryable is True and "the shop throttled https://shop.example.com 4 times" in str(
        raised.value
    )
    assert len(clock.sleeps) == 3


def test_retry_after_that_is_neither_is_ignored() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "-3"})) == 0.0
