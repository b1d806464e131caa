"""Flows in every language the flow words list (``ingest/data/flow_words.yaml``): an active sentence in each
direction (a send and a read), a passive with its agent, and arrows and a flow table whose headers are in the
language, pointing either way. The components keep English names, as such documents usually do; the sentences
around them are the language's own."""

from __future__ import annotations

import pytest

from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.extract_flow_words import _languages, language_of
from dicetm.ingest.readers import read_markdown

# language: (heading, a description of each component, active send, active read, passive, table headers)
SAMPLES: dict[str, tuple[str, str, str, str, str, str]] = {
    "es": ("Flujo de datos", "es el componente que gestiona los pedidos de la tienda",
           "El Chat Gateway envía las solicitudes al Order Service.",
           "El Order Service lee los pedidos de la Order DB.",
           "Los registros son escritos en el Audit Log por el Order Service.", "Origen | Destino"),
    "fr": ("Flux de données", "est le composant qui gère les commandes de la boutique",
           "Le Chat Gateway envoie les demandes au Order Service.",
           "Le Order Service lit les commandes depuis la Order DB.",
           "Les journaux sont écrits dans le Audit Log par le Order Service.", "Source | Destination"),
    "de": ("Datenfluss", "ist die Komponente, die die Bestellungen des Shops verwaltet",
           "Das Chat Gateway sendet die Anfragen an den Order Service.",
           "Der Order Service liest die Bestellungen aus der Order DB.",
           "Die Protokolle werden vom Order Service an das Audit Log übermittelt.", "Von | Nach"),
    "it": ("Flusso dei dati", "è il componente che gestisce gli ordini del negozio",
           "Il Chat Gateway invia le richieste al Order Service.",
           "Il Order Service legge gli ordini dal Order DB.",
           "I log sono scritti nel Audit Log dal Order Service.", "Origine | Destinazione"),
    "pt": ("Fluxo de dados", "é o componente que gerencia os pedidos da loja",
           "O Chat Gateway envia as solicitações ao Order Service.",
           "O Order Service lê os pedidos do Order DB.",
           "Os registros são gravados no Audit Log pelo Order Service.", "Origem | Destino"),
    "nl": ("Gegevensstroom", "is het onderdeel dat de bestellingen van de winkel beheert",
           "De Chat Gateway stuurt de verzoeken naar de Order Service.",
           "De Order Service leest de bestellingen uit de Order DB.",
           "De logs worden door de Order Service naar de Audit Log gestuurd.", "Van | Naar"),
    "pl": ("Przepływ danych", "to komponent, który obsługuje zamówienia sklepu i jest w chmurze",
           "Chat Gateway wysyła żądania do Order Service.",
           "Order Service pobiera zamówienia z Order DB.",
           "Logi są zapisywane do Audit Log przez Order Service.", "Źródło | Cel"),
    "cs": ("Tok dat", "je komponenta, která spravuje objednávky obchodu a je také v cloudu",
           "Chat Gateway odesílá požadavky do Order Service.",
           "Order Service čte objednávky z Order DB.",
           "Záznamy jsou ukládány do Audit Log.", "Zdroj | Cíl"),
    "sv": ("Dataflöde", "är komponenten som hanterar butikens beställningar och det är den som vi har",
           "Chat Gateway skickar förfrågningarna till Order Service.",
           "Order Service läser beställningarna från Order DB.",
           "Loggarna skrivs till Audit Log av Order Service.", "Från | Till"),
    "da": ("Dataflow", "er den komponent, som håndterer butikkens ordrer, og det er også den, vi har",
           "Chat Gateway sender forespørgslerne til Order Service.",
           "Order Service læser ordrerne fra Order DB.",
           "Loggene skrives til Audit Log af Order Service.", "Fra | Til"),
    "nb": ("Dataflyt", "er komponenten som håndterer butikkens ordrer, og det er også den vi har",
           "Chat Gateway sender forespørslene til Order Service.",
           "Order Service leser ordrene fra Order DB.",
           "Loggene skrives til Audit Log av Order Service.", "Fra | Til"),
    "fi": ("Tietovirta", "on komponentti, joka käsittelee kaupan tilaukset ja se on myös pilvessä",
           "Chat Gateway lähettää pyynnöt Order Service -palveluun.",
           "Order Service lukee tilaukset Order DB:stä.",
           "Lokit tallennetaan Audit Log -järjestelmään.", "Lähde | Kohde"),
    "ja": ("データの流れ", "はストアの注文を処理するコンポーネントです。また、ログを記録するためのものでもあります",
           "Chat Gateway は Order Service にリクエストを送信します。",
           "Order Service は Order DB から注文を取得します。",
           "ログは Order Service によって Audit Log に保存されます。", "送信元 | 送信先"),
    "zh": ("数据流", "是处理商店订单的组件，它的数据和日志都是我们的",
           "Chat Gateway 将请求发送到 Order Service。",
           "Order Service 从 Order DB 读取订单。",
           "日志由 Order Service 写入 Audit Log。", "来源 | 目标"),
}
COMPONENTS = ("Chat Gateway", "Order Service", "Order DB", "Audit Log", "Billing API")


def _flows(language: str, **changed: str) -> tuple[str, set[tuple[str, str]]]:
    """The language told and the flows drafted from the sample note of ``language``, with ``changed`` sentences
    (send, read, passive) in place of the sample's."""
    heading, about, send, read, passive, headers = SAMPLES[language]
    send, read, passive = changed.get("send", send), changed.get("read", read), changed.get("passive", passive)
    listed = "\n".join(f"- {name}: {about}." for name in COMPONENTS)
    text = (f"# {heading}\n\n{listed}\n\n## {heading}\n\n{send} {read} {passive}\n\n"
            f"Billing API → Chat Gateway\n\nOrder DB ← Billing API\n\n"
            f"| {headers} |\n|---|---|\n| Audit Log | Billing API |\n")
    spans, title = read_markdown("note.md", text)
    document = Document(path="note.md", format="markdown", spans=tuple(spans), sha256="0" * 64, title=title)
    system = extract_draft([document]).system
    names = {e.id: e.name for e in system.elements}
    return language_of(text), {(names[f.source], names[f.target]) for f in system.flows}


def test_every_language_of_the_flow_words_has_a_sample() -> None:
    assert set(SAMPLES) == set(_languages())


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_a_note_in_the_language_is_read_as_such_and_its_flows_go_the_right_way(language: str) -> None:
    told, flows = _flows(language)
    assert told == language
    assert ("Chat Gateway", "Order Service") in flows  # active: the subject sends to the object
    assert ("Order DB", "Order Service") in flows  # active read: the data comes from the object
    assert ("Order Service", "Audit Log") in flows  # passive: from the agent (or the paragraph's subject)
    assert {("Billing API", "Chat Gateway"), ("Billing API", "Order DB"), ("Audit Log", "Billing API")} <= flows
    assert ("Order Service", "Chat Gateway") not in flows and ("Order Service", "Order DB") not in flows


@pytest.mark.parametrize(("language", "sentence"), [
    ("sv", "Chat Gateway skickar inte förfrågningarna till Order Service."),
    ("de", "Das Chat Gateway sendet die Anfragen nie an den Order Service."),
    ("ja", "Chat Gateway は Order Service にリクエストを送信しません。"),
    ("zh", "Chat Gateway 不会将请求发送到 Order Service。"),
])
def test_a_denied_flow_in_the_language_is_no_flow(language: str, sentence: str) -> None:
    _, flows = _flows(language, send=sentence)
    assert ("Chat Gateway", "Order Service") not in flows
    assert ("Order DB", "Order Service") in flows


def test_japanese_particles_written_against_the_names_and_a_chain_of_clauses() -> None:
    _, flows = _flows("ja", send="Chat GatewayはOrder Serviceに問い合わせを送り、", read="Order DBから注文を取得する。",
                      passive="ログはOrder ServiceによってAudit Logに書き込まれる。")
    assert {("Chat Gateway", "Order Service"), ("Order DB", "Chat Gateway"), ("Order Service", "Audit Log")} <= flows


def test_in_czech_a_name_is_found_with_its_case_endings_and_a_bare_head_noun_refers_to_it() -> None:
    text = """# Poznámka

## Komponenty

- Asistent reklamací – služba v Lambdě, která připravuje návrh odpovědi.
- Databáze jízd – databáze PostgreSQL s historií parkování.
- Auditní log – úložiště záznamů, které je také v cloudu.

## Tok dat

Asistent načítá z databáze jízd historii parkování a zapisuje výsledek do auditního logu. Data z databáze
jízd se nepředávají ven a asistent neukládá prompty.
"""
    spans, title = read_markdown("note.md", text)
    document = Document(path="note.md", format="markdown", spans=tuple(spans), sha256="0" * 64, title=title)
    system = extract_draft([document]).system
    names = {e.id: e.name for e in system.elements}
    assert {(names[f.source], names[f.target]) for f in system.flows} == {
        ("Databáze jízd", "Asistent reklamací"), ("Asistent reklamací", "Auditní log")}
