"""One resource graph: nodes by address and type, edges from references, traversable both ways.

Edges are recorded on the referencing node (`Resource.refs`); a reference without an instance key
(`aws_s3_bucket.b`) reaches every instance of that resource. Lookups are by index, so the cost of a
connection check does not grow with the size of the repository.
"""
from __future__ import annotations

from collections import defaultdict

from .address import base as base_address  # noqa: F401  (used by suppress/ and tests)
from .model import Resource


class Graph:
    def __init__(self, resources: list[Resource], root: str = ".", errors=None, warnings=None, files_read: int = 0,
                 parsers=None, tainted=None):
        self.resources = resources
        self.root = root
        self.errors = errors or []
        self.warnings = warnings or []
        self.files_read = files_read
        self.parsers = parsers or {}
        self.tainted = tainted or {}
        self.extra_files: list[str] = []  # files read beyond discovery (modules, file()): scan cache key
        self.provider_versions: dict[str, dict[str, str]] = {}  # root module -> locked provider versions
        self.by_address: dict[str, Resource] = {}
        self.by_base: dict[str, list[Resource]] = defaultdict(list)
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        for r in resources:
            self.by_address[r.address] = r
            self.by_base[base_address(r.address)].append(r)
            self.by_type[r.type].append(r)
        self._by_module: dict | None = None
        self.out_edges: dict[str, set[str]] = {}
        self.in_edges: dict[str, set[str]] = defaultdict(set)
        for r in resources:
            targets = set()
            for ref in r.refs:
                for t in self._targets(ref, r):
                    if t is not r:
                        targets.add(t.address)
            self.out_edges[r.address] = targets
            for t in targets:
                self.in_edges[t].add(r.address)

    def _targets(self, ref: str, source: Resource | None = None) -> list[Resource]:
        if ref in self.by_address:
            return [self.by_address[ref]]
        if ref in self.by_base:
            found = self.by_base[ref]
            if len(found) > 1 and source is not None and source.source == "plan":
                # a plan cuts `aws_s3_bucket.raw[each.key].id` to `aws_s3_bucket.raw`: an instance keyed like
                # the referencing one is the one it means
                own = source.address[len(base_address(source.address)):]
                if own and ref + own in self.by_address:
                    return [self.by_address[ref + own]]
            return found
        # a module call address reaches the resources inside it
        if ref.startswith("module."):
            if self._by_module is None:
                self._by_module = defaultdict(list)
                for r in self.resources:
                    parts = r.module.split(".") if r.module else []
                    for i in range(2, len(parts) + 1, 2):
                        self._by_module[".".join(parts[:i])].append(r)
                    if r.module:
                        self._by_module[base_address(r.module)].append(r)
            return list({id(x): x for x in self._by_module.get(ref, [])}.values())
        return []

    def neighbours(self, r: Resource) -> set[str]:
        return self.out_edges.get(r.address, set()) | self.in_edges.get(r.address, set())

    def connected(self, r: Resource, types: set[str]) -> list[Resource]:
        """Resources of `types` linked to `r` by an edge in either direction."""
        return [self.by_address[a] for a in sorted(self.neighbours(r))
                if a in self.by_address and self.by_address[a].type in types]

    def reachable(self, starts: list[Resource]) -> set[str]:
        """Addresses connected to `starts` through any chain of edges (the path of ePHI)."""
        seen = {r.address for r in starts}
        stack = list(seen)
        while stack:
            a = stack.pop()
            for b in self.out_edges.get(a, ()) | self.in_edges.get(a, set()):
                if b not in seen:
                    seen.add(b)
                    stack.append(b)
        return seen

    def edges(self) -> list[tuple[str, str]]:
        return sorted((a, b) for a, targets in self.out_edges.items() for b in targets)
