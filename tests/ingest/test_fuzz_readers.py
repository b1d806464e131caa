"""Issue 9 item 6: every reader (documents, diagrams and configuration files, Kubernetes manifests and Terraform
included), fed hostile or broken input, gives a document or an error located at the file; never a traceback.

Property-based, with a fixed seed (``derandomize``) and a bounded budget so the suite stays fast and repeatable;
``DICETM_FUZZ_SCALE=10`` runs ten times as many examples. Inputs are built from each format's own syntax (and
from mutated valid files for PDF and Word) so they reach the parsers' deep paths, not only their first check.
"""

from __future__ import annotations

import base64
import io
import json
import os
import string
import tempfile
import urllib.parse
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicetm.errors import InputError
from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.limits import ReadLimits
from dicetm.ingest.readers import read_document

from .files import minimal_pdf, sample_docx

SCALE = int(os.environ.get("DICETM_FUZZ_SCALE", "1"))
LIMITS = ReadLimits(document_mb=1, unpacked_mb=5, html_depth=64, openapi_values=20_000)


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="dicetm-fuzz-") as name:
        yield Path(name)


def only_located(folder: Path, name: str, data: bytes | str) -> Document | None:
    """Read ``data`` as the file ``name``: a document whose spans are in the file (returned), or an InputError
    located there (None)."""
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(data)
    try:
        document = read_document(path, limits=LIMITS)
    except InputError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.location.file == str(path), problem
            assert problem.message and problem.hint, problem
        return None
    for span in document.spans:
        assert span.file == str(path) and 1 <= span.line <= span.end_line, span
    return document


# ---------------------------------------------------------------------------------------------- text formats

_UNICODE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_MARKDOWN = st.sampled_from([
    "# ", "###### ", "\n", "\n\n", "\r\n", "\r", "- ", "1. ", "> ", "    ", "\t", "```", "~~~", "`", "|", "|---|",
    "---", "===", "[", "]", "(", ")", "![", "](", "[x]: ", "https://x.example/a?b={c}", "<!--", "-->", "<div>",
    "</div>", "<span style='display:none'>", "</span>", "<style>", "</style>", ".a{color:#fff}", "<script>",
    "</script>", "<p class=a>", "<system>", "<img src=//x>", "---\ntitle: t\n---\n", "\u200b", "\u202e", "&#", ";",
    "*", "_", "\\", "word",
])
_HTML = st.sampled_from([
    "<div>", "</div>", "<p>", "</p>", "<li>", "<ul>", "</ul>", "<table>", "<tr>", "<td>", "<th>", "</table>",
    "<pre>", "</pre>", "<h1>", "</h1>", "<br>", "<title>", "</title>", "<svg>", "<style>", "</style>", "<script>",
    "</script>", "<!--", "-->", "<!DOCTYPE html>", "<![CDATA[", "]]>", "<?xml ?>", "<", ">", "</", "/>", "=", "'", '"',
    " style=\"", "color:white;background:#fff", "display:none", "font-size:0", "left:-9999px", " hidden", " class=x",
    ".x{visibility:hidden}", " href=\"https://x.example/?q={data}\"", " src=", "url(//x)", "&amp;", "&#x202e;",
    "&bogus", "<input type=hidden value=v>", "<noscript>", "<template>", "<dialog>", "<system>", "text", " ",
])


@given(st.lists(st.one_of(_MARKDOWN, _UNICODE), max_size=80).map("".join))
@fuzz(300)
def test_markdown(folder: Path, text: str) -> None:
    only_located(folder, "doc.md", text)


@given(st.lists(st.one_of(_HTML, _UNICODE), max_size=100).map("".join))
@fuzz(300)
def test_html(folder: Path, text: str) -> None:
    only_located(folder, "page.html", text)


@given(st.binary(max_size=400))
@fuzz(200)
def test_text(folder: Path, data: bytes) -> None:
    only_located(folder, "notes.txt", data)


# ------------------------------------------------------------------------------------------------- OpenAPI

_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), _UNICODE)
_KEYS = st.one_of(st.sampled_from(["openapi", "swagger", "info", "title", "description", "paths", "servers", "url",
                                   "host", "basePath", "schemes", "get", "put", "post", "summary", "security",
                                   "components", "x-note", "$ref", "/a", "/b/{id}"]), _UNICODE)
_VALUES = st.recursive(_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=30)
_SPEC = st.fixed_dictionaries({"openapi": st.sampled_from(["3.0.0", "3.1.0", 3.1, "2.0"])},
                              optional={"info": _VALUES, "paths": _VALUES, "servers": _VALUES, "security": _VALUES,
                                        "components": _VALUES, "x-a": _VALUES})
_YAML = st.sampled_from(["openapi: 3.0.0\n", "swagger: '2.0'\n", "paths:\n", "  /a:\n", "    get:\n", "- ", ": ",
                         "&a ", "*a", "!!binary ", "!!python/object ", "{", "}", "[", "]", "'", '"', "#", "\t", "\n",
                         "  ", "? ", "|\n", ">\n", "---\n", "...\n", "%YAML 1.1\n", "<<: *a\n", "summary: ", "x"])


@given(_SPEC)
@fuzz(150)
def test_openapi_json(folder: Path, spec: dict[str, object]) -> None:
    only_located(folder, "api.json", json.dumps(spec, allow_nan=True))


_PLAIN = st.text(string.ascii_letters + string.digits + " -_/{}.,:", max_size=10)


@given(st.lists(st.one_of(_YAML, _PLAIN), max_size=60).map("".join))
@fuzz(200)
def test_openapi_yaml(folder: Path, text: str) -> None:
    only_located(folder, "api.yaml", "openapi: 3.0.0\n" + text)


@given(_SPEC)
@fuzz(100)
def test_openapi_yaml_shapes(folder: Path, spec: dict[str, object]) -> None:
    only_located(folder, "shapes.yaml", yaml.safe_dump(spec, allow_unicode=True))


# --------------------------------------------------------------------------------------------- PDF and Word

_PDF = minimal_pdf([["Architecture", "The widget calls the gateway."], ["Page two"]])
_DOCX = sample_docx()


def _mutations(original: bytes) -> st.SearchStrategy[bytes]:
    """``original`` with a few bytes changed, a piece cut out or repeated, or cut short."""
    size = len(original)

    def flip(edits: list[tuple[int, int]]) -> bytes:
        data = bytearray(original)
        for position, value in edits:
            data[position % size] = value
        return bytes(data)

    return st.one_of(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)), min_size=1, max_size=8).map(flip),
        st.tuples(st.integers(0, size), st.integers(0, 400)).map(lambda cut: original[:cut[0]] +
                                                               original[cut[0] + cut[1]:]),
        st.tuples(st.integers(0, size), st.integers(1, 200)).map(lambda at: original[:at[0]] +
                                                              original[at[0]:at[0] + at[1]] * 3 + original[at[0]:]),
        st.integers(0, size).map(lambda cut: original[:cut]),
    )


@given(_mutations(_PDF))
@fuzz(150)
def test_pdf(folder: Path, data: bytes) -> None:
    only_located(folder, "doc.pdf", data)


@given(_mutations(_DOCX))
@fuzz(100)
def test_docx_bytes(folder: Path, data: bytes) -> None:
    only_located(folder, "doc.docx", data)


_XML = st.sampled_from([
    "<w:p>", "</w:p>", "<w:r>", "</w:r>", "<w:t>", "</w:t>", "<w:tbl>", "</w:tbl>", "<w:tr>", "</w:tr>", "<w:tc>",
    "</w:tc>", "<w:rPr>", "</w:rPr>", "<w:vanish/>", '<w:color w:val="FFFFFF"/>', '<w:color w:val="zz"/>',
    '<w:sz w:val="-3"/>', '<w:sz w:val="x"/>', '<w:shd w:fill="000000"/>', '<w:highlight w:val="black"/>',
    "<w:sdt><w:sdtContent>", "</w:sdtContent></w:sdt>", '<w:pPr><w:pStyle w:val="Heading1"/></w:pPr>', "<w:numPr/>",
    "<w:del>", "</w:del>", "text", "&amp;", "&#0;", "<!ENTITY x 'y'>", "&x;",
])


def _docx_with_body(body: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_DOCX)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                head = data.decode("utf-8").partition("<w:body>")[0]
                data = f"{head}<w:body>{body}</w:body></w:document>".encode("utf-8", "surrogatepass")
            out.writestr(item, data)
    return buffer.getvalue()


@given(st.lists(st.one_of(_XML, _UNICODE), max_size=40).map("".join))
@fuzz(60)
def test_docx_body(folder: Path, body: str) -> None:
    only_located(folder, "body.docx", _docx_with_body(body))


_TAGS = st.sampled_from(["w:p", "w:r", "w:t", "w:tbl", "w:tr", "w:tc", "w:rPr", "w:pPr", "w:sdt", "w:sdtContent",
                         "w:del", "w:ins", "w:hyperlink", "w:smartTag", "w:txbxContent", "mc:AlternateContent",
                         "mc:Fallback", "w:tcPr", "w:tblGrid"])
_PROPERTIES = st.sampled_from(["", "<w:vanish/>", '<w:color w:val="FFFFFF"/>', '<w:color w:val="auto"/>',
                               '<w:color w:val="12"/>', '<w:sz w:val="2"/>', '<w:sz w:val="-9"/>',
                               '<w:shd w:fill="FFFFFF"/>', '<w:highlight w:val="none"/>', '<w:rStyle w:val="x"/>',
                               '<w:pStyle w:val="Heading1"/>', "<w:numPr/>", '<w:tcPr><w:shd w:fill="000"/></w:tcPr>'])
_ESCAPED = _PLAIN.map(lambda text: text.replace("&", "&amp;").replace("<", "&lt;"))
_RUN = _ESCAPED.map(lambda text: f"<w:r><w:t>{text}</w:t></w:r>")
_TREE = st.recursive(st.one_of(_ESCAPED, _PROPERTIES, _RUN), lambda inner: st.tuples(
    _TAGS, st.lists(inner, max_size=4)).map(lambda node: f"<{node[0]}>{''.join(node[1])}</{node[0]}>"), max_leaves=25)


@given(st.lists(_TREE, max_size=6).map("".join))
@fuzz(100)
def test_docx_body_trees(folder: Path, body: str) -> None:
    only_located(folder, "tree.docx", _docx_with_body(body))


# ------------------------------------------------------------------------------- diagrams and configuration

_DIAGRAM_TOKENS = {
    "diagram.mmd": ["flowchart LR\n", "graph TD\n", "sequenceDiagram\n", "C4Context\n", "subgraph z [Zone]\n",
                    "end\n", "a[API]", "b[(DB)]", "c((LLM))", " --> ", " -->|sends| ", " -.-> ", " ==> ", "->>",
                    ": ", "%%", "\n", "Person(u, \"User\")", "Rel(a, b, \"x\")", "[", "]", "(", ")", "\"", "{", "}"],
    "diagram.puml": ["@startuml\n", "@enduml\n", "actor U\n", "component API\n", "database DB as db\n",
                     "rectangle Z {\n", "}\n", "U --> API : asks\n", "API -> db\n", "!include x\n", "skinparam x\n",
                     "note left: n\n", "'", "\n", "<<", ">>", "\"", "{", "}", "[", "]"],
    "workspace.dsl": ["workspace {\n", "model {\n", "}\n", "u = person \"User\"\n", "s = softwareSystem \"S\" {\n",
                      "c = container \"API\" \"\" \"Python\"\n", "u -> s \"uses\"\n", "views {\n", "!include x\n",
                      "\"", "{", "}", "->", "\n", "#"],
}
_DRAWIO_CELLS = st.sampled_from([
    '<mxCell id="{n}" value="API" vertex="1" parent="1"/>', '<mxCell id="{n}" value="&lt;b&gt;DB&lt;/b&gt;" '
    'style="shape=cylinder" vertex="1" parent="1"/>', '<mxCell id="e{n}" edge="1" source="2" target="3" parent="1"/>',
    '<mxCell id="g{n}" value="Zone" style="group" vertex="1" parent="1"/>', '<mxCell id="{n}" parent="g{n}"/>',
    '<mxCell id="{n}" value="x" style="visible=0" vertex="1"/>', '<mxCell id="{n}" edge="1" source="9" parent="1"/>',
    '<mxCell id="{n}" value="{n}" vertex="1" parent="{n}"/>',
])
_BROKEN = st.sampled_from(["", "", "", "<mxCell", "/>", "</mxCell>", "<", "&", "<!ENTITY a 'b'>"])
_CONFIG_KEYS = st.one_of(st.sampled_from(["services", "image", "ports", "depends_on", "environment", "networks",
                                          "mcpServers", "command", "args", "url", "env", "type", "headers"]), _PLAIN)
_CONFIG = st.recursive(_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(_CONFIG_KEYS, inner, max_size=5)),
                       max_leaves=30)
_SERVICES = st.dictionaries(_PLAIN, _CONFIG, max_size=5)


@given(st.sampled_from(sorted(_DIAGRAM_TOKENS)).flatmap(
    lambda name: st.tuples(st.just(name), st.lists(st.one_of(st.sampled_from(_DIAGRAM_TOKENS[name]), _PLAIN),
                                                   max_size=60).map("".join))))
@fuzz(300)
def test_diagram_and_configuration_sources(folder: Path, named: tuple[str, str]) -> None:
    name, text = named
    only_located(folder, name, text)


@given(_SERVICES, st.booleans())
@fuzz(200)
def test_compose_and_mcp_configuration_shapes(folder: Path, services: dict[str, object], mcp: bool) -> None:
    if mcp:
        only_located(folder, "mcp.json", json.dumps({"mcpServers": services}, allow_nan=True))
    else:
        only_located(folder, "compose.yaml", yaml.safe_dump({"services": services}, allow_unicode=True))


def _drawio(cells: list[str], compressed: bool) -> str:
    model = "<mxGraphModel><root><mxCell id=\"0\"/><mxCell id=\"1\" parent=\"0\"/>" + "".join(
        cell.replace("{n}", str(number + 2)) for number, cell in enumerate(cells)) + "</root></mxGraphModel>"
    if not compressed:
        return f"<mxfile><diagram name=\"p\">{model}</diagram></mxfile>"
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(urllib.parse.quote(model).encode()) + packer.flush()
    return f"<mxfile><diagram name=\"p\">{base64.b64encode(packed).decode()}</diagram></mxfile>"


@given(st.lists(_DRAWIO_CELLS, max_size=20), _BROKEN, st.booleans(), st.one_of(st.just(0), st.integers(1, 400)))
@fuzz(200)
def test_drawio_plain_compressed_and_cut_short(folder: Path, cells: list[str], broken: str, compressed: bool,
                                               cut: int) -> None:
    text = _drawio([*cells, broken], compressed)
    only_located(folder, "diagram.drawio", text[:len(text) - cut] if cut else text)


# ---------------------------------------------------------------------------------- Kubernetes and Terraform

def drafts_from(document: Document | None, format_name: str) -> None:
    """A configuration file read as ``format_name`` drafts a model (elements marked as drafts) or notes, never
    an exception."""
    if document is None:
        return
    assert document.format == format_name
    draft = extract_draft([document])
    assert all(e.provenance is not None and e.provenance.draft for e in draft.system.elements)


_K8S_LINES = st.sampled_from([
    "apiVersion: v1", "apiVersion: apps/v1", "apiVersion: networking.k8s.io/v1", "kind: Service", "kind: Deployment",
    "kind: StatefulSet", "kind: Ingress", "kind: NetworkPolicy", "kind: ConfigMap", "kind: List", "metadata:",
    "  name: a", "  name: b", "  name: {{ .Values.x }}", "  namespace: ns", "  labels: {app: a}", "spec:",
    "  type: LoadBalancer", "  type: NodePort", "  selector: {app: a}", "  selector:", "    app: a", "  template:",
    "    metadata: {labels: {app: a}}", "    spec:", "      containers:", "        - image: x",
    "        - name: c", "          image: ollama/ollama:0.1", "          ports: [{containerPort: 80}]",
    "          env: [{name: U, value: 'http://b:80'}]", "          envFrom: [{secretRef: {name: s}}]", "---", "...",
    "  podSelector: {}", "  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]", "  ingress: 3",
    "  rules: [{host: x.example, http: {paths: [{backend: {service: {name: a}}}]}}]", "  - [", "{{- if .Values.on }}",
    "{{- end }}", "items: [1, {kind: Pod}]", "items:", "  - kind: Service", "    metadata: {name: a}", "data:",
    "  URL: http://a:80", "&a x: 1", "<<: *a", "  ? x", "\t", "#", "key: |", "  text", "  name: !!binary eA==",
])
_K8S_VALUE = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from([
        "name", "labels", "app", "selector", "matchLabels", "template", "spec", "metadata", "containers", "image",
        "env", "value", "ports", "port", "targetPort", "type", "rules", "host", "http", "paths", "backend", "service",
        "podSelector", "ingress", "egress", "from", "to", "ipBlock", "cidr", "items", "kind", "namespace"]), _PLAIN),
        inner, max_size=5)), max_leaves=40)
_K8S_OBJECT = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["v1", "apps/v1", "networking.k8s.io/v1", "serving.kserve.io/v1beta1"]),
     "kind": st.sampled_from(["Deployment", "StatefulSet", "Pod", "CronJob", "Service", "Ingress", "NetworkPolicy",
                              "ConfigMap", "List", "InferenceService", "Namespace"])},
    optional={"metadata": _K8S_VALUE, "spec": _K8S_VALUE, "items": _K8S_VALUE, "data": _K8S_VALUE})


@given(st.lists(_K8S_LINES, max_size=30))
@fuzz(150)
def test_kubernetes_manifest_lines(folder: Path, lines: list[str]) -> None:
    text = "apiVersion: v1\nkind: Pod\n" + "\n".join(lines) + "\n"
    drafts_from(only_located(folder, "manifest.yaml", text), "kubernetes")


@given(st.lists(_K8S_OBJECT, min_size=1, max_size=4))
@fuzz(150)
def test_kubernetes_object_shapes(folder: Path, objects: list[dict[str, object]]) -> None:
    text = yaml.safe_dump_all(objects, allow_unicode=True)
    drafts_from(only_located(folder, "objects.yaml", text), "kubernetes")


_TF_TOKENS = st.sampled_from([
    'resource "aws_s3_bucket" "a" {\n', 'resource "aws_lambda_function" "f" {\n',
    'resource "aws_db_instance" "d" {\n', 'resource "google_storage_bucket" "g" {\n',
    'resource "azurerm_linux_web_app" "w" {\n', 'data "aws_iam_policy" "p" {\n', 'module "m" {\n',
    '  source = "./x"\n', "}\n", "  bucket = aws_s3_bucket.a.id\n", "  name = data.aws_iam_policy.p.arn\n",
    "  x = module.m.out\n", '  dynamic "ingress" {\n', "    content {\n", "  count = 2\n",
    '  for_each = toset(["a"])\n', '  cidr_blocks = ["0.0.0.0/0"]\n', "  publicly_accessible = true\n",
    "  storage_encrypted = false\n", '  policy = jsonencode({Action = "s3:GetObject"})\n',
    "  role = aws_iam_role.r.arn\n", "  environment {\n", "    variables = {\n",
    "      URL = aws_lambda_function.f.arn\n", "  tags = { a = 1 }\n", "  = {", "${", "%{", "<<EOF\n", "EOF\n",
    "#", "//", "/*", "*/", '"', "{", "}", "[", "]", "\n", " ", "=", "\t",
])


@given(st.lists(st.one_of(_TF_TOKENS, _PLAIN), max_size=50).map("".join))
@fuzz(150)
def test_terraform(folder: Path, text: str) -> None:
    drafts_from(only_located(folder, "main.tf", text), "terraform")
