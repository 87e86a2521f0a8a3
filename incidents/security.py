"""Who is asking, from where: the client's IP address, the same for lockouts and throttles."""

from django.conf import settings
from ipware import get_client_ip


def client_ip(request):
    """REMOTE_ADDR, or behind `BEACON_PROXY_COUNT` proxies the address the farthest of them
    saw: counted from the right of `BEACON_CLIENT_IP_HEADER`, so what a client writes in that
    header itself is never taken for its address."""
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.BEACON_PROXY_COUNT
    if not proxies:
        return remote_addr
    # ipware counts the proxies listed in the header: the nearest one is REMOTE_ADDR instead.
    address, _routable = get_client_ip(
        request,
        proxy_count=proxies - 1,
        request_header_order=[settings.BEACON_CLIENT_IP_HEADER],
        strict=False,
    )
    return address or remote_addr
