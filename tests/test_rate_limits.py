"""Rate limits on signing in, password-reset requests and failed API tokens; the client address
behind trusted proxies; a limiter that never blocks the app factory on its storage."""

from __future__ import annotations

import socket
import uuid

import pytest

from matchmaker.web import rate_limits
from matchmaker.web.rate_limits import get_limiter
from tests.apps import app_with
from tests.factories import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def limited(app):
    """A client of an app with the rate limits switched on."""
    return app_with(app, RATELIMIT_ENABLED=True).test_client()


def unique_address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def sign_in(client, email: str, password: str = "", address: str = "10.0.0.1", **kwargs):
    """An empty password fails fast (no password hashing), and counts like any attempt."""
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_limits_are_off_in_tests_unless_asked_for(client, app):
    assert app.config["RATELIMIT_ENABLED"] is False
    codes = {sign_in(client, f"nobody{n}@example.org").status_code for n in range(12)}
    assert codes == {422}


def test_limits_are_on_outside_tests_unless_the_environment_says_0(app, monkeypatch):
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)
    assert get_limiter(app_with(app, TESTING=False)).enabled is True
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    switched_off = app_with(app, TESTING=False)
    assert get_limiter(switched_off).enabled is False
    client = switched_off.test_client()
    assert {sign_in(client, f"load{n}@example.org").status_code for n in range(12)} == {422}


def test_one_address_gets_ten_sign_in_attempts_a_minute(limited):
    for n in range(10):
        assert sign_in(limited, f"someone{n}@example.org").status_code == 422
    refused = sign_in(limited, "someone-else@example.org")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert refused.headers["Content-Security-Policy"]
    # Only attempts count: the page itself still shows, and other addresses still get in.
    assert limited.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    assert sign_in(limited, "someone@example.org", address="10.0.0.2").status_code == 422


@pytest.fixture
def delays(monkeypatch):
    """The sign-in delays asked for, without waiting for them."""
    asked: list[float] = []
    monkeypatch.setattr(rate_limits, "sleep", asked.append)
    return asked


def test_one_address_gets_five_attempts_a_minute_at_one_account(limited, make, delays):
    user = make.user()
    for _attempt in range(5):
        assert sign_in(limited, user.email, "wrong-password", address="10.0.1.1").status_code == 422
    # The account is counted however the address is written; from there even the right password waits.
    assert sign_in(limited, f"  {user.email.upper()} ", PASSWORD, address="10.0.1.1").status_code == 429
    assert sign_in(limited, "other@example.org", "wrong-password", address="10.0.1.1").status_code == 422
    # The owner, from another address, signs in.
    assert sign_in(limited, user.email, PASSWORD, address="10.0.1.2").status_code == 302


def test_failing_on_purpose_from_many_addresses_locks_nobody_out(limited, make, delays):
    """What used to lock an account for an hour (20 failures) now only slows its sign-ins down."""
    user = make.user()
    for n in range(25):
        assert sign_in(limited, user.email, "wrong-password", address=f"10.0.4.{n % 5}").status_code in (422, 429)
    assert sign_in(limited, user.email, PASSWORD, address="10.0.4.99").status_code == 302
    assert max(delays) == rate_limits.MAX_DELAY_SECONDS
    assert delays[-1] == rate_limits.MAX_DELAY_SECONDS  # the owner waited too, a few seconds at most


def test_the_delay_grows_with_recent_failures_and_a_success_ends_it(limited, make, delays):
    user = make.user()
    for n in range(8):
        sign_in(limited, user.email, "wrong-password", address=f"10.0.5.{n}")
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0]  # the first three failures cost nothing
    assert sign_in(limited, user.email, PASSWORD, address="10.0.5.50").status_code == 302
    delays.clear()
    limited.post("/logout")
    assert sign_in(limited, user.email, "wrong-password", address="10.0.5.51").status_code == 422
    assert delays == []
    # Another account is not slowed down by this one's failures.
    assert sign_in(limited, make.user().email, "wrong-password", address="10.0.5.52").status_code == 422
    assert delays == []
    assert [rate_limits.sign_in_delay(n) for n in (0, 2, 3, 4, 5, 6, 50)] == [0, 0, 0.5, 1, 2, 4, 4]


def test_no_delay_when_the_limits_are_off(client, make, delays):
    user = make.user()
    for _attempt in range(6):
        assert sign_in(client, user.email, "wrong-password").status_code == 422
    assert delays == []


def test_reset_clears_the_counters(limited, make):
    user = make.user()
    for _attempt in range(5):
        sign_in(limited, user.email)
    assert sign_in(limited, user.email, PASSWORD).status_code == 429
    get_limiter(limited.application).reset()
    assert sign_in(limited, user.email, PASSWORD).status_code == 302


def forgot(client, email: str, address: str = "10.0.2.1"):
    return client.post("/forgot-password", data={"email": email}, environ_base={"REMOTE_ADDR": address})


def test_password_reset_requests_are_limited_per_account_and_address(limited, make):
    user = make.user()
    for n in range(3):
        assert forgot(limited, user.email, address=f"10.0.2.{n}").status_code == 302
    assert forgot(limited, user.email, address="10.0.2.50").status_code == 429
    for n in range(5):
        assert forgot(limited, f"someone{n}@example.org", address="10.0.2.99").status_code == 302
    assert forgot(limited, "someone-else@example.org", address="10.0.2.99").status_code == 429


def bearer(token: str, address: str = "10.0.3.1") -> dict:
    return {"headers": {"Authorization": f"Bearer {token}"}, "environ_base": {"REMOTE_ADDR": address}}


def test_failed_api_tokens_are_limited_per_address(limited, make):
    token = make.token(make.user(kind="supplier"))
    for _attempt in range(25):
        assert limited.get("/api/v1/needs", **bearer(token)).status_code == 200
    for _attempt in range(20):
        assert limited.get("/api/v1/needs", **bearer("mm_guessed")).status_code == 401
    refused = limited.get("/api/v1/needs", **bearer(token))
    assert refused.status_code == 429
    assert refused.get_json()["error"]["status"] == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert limited.get("/api/v1/needs", **bearer(token, address="10.0.3.2")).status_code == 200


def test_forwarded_for_counts_only_behind_trusted_proxies(app):
    def attempts(client):
        return [client.post("/login", data={"email": f"p{n}@example.org", "password": ""},
                            headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(12)]

    trusting = app_with(app, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1).test_client()
    assert set(attempts(trusting)) == {422}
    # Without TRUSTED_PROXIES a client cannot pose as many others with a header of its own.
    untrusting = app_with(app, RATELIMIT_ENABLED=True).test_client()
    assert attempts(untrusting)[10:] == [429, 429]


def test_the_app_factory_does_not_connect_to_the_limiter_storage(app, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the app factory opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    limited_app = app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://192.0.2.1:6379/0")
    storage = get_limiter(limited_app).storage
    assert type(storage).__name__ == "RedisStorage"
    # A Redis that stops answering costs a sign-in a second, not a hung worker.
    assert storage.storage.connection_pool.connection_kwargs["socket_timeout"] == 1


def test_unreachable_storage_falls_back_to_counting_in_memory(app):
    client = app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    codes = [sign_in(client, f"fallback{n}@example.org").status_code for n in range(11)]
    assert codes == [422] * 10 + [429]


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_limits_are_shared_through_redis(app):
    """Two apps stand for two workers: an address limited by one is limited by the other."""
    redis = pytest.importorskip("redis").Redis.from_url(REDIS_URL)
    address = unique_address()  # keeps this run's counters apart from any other's
    first, second = (app_with(app, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL).test_client()
                     for _worker in range(2))
    try:
        for n in range(10):
            assert sign_in(first if n % 2 else second, f"shared{n}@example.org", address=address).status_code == 422
        assert sign_in(second, "shared@example.org", address=address).status_code == 429
        assert redis.keys(f"*{address}*")
    finally:
        for key in redis.scan_iter(f"*{address}*"):
            redis.delete(key)

