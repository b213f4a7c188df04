"""The client address trusts X-Forwarded-For only as far as TRUSTED_PROXY_HOPS proxies wrote it."""
import pytest
from django.test import RequestFactory, override_settings

from tenants.ratelimits import client_ip, ip_key

REAL = "198.51.100.7"
PROXY = "10.0.0.2"


def request_from(remote=PROXY, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(TRUSTED_PROXY_HOPS=0)
@pytest.mark.parametrize("forwarded", [None, "", "6.6.6.6", "6.6.6.6, 7.7.7.7", "garbage"])
def test_no_trusted_proxy_means_remote_addr_whatever_the_header_says(forwarded):
    assert client_ip(request_from(remote=REAL, forwarded=forwarded)) == REAL


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_one_hop_takes_the_entry_our_proxy_appended():
    assert client_ip(request_from(forwarded=REAL)) == REAL


@override_settings(TRUSTED_PROXY_HOPS=1)
@pytest.mark.parametrize("spoofed", ["6.6.6.6", "6.6.6.6, 7.7.7.7", "unknown, 1.2.3.4", "::1"])
def test_entries_the_client_wrote_are_ignored(spoofed):
    # The client sends X-Forwarded-For: <spoofed>; our one proxy appends the address it saw.
    assert client_ip(request_from(forwarded=f"{spoofed}, {REAL}")) == REAL


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_two_hops_take_the_second_entry_from_the_right():
    # client spoof, real client (seen by the CDN), CDN address (seen by the load balancer)
    assert client_ip(request_from(forwarded=f"6.6.6.6, {REAL}, 203.0.113.9")) == REAL


@override_settings(TRUSTED_PROXY_HOPS=1)
@pytest.mark.parametrize("forwarded", ["not-an-ip", "6.6.6.6, 999.1.1.1", "", " , "])
def test_garbage_in_the_trusted_position_falls_back_to_remote_addr(forwarded):
    assert client_ip(request_from(forwarded=forwarded)) == PROXY


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_fewer_entries_than_hops_falls_back_to_remote_addr():
    assert client_ip(request_from(forwarded=REAL)) == PROXY


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_ipv6_is_normalised():
    assert client_ip(request_from(forwarded="2001:DB8:0:0::1")) == "2001:db8::1"


@override_settings(TRUSTED_PROXY_HOPS=0)
def test_rate_limit_key_groups_ipv6_by_64_so_rotating_addresses_does_not_help():
    first = ip_key("login-ip", request_from(remote="2001:db8:1:2::1"))
    second = ip_key("login-ip", request_from(remote="2001:db8:1:2:ffff:ffff:ffff:fffe"))
    other = ip_key("login-ip", request_from(remote="2001:db8:1:3::1"))
    assert first == second == "2001:db8:1:2::/64"
    assert other != first


@override_settings(TRUSTED_PROXY_HOPS=0)
def test_rate_limit_key_for_ipv4_is_the_address():
    assert ip_key("login-ip", request_from(remote=REAL)) == REAL
    assert ip_key("login-ip", request_from(remote="::ffff:198.51.100.7")) == REAL
