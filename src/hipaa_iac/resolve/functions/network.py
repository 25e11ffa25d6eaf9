"""IP network functions (functions/cidrsubnet etc.), path functions on the text, and the functions that
are not evaluated statically."""
from __future__ import annotations

import ipaddress
import os
from typing import Any, Callable

from ...model import Unknown
from .core import Refuse, fail, produce, refs_of
from .values import as_int, as_str

# ---- IP networks (functions/cidrsubnet etc.) ---------------------------------------------------------------

def _net(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    s = as_str(prefix, "prefix")
    try:
        return ipaddress.ip_network(s, strict=False)
    except ValueError:
        fail(f"invalid CIDR address {s[:50]!r}")
    raise AssertionError


def _cidrsubnet(prefix, newbits, netnum):
    net = _net(prefix)
    nb, num = as_int(newbits, "newbits"), as_int(netnum, "netnum")
    new_len = net.prefixlen + nb
    if nb < 0 or new_len > net.max_prefixlen:
        fail("cidrsubnet(): not enough remaining address space for the new bits")
    if num < 0 or num >= (1 << nb):
        fail(f"cidrsubnet(): netnum {num} does not fit in {nb} bits")
    base = int(net.network_address) + (num << (net.max_prefixlen - new_len))
    return f"{ipaddress.ip_address(base) if net.version == 6 else ipaddress.IPv4Address(base)}/{new_len}"


def _cidrhost(prefix, hostnum):
    net = _net(prefix)
    n = as_int(hostnum, "hostnum")
    size = net.num_addresses
    if n < 0:
        n += size  # functions/cidrhost: negative numbers count back from the end
    if not 0 <= n < size:
        fail("cidrhost(): host number out of range")
    addr = int(net.network_address) + n
    return str(ipaddress.IPv4Address(addr) if net.version == 4 else ipaddress.IPv6Address(addr))


def _cidrnetmask(prefix):
    net = _net(prefix)
    if net.version != 4:
        fail("cidrnetmask() only supports IPv4")
    return str(net.netmask)


def _cidrsubnets(prefix, *newbits):
    net = _net(prefix)
    out = []
    cur = int(net.network_address)
    end = int(net.network_address) + net.num_addresses
    produce(len(newbits), "cidrsubnets()")
    for nb in newbits:
        nb = as_int(nb, "newbits")
        new_len = net.prefixlen + nb
        if nb < 1 or new_len > net.max_prefixlen:
            fail("cidrsubnets(): invalid new bits")
        block = 1 << (net.max_prefixlen - new_len)
        cur = (cur + block - 1) // block * block  # align to the block size
        if cur + block > end:
            fail("cidrsubnets(): not enough address space")
        addr = ipaddress.IPv4Address(cur) if net.version == 4 else ipaddress.IPv6Address(cur)
        out.append(f"{addr}/{new_len}")
        cur += block
    return out


# ---- paths ------------------------------------------------------------------------------------------------

def _basename(p):
    p = as_str(p, "path")
    if p == "":
        return "."
    s = p.rstrip("/")
    return "/" if s == "" else s.rsplit("/", 1)[-1]


def _dirname(p):
    p = as_str(p, "path")
    return os.path.dirname(p) or "." if "/" in p else "."


def _not_static(name: str, why: str) -> Callable:
    def fn(*args):
        raise Refuse(Unknown(f"{name}() is not evaluated statically ({why})", refs_of(*args)))
    fn.__name__ = name
    return fn


def _uuidv5(ns, name):
    import uuid
    spaces = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID,
              "x500": uuid.NAMESPACE_X500}
    ns, name = as_str(ns), as_str(name)
    try:
        space = spaces.get(ns) or uuid.UUID(ns)
    except ValueError:
        fail("uuidv5(): invalid namespace")
    return str(uuid.uuid5(space, name))
