workspace "Patchbay" "Incident-to-pull-request agent, Larkfield Payments platform team" {

    !identifiers hierarchical

    model {
        oncall = person "On-call engineer" "Reviews and merges the pull requests Patchbay opens."
        pagerduty = softwareSystem "PagerDuty" "Paging; sends incident webhooks." "External"
        github = softwareSystem "GitHub Enterprise Cloud" "Source repositories, pull requests, CI." "External"
        vertex = softwareSystem "Vertex AI" "Hosts Gemini 2.5 Pro." "External" {
            gemini = container "Gemini 2.5 Pro" "LLM" "Google-hosted model"
        }

        patchbay = softwareSystem "Patchbay" {
            group "platform-tools GKE cluster" {
                intake = container "Incident Intake" "Receives PagerDuty webhooks, verifies the signature, creates a run." "Go"
                agent = container "Patchbay Agent" "Plans the investigation and the fix." "Python, ADK"
                logsearch = container "Log Search tool" "Runs LogQL queries (read only)." "Python"
                repotool = container "Repo tool" "Clones repositories, pushes branches, opens draft pull requests." "Python"
                runs = container "Run Transcripts" "Every run: prompts, tool calls, outputs. 30-day lifecycle rule." "GCS bucket" "Store"
            }
            group "sandbox node pool (gVisor)" {
                testrunner = container "Test Runner" "Runs the repository's unit tests against the patch in a throwaway pod." "gVisor pod"
            }
        }

        loki = softwareSystem "Production logs (Loki)" "Application logs of the payment services." "Store"

        pagerduty -> patchbay.intake "Incident webhook" "HTTPS, HMAC-signed"
        patchbay.intake -> patchbay.agent "New run (incident summary, service, alert)"
        patchbay.agent -> vertex.gemini "Prompts / plans and patches" "Vertex AI API"
        patchbay.agent -> patchbay.logsearch "Query"
        patchbay.logsearch -> loki "LogQL query / log lines"
        patchbay.agent -> patchbay.repotool "Read code, propose patch"
        patchbay.repotool -> github "Clone, push branch, open draft PR" "HTTPS, GitHub App token"
        patchbay.agent -> patchbay.testrunner "Patch + test command"
        patchbay.agent -> patchbay.runs "Run transcript"
        oncall -> github "Reviews and merges PRs"
    }

    views {
        container patchbay "containers" {
            include *
            autolayout lr
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
}
