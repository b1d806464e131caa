"""docker-compose files: services as entities, networks as zones, and what the configuration says about them.

- a service is an entity named by its key; its image (``qdrant/qdrant:v1.12``, ``postgres:16``) is its
  technology, which may tell the kind (a model server image such as Ollama or vLLM is a model);
- ``depends_on`` and a URL in an environment value that names another service (``http://qdrant:6333``,
  ``postgresql://user@db:5432/x``) are relations from the service to the other one;
- an environment variable named after a product (``OPENAI_API_KEY``, ``PINECONE_API_KEY``) says the service
  uses it: the product becomes an entity (third party) with a relation to it;
- an identity provider in a service's environment (``OIDC_ISSUER``, ``AUTH_JWKS_URL``) says it signs its users in;
- a published port (``ports:``) is exposure: on 127.0.0.1 only, internal; otherwise reachable from outside
  the host (``internet``). These are weak facts: what the documents say in words wins over them;
- a network declared under ``networks:`` is a zone holding the services attached to it; a service attached
  to several networks sits between zones and is left out of all of them (with a note).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from dicetm.ingest.extract_ir import WEAK, Extraction, Fact, Relation, SourceText, Zone
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import Exposure, Kind

_MODEL_SERVERS = re.compile(r"(?:^|/)(?:ollama|vllm|vllm-openai|text-generation-inference|tgi|llama\.cpp|llamacpp|"
                            r"localai|lmstudio|tabbyapi|triton|tensorrt-llm|sglang)(?:[:/@-]|$)", re.I)
_SECRET_SUFFIX = re.compile(r"_(?:API_KEY|APIKEY|KEY|TOKEN|BOT_TOKEN|SECRET|ACCESS_KEY|ACCESS_TOKEN|"
                            r"PERSONAL_ACCESS_TOKEN|ENDPOINT|ORG_ID|ORGANIZATION|PROJECT_ID)$")
# a service configured with an identity provider (OIDC issuer, JWKS, SAML, OAuth client) signs its users in
_SIGN_IN = re.compile(r"(?:^|_)(?:OIDC|JWKS|SAML|OAUTH2?|KEYCLOAK|AUTH0|COGNITO)(?:_|$)|(?:^|_)(?:ISSUER|AUTH)_"
                      r"(?:URL|URI|ISSUER|JWKS_URL|AUDIENCE|CLIENT_ID)$")
_HOST = re.compile(r"(?:://(?:[^@/\s]*@)?|@)(?P<host>[A-Za-z0-9][\w.-]*)(?::\d+)?")


def extract_compose(source: SourceText, out: Extraction, prefix: str) -> bool:
    text = source.text
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        out.note("a docker-compose file could not be read once the scan's withheld lines were taken out; its "
                 "services were not drafted")
        return False
    services = _child(root, "services")
    if not isinstance(services, yaml.MappingNode):
        return False
    names = {_scalar(k) for k, _ in services.value}
    declared_networks = {_scalar(k) for k, _ in _pairs(_child(root, "networks"))}
    attached: dict[str, list[str]] = {}
    for key_node, body in services.value:
        name = _scalar(key_node)
        where = source.where(key_node.start_mark.line)
        if where is None or not name:
            continue
        entity = out.entity(f"{prefix}:{name}", name, where)
        data = yaml.safe_load(yaml.serialize(body)) if isinstance(body, yaml.MappingNode) else {}
        data = data if isinstance(data, dict) else {}
        image = str(data.get("image") or "")
        entity.technology = image
        if _MODEL_SERVERS.search(image.split(":")[0]):
            entity.kind, entity.kind_strength = Kind.llm, WEAK
        container_name = data.get("container_name")
        if isinstance(container_name, str) and container_name != name:
            entity.aliases.append(container_name)
        _ports(source, body, entity.facts)
        for dependency in _dependencies(data.get("depends_on")):
            if dependency in names and dependency != name:
                out.relations.append(Relation(entity.key, f"{prefix}:{dependency}", where))
        environment = _environment(body)
        served_here = {_stem(variable) for variable, value, _ in environment  # OPENAI_BASE_URL=http://vllm:8000
                       if any(host in names and host != name for host in _HOST.findall(str(value)))}
        for variable, value, line in environment:
            var_where = source.where(line) or where
            if _SIGN_IN.search(variable) and Fact("authenticated", True, var_where, WEAK) not in entity.facts:
                entity.facts.append(Fact("authenticated", True, var_where, WEAK))  # it checks its users' tokens
            local = [host for host in _HOST.findall(str(value)) if host in names and host != name]
            for host in local:
                out.relations.append(Relation(entity.key, f"{prefix}:{host}", var_where))
            # OPENAI_API_KEY beside an OPENAI_BASE_URL naming a service of the file: that service speaks the
            # vendor's API, the vendor is not used
            served = local or _stem(variable) in served_here
            product = product_of_variable(variable) if not served else None
            if product is not None:
                provider = out.entity(f"{prefix}:product:{product}", product, var_where, structural=False)
                provider.facts.append(Fact("third_party", True, var_where, WEAK))
                out.relations.append(Relation(entity.key, provider.key, var_where))
        networks = [str(n) for n in _dependencies(data.get("networks"))]
        attached[name] = [n for n in networks if n in declared_networks]
    _zones(source, root, out, prefix, attached)
    return True


_ADDRESS_SUFFIX = re.compile(r"_(?:API_BASE_URL|BASE_URL|API_BASE|API_URL|API_HOST|URL|URI|HOST|BASE|ENDPOINT)$")


def _stem(variable: str) -> str:
    """``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` -> "OPENAI": what a group of variables is named after."""
    upper = variable.upper()
    return _SECRET_SUFFIX.sub("", _ADDRESS_SUFFIX.sub("", upper)) or upper


def product_of_variable(variable: str) -> str | None:
    """``OPENAI_API_KEY`` -> "OpenAI", ``PINECONE_API_KEY`` -> "Pinecone": the product an environment variable
    of a service or an MCP server is named after (None for ``DATABASE_URL`` and other generic names)."""
    stem = _SECRET_SUFFIX.sub("", variable.upper())
    if stem == variable.upper() or not stem:
        return None
    words = stem.replace("_", " ")
    products = vocabulary()
    for hit in products.hits(words):
        if hit.product is not None and hit.start == 0 and hit.end == len(words):
            return products.display.get(hit.product, words.title())
    for hit in kind_words().words.hits(words):
        if hit.product is not None and hit.start == 0 and hit.end == len(words):
            return kind_words().words.display.get(hit.product, words.title())
    return None


def _ports(source: SourceText, body: yaml.Node, facts: list[Fact]) -> None:
    ports = _child(body, "ports")
    if not isinstance(ports, yaml.SequenceNode):
        return
    for item in ports.value:
        host_ip = ""
        if isinstance(item, yaml.ScalarNode):
            parts = str(item.value).split(":")
            host_ip = parts[0] if len(parts) >= 3 else ""
        elif isinstance(item, yaml.MappingNode):
            host_ip = str(_scalar(_child(item, "host_ip")) or "")
        where = source.where(item.start_mark.line)
        if where is None:
            continue
        local = host_ip.strip("[]") in ("127.0.0.1", "localhost", "::1")
        facts.append(Fact("exposure", Exposure.internal if local else Exposure.internet, where, WEAK))
        return


def _zones(source: SourceText, root: yaml.Node | None, out: Extraction, prefix: str,
           attached: dict[str, list[str]]) -> None:
    for key_node, _ in _pairs(_child(root, "networks")):
        network = _scalar(key_node)
        where = source.where(key_node.start_mark.line)
        if where is None:
            continue
        members = [f"{prefix}:{service}" for service, nets in attached.items() if nets == [network]]
        between = sorted(service for service, nets in attached.items() if nets[1:] and nets[0] == network)
        if between:
            out.note(f"{where.place}: {', '.join(between)} {'is' if len(between) == 1 else 'are'} attached to "
                     "several networks, so not placed in any network's trust boundary")
        out.zones.append(Zone(f"{prefix}:zone:{network}", network, where, members))


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    for k, v in _pairs(node):
        if _scalar(k) == key:
            return v
    return None


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _scalar(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _dependencies(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def _environment(body: yaml.Node) -> list[tuple[str, str, int]]:
    """(variable, value, line) of a service's environment, list or mapping form."""
    environment = _child(body, "environment")
    found: list[tuple[str, str, int]] = []
    if isinstance(environment, yaml.MappingNode):
        for key, value in environment.value:
            found.append((_scalar(key), _scalar(value), key.start_mark.line))
    elif isinstance(environment, yaml.SequenceNode):
        for item in environment.value:
            variable, _, value = _scalar(item).partition("=")
            found.append((variable.strip(), value.strip(), item.start_mark.line))
    return found

