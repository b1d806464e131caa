"""Terraform files (HCL2, read with python-hcl2): resources as entities, networks as zones, and what the
configuration says about exposure, encryption and who reads or writes what. Every mapping from a resource type
is data (``terraform_map``: ``data/terraform.yaml``, extendable by the user), not code.

- a resource or data source whose type the map lists is an entity of that kind (``aws_s3_bucket`` a store,
  ``aws_lambda_function`` a process, an Azure OpenAI account an ``llm``), named by its label; a label that says
  nothing ("this", "main") gives way to the resource's literal ``name``, else its address. The address and the
  deployed name (``bucket``, ``function_name``...) are always aliases, so a resource named in another file of the
  module, or by that name in a design doc, is the same component;
- a data-classification tag or label on a store states its ``classification`` (data, like every mapping);
- a VPC, subnet, virtual network or resource group is a zone; a resource is placed in the innermost one it
  refers to, directly or through one resource in between (a security group, a subnet group);
- facts come from attributes (``publicly_accessible``, ``storage_encrypted``, a public ACL, a function URL
  without authentication, ``allUsers`` bindings); a security group open to 0.0.0.0/0 makes what uses it
  ``exposure: internet``;
- a reference from one entity to another (directly, or through resources that are not entities) is a relation
  from the one that refers; IAM grants (policy statements, role assignments, IAM members) and connecting
  resources (event source mappings, bucket notifications, subscriptions) say the direction the data moves.

- a registry module whose source the map lists (``terraform-aws-modules/s3-bucket/aws``) is an entity, or a
  zone (``terraform-aws-modules/vpc/aws``); ``module.NAME.output`` references it.

What cannot be evaluated is said in a note, not guessed: other modules are not expanded, ``count``/``for_each``
resources are one entity each, ``dynamic`` blocks are read once as written, values from variables are unknown.
Everything here is a weak fact: what the documents say in words wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dicetm.ingest.extract_ir import EXPLICIT, WEAK, Entity, Extraction, Fact, Relation, SourceText, Where, Zone
from dicetm.ingest.read_terraform import (
    NOT_DATA,
    Resource,
    as_paths,
    blocks_of,
    file_of,
    read_resources,
    references_in,
    text_of,
    values_at,
)
from dicetm.ingest.terraform_map import FactRule, KindEntry, TerraformMap, terraform_map
from dicetm.model.system import STORE_KINDS, Exposure, Kind

_GENERIC = frozenset({"this", "main", "default", "example", "these", "primary", "current", "self", "it", "all",
                      "resource", "test", "demo", "sample", "one", "here"})
_WORLD = frozenset({"0.0.0.0/0", "::/0", "*", "internet", "any"})
_MAX_HOPS = 3


def extract_terraform(source: SourceText, out: Extraction, prefix: str) -> bool:
    resources = read_resources(source, out)
    if not resources:
        return False
    _Drafter(source, out, prefix, terraform_map(), resources).draft()
    return True


class _Drafter:
    """The entities, zones, facts and relations of one file's resources."""

    def __init__(self, source: SourceText, out: Extraction, prefix: str, table: TerraformMap,
                 resources: list[Resource]) -> None:
        self.source, self.out, self.prefix, self.table = source, out, prefix, table
        self.resources = {r.address: r for r in resources}
        self.entities: dict[str, Entity] = {}  # address -> entity (also stand-ins for other files' resources)
        self.zones: dict[str, Zone] = {}
        self.related: set[frozenset[str]] = set()  # pairs joined by a grant or a link: no plain relation too
        iam_types = {*table.iam, *(g.type for g in table.grants)}
        self.plumbing = {a for a, r in self.resources.items() if r.type not in table.kinds and r.mode != "module"
                         and r.type not in table.boundaries and r.type not in iam_types}
        self.kinds = {r.address: kind for r in resources if (kind := self.kind_of(r)) is not None}
        labels = [r.label for r in resources if r.address in self.kinds or self.is_boundary(r)]
        self.shared = {label for label in labels if labels.count(label) > 1}  # "ingest" function and log group

    def draft(self) -> None:
        for resource in self.resources.values():
            if resource.address in self.kinds:
                self.element(resource, self.kinds[resource.address])
            elif self.is_boundary(resource):
                self.zone(resource)
            elif resource.mode == "module":
                where = self.where(resource)
                self.out.note(f"{where.place if where else file_of(self.source)}: module '{resource.label}' "
                              f"({resource.source or 'no source'}) is not expanded: its resources are drafted only "
                              "when its own .tf files are among the documents")
        self.place()
        for rule in self.table.facts:
            for resource in (r for r in self.resources.values() if r.type in rule.types):
                self.fact(rule, resource)
        self.open_ingress()
        self.grants()
        self.links()
        self.references()

    # -- entities and zones

    def kind_of(self, resource: Resource) -> Kind | None:
        """The kind the map gives the resource: the first refinement that holds, else its default (which may be
        none: a Helm release is a component only when its chart says what it runs)."""
        entry = self.entry(resource)
        if entry is None:
            return None
        for refinement in entry.when:
            if refinement.attribute is not None and refinement.matches is not None:
                hit = any(re.search(refinement.matches, str(v)) for v in values_at(resource.body, refinement.attribute))
            else:
                hit = bool(refinement.words and re.search(refinement.words, self.text_around(resource)))
            if hit:
                return refinement.kind
        return entry.kind

    def element(self, resource: Resource, kind: Kind) -> Entity:
        where = self.where(resource)
        assert where is not None
        entity = self.out.entity(self.key(resource.address), self.name(resource), where, kind=kind,
                                 kind_strength=EXPLICIT, technology=resource.source or resource.type)
        entity.aliases += [a for a in self.aliases(resource) if a != entity.name and a not in entity.aliases]
        self.entities[resource.address] = entity
        return entity

    def stand_in(self, address: str, where: Where) -> Entity | None:
        """A resource another file of the module defines (its type says its kind; its definition says more)."""
        if address in self.entities:
            return self.entities[address]
        parts = address.split(".")
        resource_type, label = parts[-2], parts[-1]
        entry = self.table.kind_entry(resource_type)
        if entry is None or entry.kind is None or address in self.resources:
            return None
        name = f"{resource_type}.{label}" if label.lower() in _GENERIC else label
        entity = self.out.entity(self.key(address), name, where, kind=entry.kind, kind_strength=WEAK,
                                 technology=resource_type, structural=False)
        entity.aliases += [a for a in (address, label.replace("_", "-")) if a != name and a not in entity.aliases]
        self.entities[address] = entity
        return entity

    def zone(self, resource: Resource) -> None:
        where = self.where(resource)
        if where is not None:
            self.zones[resource.address] = Zone(f"{self.prefix}:zone:{resource.address}", self.name(resource), where)

    def place(self) -> None:
        """Each entity in the innermost zone it refers to; zones in the zone they refer to."""
        parents: dict[str, str] = {}
        for address in self.zones:
            outer = self.innermost(self.resources[address], exclude=address, parents=parents)
            if outer is not None:
                parents[address] = outer
                self.zones[address].parent = self.zones[outer].key
        for address, entity in self.entities.items():
            resource = self.resources.get(address)
            home = self.innermost(resource, exclude=None, parents=parents) if resource is not None else None
            if home is not None:
                self.zones[home].members.append(entity.key)
        self.out.zones += list(self.zones.values())

    def innermost(self, resource: Resource, exclude: str | None, parents: dict[str, str]) -> str | None:
        found = {a for a in self.reach(resource, hops=2) if a in self.zones and a != exclude}

        def ancestors(address: str) -> set[str]:
            seen: set[str] = set()
            while address in parents and parents[address] not in seen:
                address = parents[address]
                seen.add(address)
            return seen | {r for r in self.reach(self.resources[address], hops=1) if r in self.zones}
        outer = {a for z in found for a in ancestors(z) if a != z}
        inner = found - outer
        if len(inner) == 1:
            return next(iter(inner))
        common = set.intersection(*(ancestors(z) for z in inner)) if inner else set()
        return next(iter(common)) if len(common) == 1 else None

    # -- facts

    def fact(self, rule: FactRule, resource: Resource) -> None:
        targets = [resource.address] if rule.about is None else sorted(
            {a for path in as_paths(rule.about) for v in values_at(resource.body, path) for a in references_in(v)})
        attribute = None
        value: Any = rule.value
        if rule.attribute is not None:
            for path in as_paths(rule.attribute):
                found = [v for v in values_at(resource.body, path) if v is not None]
                value = self.decide(rule, found)
                if value is not None:
                    attribute = path
                    break
            if value is None:
                return
        where = self.where(resource, attribute)
        for address in targets:
            entity = self.entities.get(address) or (self.stand_in(address, where) if where else None)
            if entity is not None and where is not None:
                entity.facts.append(Fact(rule.fact, value, where, WEAK))

    @staticmethod
    def decide(rule: FactRule, found: list[Any]) -> Any:
        if not found or any(isinstance(v, str) and "${" in v for v in found):
            return None  # not stated, or computed from something this file does not hold
        if rule.present:
            return rule.value
        if rule.values is not None:
            for item in found:
                hit = rule.values.get(str(item).lower())
                if hit is not None:
                    return hit
            return None
        if rule.format is not None:
            return rule.format.format(found[0])
        return found[0] if isinstance(found[0], bool) else None

    def open_ingress(self) -> None:
        for rule in self.table.open_ingress:
            for resource in (r for r in self.resources.values() if r.type in rule.types):
                blocks = blocks_of(resource.body, rule.block) if rule.block else [resource.body]
                open_block = next((b for b in blocks if all(str(b.get(k, "")).lower() == v.lower()
                                                            for k, v in rule.when.items())
                                   and any(str(c).lower() in _WORLD for key in rule.cidrs
                                           for c in values_at(b, key))), None)
                if open_block is None:
                    continue
                groups = {resource.address} if rule.about is None else set(
                    references_in(resource.body.get(rule.about)))
                where = self.where(resource, rule.cidrs[0]) or self.where(resource)
                for address, entity in self.entities.items():
                    user = self.resources.get(address)
                    if user is not None and where is not None and groups & self.reach(user, hops=2):
                        entity.facts.append(Fact("exposure", Exposure.internet, where, WEAK))

    # -- relations

    def grants(self) -> None:
        owners = self.iam_owners()
        for grant in self.table.grants:
            for resource in (r for r in self.resources.values() if r.type == grant.type):
                where = self.where(resource)
                if where is None:
                    continue
                if grant.principal is not None:
                    named = set(references_in(resource.body.get(grant.principal)))
                    principals = {a for a in named if a in self.entities} | {
                        p for a in named for p in owners.get(a, set())}
                else:
                    principals = owners.get(resource.address, set())
                statements = blocks_of(resource.body, grant.per) if grant.per else [resource.body]
                for statement in statements:
                    targets = [a for a in references_in(statement.get(grant.target)) if self.entities.get(a)
                               or self.table.kind_entry(a.split(".")[-2])]
                    words = " ".join(str(v) for v in values_at(statement, grant.actions))
                    for principal in sorted(principals):
                        for target in targets:
                            self.grant(principal, target, words, where)

    def grant(self, principal: str, target: str, words: str, where: Where) -> None:
        table = self.table
        reads = bool(table.read_actions and re.search(table.read_actions, words))
        writes = bool(table.write_actions and re.search(table.write_actions, words))
        calls = bool(table.call_actions and re.search(table.call_actions, words))
        wildcard = bool(re.search(r'(?:^|[:\s"\[])\*(?:$|[\s"\]])', words))
        target_entity = self.entities.get(target) or self.stand_in(target, where)
        if target_entity is None or principal == target:
            return
        source, sink = self.entities[principal], target_entity
        both = wildcard or (reads and (writes or calls))
        if reads and not both:
            source, sink = sink, source
        actions = re.findall(r"[\w-]+:[\w*-]+|roles/[\w.]+", words)[:3]
        data = ", ".join(actions) or None
        self.out.relations.append(Relation(source.key, sink.key, where, data, bidirectional=both))
        self.related.add(frozenset((principal, target)))

    def iam_owners(self) -> dict[str, set[str]]:
        """IAM resource address -> the entities using it: a role, its policies and attachments, a service
        account and its bindings form one group; the entities referring to any of them use all of them."""
        iam_types = {*self.table.iam, *(g.type for g in self.table.grants)}
        iam = [a for a, r in self.resources.items() if r.type in iam_types]
        group = {a: a for a in iam}

        def root(address: str) -> str:
            while group[address] != address:
                group[address] = group[group[address]]
                address = group[address]
            return address

        for address in iam:
            for other in self.resources[address].referenced():
                if other in group:
                    group[root(other)] = root(address)
        users: dict[str, set[str]] = {}
        for address in self.entities:
            resource = self.resources.get(address)
            if resource is None:
                continue
            for used in self.reach(resource, hops=2) & group.keys():
                users.setdefault(root(used), set()).add(address)
        return {a: users.get(root(a), set()) for a in iam}

    def links(self) -> None:
        for resource_type, link in self.table.links.items():
            for resource in (r for r in self.resources.values() if r.type == resource_type):
                where = self.where(resource)
                if where is None:
                    continue
                sources = self.ends(resource, link.source, where)
                targets = self.ends(resource, link.target, where)
                own = self.entities.get(resource.address)
                pairs = [(s, own) for s in sources] + [(own, t) for t in targets] if own else \
                    [(s, t) for s in sources for t in targets]
                for source, target in pairs:
                    if source is not None and target is not None and source is not target:
                        self.out.relations.append(Relation(source.key, target.key, where))
                        self.related.add(frozenset((self.address_of(source), self.address_of(target))))

    def ends(self, resource: Resource, paths: str | list[str], where: Where) -> list[Entity]:
        found: list[Entity] = []
        for path in as_paths(paths):
            for value in values_at(resource.body, path):
                for address in references_in(value):
                    reached = {address} | (self.reach(self.resources[address], hops=1)
                                           if address in self.plumbing else set())
                    for item in sorted(reached):
                        entity = self.entities.get(item) or self.stand_in(item, where)
                        if entity is not None and entity not in found:
                            found.append(entity)
        return found

    def references(self) -> None:
        """A plain reference from an entity to another: a relation from the one that refers, or towards it
        when the attribute holds where the data comes from (``inbound`` in the map) or the one that refers is a
        store; none between two stores."""
        for address, entity in list(self.entities.items()):
            resource = self.resources.get(address)
            if resource is None:
                continue
            for other, inbound, attribute in self.referred(resource):
                if other == address or frozenset((address, other)) in self.related:
                    continue
                where = self.where(resource, attribute) or entity.where[0]
                target = self.entities.get(other) or self.stand_in(other, where)
                if target is None:
                    continue
                if entity.kind in STORE_KINDS and target.kind in STORE_KINDS:
                    continue  # a container naming its storage account, a database its server: a part, not a flow
                # data comes from where the attribute says, and a store naming a process (a log group named
                # after its function) is written by it
                towards = inbound or (entity.kind in STORE_KINDS and target.kind not in STORE_KINDS)
                source, sink = (target, entity) if towards else (entity, target)
                self.related.add(frozenset((address, other)))
                self.out.relations.append(Relation(source.key, sink.key, where))

    def referred(self, resource: Resource) -> Iterator[tuple[str, bool, str]]:
        """(address of an entity-type resource, whether data comes from it, the attribute) for every one the
        resource refers to, directly or through plumbing (resources that are not entities, zones or IAM)."""
        seen = {resource.address}
        frontier = [(resource, False, "")]
        for _ in range(_MAX_HOPS):
            following = []
            for current, inbound, first in frontier:
                incoming = set(self.table.inbound.get(current.type, []))
                for key, addresses in current.refs.items():
                    if key in NOT_DATA or key in self.table.part_of:
                        continue
                    flows_in = inbound or any(p.split(".")[0] == key for p in incoming)
                    for address in sorted(addresses - seen):
                        seen.add(address)
                        kind_type = address.split(".")[-2]
                        if address in self.entities or (address not in self.resources
                                                         and self.table.kind_entry(kind_type)):
                            yield address, flows_in, first or key
                        elif address in self.plumbing:
                            following.append((self.resources[address], flows_in, first or key))
            frontier = following

    # -- helpers

    def entry(self, resource: Resource) -> KindEntry | None:
        """What kind the map says a resource is (for a module: by its source)."""
        if resource.mode == "module":
            return self.table.module_entry(resource.source)
        return self.table.kind_entry(resource.type)

    def is_boundary(self, resource: Resource) -> bool:
        if resource.mode == "module":
            return any(re.search(pattern, resource.source) for pattern in self.table.module_boundaries)
        return resource.type in self.table.boundaries

    def reach(self, resource: Resource, hops: int) -> set[str]:
        """Addresses the resource refers to, directly or through up to ``hops - 1`` resources of this file."""
        found: set[str] = set()
        frontier = [resource]
        for _ in range(hops):
            following = []
            for current in frontier:
                for address in current.referenced() - found:
                    found.add(address)
                    if address in self.resources and address not in self.entities:
                        following.append(self.resources[address])
            frontier = following
        return found

    def text_around(self, resource: Resource) -> str:
        """The resource's own text and that of the resources it refers to (what a SageMaker endpoint serves)."""
        parts = [resource.address, text_of(resource.body)]
        parts += [text_of(self.resources[a].body) for a in sorted(self.reach(resource, hops=3)) if a in self.resources]
        return " ".join(parts)

    def where(self, resource: Resource, attribute: str | None = None) -> Where | None:
        if attribute:
            name = attribute.split(".")[-1]
            pattern = re.compile(rf"^\s*\"?{re.escape(name)}\"?\s*[=:{{]")
            for index in range(resource.line + 1, resource.end):
                if pattern.match(self.source.lines[index]):
                    found = self.source.where(index)
                    if found is not None:
                        return found
        return self.source.where(resource.line)

    def key(self, address: str) -> str:
        return f"{self.prefix}:tf:{address}"

    def address_of(self, entity: Entity) -> str:
        return entity.key.removeprefix(f"{self.prefix}:tf:")

    def name(self, resource: Resource) -> str:
        """The label, unless it says nothing ("this") or another resource of the file has it too ("ingest" for a
        function and its log group): then the literal name, else the address."""
        if resource.label in self.shared:
            return resource.address
        return resource.label if resource.label.lower() not in _GENERIC else _literal_name(resource)

    def aliases(self, resource: Resource) -> list[str]:
        found = [resource.address, f"{resource.type}.{resource.label}"]
        if resource.label not in self.shared:
            found.append(resource.label.replace("_", "-"))  # "support_api" is the "Support API" of the prose
        literal = _literal_name(resource)  # "gw-call-audio-prod", the name the design doc uses
        return [*found, *([literal] if literal != f"{resource.type}.{resource.label}" else [])]


_NAME_PATHS = ("name", "bucket", "function_name", "domain_name", "identifier", "cluster_identifier", "table_name",
               "model_package_group_name", "endpoint_name", "pipeline_name", "repository_name", "queue_name",
               "topic_name", "stream_name", "tags.Name")


def _literal_name(resource: Resource) -> str:
    for path in _NAME_PATHS:
        literal = next((v for v in values_at(resource.body, path) if isinstance(v, str) and "${" not in v and v), None)
        if literal is not None:
            return literal
    return f"{resource.type}.{resource.label}"


