"""Kubernetes manifests (plain, multi-document, ``kubectl get -o yaml`` lists, Helm-rendered output): workloads
as entities, namespaces as zones, and what the objects say about how the workloads reach each other.

- a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, ReplicaSet, a Knative Service, a KServe
  InferenceService) is an entity named by ``metadata.name``; its first container image is its technology, so
  a database image makes it a store and a model server image (vLLM, Ollama, TGI...) a model, as in compose;
- a Service is the name other workloads use for the workloads its selector picks: it becomes their alias, and
  a LoadBalancer or NodePort Service, or an Ingress routing to it, makes them ``exposure: internet`` (internal
  when an annotation or the ingress class says so). A Service with no workload in the file stands for one
  defined elsewhere (named like it, or like the app its selector names) or, for ``ExternalName``, an outside
  system;
- an environment value naming a Service (``http://rag-api:8080``, ``qdrant.vectors.svc.cluster.local:6333``,
  ``catalog:3550``) is a relation to it; a variable named after a product (``OPENAI_API_KEY``) says the
  workload uses that product; a referenced Secret (``secretKeyRef``, ``envFrom``, a secret volume) says it
  ``holds_credentials``. Secret values are never read; ConfigMap values in the same file are read like env;
- a mounted PersistentVolumeClaim is a store the workload reads and writes (read-only mount: reads);
- a NetworkPolicy's ``from``/``to`` pod selectors are relations (who may talk to whom); its egress rules say
  whether the selected workloads' egress is restricted;
- a namespace (stated in ``metadata.namespace`` or a Namespace object) is a zone holding its workloads.

Reading the YAML (and what is done with an unrendered Helm template) is ``read_kubernetes``. All these facts are
weak: what the documents say in words wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dicetm.ingest.extract_compose import product_of_variable
from dicetm.ingest.extract_ir import EXPLICIT, WEAK, Entity, Extraction, Fact, Relation, SourceText, Where, Zone
from dicetm.ingest.read_kubernetes import TEMPLATED, WORKLOADS, K8sObject, Lines, child, entries, read_objects
from dicetm.model.system import Exposure, Kind

_LLM_SERVERS = re.compile(r"(?:^|[/_-])(?P<server>ollama|vllm|text-generation-inference|tgi|llama\.?cpp|localai|"
                          r"sglang|tensorrt-llm|lmdeploy|huggingface-text-generation|llm-d)(?:[:/@_-]|$)", re.I)
_ML_SERVERS = re.compile(r"(?:^|[/_-])(?P<server>tritonserver|triton|torchserve|tensorflow/serving|tfserving|mlserver|"
                         r"seldon|bentoml|sklearnserver|xgbserver|lgbserver|kserve-\w+server)(?:[:/@_-]|$)", re.I)
# a Service's DNS name: "svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local", in a URL or as host:port
_ADDRESS = re.compile(r"(?:^|://|@)(?P<host>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*)(?::(?P<port>\d+))?(?=[/?#]|$)")
_LOCAL = frozenset({"localhost", "127.0.0.1", "0.0.0.0"})
_LLM_WORDS = re.compile(r"\b(?:llm|llama|mistral|mixtral|qwen|gemma|phi-?\d|falcon|gpt|huggingface|vllm|"
                        r"text-generation|chat)\b", re.I)


@dataclass
class _Workload:
    obj: K8sObject
    entity: Entity
    labels: dict[str, str]
    pod: Lines  # the pod spec (a KServe InferenceService: its predictor)


def extract_kubernetes(source: SourceText, out: Extraction, prefix: str) -> bool:
    objects = read_objects(source, out)
    if not objects:
        return False
    config_maps = {(o.namespace, o.name): o.body.get("data") for o in objects if o.kind == "ConfigMap"}
    workloads = [w for o in objects if (w := _workload(source, out, prefix, o)) is not None]
    services = {(o.namespace, o.name): o for o in objects if o.kind == "Service" and o.api == "v1"}
    reader = _Reader(source, out, prefix, workloads, services, config_maps)
    for workload in workloads:
        reader.read_pods(workload)
    for service in services.values():
        reader.service(service)
    for obj in objects:
        if obj.kind == "Ingress":
            reader.ingress(obj)
        elif obj.kind == "NetworkPolicy":
            reader.network_policy(obj)
    _namespaces(source, out, prefix, objects, workloads, reader)
    return True


def _workload(source: SourceText, out: Extraction, prefix: str, obj: K8sObject) -> _Workload | None:
    spec = child(obj.body, "spec")
    if obj.kind == "InferenceService":
        template = Lines({"spec": child(spec, "predictor")})
    elif obj.kind == "CronJob":
        template = child(child(child(spec, "jobTemplate"), "spec"), "template")
    elif obj.kind == "Pod":
        template = obj.body
    elif obj.kind in WORKLOADS or (obj.kind == "Service" and obj.api.startswith("serving.knative.dev")):
        template = child(spec, "template")  # the pod template
    else:
        return None
    where = source.where(obj.line(obj.body.get("metadata"), "name"))
    if where is None:
        return None
    entity = out.entity(_key(prefix, obj.namespace, obj.name), obj.name, where)
    labels = {str(k): str(v) for k, v in child(child(template, "metadata"), "labels").items()}
    workload = _Workload(obj, entity, labels, child(template, "spec"))
    images = [str(c.get("image") or "") for c in _containers(workload.pod)]
    entity.technology = next((i for i in images if i), "")
    words = " ".join([*images, *(str(a) for c in _containers(workload.pod) for a in entries(c, "args"))])
    if obj.kind == "InferenceService":
        _inference_service(source, out, prefix, workload)
        return workload
    server = next((m for i in images if (m := _LLM_SERVERS.search(i) or _ML_SERVERS.search(i))), None)
    if server is not None:
        # the server, not the image: "vllm/vllm-openai" runs our own model, it is not OpenAI's API
        entity.technology = server.group("server")
        llm = server.re is _LLM_SERVERS or _LLM_WORDS.search(words)
        entity.kind, entity.kind_strength = (Kind.llm if llm else Kind.ml_model), WEAK
    return workload


def _inference_service(source: SourceText, out: Extraction, prefix: str, workload: _Workload) -> None:
    """KServe: the predictor serves a model (an LLM when its format, runtime or arguments say so); the model's
    storage URI is where its files come from; a transformer sits in front of the predictor."""
    obj, entity = workload.obj, workload.entity
    predictor = child(child(obj.body, "spec"), "predictor")
    # the model: "model:" with its format, or the older form keyed by the framework ("sklearn:", "tensorflow:")
    framework, model = next(((k, v) for k, v in predictor.items() if isinstance(v, Lines) and "storageUri" in v),
                            ("", child(predictor, "model")))
    model_format = str(child(model, "modelFormat").get("name") or framework)
    runtime = str(model.get("runtime") or "")
    entity.technology = " ".join(x for x in ("KServe", model_format or runtime, entity.technology) if x)
    words = " ".join([model_format, runtime, obj.name, *(str(a) for a in entries(model, "args")),
                      str(model.get("storageUri") or "")])
    entity.kind, entity.kind_strength = (Kind.llm if _LLM_WORDS.search(words) else Kind.ml_model), WEAK
    uri = model.get("storageUri")
    if isinstance(uri, str) and "://" in uri:
        where = source.where(obj.line(model, "storageUri"))
        scheme, _, rest = uri.partition("://")
        store_name = "Hugging Face" if scheme == "hf" else f"{scheme}://{rest.split('/')[0]}"
        store = out.entity(f"{prefix}:model-files:{store_name}", store_name, where, structural=False)
        if scheme == "hf" and where is not None:
            store.facts.append(Fact("third_party", True, where, WEAK))
        elif scheme != "hf":
            store.kind, store.kind_strength = Kind.data_store, EXPLICIT
        if where is not None:
            out.relations.append(Relation(store.key, entity.key, where, "model files"))
    if child(child(obj.body, "spec"), "transformer"):
        line = obj.line(child(obj.body, "spec"), "transformer")
        where = source.where(line)
        if where is not None:
            name = f"{obj.name}-transformer"
            transformer = out.entity(_key(prefix, obj.namespace, name), name, where)
            out.relations.append(Relation(transformer.key, entity.key, where))


class _Reader:
    """What the objects of one file say about its workloads: addresses, secrets, volumes, exposure, policies."""

    def __init__(self, source: SourceText, out: Extraction, prefix: str, workloads: list[_Workload],
                 services: dict[tuple[str | None, str], K8sObject], config_maps: dict[Any, Any]) -> None:
        self.source, self.out, self.prefix = source, out, prefix
        self.workloads = workloads
        self.services = services
        self.config_maps = config_maps
        self.stand_ins: dict[str, Entity] = {}  # Services whose workloads are not in the file
        self.names = {n for _, n in services} | {w.obj.name for w in workloads}
        self.namespaces = {ns for ns, _ in services} | {w.obj.namespace for w in workloads}

    # -- who a name stands for

    def backends(self, service: K8sObject) -> list[_Workload]:
        selector = child(child(service.body, "spec"), "selector")
        if not selector:
            return []
        wanted = {str(k): str(v) for k, v in selector.items()}
        return [w for w in self.workloads if w.obj.namespace == service.namespace and w.obj.kind != "Service"
                and wanted.items() <= w.labels.items()]

    def targets(self, name: str, namespace: str | None, where: Where) -> list[Entity]:
        """The entities a Service name (in ``namespace``) stands for: the workloads it selects, else a stand-in
        for a Service defined elsewhere."""
        service = self.services.get((namespace, name)) or next(
            (s for (ns, n), s in self.services.items() if n == name), None)
        if service is not None:
            backends = self.backends(service)
            return [w.entity for w in backends] if backends else [self.service_stand_in(service, where)]
        named = [w.entity for w in self.workloads if w.obj.name == name]
        if named:
            return named
        return [self.stand_in(name, namespace, where)]

    def stand_in(self, name: str, namespace: str | None, where: Where, *, structural: bool = False) -> Entity:
        key = f"{self.prefix}:service:{namespace or ''}/{name}"
        entity = self.out.entity(key, name, where, structural=structural)
        entity.structural = entity.structural or structural
        self.stand_ins[key] = entity
        return entity

    def service_stand_in(self, service: K8sObject, where: Where, *, structural: bool = False) -> Entity:
        """A Service whose workloads another file defines: the app its selector names ("app: frontend") is
        another name of it, so the "frontend" Deployment of that file is the same component."""
        entity = self.stand_in(service.name, service.namespace, where, structural=structural)
        selector = child(child(service.body, "spec"), "selector")
        for key in ("app", "app.kubernetes.io/name", "k8s-app", "name"):
            value = selector.get(key)
            if isinstance(value, str) and value != entity.name and TEMPLATED not in value \
                    and value not in entity.aliases:
                entity.aliases.append(value)
        return entity

    # -- pods

    def read_pods(self, workload: _Workload) -> None:
        obj, pod = workload.obj, workload.pod
        for container in _containers(pod):
            for variable, value, line in self.environment(workload, container):
                self.variable(workload, variable, value, line)
            for source in entries(container, "envFrom"):
                if not isinstance(source, Lines):
                    continue
                if isinstance(source.get("secretRef"), dict):
                    self.credentials(workload, obj.line(source, "secretRef"))
                reference = child(source, "configMapRef")
                data = self.config_maps.get((obj.namespace, reference.get("name")))
                for key, value in (data or {}).items():
                    self.variable(workload, str(key), str(value), obj.line(source, "configMapRef"))
        for volume in entries(pod, "volumes"):
            if isinstance(volume, Lines):
                self.volume(workload, volume, _mounts(pod, str(volume.get("name") or "")))

    def environment(self, workload: _Workload, container: Lines) -> list[tuple[str, str, int]]:
        obj = workload.obj
        found: list[tuple[str, str, int]] = []
        for item in entries(container, "env"):
            if not isinstance(item, Lines) or not isinstance(item.get("name"), str):
                continue
            line = obj.line(item, "name")
            reference = child(item, "valueFrom")
            if isinstance(reference.get("secretKeyRef"), dict):
                found.append((item["name"], "", line))
                self.credentials(workload, line)
                continue
            config = child(reference, "configMapKeyRef")
            if config:
                data = self.config_maps.get((obj.namespace, config.get("name"))) or {}
                found.append((item["name"], str(data.get(config.get("key"), "")), line))
            else:
                found.append((item["name"], str(item.get("value") or ""), line))
        return found

    def variable(self, workload: _Workload, variable: str, value: str, line: int) -> None:
        where = self.source.where(line) or workload.entity.where[0]
        targets: list[Entity] = []
        for match in _ADDRESS.finditer(value.strip()):
            host, parts = match.group("host"), match.group("host").split(".")
            addressed = "://" in value or match.group("port") is not None or "svc" in parts
            if host in _LOCAL or host.replace(".", "").isdigit() or not addressed:
                continue  # "cluster.local" alone is a setting, not an address
            # "svc", "svc.ns.svc[.cluster.local]", and "svc.ns" when the file knows the service or the namespace
            # (otherwise "example.com" would be a service "example")
            known = len(parts) == 2 and (parts[1] in self.namespaces or parts[0] in self.names)
            if len(parts) == 1 or known or (len(parts) > 2 and parts[2] == "svc"):
                namespace = parts[1] if len(parts) > 1 else workload.obj.namespace
                targets += self.targets(parts[0], namespace, where)
        for target in targets:
            if target is not workload.entity:
                self.out.relations.append(Relation(workload.entity.key, target.key, where))
        product = product_of_variable(variable) if not targets else None
        if product is not None:
            provider = self.out.entity(f"{self.prefix}:product:{product}", product, where, structural=False)
            provider.facts.append(Fact("third_party", True, where, WEAK))
            self.out.relations.append(Relation(workload.entity.key, provider.key, where))

    def credentials(self, workload: _Workload, line: int) -> None:
        where = self.source.where(line)
        if where is not None:
            workload.entity.facts.append(Fact("holds_credentials", True, where, WEAK))

    def volume(self, workload: _Workload, volume: Lines, read_only: bool) -> None:
        obj = workload.obj
        if isinstance(volume.get("secret"), dict):
            self.credentials(workload, obj.line(volume, "secret"))
        projected = child(volume, "projected")
        if any(isinstance(s, dict) and "secret" in s for s in entries(projected, "sources")):
            self.credentials(workload, obj.line(volume, "projected"))
        claim = child(volume, "persistentVolumeClaim")
        name = claim.get("claimName")
        where = self.source.where(obj.line(volume, "persistentVolumeClaim"))
        if not isinstance(name, str) or TEMPLATED in name or where is None:
            return
        store = self.out.entity(f"{self.prefix}:pvc:{obj.namespace or ''}/{name}", name, where,
                                kind=Kind.data_store, kind_strength=EXPLICIT, technology="PersistentVolumeClaim")
        read_only = read_only or claim.get("readOnly") is True
        source, target = (store.key, workload.entity.key) if read_only else (workload.entity.key, store.key)
        self.out.relations.append(Relation(source, target, where, bidirectional=not read_only))

    # -- exposure

    def service(self, service: K8sObject) -> None:
        spec = child(service.body, "spec")
        kind = str(spec.get("type") or "ClusterIP")
        where = self.source.where(service.line(service.body.get("metadata"), "name"))
        if where is None:
            return
        backends = self.backends(service)
        for backend in backends:
            if service.name != backend.entity.name and len(backends) == 1:
                backend.entity.aliases.append(service.name)
        if kind == "ExternalName" and isinstance(spec.get("externalName"), str):
            outside = self.stand_in(service.name, service.namespace, where, structural=True)
            outside.technology = spec["externalName"]
            if "." in outside.technology and not re.search(r"\.(?:svc|local|internal)\.?$|\.cluster\.local",
                                                           outside.technology):
                outside.facts.append(Fact("third_party", True, where, WEAK))
            return
        if kind not in ("LoadBalancer", "NodePort"):
            return
        exposure = Exposure.internal if _internal(service) else Exposure.internet
        where = self.source.where(service.line(spec, "type")) or where
        entities = [w.entity for w in backends] or [self.service_stand_in(service, where, structural=True)]
        for entity in entities:
            entity.facts.append(Fact("exposure", exposure, where, WEAK))

    def ingress(self, ingress: K8sObject) -> None:
        spec = child(ingress.body, "spec")
        exposure = Exposure.internal if _internal(ingress) else Exposure.internet
        found: list[tuple[str, int]] = []
        default = child(spec, "defaultBackend") or child(spec, "backend")
        if default:
            found.append((_backend_service(default), ingress.line(spec, "defaultBackend" if "defaultBackend" in spec
                                                                   else "backend")))
        for rule in entries(spec, "rules"):
            for path in entries(child(rule, "http"), "paths"):
                if isinstance(path, Lines):
                    found.append((_backend_service(child(path, "backend")), ingress.line(path, "backend")))
        for name, line in found:
            where = self.source.where(line)
            if not name or where is None:
                continue
            for entity in self.targets(name, ingress.namespace, where):
                entity.facts.append(Fact("exposure", exposure, where, WEAK))

    # -- network policies

    def network_policy(self, policy: K8sObject) -> None:
        spec = child(policy.body, "spec")
        selected = self.selected(child(spec, "podSelector"), policy.namespace)
        types = [str(t) for t in entries(spec, "policyTypes")] or (["Ingress", "Egress"] if "egress" in spec
                                                                  else ["Ingress"])
        for direction, peers_key in (("ingress", "from"), ("egress", "to")):
            for rule in entries(spec, direction):
                if not isinstance(rule, Lines):
                    continue
                for peer in entries(rule, peers_key):
                    if not isinstance(peer, Lines) or "podSelector" not in peer:
                        continue
                    where = self.source.where(policy.line(peer, "podSelector"))
                    if where is None:
                        continue
                    namespace = policy.namespace if "namespaceSelector" not in peer else None
                    for other in self.selected(child(peer, "podSelector"), namespace):
                        for own in selected:
                            if other is own:
                                continue
                            source, target = (other, own) if direction == "ingress" else (own, other)
                            self.out.relations.append(Relation(source.entity.key, target.entity.key, where))
        if "Egress" in types:
            rules = [r for r in entries(spec, "egress") if isinstance(r, Lines)]
            open_to_all = any(not entries(r, "to") or any(
                str(child(p, "ipBlock").get("cidr")) in ("0.0.0.0/0", "::/0") for p in entries(r, "to")
                if isinstance(p, Lines)) for r in rules)
            where = self.source.where(policy.line(spec, "egress" if "egress" in spec else "policyTypes"))
            if where is not None:
                for workload in selected:
                    workload.entity.facts.append(Fact("egress_restricted", not open_to_all, where, WEAK))

    def selected(self, selector: Lines, namespace: str | None) -> list[_Workload]:
        labels = {str(k): str(v) for k, v in child(selector, "matchLabels").items()}
        return [w for w in self.workloads if (namespace is None or w.obj.namespace == namespace)
                and labels.items() <= w.labels.items() and not entries(selector, "matchExpressions")]


def _namespaces(source: SourceText, out: Extraction, prefix: str, objects: list[K8sObject],
                workloads: list[_Workload], reader: _Reader) -> None:
    declared = {o.name: o for o in objects if o.kind == "Namespace"}
    named = dict.fromkeys([*declared, *(o.namespace for o in objects if o.namespace)])
    for namespace in named:
        assert namespace is not None
        first = declared.get(namespace) or next(o for o in objects if o.namespace == namespace)
        where = source.where(first.line(first.body.get("metadata"), "name" if first.kind == "Namespace"
                                        else "namespace"))
        if where is None:
            continue
        members = [w.entity.key for w in workloads if w.obj.namespace == namespace]
        members += [key for key, e in reader.stand_ins.items() if key.startswith(f"{prefix}:service:{namespace}/")]
        members += [key for key in out.entities if key.startswith(f"{prefix}:pvc:{namespace}/")]
        out.zones.append(Zone(f"{prefix}:zone:{namespace}", f"namespace {namespace}", where, members))


def _internal(obj: K8sObject) -> bool:
    """An annotation or ingress class saying the load balancer is internal (AWS, GCP, Azure and others)."""
    annotations = child(obj.body.get("metadata"), "annotations")
    for key, value in annotations.items():
        if "internal" in f"{key}={value}".lower() and str(value).lower() in ("true", "internal", "yes", "1"):
            return True  # "...aws-load-balancer-internal: true", "...aws-load-balancer-scheme: internal"
    return "internal" in str(child(obj.body, "spec").get("ingressClassName") or "").lower()


def _backend_service(backend: Lines) -> str:
    name = child(backend, "service").get("name") or backend.get("serviceName")
    return str(name) if isinstance(name, str) and TEMPLATED not in name else ""


def _mounts(pod: Lines, volume: str) -> bool:
    """Whether every mount of the volume in the pod's containers is read-only."""
    mounts = [m for c in _containers(pod) for m in entries(c, "volumeMounts")
              if isinstance(m, dict) and m.get("name") == volume]
    return bool(mounts) and all(m.get("readOnly") is True for m in mounts)


def _containers(pod: Lines) -> list[Lines]:
    return [c for key in ("initContainers", "containers") for c in entries(pod, key) if isinstance(c, Lines)]


def _key(prefix: str, namespace: str | None, name: str) -> str:
    return f"{prefix}:{namespace or ''}/{name}"


