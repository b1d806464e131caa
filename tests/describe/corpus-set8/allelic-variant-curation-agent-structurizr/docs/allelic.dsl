workspace "Allelic" "Variant interpretation assistant — Northgate Genomics clinical lab" {

    !identifiers hierarchical

    model {
        scientist = person "Clinical scientist" "Registered clinical scientist interpreting germline variants."

        group "Northgate on-prem (clinical network)" {
            allelic = softwareSystem "Allelic" {
                ui = container "Allelic Workbench" "Case view, chat with the agent, sign-off button." "React + FastAPI" "Web"
                agent = container "Allelic Agent" "Plans evidence gathering and drafts an ACMG classification." "Python, LangGraph"
                llm = container "Llama 3.3 70B Instruct" "Served by vLLM on the lab's GPU node." "vLLM" "Model"
                tools = container "Evidence tools" "clinvar_lookup, pubmed_search, internal_variants, lims_draft_report" "Python"
                trace = container "Langfuse" "Agent traces: prompts, tool calls, outputs." "Langfuse self-hosted" "Database"
            }
            variantdb = softwareSystem "Internal Variant Database" "Every variant the lab has classified, with case links." "Database"
            lims = softwareSystem "SampleTrack LIMS" "Samples, patients, reports." "Database"
        }

        group "NCBI (public internet)" {
            clinvar = softwareSystem "ClinVar" "Public archive of variant classifications submitted by labs worldwide." "External"
            pubmed = softwareSystem "PubMed E-utilities" "Literature search API." "External"
        }

        scientist -> allelic.ui "Asks about a variant, reviews and signs off" "HTTPS"
        allelic.ui -> allelic.agent "Case + question"
        allelic.agent -> allelic.llm "Prompts" "OpenAI-compatible HTTP"
        allelic.llm -> allelic.agent "Reasoning, tool calls, draft"
        allelic.agent -> allelic.tools "Tool calls"
        allelic.tools -> clinvar "Variant lookups" "HTTPS"
        clinvar -> allelic.tools "Submitted classifications and comments"
        allelic.tools -> pubmed "Searches" "HTTPS"
        pubmed -> allelic.tools "Abstracts"
        variantdb -> allelic.tools "Prior classifications"
        allelic.tools -> lims "Draft report (after sign-off)"
        allelic.agent -> allelic.trace "Traces"
        allelic.agent -> allelic.ui "Draft classification with evidence"
    }

    views {
        container allelic "Containers" {
            include *
            autolayout lr
        }
        styles {
            element "Database" { shape cylinder }
            element "External" { background #999999 }
            element "Model" { shape hexagon }
        }
    }
}
