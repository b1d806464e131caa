workspace "Hopper" "Privilege review assist for Litigation Support" {

    !identifiers hierarchical

    model {
        attorney = person "Review Attorney" "Associate or contract attorney reviewing documents for privilege."
        opposing = person "Opposing Counsel" "Receives production sets. Not our organisation."

        relativity = softwareSystem "Relativity workspace" "Review platform hosted by the e-discovery vendor (RelativityOne)." "External"
        anthropic = softwareSystem "Anthropic API" "Claude 3.5 Sonnet, called over the public API under a zero-data-retention addendum." "External"
        sharefile = softwareSystem "ShareFile" "Secure file transfer used for productions." "External"

        hopper = softwareSystem "Hopper" "Classifies documents as potentially privileged and drafts privilege-log descriptions." {
            group "Hopper services" {
                ingest = container "hopper-ingest" "Pulls newly loaded document batches from the Relativity workspace, extracts text." "Python, ECS Fargate"
                sieve = container "Sieve" "Privilege classifier (fine-tuned DeBERTa-v3) returning a probability per document." "PyTorch, SageMaker endpoint"
                drafter = container "Log Drafter" "Builds the prompt and drafts a privilege-log description for each privileged document." "Python, ECS Fargate"
                matterstore = container "Matter Store" "Extracted text, scores and drafts per matter. SSE-KMS, one prefix per matter." "Amazon S3" "Store"
                audit = container "hopper-audit" "Who accepted, edited or rejected each draft." "CloudWatch Logs" "Store"
            }
            trainset = container "Privilege Labels" "Attorney coding decisions from closed matters, used to retrain Sieve quarterly." "S3 + Parquet" "Store"
            trainer = container "sieve-retrain" "Quarterly fine-tuning job for Sieve." "SageMaker Training"
        }

        # relationships
        relativity -> hopper.ingest "Sends new document batches to" "Relativity REST API, OAuth client credentials"
        hopper.ingest -> hopper.matterstore "Writes extracted text to"
        hopper.matterstore -> hopper.sieve "Is read by"
        hopper.sieve -> hopper.matterstore "Writes privilege scores to"
        hopper.drafter -> hopper.matterstore "Reads privileged documents and writes drafts to"
        hopper.drafter -> anthropic "Sends document excerpts and receives draft descriptions" "HTTPS"
        hopper.drafter -> relativity "Posts scores and draft log entries as coding suggestions to" "Relativity REST API"
        attorney -> relativity "Reviews suggestions and approves or edits each log entry in"
        relativity -> hopper.audit "Sends reviewer decisions (webhook) to"
        relativity -> hopper.trainset "Exports final coding decisions at matter close to"
        hopper.trainset -> hopper.trainer "Feeds"
        hopper.trainer -> hopper.sieve "Publishes new model version to"
        relativity -> sharefile "Exports approved production sets to"
        sharefile -> opposing "Delivers productions to"
    }

    views {
        container hopper "Containers" {
            include *
            autolayout lr
        }
        deployment hopper "Production" "Deployment" {
            include *
        }
        styles {
            element "Store" {
                shape cylinder
            }
            element "External" {
                background #999999
            }
        }
    }

    !docs docs
}
