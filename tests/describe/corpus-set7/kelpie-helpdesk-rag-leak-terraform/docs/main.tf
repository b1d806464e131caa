terraform {
  required_providers { google = { source = "hashicorp/google", version = "~> 6.8" } }
}

provider "google" {
  project = "kelpie-prod"
  region  = "europe-west4"
}

resource "google_compute_network" "kelpie_vpc" {
  name                    = "kelpie-vpc"
  auto_create_subnetworks = false
}

resource "google_vpc_access_connector" "run" {
  name          = "kelpie-run-conn"
  network       = google_compute_network.kelpie_vpc.name
  ip_cidr_range = "10.8.0.0/28"
}

# --- answers-api: public endpoint used by the Kelpie widget
resource "google_cloud_run_v2_service" "answers_api" {
  name     = "answers-api"
  location = "europe-west4"
  ingress  = "INGRESS_TRAFFIC_ALL"
  template {
    vpc_access { connector = google_vpc_access_connector.run.id }
    containers {
      image = "europe-west4-docker.pkg.dev/kelpie-prod/app/answers-api:4.31.2"
      env { name = "GEMINI_MODEL"  value = "gemini-2.0-flash" }
      env { name = "REDIS_HOST"    value = google_redis_instance.answer_cache.host }
      env { name = "INDEX_ENDPOINT" value = google_vertex_ai_index_endpoint.kb.id }
      env { name = "RATE_LIMIT_PER_WIDGET_KEY_MIN" value = "120" }
    }
  }
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  name     = google_cloud_run_v2_service.answers_api.name
  location = "europe-west4"
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- ingestion
resource "google_storage_bucket" "tenant_kb" {
  name                        = "kelpie-prod-tenant-kb"
  location                    = "EU"
  uniform_bucket_level_access = true
  encryption { default_kms_key_name = "projects/kelpie-prod/locations/europe/keyRings/kb/cryptoKeys/kb" }
}

resource "google_cloud_run_v2_job" "kb_ingest" {
  name     = "kb-ingest"
  location = "europe-west4"
  template {
    template {
      containers {
        image = "europe-west4-docker.pkg.dev/kelpie-prod/app/kb-ingest:2.9.0"
        env { name = "EMBEDDING_MODEL" value = "text-embedding-005" }
        env { name = "SYNC_DELETES"    value = "true" }
      }
    }
  }
}

resource "google_vertex_ai_index" "kb" {
  display_name = "kelpie-kb"
  region       = "europe-west4"
  metadata {
    contents_delta_uri = "gs://kelpie-prod-tenant-kb/embeddings"
    config {
      dimensions = 768
      algorithm_config { tree_ah_config {} }
    }
  }
  index_update_method = "STREAM_UPDATE"
}

resource "google_vertex_ai_index_endpoint" "kb" {
  display_name = "kelpie-kb-endpoint"
  region       = "europe-west4"
  network      = "projects/123456789/global/networks/kelpie-vpc"
}

resource "google_redis_instance" "answer_cache" {
  name               = "answer-cache"
  tier               = "STANDARD_HA"
  memory_size_gb     = 5
  authorized_network = google_compute_network.kelpie_vpc.id
  transit_encryption_mode = "SERVER_AUTHENTICATION"
}

# --- logs
resource "google_bigquery_dataset" "kelpie_logs" {
  dataset_id                  = "kelpie_logs"
  location                    = "EU"
  default_table_expiration_ms = 34560000000 # 400 days
  labels = { data = "conversations" }
}
