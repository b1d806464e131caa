"""Build a DOCX or PDF from a small markup: '# ' / '## ' headings, '- ' bullets,
'| a | b |' table rows (first row = header), blank lines between paragraphs."""
import sys, pathlib

def parse(text):
    blocks, para, table = [], [], []
    def flush():
        nonlocal para, table
        if para: blocks.append(("p", " ".join(para))); para = []
        if table: blocks.append(("t", table)); table = []
    for line in text.splitlines():
        s = line.rstrip()
        if s.startswith("|"):
            if para: blocks.append(("p", " ".join(para))); para = []
            cells = [c.strip() for c in s.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells): continue
            table.append(cells); continue
        if table: blocks.append(("t", table)); table = []
        if not s: flush(); continue
        if s.startswith("## "): flush(); blocks.append(("h2", s[3:])); continue
        if s.startswith("# "): flush(); blocks.append(("h1", s[2:])); continue
        if s.startswith("- "): flush(); blocks.append(("li", s[2:])); continue
        para.append(s.strip())
    flush()
    return blocks

def docx_out(blocks, out, title):
    import docx
    d = docx.Document()
    d.core_properties.title = title
    for kind, val in blocks:
        if kind == "h1": d.add_heading(val, 1)
        elif kind == "h2": d.add_heading(val, 2)
        elif kind == "li": d.add_paragraph(val, style="List Bullet")
        elif kind == "p": d.add_paragraph(val)
        else:
            t = d.add_table(rows=len(val), cols=len(val[0])); t.style = "Table Grid"
            for i, row in enumerate(val):
                for j, c in enumerate(row):
                    cell = t.cell(i, j); cell.text = c
                    if i == 0:
                        for r in cell.paragraphs[0].runs: r.bold = True
            d.add_paragraph("")
    d.save(out)

def pdf_out(blocks, out, title):
    from fpdf import FPDF
    p = FPDF(); p.set_title(title)
    p.add_font("DV", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    p.add_font("DV", "B", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    p.set_auto_page_break(True, 15); p.add_page()
    for kind, val in blocks:
        if kind == "h1": p.set_font("DV", "B", 15); p.multi_cell(0, 8, val); p.ln(2)
        elif kind == "h2": p.set_font("DV", "B", 12); p.multi_cell(0, 7, val); p.ln(1)
        elif kind == "li": p.set_font("DV", "", 10); p.multi_cell(0, 5.5, "\u2022 " + val); p.ln(1)
        elif kind == "p": p.set_font("DV", "", 10); p.multi_cell(0, 5.5, val); p.ln(2)
        else:
            p.set_font("DV", "", 8.5)
            with p.table(first_row_as_headings=True, line_height=4.8) as t:
                for row in val:
                    r = t.row()
                    for c in row: r.cell(c)
            p.ln(3)
    p.output(out)

if __name__ == "__main__":
    src, out = sys.argv[1], sys.argv[2]
    blocks = parse(pathlib.Path(src).read_text(encoding="utf-8"))
    title = pathlib.Path(out).stem
    (docx_out if out.endswith(".docx") else pdf_out)(blocks, out, title)
    print("wrote", out)
