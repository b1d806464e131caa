terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.8" }
  }
}

provider "azurerm" {
  features {}
}

locals {
  tags = { product = "spokewise", owner = "dealer-experience", data_classification = "confidential" }
}

resource "azurerm_resource_group" "spokewise" {
  name     = "rg-spokewise-prod"
  location = "westeurope"
  tags     = local.tags
}

resource "azurerm_virtual_network" "spokewise" {
  name                = "vnet-spokewise"
  address_space       = ["10.42.0.0/16"]
  location            = azurerm_resource_group.spokewise.location
  resource_group_name = azurerm_resource_group.spokewise.name
}

# ---- Model --------------------------------------------------------------
resource "azurerm_cognitive_account" "aoai" {
  name                          = "aoai-spokewise-swc"
  location                      = "swedencentral"
  resource_group_name           = azurerm_resource_group.spokewise.name
  kind                          = "OpenAI"
  sku_name                      = "S0"
  public_network_access_enabled = true
  tags                          = local.tags
}

resource "azurerm_cognitive_deployment" "gpt4o" {
  name                 = "gpt-4o"
  cognitive_account_id = azurerm_cognitive_account.aoai.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku { name = "Standard" }
}

resource "azurerm_cognitive_deployment" "embed" {
  name                 = "text-embedding-3-large"
  cognitive_account_id = azurerm_cognitive_account.aoai.id
  model {
    format  = "OpenAI"
    name    = "text-embedding-3-large"
    version = "1"
  }
  sku { name = "Standard" }
}

# ---- App ----------------------------------------------------------------
resource "azurerm_service_plan" "plan" {
  name                = "asp-spokewise"
  location            = azurerm_resource_group.spokewise.location
  resource_group_name = azurerm_resource_group.spokewise.name
  os_type             = "Linux"
  sku_name            = "P1v3"
}

resource "azurerm_linux_web_app" "spokewise_api" {
  name                = "app-spokewise-api"
  location            = azurerm_resource_group.spokewise.location
  resource_group_name = azurerm_resource_group.spokewise.name
  service_plan_id     = azurerm_service_plan.plan.id
  https_only          = true
  site_config {
    minimum_tls_version = "1.2"
  }
  auth_settings_v2 {
    auth_enabled           = true
    require_authentication = true
    unauthenticated_action = "RedirectToLoginPage"
    active_directory_v2 {
      client_id            = var.dealer_portal_client_id
      tenant_auth_endpoint = "https://dealerportal.ciamlogin.com/${var.dealer_tenant_id}/v2.0"
    }
    login { token_store_enabled = true }
  }
  app_settings = {
    AOAI_ENDPOINT        = azurerm_cognitive_account.aoai.endpoint
    AOAI_DEPLOYMENT      = azurerm_cognitive_deployment.gpt4o.name
    SEARCH_INDEX         = "manuals-v3"
    WARRANTY_API_URL     = "https://warranty-api.internal.velotta.eu"
    COSMOS_CONTAINER     = "threads"
    MONTHLY_DEALER_QUOTA = "2000"
  }
}

resource "azurerm_linux_function_app" "ingest_fn" {
  name                       = "func-spokewise-ingest"
  location                   = azurerm_resource_group.spokewise.location
  resource_group_name        = azurerm_resource_group.spokewise.name
  service_plan_id            = azurerm_service_plan.plan.id
  storage_account_name       = azurerm_storage_account.manualsstore.name
  storage_account_access_key = azurerm_storage_account.manualsstore.primary_access_key
  site_config {}
  app_settings = {
    TRIGGER_CONTAINER = "manuals"
    EMBED_DEPLOYMENT  = "text-embedding-3-large"
    CHUNK_TOKENS      = "800"
  }
}

# ---- Data ---------------------------------------------------------------
resource "azurerm_search_service" "manuals_search" {
  name                          = "srch-spokewise"
  location                      = azurerm_resource_group.spokewise.location
  resource_group_name           = azurerm_resource_group.spokewise.name
  sku                           = "standard"
  public_network_access_enabled = false
}

resource "azurerm_storage_account" "manualsstore" {
  name                          = "stspokewisemanuals"
  location                      = azurerm_resource_group.spokewise.location
  resource_group_name           = azurerm_resource_group.spokewise.name
  account_tier                  = "Standard"
  account_replication_type      = "ZRS"
  public_network_access_enabled = false
}

resource "azurerm_storage_container" "manuals" {
  name                  = "manuals"
  storage_account_id    = azurerm_storage_account.manualsstore.id
  container_access_type = "private"
}

resource "azurerm_mssql_server" "warranty" {
  name                          = "sql-velotta-warranty"
  location                      = azurerm_resource_group.spokewise.location
  resource_group_name           = azurerm_resource_group.spokewise.name
  version                       = "12.0"
  public_network_access_enabled = false
  azuread_administrator {
    login_username = "dba-warranty"
    object_id      = var.dba_group_id
  }
}

resource "azurerm_mssql_database" "warranty" {
  name      = "warranty"
  server_id = azurerm_mssql_server.warranty.id
  transparent_data_encryption_enabled = true
  tags      = merge(local.tags, { data_classification = "personal" })
}

resource "azurerm_cosmosdb_account" "chathistory" {
  name                          = "cosmos-spokewise-threads"
  location                      = azurerm_resource_group.spokewise.location
  resource_group_name           = azurerm_resource_group.spokewise.name
  offer_type                    = "Standard"
  public_network_access_enabled = false
  consistency_policy { consistency_level = "Session" }
  geo_location {
    location          = "westeurope"
    failover_priority = 0
  }
}

resource "azurerm_cosmosdb_sql_container" "threads" {
  name                = "threads"
  resource_group_name = azurerm_resource_group.spokewise.name
  account_name        = azurerm_cosmosdb_account.chathistory.name
  database_name       = "spokewise"
  partition_key_paths = ["/technicianId"]
  default_ttl         = 5184000 # 60 days
}

resource "azurerm_application_insights" "telemetry" {
  name                = "appi-spokewise"
  location            = azurerm_resource_group.spokewise.location
  resource_group_name = azurerm_resource_group.spokewise.name
  application_type    = "web"
  retention_in_days   = 90
}

variable "dealer_portal_client_id" { type = string }
variable "dealer_tenant_id" { type = string }
variable "dba_group_id" { type = string }
