"""Build .pdf / .docx inputs from simple text sources.
Markup: '# ' title, '## ' heading, '- ' bullet, '|a|b|' table rows (first row header), blank line = paragraph break.
Usage: mkdoc.py src.txt out.pdf|out.docx [--cols 2] [--header TEXT] [--footer TEXT]
"""
import sys, argparse
from pathlib import Path

def parse(text):
    blocks, para, table = [], [], []
    def flush():
        nonlocal para, table
        if para: blocks.append(("p", " ".join(para))); para = []
        if table: blocks.append(("t", table)); table = []
    for line in text.splitlines():
        s = line.rstrip()
        if not s.strip(): flush(); continue
        if s.startswith("|"):
            if para: blocks.append(("p", " ".join(para))); para = []
            table.append([c.strip() for c in s.strip().strip("|").split("|")]); continue
        if table: blocks.append(("t", table)); table = []
        if s.startswith("# "): flush(); blocks.append(("h1", s[2:])); continue
        if s.startswith("## "): flush(); blocks.append(("h2", s[3:])); continue
        if s.startswith("- "): flush(); blocks.append(("li", s[2:])); continue
        para.append(s.strip())
    flush()
    return blocks

def pdf(blocks, out, cols, header, footer):
    from fpdf import FPDF
    F = "/usr/share/fonts/truetype/dejavu/"
    class P(FPDF):
        def header(self):
            if header:
                self.set_font("dv", "", 8); self.set_text_color(110)
                self.cell(0, 6, header, align="L"); self.ln(8); self.set_text_color(0)
        def footer(self):
            self.set_y(-12); self.set_font("dv", "", 8); self.set_text_color(110)
            self.cell(0, 6, (footer + "   ·   " if footer else "") + f"{self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0)
    p = P(format="A4"); p.alias_nb_pages()
    p.add_font("dv", "", F + "DejaVuSans.ttf"); p.add_font("dv", "B", F + "DejaVuSans-Bold.ttf")
    p.set_auto_page_break(True, 16); p.add_page()
    # title blocks first (full width)
    i = 0
    while i < len(blocks) and blocks[i][0] == "h1":
        p.set_font("dv", "B", 15); p.multi_cell(0, 8, blocks[i][1], align="L"); p.ln(2); i += 1
    rest = blocks[i:]
    def render(target, b, width=None):
        kind, val = b
        if kind in ("h1", "h2"):
            p.set_font("dv", "B", 11 if kind == "h2" else 13)
            target.write(text=val + "\n"); p.set_font("dv", "", 9)
        elif kind == "p":
            p.set_font("dv", "", 9); target.write(text=val + "\n")
        elif kind == "li":
            p.set_font("dv", "", 9); target.write(text="• " + val + "\n")
    if cols > 1:
        # columns: flow text; tables rendered as indented lines
        with p.text_columns(ncols=cols, gutter=6, text_align="J") as tc:
            for b in rest:
                if b[0] == "t":
                    p.set_font("dv", "", 8)
                    hdr = b[1][0]
                    for row in b[1][1:]:
                        tc.write(text="; ".join(f"{h}: {c}" for h, c in zip(hdr, row)) + "\n")
                    tc.write(text="\n")
                else:
                    render(tc, b); tc.write(text="\n") if b[0] == "p" else None
    else:
        for b in rest:
            kind, val = b
            if kind == "t":
                p.set_font("dv", "", 8)
                with p.table(text_align="LEFT", line_height=4.5) as t:
                    for r in val:
                        row = t.row()
                        for c in r: row.cell(c)
                p.ln(3)
            elif kind in ("h1", "h2"):
                p.ln(2); p.set_font("dv", "B", 12 if kind == "h1" else 11); p.multi_cell(0, 6, val); p.ln(1)
            elif kind == "li":
                p.set_font("dv", "", 9.5); p.set_x(p.l_margin + 4); p.multi_cell(0, 5, "• " + val)
            else:
                p.set_font("dv", "", 9.5); p.multi_cell(0, 5, val); p.ln(2)
    p.output(out)

def docx(blocks, out, header, footer):
    import docx
    d = docx.Document()
    sec = d.sections[0]
    if header: sec.header.paragraphs[0].text = header
    if footer: sec.footer.paragraphs[0].text = footer
    for kind, val in blocks:
        if kind == "h1": d.add_heading(val, 0 if not d.paragraphs else 1)
        elif kind == "h2": d.add_heading(val, 2)
        elif kind == "li": d.add_paragraph(val, style="List Bullet")
        elif kind == "p": d.add_paragraph(val)
        elif kind == "t":
            t = d.add_table(rows=len(val), cols=len(val[0])); t.style = "Table Grid"
            for ri, r in enumerate(val):
                for ci, c in enumerate(r):
                    t.cell(ri, ci).text = c
                    if ri == 0:
                        for run in t.cell(ri, ci).paragraphs[0].runs: run.bold = True
            d.add_paragraph("")
    d.save(out)

ap = argparse.ArgumentParser(); ap.add_argument("src"); ap.add_argument("out")
ap.add_argument("--cols", type=int, default=1); ap.add_argument("--header", default=""); ap.add_argument("--footer", default="")
a = ap.parse_args()
blocks = parse(Path(a.src).read_text(encoding="utf-8"))
if a.out.endswith(".pdf"): pdf(blocks, a.out, a.cols, a.header, a.footer)
else: docx(blocks, a.out, a.header, a.footer)
print("wrote", a.out)
