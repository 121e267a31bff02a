"""Which IP addresses identify nobody, and the ranges fakes are drawn from (the catalogue's
networks): an address detector, the pseudonymizer and `verify` ask the same questions here."""

from __future__ import annotations

import ipaddress

from pagetape.aws import catalogue

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse(value: str) -> Address | None:
    """The address of VALUE (a CIDR block's network address), or None."""
    if not value[:1].isdigit() and ":" not in value:  # no address (asked of every string)
        return None
    text = value.partition("/")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return ipv4(text)


def ipv4(text: str) -> ipaddress.IPv4Address | None:
    """TEXT as an IPv4 address, octets with leading zeros included (`10.0.0.01`,
    `010.000.000.001`: zero-padded, as some tools print them), which `ipaddress` refuses since
    Python 3.9.5. The octets are read as decimal, as the padding means. None for no address."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        return None
    octets = [int(p) for p in parts]
    return ipaddress.IPv4Address(".".join(map(str, octets))) if max(octets) <= 255 else None


def harmless(value: str) -> bool:
    """Addresses and blocks that identify nobody: loopback, unspecified, documentation and
    benchmark ranges, multicast, AWS's instance-local services (the catalogue's harmless
    networks), any block wider than a /16 (10.0.0.0/8, 0.0.0.0/0: routing rules, not hosts)
    and a private range written whole (192.168.0.0/16, fc00::/7)."""
    address = parse(value)
    if address is None:
        return False
    _, slash, length = value.partition("/")
    if slash and length.isdigit():
        if address.version == 4 and int(length) < 16:
            return True
        try:
            block = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        wholes = (n for n in catalogue.private_networks() if n.version == block.version)
        if any(n.subnet_of(block) for n in wholes):  # type: ignore[arg-type]
            return True
    return any(address in net for net in catalogue.harmless_networks())


def is_private(value: str) -> bool:
    """In a non-public range (RFC 1918, shared, link-local, unique local): fakes stay inside."""
    address = parse(value)
    return address is not None and any(address in n for n in catalogue.private_networks())


def is_fake(value: str) -> bool:
    """In a range public addresses are faked to (198.18.0.0/15, 2001:db8::/32)."""
    address = parse(value)
    return address is not None and any(address in n for n in catalogue.fake_networks())
