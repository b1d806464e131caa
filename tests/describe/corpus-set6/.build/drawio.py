"""Tiny draw.io writer: containers (swimlanes), nodes, edges -> plain or compressed .drawio."""
import base64, zlib, urllib.parse, html

class Diagram:
    def __init__(self, name="Page-1"):
        self.name = name; self.cells = []; self.n = 2
    def _id(self):
        self.n += 1; return f"c{self.n}"
    def container(self, label, x, y, w, h, parent="1"):
        i = self._id()
        self.cells.append(f'<mxCell id="{i}" value="{html.escape(label, quote=True)}" style="swimlane;whiteSpace=wrap;html=1;startSize=23;dashed=1;" vertex="1" parent="{parent}"><mxGeometry x="{x}" y="{y}" width="{w}" height="{h}" as="geometry"/></mxCell>')
        return i
    def node(self, label, x, y, w=140, h=60, parent="1", shape="rounded=1"):
        i = self._id()
        self.cells.append(f'<mxCell id="{i}" value="{html.escape(label, quote=True)}" style="{shape};whiteSpace=wrap;html=1;" vertex="1" parent="{parent}"><mxGeometry x="{x}" y="{y}" width="{w}" height="{h}" as="geometry"/></mxCell>')
        return i
    def edge(self, s, t, label="", both=False):
        i = self._id()
        st = "edgeStyle=orthogonalEdgeStyle;rounded=0;html=1;endArrow=classic;" + ("startArrow=classic;" if both else "")
        self.cells.append(f'<mxCell id="{i}" value="{html.escape(label, quote=True)}" style="{st}" edge="1" parent="1" source="{s}" target="{t}"><mxGeometry relative="1" as="geometry"/></mxCell>')
        return i
    def model_xml(self):
        return '<mxGraphModel dx="1400" dy="900" grid="1" gridSize="10" guides="1" tooltips="1" connect="1" arrows="1" fold="1" page="1" pageScale="1" pageWidth="1654" pageHeight="1169"><root><mxCell id="0"/><mxCell id="1" parent="0"/>' + "".join(self.cells) + "</root></mxGraphModel>"
    def write(self, path, compressed=False):
        if compressed:
            raw = urllib.parse.quote(self.model_xml(), safe="~()*!.'")
            c = zlib.compressobj(9, zlib.DEFLATED, -15); data = c.compress(raw.encode()) + c.flush()
            inner = base64.b64encode(data).decode()
        else:
            inner = self.model_xml()
        doc = f'<mxfile host="app.diagrams.net" modified="2026-11-02T10:14:00.000Z" agent="Mozilla/5.0" version="24.7.17" type="device"><diagram id="d1" name="{html.escape(self.name)}">{inner}</diagram></mxfile>\n'
        open(path, "w", encoding="utf-8").write(doc)
