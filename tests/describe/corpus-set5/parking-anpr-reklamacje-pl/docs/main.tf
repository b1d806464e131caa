# ParkoSfera – infrastruktura prod (eu-central-1)

resource "aws_vpc" "parkosfera_prod" {
  cidr_block = "10.40.0.0/16"
  tags       = { Name = "parkosfera-prod" }
}

resource "aws_vpn_connection" "parking_sites" {
  customer_gateway_id = aws_customer_gateway.parking_lan.id
  vpn_gateway_id      = aws_vpn_gateway.prod.id
  type                = "ipsec.1"
}

resource "aws_ecs_service" "anpr_inference" {
  name            = "anpr-inference"
  cluster         = aws_ecs_cluster.prod.id
  task_definition = aws_ecs_task_definition.anpr.arn
  network_configuration {
    subnets          = [aws_subnet.private_a.id, aws_subnet.private_b.id]
    assign_public_ip = false
  }
}

resource "aws_db_instance" "przejazdy" {
  identifier          = "przejazdy-db"
  engine              = "postgres"
  instance_class      = "db.m6g.large"
  storage_encrypted   = true
  kms_key_id          = aws_kms_key.dane.arn
  publicly_accessible = false
  db_subnet_group_name = aws_db_subnet_group.private.name
}

resource "aws_s3_bucket" "zdjecia_tablic" {
  bucket = "parkosfera-zdjecia-tablic"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "zdjecia_tablic" {
  bucket = aws_s3_bucket.zdjecia_tablic.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.dane.arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "zdjecia_tablic" {
  bucket = aws_s3_bucket.zdjecia_tablic.id
  rule {
    id     = "usun-po-30-dniach"
    status = "Enabled"
    expiration { days = 30 }
  }
}

resource "aws_lambda_function" "rozliczenia" {
  function_name = "rozliczenia"
  runtime       = "python3.12"
  handler       = "billing.handler"
  vpc_config {
    subnet_ids         = [aws_subnet.private_a.id]
    security_group_ids = [aws_security_group.lambda.id]
  }
}

resource "aws_apigatewayv2_api" "reklamacje_api" {
  name          = "reklamacje-api"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "reklamacje_prod" {
  api_id = aws_apigatewayv2_api.reklamacje_api.id
  name   = "prod"
  default_route_settings {
    throttling_rate_limit  = 10
    throttling_burst_limit = 20
  }
}

resource "aws_lambda_function" "asystent_reklamacji" {
  function_name = "asystent-reklamacji"
  runtime       = "python3.12"
  handler       = "assistant.handler"
  environment {
    variables = {
      BEDROCK_MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"
      LOG_PROMPTS      = "false"
    }
  }
  vpc_config {
    subnet_ids         = [aws_subnet.private_a.id]
    security_group_ids = [aws_security_group.lambda.id]
  }
}

resource "aws_iam_role_policy" "asystent_bedrock" {
  role = aws_iam_role.asystent.id
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = ["bedrock:InvokeModel"]
      Resource = "arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"
    }]
  })
}
