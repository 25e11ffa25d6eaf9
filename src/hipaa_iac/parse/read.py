"""Reading one configuration file: its bytes as Terraform reads them (UTF-8, BOM tolerated, size limit), the
parser choice (JSON syntax; tree-sitter first, python-hcl2 when tree-sitter reports an error), and the
recovery of resource headers from a file that cannot be parsed (`stub_source`).
"""
from __future__ import annotations

import os

from ..model import Block, SourceFile
from .hcl import HCLSyntaxError

# tree-sitter needs ~100 bytes of memory per source byte (more in long strings) and crashes when an
# allocation fails: a larger file is reported, not parsed. Real configuration files are far smaller.
MAX_PARSE_BYTES = 4 * 1024 * 1024
MAX_STUB_BYTES = 512 * 1024 * 1024  # resource headers of a refused file are still found, up to this size


def rel(path: str, root: str) -> str:
    r = os.path.relpath(path, root)
    return r.replace(os.sep, "/")


def read_text(path: str, data: bytes | None = None) -> str:
    """Read a configuration file as Terraform does (UTF-8; a BOM is tolerated). `data`: its bytes, already
    read (and recorded in the scan cache ledger) by the caller; else read here, once, and recorded."""
    if data is None:
        size = os.path.getsize(path)
        if size > MAX_PARSE_BYTES:
            raise HCLSyntaxError(1, f"file is {size / (1024 * 1024):.1f} MB, above the {MAX_PARSE_BYTES // (1024 * 1024)} MB "
                                    "limit for one configuration file: not analyzed")
        from ..cache import read_input
        data = read_input(path)
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise HCLSyntaxError(1, "binary file, not Terraform configuration")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise HCLSyntaxError(line, "file is not valid UTF-8") from None


def parse_config_file(path: str, relpath: str, data: bytes | None = None) -> SourceFile:
    """Parse one configuration file; tree-sitter first, python-hcl2 when tree-sitter reports an error."""
    text = read_text(path, data)
    if path.endswith(".json"):
        from .json_config import parse_tf_json
        return SourceFile(relpath, parse_tf_json(text, relpath), "json")
    from .hcl import parse_hcl
    src = text.encode("utf-8")
    try:
        return SourceFile(relpath, parse_hcl(src, relpath), "tree-sitter")
    except HCLSyntaxError as ts_err:
        try:
            from .hcl2_fallback import parse_hcl_fallback
        except ImportError:
            raise ts_err from None
        try:
            return SourceFile(relpath, parse_hcl_fallback(src, relpath), "python-hcl2")
        except HCLSyntaxError:
            raise ts_err from None
        except Exception:  # the fallback must never hide the first parser's error
            raise ts_err from None


_BLOCK_RE = None


def stub_source(path: str, relpath: str) -> SourceFile | None:
    """The resource blocks of a file that cannot be parsed, found by their headers, without attributes:
    every policy that applies to them reports unknown (never a silent pass). The file is read line by line,
    so a huge or hostile file costs little memory; counting is linear in its size."""
    import re
    global _BLOCK_RE
    if _BLOCK_RE is None:
        _BLOCK_RE = (re.compile(rb'^[ \t]*resource[ \t]+"([A-Za-z0-9_-]+)"[ \t]+"([A-Za-z0-9_-]+)"'),
                     re.compile(rb'"([a-z][a-z0-9]*_[a-z0-9_]+)"\s*:\s*[\[{]\s*\{?\s*"([A-Za-z0-9_-]+)"\s*:\s*[\[{]'))
    hcl_re, json_re = _BLOCK_RE
    is_json = path.endswith(".json")
    blocks = []
    seen_resource_key = not is_json
    try:
        with open(path, "rb") as fh:
            read = 0
            for line_no, raw in enumerate(fh, start=1):
                read += len(raw)
                if read > MAX_STUB_BYTES:
                    break
                if is_json:
                    if not seen_resource_key:
                        k = raw.find(b'"resource"')
                        if k < 0:
                            continue
                        seen_resource_key = True
                        raw = raw[k + 10:]
                    for m in json_re.finditer(raw):
                        blocks.append(_stub_block(m, relpath, line_no))
                else:
                    m = hcl_re.match(raw)
                    if m:
                        blocks.append(_stub_block(m, relpath, line_no))
    except (OSError, MemoryError):
        return SourceFile(relpath, blocks, "none") if blocks else None
    return SourceFile(relpath, blocks, "none")


def _stub_block(m, relpath: str, line: int) -> Block:
    return Block("resource", [m.group(1).decode("ascii"), m.group(2).decode("ascii")], {}, [], relpath, line, line)
