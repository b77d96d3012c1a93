"""Webhook URLs: what registration refuses, and which resolved addresses may be called."""

from __future__ import annotations

import pytest

from stride.errors import InvalidInput
from stride.webhooks.urls import TargetRefused, check_url, resolve_target


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/stride",
        "http://hooks.example.com:8080/a?b=c",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    ],
)
def test_public_http_urls_are_accepted(url: str) -> None:
    assert check_url(url, allow_private=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/",
        "file:///etc/passwd",
        "hooks.example.com/no-scheme",
        "https://user:secret@hooks.example.com/",
        "https://token@hooks.example.com/",
        "https:///nohost",
        "https://hooks.example.com/#frag",
        "https://hooks example.com/",
        "https://hooks.example.com/\nInjected: 1",
        "http://127.0.0.1:8000/",
        "http://localhost/",
        "http://api.localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://hooks.example.com:99999/",
        "https://" + "a" * 2050 + ".com/",
    ],
)
def test_unsafe_or_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_url(url, allow_private=False)
    assert refused.value.errors[0].path == "url"


def test_the_operator_may_allow_private_targets() -> None:
    assert check_url("http://127.0.0.1:9/hook", allow_private=True)
    with pytest.raises(InvalidInput):
        check_url("http://user:pw@127.0.0.1:9/hook", allow_private=True)


def _resolver(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda _host, _port: list(addresses)


def test_delivery_goes_to_the_checked_address_with_the_original_host() -> None:
    target = resolve_target(
        "https://hooks.example.com:8443/p?q=1", False, _resolver("93.184.216.34")
    )
    assert target.url == "https://93.184.216.34:8443/p?q=1"
    assert target.host == "hooks.example.com"
    v6 = resolve_target("http://hooks.example.com/p", False, _resolver("2606:2800:220:1::1"))
    assert v6.url == "http://[2606:2800:220:1::1]/p"


@pytest.mark.parametrize(
    "addresses",
    [("10.0.0.5",), ("93.184.216.34", "127.0.0.1"), ("::1",), ("169.254.169.254",), ()],
)
def test_names_resolving_inside_are_refused_at_delivery(addresses: tuple[str, ...]) -> None:
    with pytest.raises(TargetRefused):
        resolve_target("https://hooks.example.com/", False, _resolver(*addresses))


def test_resolution_failures_are_refusals() -> None:
    def failing(_host: str, _port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(TargetRefused, match="cannot resolve"):
        resolve_target("https://nowhere.example/", False, failing)


def test_private_resolution_is_allowed_when_the_operator_says_so() -> None:
    target = resolve_target("http://receiver.test:8080/", True, _resolver("127.0.0.1"))
    assert target.url == "http://127.0.0.1:8080/"
