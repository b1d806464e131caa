"""Issue 9 item 6: every reader, fed hostile or broken input, gives a document or an error located at the file;
never a traceback.

Property-based, with a fixed seed (``derandomize``) and a bounded budget so the suite stays fast and repeatable;
``DICETM_FUZZ_SCALE=10`` runs ten times as many examples. Inputs are built from each format's own syntax (and
from mutated valid files for PDF and Word) so they reach the parsers' deep paths, not only their first check.
"""

from __future__ import annotations

import io
import json
import os
import string
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicetm.errors import InputError
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


def only_located(folder: Path, name: str, data: bytes | str) -> None:
    """Read ``data`` as the file ``name``: a document whose spans are in the file, or an InputError located there."""
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
        return
    for span in document.spans:
        assert span.file == str(path) and 1 <= span.line <= span.end_line, span


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
