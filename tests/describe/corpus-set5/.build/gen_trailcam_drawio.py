"""Generate the uncompressed draw.io file for camera-trap-species-drawio."""
import html, sys
cells = []
def add(id_, value, style, x, y, w, h, parent="1"):
    cells.append(f'<mxCell id="{id_}" value="{html.escape(value)}" style="{style}" vertex="1" parent="{parent}">'
                 f'<mxGeometry x="{x}" y="{y}" width="{w}" height="{h}" as="geometry"/></mxCell>')
def edge(id_, s, t, label, extra=""):
    cells.append(f'<mxCell id="{id_}" value="{html.escape(label)}" style="edgeStyle=orthogonalEdgeStyle;rounded=0;html=1;endArrow=block;{extra}" edge="1" parent="1" source="{s}" target="{t}">'
                 f'<mxGeometry relative="1" as="geometry"/></mxCell>')
LANE = "swimlane;whiteSpace=wrap;html=1;startSize=26;fillColor=#f5f5f5;dashed=1;"
BOX = "rounded=1;whiteSpace=wrap;html=1;fillColor=#dae8fc;strokeColor=#6c8ebf;"
DB = "shape=cylinder3;whiteSpace=wrap;html=1;boundedLbl=1;size=12;fillColor=#fff2cc;strokeColor=#d6b656;"
ML = "rounded=1;whiteSpace=wrap;html=1;fillColor=#e1d5e7;strokeColor=#9673a6;"
ACT = "shape=umlActor;verticalLabelPosition=bottom;verticalAlign=top;html=1;"
add("zfield", "Moorland (field sites)", LANE, 20, 40, 200, 160)
add("traps", "Camera traps (4G)", BOX, 40, 90, 160, 60, "zfield")
add("zgcp", "GCP project mwt-cameras (europe-west2)", LANE, 260, 40, 760, 520)
add("ingest", "Ingest API (Cloud Function)", BOX, 20, 50, 170, 60, "zgcp")
add("raw", "trap-images-raw (GCS)", DB, 230, 40, 150, 80, "zgcp")
add("md", "MegaDetector v5", ML, 420, 50, 150, 60, "zgcp")
add("cls", "Species classifier", ML, 420, 170, 150, 60, "zgcp")
add("det", "Detections DB (Cloud SQL)", DB, 230, 170, 150, 80, "zgcp")
add("ls", "Label Studio", BOX, 20, 300, 170, 60, "zgcp")
add("labels", "Verified labels", DB, 230, 300, 150, 80, "zgcp")
add("train", "Classifier training job (Vertex AI)", BOX, 420, 300, 170, 60, "zgcp")
add("digest", "Weekly digest job", BOX, 420, 420, 170, 60, "zgcp")
add("zoai", "OpenAI", LANE, 1060, 400, 200, 140)
add("gpt", "gpt-4o-mini", ML.replace("#e1d5e7", "#f8cecc"), 1080, 450, 160, 60, "zoai")
add("vol", "Volunteer spotters", ACT, 120, 620, 30, 60)
add("rangers", "Rangers", ACT, 900, 620, 30, 60)
add("note1", "Images where MegaDetector finds a person are deleted from trap-images-raw within 24 h.", "shape=note;whiteSpace=wrap;html=1;size=14;", 1060, 60, 220, 90)
edge("e1", "traps", "ingest", "JPEG + EXIF, HTTPS, per-device key")
edge("e2", "ingest", "raw", "image")
edge("e3", "raw", "md", "new image event")
edge("e4", "md", "cls", "animal crops")
edge("e5", "md", "det", "boxes (animal / person / vehicle)")
edge("e6", "cls", "det", "species + confidence")
edge("e7", "det", "ls", "low-confidence detections")
edge("e8", "vol", "ls", "verify / correct species", "startArrow=block;")
edge("e9", "ls", "labels", "verified labels")
edge("e10", "labels", "train", "training set")
edge("e11", "train", "cls", "new classifier weights")
edge("e12", "det", "digest", "weekly counts per site")
edge("e13", "digest", "gpt", "counts -> summary", "startArrow=block;")
edge("e14", "digest", "rangers", "digest e-mail")
xml = ('<mxfile host="app.diagrams.net" modified="2026-09-30T08:12:44.101Z" agent="Mozilla/5.0" version="24.7.17">'
       '<diagram id="trailcam" name="TrailCam pipeline"><mxGraphModel dx="1400" dy="900" grid="1" gridSize="10" '
       'page="1" pageWidth="1400" pageHeight="800"><root><mxCell id="0"/><mxCell id="1" parent="0"/>'
       + "".join(cells) + '</root></mxGraphModel></diagram></mxfile>\n')
open(sys.argv[1], "w").write(xml)
