"""Issue 9 item 6: reading a document is bounded, and going past a bound is an error that names the file, the
limit and the option that raises it."""

from __future__ import annotations

import base64
import io
import urllib.parse
import zipfile
import zlib
from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.ingest.limits import ReadLimits, parse_limits
from dicetm.ingest.readers import read_document, read_documents

from .files import minimal_pdf, sample_docx


def _refusal(caught: pytest.ExceptionInfo[InputError], limit: str) -> str:
    problem = caught.value.problems[0]
    assert f"({limit})" in problem.message
    assert problem.hint is not None and f"--limit {limit}=" in problem.hint
    return problem.message


def test_limits_are_parsed_and_bad_ones_all_named() -> None:
    limits = parse_limits(["document-mb=50", "html-depth=2000", "ratio=12.5"])
    assert (limits.document_mb, limits.html_depth, limits.ratio) == (50, 2000, 12.5)
    assert limits.total_mb == ReadLimits().total_mb
    with pytest.raises(InputError) as caught:
        parse_limits(["size=3", "html-depth=1.5", "total-mb=-1", "document-mb"])
    messages = [p.message for p in caught.value.problems]
    assert messages == ["unknown limit 'size=3'", "the limit html-depth needs a positive whole number, not '1.5'",
                        "the limit total-mb needs a positive number, not '-1'", "unknown limit 'document-mb'"]


def test_a_document_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_text("# Notes\n\n" + "The gateway calls the model.\n" * 50_000, encoding="utf-8")  # 1.4 MB
    with pytest.raises(InputError) as caught:
        read_document(big, limits=ReadLimits(document_mb=1))
    assert caught.value.problems[0].location.file == str(big)
    assert _refusal(caught, "document-mb").startswith("the file is 1.5 MB, over the limit of 1 MB")
    assert read_document(big, limits=parse_limits(["document-mb=2"])).spans


def test_a_file_that_is_no_document_is_refused_by_its_kind_unread(tmp_path: Path) -> None:
    image = tmp_path / "disk.iso"
    image.write_bytes(b"\0" * 1_500_000)
    with pytest.raises(InputError, match=r"'\.iso' files are not a document format"):
        read_documents([image], limits=ReadLimits(document_mb=1))


def test_all_documents_together_are_bounded(tmp_path: Path) -> None:
    for name in ("a.md", "b.md", "c.md"):
        (tmp_path / name).write_text("x" * 400_000, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_documents([tmp_path], limits=ReadLimits(total_mb=1))
    assert caught.value.problems[0].location.file == str(tmp_path / "c.md")
    assert "the documents add up to 1.2 MB" in _refusal(caught, "total-mb")


def test_a_large_yaml_file_that_is_not_an_api_is_passed_over_not_refused(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("replicas: 3\n" + "# padding\n" * 200_000, encoding="utf-8")
    (tmp_path / "notes.md").write_text("# Notes\n", encoding="utf-8")
    assert [Path(d.path).name for d in read_documents([tmp_path], limits=ReadLimits(document_mb=1))] == ["notes.md"]


# ------------------------------------------------------------------------------------------------ DOCX


def _with_part(docx: bytes, name: str, data: bytes, *, level: int = 9) -> bytes:
    """``docx`` with one more part (a zip bomb's part is a long run of one byte)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item.filename))
        out.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
    return buffer.getvalue()


def test_a_docx_zip_bomb_is_refused_from_its_central_directory(tmp_path: Path) -> None:
    bomb = _with_part(sample_docx(), "word/media/filler.xml", b" " * 20_000_000)
    assert len(bomb) < 100_000
    path = tmp_path / "bomb.docx"
    path.write_bytes(bomb)
    with pytest.raises(InputError) as caught:
        read_document(path)
    message = _refusal(caught, "ratio")
    assert "word/media/filler.xml is compressed 1,0" in message and "unpacking to 20 MB" in message


def test_a_docx_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    noise = bytes(zlib.crc32(str(n).encode()) % 251 for n in range(1_500_000))  # barely compressible
    path = tmp_path / "big.docx"
    path.write_bytes(_with_part(sample_docx(), "word/media/noise.bin", noise, level=1))
    with pytest.raises(InputError) as caught:
        read_document(path, limits=ReadLimits(unpacked_mb=1))
    assert "the document unpacks to more than" in _refusal(caught, "unpacked-mb")
    assert read_document(path).spans  # within the default limit it reads


def test_a_docx_part_that_lies_about_its_size_unpacks_no_further(tmp_path: Path) -> None:
    """The central directory says the body is 2 KB, which passes the checks; its data inflates to 20 MB. Reading
    stops at the size declared, and the truncated part is a located error, not 20 MB in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sample_docx())) as source, zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, source.read(item.filename))
        body = source.read("word/document.xml")
        out.writestr(zipfile.ZipInfo("word/document.xml"), body[:-200] + b" " * 20_000_000 + body[-200:],
                     compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    docx = bytearray(buffer.getvalue())
    declared = (2048).to_bytes(4, "little")
    for offset in _central_entries(bytes(docx)):
        name_length = int.from_bytes(docx[offset + 28:offset + 30], "little")
        if docx[offset + 46:offset + 46 + name_length] == b"word/document.xml":
            docx[offset + 24:offset + 28] = declared  # uncompressed size in the central directory
            local = int.from_bytes(docx[offset + 42:offset + 46], "little")
            docx[local + 22:local + 26] = declared  # and in the local header
    path = tmp_path / "liar.docx"
    path.write_bytes(bytes(docx))
    with pytest.raises(InputError, match="cannot read the Word document") as caught:
        read_document(path)
    assert caught.value.problems[0].location.file == str(path)


def _central_entries(data: bytes) -> list[int]:
    offsets, index = [], data.find(b"PK\x01\x02")
    while index >= 0:
        offsets.append(index)
        index = data.find(b"PK\x01\x02", index + 4)
    return offsets


def test_other_compression_methods_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sample_docx())) as source, zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            out.writestr(item.filename, source.read(item.filename), compress_type=zipfile.ZIP_BZIP2)
    path = tmp_path / "bzip.docx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(InputError, match="compressed with method 12, which Word does not use"):
        read_document(path)


# --------------------------------------------------------------------------------------------- PDF, HTML


def test_the_text_extracted_from_a_pdf_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(minimal_pdf([["The widget calls the gateway."] * 20] * 3))
    with pytest.raises(InputError) as caught:
        read_document(path, limits=ReadLimits(unpacked_mb=0.001))
    assert "the text extracted by page 2 adds up to" in _refusal(caught, "unpacked-mb")


@pytest.mark.parametrize("name", ["deep.html", "deep.md"])
def test_html_nested_past_the_depth_limit_is_refused_at_its_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("<p>intro</p>\n\n" + "<div>" * 100 + "\n" + "<span>" * 5_000 + "deep text", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_document(path)
    assert caught.value.problems[0].location.line == 4
    assert _refusal(caught, "html-depth") == ("elements nest more than 512 deep at line 4, over the limit of 512 "
                                             "(html-depth)")
    document = read_document(path, limits=ReadLimits(html_depth=6_000))
    assert any(s.text.endswith("deep text") for s in document.spans)


def test_implied_end_tags_keep_sloppy_html_shallow(tmp_path: Path) -> None:
    """Paragraphs, list items and cells close each other, as in a browser, so they never pile up."""
    path = tmp_path / "long.html"
    rows = "".join(f"<tr><td>row {n}<td>cell" for n in range(3_000))
    path.write_text(f"<table>{rows}</table><ul>" + "<li><p>item" * 3_000 + "</ul>", encoding="utf-8")
    document = read_document(path)
    assert sum(s.kind == "table-row" for s in document.spans) == 3_000
    assert sum(s.kind == "list-item" for s in document.spans) == 3_000


def test_unterminated_markup_and_brace_free_css_are_read_as_text(tmp_path: Path) -> None:
    """Inputs that take naive parsers quadratic time (benchmarks/ingest_limits.py times them) read as plain text."""
    path = tmp_path / "hostile.html"
    path.write_text("<p>intro</p>" + "</" * 3_000, encoding="utf-8")
    assert [s.text for s in read_document(path).spans] == ["intro", "</" * 3_000]
    path.write_text("<style>" + "a" * 30_000 + "</style><p class=a>visible</p>", encoding="utf-8")
    assert [s.text for s in read_document(path).spans] == ["visible"]


# ---------------------------------------------------------------------------------------------- OpenAPI

ALIAS_BOMB = """\
openapi: 3.0.0
info: {title: Bomb, version: '1'}
paths: {}
x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
x-h: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
"""


def test_an_openapi_alias_bomb_is_refused_before_it_is_walked(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_document(path)
    assert "the document expands to more than" in _refusal(caught, "openapi-values")


def test_an_openapi_document_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("openapi: 3.0.0\ninfo: {title: Loop, version: '1'}\npaths: {}\nx-loop: &x [a, *x]\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="contains itself"):
        read_document(path)


def test_deeply_nested_yaml_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("openapi: 3.0.0\nx-deep: " + "[" * 5_000 + "]" * 5_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_document(path)
    assert caught.value.problems[0].location.file == str(path)


# --------------------------------------------------------------------------------------------- draw.io


def _drawio_packed(label_chars: int) -> str:
    """A draw.io file whose second page is stored compressed and inflates to about ``label_chars`` bytes."""
    model = (f'<mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" value="API '
             f'{"x" * label_chars}" vertex="1" parent="1"/></root></mxGraphModel>')
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = base64.b64encode(packer.compress(urllib.parse.quote(model).encode()) + packer.flush()).decode()
    return ('<mxfile>\n  <diagram name="plain"><mxGraphModel><root><mxCell id="0"/></root></mxGraphModel></diagram>\n'
            f'  <diagram name="packed">{packed}</diagram>\n</mxfile>\n')


def test_a_compressed_drawio_page_is_inflated_only_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.drawio"
    path.write_text(_drawio_packed(1_500_000), encoding="utf-8")
    assert path.stat().st_size < 20_000
    with pytest.raises(InputError) as caught:
        read_document(path, limits=parse_limits(["drawio-inflated-mb=1"]))
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line) == (str(path), 3)
    assert _refusal(caught, "drawio-inflated-mb") == ("the compressed pages inflate to more than 1 MB by page "
                                                      "'packed', over the limit of 1 MB (drawio-inflated-mb)")
    assert read_document(path).spans  # the default (20 MB) lets it through
    assert ReadLimits().drawio_inflated_mb == 20


def test_the_drawio_limit_counts_every_page_of_the_file(tmp_path: Path) -> None:
    """Many pages, each under the limit, cannot add up to more than it."""
    one = _drawio_packed(400_000)
    page = one[one.index('  <diagram name="packed">'):one.index("</mxfile>")]
    path = tmp_path / "pages.drawio"
    path.write_text(one.replace("</mxfile>", page.replace('"packed"', '"again"') * 2 + "</mxfile>"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_document(path, limits=ReadLimits(drawio_inflated_mb=1))
    assert caught.value.problems[0].location.line == 5
    message = _refusal(caught, "drawio-inflated-mb")
    assert message.startswith("the compressed pages inflate to more than 1 MB by page 'again'")


def test_the_drawio_limit_is_raised_on_the_command_line(tmp_path: Path) -> None:
    from tests.cli.helpers import invoke

    path = tmp_path / "bomb.drawio"
    path.write_text(_drawio_packed(1_500_000), encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    refused = invoke("scan", path, "--limit", "drawio-inflated-mb=1")
    assert refused.code == 2, refused
    assert str(path) in refused.stderr and "drawio-inflated-mb" in refused.stderr
    assert sorted(tmp_path.iterdir()) == before
    assert invoke("scan", path, "--limit", "drawio-inflated-mb=2").code == 0
