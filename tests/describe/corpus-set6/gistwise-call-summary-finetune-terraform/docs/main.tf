# Gistwise - call summarisation, production stack (account gistwise-prod, eu-west-1)
# Owner: Revenue Engineering. Applied from the revenue-infra repo by Atlantis.

terraform {
  required_version = ">= 1.7"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.60" }
  }
}

provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { project = "gistwise", owner = "revenue-eng" }
  }
}

locals {
  name = "gw"
}

# ---------------------------------------------------------------- network
resource "aws_vpc" "gistwise" {
  cidr_block = "10.42.0.0/16"
  tags       = { Name = "gistwise-vpc" }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.gistwise.id
  cidr_block        = cidrsubnet("10.42.0.0/16", 4, count.index)
  availability_zone = element(["eu-west-1a", "eu-west-1b"], count.index)
  tags              = { Name = "gistwise-private-${count.index}" }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.gistwise.id
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.gistwise.id
  cidr_block        = "10.42.240.0/24"
  availability_zone = "eu-west-1a"
}

# added 2026-09 for the HubSpot API calls from gw-summary-writer (INFRA-2231)
resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "gw" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.gistwise.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.gw.id
  }
}

resource "aws_security_group" "ml" {
  name   = "gw-ml"
  vpc_id = aws_vpc.gistwise.id
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# ---------------------------------------------------------------- storage
resource "aws_kms_key" "gw" {
  description         = "gistwise data key"
  enable_key_rotation = true
}

resource "aws_s3_bucket" "call_audio" {
  bucket = "gw-call-audio-prod"
  tags   = { data_classification = "personal" }
}

resource "aws_s3_bucket_lifecycle_configuration" "call_audio" {
  bucket = aws_s3_bucket.call_audio.id
  rule {
    id     = "expire-audio"
    status = "Enabled"
    expiration { days = 30 }
  }
}

resource "aws_s3_bucket" "transcripts" {
  bucket = "gw-transcripts-prod"
  tags   = { data_classification = "personal" }
}

resource "aws_s3_bucket" "training" {
  bucket = "gw-training-data-prod"
  tags   = { data_classification = "confidential" }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "all" {
  for_each = {
    audio       = aws_s3_bucket.call_audio.id
    transcripts = aws_s3_bucket.transcripts.id
    training    = aws_s3_bucket.training.id
  }
  bucket = each.value
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.gw.arn
    }
  }
}

# Aircall pushes recordings with this role (cross-account, external id)
resource "aws_iam_role" "aircall_upload" {
  name = "gw-aircall-upload"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::811223344556:root" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = var.aircall_external_id } }
    }]
  })
}

# ---------------------------------------------------------------- pipeline
resource "aws_sfn_state_machine" "call_pipeline" {
  name     = "gw-call-pipeline"
  role_arn = aws_iam_role.sfn.arn
  # audio -> Amazon Transcribe -> gw-transcripts -> gw-pii-redactor -> gistwise-summarizer -> gw-summary-writer
  definition = file("${path.module}/statemachine/call_pipeline.asl.json")
}

resource "aws_lambda_function" "pii_redactor" {
  function_name = "gw-pii-redactor"
  runtime       = "python3.12"
  handler       = "redact.handler"
  filename      = "build/redactor.zip"
  role          = aws_iam_role.lambda.arn
  environment {
    variables = { ENTITY_TYPES = "NAME,PHONE,EMAIL,ADDRESS,CREDIT_DEBIT_NUMBER,BANK_ACCOUNT_NUMBER" }
  }
  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.ml.id]
  }
}

resource "aws_lambda_function" "summary_writer" {
  function_name = "gw-summary-writer"
  runtime       = "python3.12"
  handler       = "writer.handler"
  filename      = "build/writer.zip"
  role          = aws_iam_role.lambda.arn
  environment {
    variables = {
      HUBSPOT_TOKEN_SECRET = "gw/hubspot-private-app-token"
      HUBSPOT_OBJECT       = "calls"
    }
  }
  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.ml.id]
  }
}

resource "aws_lambda_function" "feedback_export" {
  function_name = "gw-feedback-export"
  runtime       = "python3.12"
  handler       = "export.handler"
  filename      = "build/export.zip"
  role          = aws_iam_role.lambda.arn
  environment {
    variables = { TARGET_BUCKET = "gw-training-data-prod", HUBSPOT_TOKEN_SECRET = "gw/hubspot-private-app-token" }
  }
}

resource "aws_cloudwatch_event_rule" "weekly_export" {
  name                = "gw-weekly-feedback-export"
  schedule_expression = "cron(0 3 ? * MON *)"
}

# ---------------------------------------------------------------- model
resource "aws_sagemaker_model_package_group" "summarizer" {
  model_package_group_name = "gw-model-registry"
}

resource "aws_sagemaker_model" "summarizer" {
  name               = "gistwise-summarizer-v7"
  execution_role_arn = aws_iam_role.sagemaker.arn
  primary_container {
    model_package_name = "arn:aws:sagemaker:eu-west-1:${var.account_id}:model-package/gw-model-registry/7"
  }
  vpc_config {
    subnets            = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.ml.id]
  }
}

resource "aws_sagemaker_endpoint_configuration" "summarizer" {
  name = "gistwise-summarizer-v7"
  production_variants {
    variant_name           = "primary"
    model_name             = aws_sagemaker_model.summarizer.name
    instance_type          = "ml.g5.2xlarge"
    initial_instance_count = 2
  }
  data_capture_config {
    enable_capture              = false
    initial_sampling_percentage = 0
    destination_s3_uri          = "s3://gw-training-data-prod/capture/"
    capture_options { capture_mode = "Input" }
  }
}

resource "aws_sagemaker_endpoint" "summarizer" {
  name                 = "gistwise-summarizer"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.summarizer.name
}

# Training runs are started from the ml-training repo (SageMaker Pipelines, "gw-finetune");
# the pipeline definition is not managed here, only its log group.

resource "aws_cloudwatch_log_group" "lambda_logs" {
  for_each          = toset(["gw-pii-redactor", "gw-summary-writer", "gw-feedback-export"])
  name              = "/aws/lambda/${each.value}"
  retention_in_days = 14
}

resource "aws_cloudwatch_log_group" "finetune" {
  name              = "/aws/sagemaker/TrainingJobs/gw-finetune"
  retention_in_days = 14
}
