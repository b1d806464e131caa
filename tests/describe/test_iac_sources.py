"""Kubernetes manifests and Terraform files as describe sources: real public files (``fixtures/kubernetes``,
``fixtures/terraform``, licences in the fixtures README) and small files written here for one behaviour each."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.readers import read_document, read_documents
from dicetm.model.system import PROCESS_KINDS, STORE_KINDS, Element, Exposure, Kind, System

FIXTURES = Path(__file__).parent / "fixtures"
K8S = FIXTURES / "kubernetes"
TF = FIXTURES / "terraform"


def _draft(*paths: Path) -> tuple[System, list[str], list[Document]]:
    documents = read_documents(list(paths))
    draft = extract_draft(documents)
    return draft.system, draft.notes, documents


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _elements(system: System) -> dict[str, Element]:
    return {e.name: e for e in system.elements}


def _flows(system: System) -> set[tuple[str, str, bool]]:
    names = {e.id: e.name for e in system.elements}
    return {(names[f.source], names[f.target], f.bidirectional) for f in system.flows}


def _zones(system: System) -> dict[str, tuple[set[str], str | None]]:
    names = {e.id: e.name for e in system.elements}
    ids = {b.id: b.name for b in system.trust_boundaries}
    return {b.name: ({names[m] for m in b.elements}, ids.get(b.parent or "")) for b in system.trust_boundaries}


def _quotes_are_in_their_spans(system: System, documents: list[Document]) -> None:
    texts = {(s.file, s.line): s.text for d in documents for s in d.spans}
    for item in [*system.elements, *system.flows, *system.trust_boundaries]:
        assert item.provenance is not None and item.provenance.draft
        for ref in item.provenance.spans:
            assert ref.quote and ref.quote in texts[(ref.file, ref.line)], (item.id, ref)


# ------------------------------------------------------------------------------------------------ formats


def test_manifests_and_terraform_files_are_recognised_by_their_text_and_name(tmp_path: Path) -> None:
    _write(tmp_path, "app.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n")
    _write(tmp_path, "main.tf", 'resource "aws_s3_bucket" "docs" {\n  bucket = "docs"\n}\n')
    _write(tmp_path, "values.yaml", "replicaCount: 1\nimage:\n  repository: web\n")  # Helm values: not read
    _write(tmp_path, "docker-compose.yml", "services:\n  web:\n    image: nginx\n")
    formats = {Path(d.path).name: d.format for d in read_documents([tmp_path])}
    assert formats == {"app.yaml": "kubernetes", "main.tf": "terraform", "docker-compose.yml": "compose"}


def test_a_terraform_file_full_of_assignments_is_not_refused_as_an_env_file(tmp_path: Path) -> None:
    text = "".join(f'variable_{i}_api_key_name = "x{i}"\n' for i in range(6))
    _write(tmp_path, "vars.tf", text)
    assert read_document(tmp_path / "vars.tf").format == "terraform"


# ----------------------------------------------------------------------------------------- Kubernetes


def test_microservices_demo_services_flows_and_load_balancer() -> None:
    system, _, documents = _draft(K8S / "microservices-demo.yaml")
    elements = _elements(system)
    assert elements["frontend"].exposure is Exposure.internet  # the frontend-external LoadBalancer Service
    assert elements["cartservice"].exposure is None  # ClusterIP only
    assert elements["redis-cart"].kind is Kind.data_store  # the redis image
    flows = _flows(system)
    # "productcatalogservice:3550" and "cartservice:7070" in env values: who calls whom
    assert {("frontend", "cartservice", False), ("checkoutservice", "paymentservice", False),
            ("cartservice", "redis-cart", False), ("loadgenerator", "frontend", False)} <= flows
    assert not any(target == "frontend" and source != "loadgenerator" for source, target, _ in flows)
    assert "frontend-external" not in elements  # a Service is a name of the workloads it selects
    _quotes_are_in_their_spans(system, documents)


def test_a_model_server_image_and_a_secret_reference() -> None:
    system, _, documents = _draft(K8S / "vllm-deployment.yaml")
    elements = _elements(system)
    server = elements["vllm-gemma-deployment"]
    assert server.kind is Kind.llm and server.holds_credentials is True  # HUGGING_FACE_HUB_TOKEN secretKeyRef
    assert server.third_party is None  # the vllm-openai image serves our own model, not OpenAI's API
    assert ("vllm-gemma-deployment", "Hugging Face", False) in _flows(system)
    _quotes_are_in_their_spans(system, documents)


def test_tf_serving_with_its_volume_claim_and_ingress() -> None:
    system, _, _ = _draft(K8S / "tf-serving-deployment.yaml", K8S / "tf-serving-ingress.yaml")
    elements = _elements(system)
    assert elements["tf-serving"].kind is Kind.ml_model
    assert elements["my-model-pvc"].kind is Kind.data_store
    assert elements["tf-serving"].exposure is Exposure.internet  # the Ingress routes to its Service
    assert ("tf-serving", "my-model-pvc", True) in _flows(system)  # a read-write mount


def test_kserve_inference_services_their_model_files_and_transformer() -> None:
    system, _, _ = _draft(K8S / "kserve-hf-llama2.yaml", K8S / "kserve-mnist-transformer.yaml")
    elements = _elements(system)
    assert elements["huggingface-llama2"].kind is Kind.llm and elements["mnist"].kind is Kind.ml_model
    assert elements["Hugging Face"].third_party is True and elements["s3://mnist"].kind is Kind.data_store
    assert {("Hugging Face", "huggingface-llama2", False), ("s3://mnist", "mnist", False),
            ("mnist-transformer", "mnist", False)} <= _flows(system)


def test_a_helm_template_degrades_to_a_note() -> None:
    system, notes, _ = _draft(K8S / "ollama-helm-deployment.yaml")
    assert system.elements == []  # its name is templated: nothing is guessed
    assert any("Helm template" in n and "helm template" in n for n in notes)


def test_namespaces_network_policies_and_an_internal_load_balancer(tmp_path: Path) -> None:
    path = _write(tmp_path, "rag.yaml", """\
apiVersion: v1
kind: Namespace
metadata:
  name: rag
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-api
  namespace: rag
spec:
  template:
    metadata:
      labels: {app: chat-api}
    spec:
      containers:
        - name: api
          image: acme/chat-api:1.4
          env:
            - name: RETRIEVER_URL
              value: http://retriever.rag.svc.cluster.local:8080/search
            - name: OPENAI_API_KEY
              valueFrom:
                secretKeyRef: {name: openai, key: key}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: retriever
  namespace: rag
spec:
  template:
    metadata:
      labels: {app: retriever}
    spec:
      containers:
        - name: retriever
          image: acme/retriever:2
---
apiVersion: v1
kind: Service
metadata:
  name: chat-api
  namespace: rag
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-internal: "true"
spec:
  type: LoadBalancer
  selector: {app: chat-api}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: retriever-ingress
  namespace: rag
spec:
  podSelector:
    matchLabels: {app: retriever}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchLabels: {app: chat-api}
  egress:
    - to:
        - ipBlock: {cidr: 10.0.0.0/8}
---
apiVersion: v1
kind: Secret
metadata:
  name: openai
  namespace: rag
stringData:
  key: sk-proj-abcdefghijklmnopqrstuvwxyz0123456789
""")
    system, _, documents = _draft(path)
    elements = _elements(system)
    assert elements["chat-api"].exposure is Exposure.internal  # annotated internal
    assert elements["chat-api"].holds_credentials is True
    assert elements["retriever"].egress_restricted is True
    assert _flows(system) == {("chat-api", "retriever", False), ("chat-api", "OpenAI", False)}
    assert _zones(system)["namespace rag"][0] == {"chat-api", "retriever"}
    assert "sk-proj" not in system.model_dump_json()  # secret values are never read
    _quotes_are_in_their_spans(system, documents)


def test_a_broken_document_is_noted_and_the_others_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "all.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n---\n"
                  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: worker\nspec:\n  containers:\n    - image: x\n")
    system, notes, _ = _draft(path)
    assert [e.name for e in system.elements] == ["worker"]
    assert any("all.yaml:" in n and "could not be read" in n for n in notes)


def test_prose_and_a_manifest_naming_one_component_draft_one_element(tmp_path: Path) -> None:
    _write(tmp_path, "design.md", "# Support assistant\n\n## Chat API\n\nThe Chat API is internet-facing. It "
                                  "sends the question to the Answer Model.\n\n## Answer Model\n\nA self-hosted "
                                  "Llama 3 model served by vLLM.\n")
    _write(tmp_path, "deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: chat-api\nspec:\n"
                                    "  template:\n    spec:\n      containers:\n        - image: acme/chat:1\n"
                                    "          env:\n            - name: MODEL_URL\n"
                                    "              value: http://answer-model:8000/v1\n---\n"
                                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: answer-model\n"
                                    "spec:\n  template:\n    spec:\n      containers:\n"
                                    "        - image: vllm/vllm-openai:v0.6.0\n")
    system, _, _ = _draft(tmp_path)
    names = sorted(e.name for e in system.elements)
    assert names == ["Answer Model", "Chat API"]
    elements = _elements(system)
    assert elements["Answer Model"].kind is Kind.llm
    assert elements["Chat API"].exposure is Exposure.internet
    assert ("Chat API", "Answer Model", False) in _flows(system)


# ------------------------------------------------------------------------------------------ Terraform


def test_terraform_kinds_zones_facts_and_flows_in_the_direction_data_moves() -> None:
    system, _, documents = _draft(TF / "rag-on-aws.tf")
    elements = _elements(system)
    kinds = {name: e.kind for name, e in elements.items()}
    assert kinds["uploads"] is Kind.data_store and kinds["vectors"] is Kind.vector_store  # VECTORSEARCH
    assert kinds["answerer"] is Kind.llm  # a SageMaker endpoint whose model runs the TGI container
    assert kinds["aws_cloudwatch_log_group.ingest"] is Kind.log_store  # two resources labelled "ingest"
    function = elements["aws_lambda_function.ingest"]
    assert function.kind in (Kind.process, Kind.embedding_pipeline) and function.exposure is Exposure.internet
    assert elements["uploads"].encrypted_at_rest is True  # the separate encryption configuration resource
    assert elements["tickets"].exposure is Exposure.internal and elements["tickets"].encrypted_at_rest is True
    assert elements["aws_cloudwatch_log_group.ingest"].retention == "30d"
    flows = _flows(system)
    assert ("uploads", "aws_lambda_function.ingest", False) in flows  # s3:GetObject: the function reads
    assert ("ingest_jobs", "aws_lambda_function.ingest", False) in flows  # event source mapping, ReceiveMessage
    assert ("uploads", "answerer", False) in flows  # model_data_url: the model files come from the bucket
    assert _zones(system)["private"] == ({"aws_lambda_function.ingest", "tickets"}, "core")
    _quotes_are_in_their_spans(system, documents)


def test_azure_openai_module_is_drafted_with_notes_for_what_it_cannot_evaluate() -> None:
    system, notes, _ = _draft(TF / "azurerm-openai-main.tf")
    kinds = {e.name: e.kind for e in system.elements}
    assert kinds == {"azurerm_cognitive_account.this": Kind.llm, "azurerm_cognitive_deployment.this": Kind.llm}
    assert any("count or for_each" in n and "azurerm_cognitive_deployment.this" in n for n in notes)
    assert any("dynamic blocks" in n for n in notes)
    assert system.flows == []  # a deployment is part of its account, not a flow to it


def test_public_access_grants_and_links(tmp_path: Path) -> None:
    path = _write(tmp_path, "gcp.tf", """\
resource "google_cloud_run_v2_service" "chat" {
  name = "chat"
  template {
    service_account = google_service_account.chat.email
  }
}
resource "google_cloud_run_v2_service_iam_member" "public" {
  name   = google_cloud_run_v2_service.chat.name
  role   = "roles/run.invoker"
  member = "allUsers"
}
resource "google_service_account" "chat" {
  account_id = "chat"
}
resource "google_storage_bucket" "transcripts" {
  name = "acme-transcripts"
}
resource "google_storage_bucket_iam_member" "writer" {
  bucket = google_storage_bucket.transcripts.name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.chat.email}"
}
resource "google_pubsub_topic" "events" {
  name = "events"
}
resource "google_cloudfunctions2_function" "indexer" {
  name = "indexer"
  event_trigger {
    pubsub_topic = google_pubsub_topic.events.id
  }
}
module "network" {
  source = "./network"
}
""")
    system, notes, documents = _draft(path)
    elements = _elements(system)
    assert elements["chat"].exposure is Exposure.internet and elements["chat"].authenticated is False
    flows = _flows(system)
    assert ("chat", "transcripts", False) in flows  # objectCreator through the service account: it writes
    assert ("events", "indexer", False) in flows  # the event trigger: data comes from the topic
    assert any("module 'network'" in n and "not expanded" in n for n in notes)
    _quotes_are_in_their_spans(system, documents)


def test_a_file_the_parser_cannot_read_is_noted_not_fatal(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.tf", 'resource "aws_s3_bucket" "a" {\n  bucket = \n}\n')
    system, notes, _ = _draft(path)
    assert system.elements == []
    assert any("broken.tf" in n and "could not be parsed" in n for n in notes)


def test_the_resource_map_can_be_extended_by_the_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "main.tf", 'resource "acme_vector_index" "faq" {\n  dims = 768\n}\n')
    assert _draft(path)[0].elements == []  # not a type dicetm knows
    extension = _write(tmp_path, "map.yaml", "kinds:\n  acme_vector_index: vector_store\n")
    monkeypatch.setenv("DICETM_TERRAFORM_MAP", str(extension))
    assert {e.name: e.kind for e in _draft(path)[0].elements} == {"faq": Kind.vector_store}


def test_a_broken_map_extension_names_its_line_and_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "main.tf", 'resource "aws_s3_bucket" "a" {\n}\n')
    extension = _write(tmp_path, "map.yaml", "kinds:\n  acme_thing: warehouse\n")
    monkeypatch.setenv("DICETM_TERRAFORM_MAP", str(extension))
    with pytest.raises(InputError) as caught:
        _draft(path)
    problem = caught.value.problems[0]
    assert problem.location.file == str(extension) and problem.location.line == 2
    assert "kinds.acme_thing" in problem.message


def test_registry_modules_whose_source_says_what_they_build(tmp_path: Path) -> None:
    path = _write(tmp_path, "main.tf", """\
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.0"
}
module "docs_bucket" {
  source = "terraform-aws-modules/s3-bucket/aws"
  bucket = "acme-docs"
}
module "answer_api" {
  source         = "terraform-aws-modules/lambda/aws"
  function_name  = "answer-api"
  vpc_subnet_ids = module.vpc.private_subnets
  environment_variables = {
    DOCS_BUCKET = module.docs_bucket.s3_bucket_id
  }
}
module "billing" {
  source = "./modules/billing"
}
""")
    system, notes, documents = _draft(path)
    assert {e.name: e.kind for e in system.elements} == {"docs_bucket": Kind.data_store, "answer_api": Kind.process}
    assert _flows(system) == {("answer_api", "docs_bucket", False)}
    assert _zones(system) == {"vpc": ({"answer_api"}, None)}
    assert any("module 'billing'" in n and "not expanded" in n for n in notes)
    assert not any("module 'docs_bucket'" in n for n in notes)
    _quotes_are_in_their_spans(system, documents)


def test_a_module_split_across_files_is_one_model(tmp_path: Path) -> None:
    _write(tmp_path, "storage.tf", 'resource "aws_s3_bucket" "knowledge_docs" {\n  bucket = "acme-kb"\n}\n')
    _write(tmp_path, "compute.tf", """\
resource "aws_lambda_function" "indexer" {
  function_name = "indexer"
  environment {
    variables = {
      SOURCE_BUCKET = aws_s3_bucket.knowledge_docs.bucket
    }
  }
}
""")
    system, _, documents = _draft(tmp_path)
    kinds = {e.name: e.kind for e in system.elements}  # the bucket referred to from compute.tf is the one defined
    assert set(kinds) == {"indexer", "knowledge_docs"}  # in storage.tf: one element
    assert kinds["knowledge_docs"] in STORE_KINDS and kinds["indexer"] in PROCESS_KINDS
    assert _flows(system) == {("indexer", "knowledge_docs", False)}
    _quotes_are_in_their_spans(system, documents)


def test_a_service_in_its_own_file_is_the_workload_its_selector_names(tmp_path: Path) -> None:
    _write(tmp_path, "deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\nspec:\n"
                                        "  template:\n    metadata:\n      labels: {app: frontend}\n    spec:\n"
                                        "      containers: [{image: shop/frontend:1}]\n")
    _write(tmp_path, "service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: frontend-external\nspec:\n"
                                     "  type: LoadBalancer\n  selector: {app: frontend}\n")
    system, _, _ = _draft(tmp_path)
    assert [(e.name, e.exposure) for e in system.elements] == [("frontend", Exposure.internet)]


def test_helm_rendered_output_is_read_like_any_manifest(tmp_path: Path) -> None:
    path = _write(tmp_path, "rendered.yaml", """\
---
# Source: ollama/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: chat-ollama
  labels:
    app.kubernetes.io/name: ollama
    app.kubernetes.io/instance: chat
spec:
  type: NodePort
  selector:
    app.kubernetes.io/name: ollama
    app.kubernetes.io/instance: chat
---
# Source: ollama/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-ollama
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ollama
        app.kubernetes.io/instance: chat
    spec:
      containers:
        - name: ollama
          image: "ollama/ollama:0.5.4"
""")
    system, notes, _ = _draft(path)
    assert [(e.name, e.kind, e.exposure) for e in system.elements] == [("chat-ollama", Kind.llm, Exposure.internet)]
    assert not any("Helm template" in n for n in notes)


def test_a_resources_deployed_name_is_a_name_of_it_and_its_classification_tag_a_fact(tmp_path: Path) -> None:
    tf = _write(tmp_path, "main.tf", """resource "aws_s3_bucket" "scans" {
  bucket = "acme-scan-inbox"
  tags   = { data_classification = "personal" }
}

resource "aws_lambda_function" "ocr" {
  function_name = "acme-ocr-worker"
  runtime       = "python3.12"
  handler       = "ocr.handler"
  role          = "arn:aws:iam::123456789012:role/ocr"
}
""")
    doc = _write(tmp_path, "design.md", """# Scans

## Flow

1. `acme-ocr-worker` reads each new scan from `acme-scan-inbox`.
""")
    system, _, _ = _draft(tf, doc)
    elements = _elements(system)
    assert len(system.elements) == 2  # the doc's names are the resources' deployed names, not new components
    bucket = next(e for e in elements.values() if e.kind in STORE_KINDS)
    worker = next(e for e in elements.values() if e.kind in PROCESS_KINDS)
    assert bucket.classification is not None and bucket.classification.value == "personal"
    assert (bucket.name, worker.name, False) in _flows(system)
