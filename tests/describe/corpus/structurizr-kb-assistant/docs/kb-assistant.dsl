/*
 * Partner knowledge assistant - C4 model
 */
workspace {
    model {
        partner = person "Reseller Partner" "Sales engineer at a reseller." "External"
        support = person "Partner Manager"

        enterprise "Contoso" {
            kbassist = softwareSystem "Partner KB Assistant" "Answers partner questions from the partner knowledge base." {
                portal = container "Partner Portal" "Partner-facing web portal with the assistant chat." "ASP.NET Core" {
                    partner -> this "Asks questions in" "HTTPS"
                }
                qa = container "Answer Service" "Retrieval-augmented answering." "C#, Semantic Kernel"
                idx = container "KB Vector Index" "Chunks of partner articles with embeddings." "Azure AI Search" "Database"
                loader = container "Article Loader" "Splits and embeds new articles." "Azure Functions"
                articles = container "Partner Articles" "Published partner articles." "SharePoint Online" "Database"
            }
        }

        aoai = softwareSystem "Azure OpenAI" "GPT-4o and text-embedding-3-large deployments." "External"

        portal -> qa "Forwards questions to" "HTTPS"
        qa -> idx "Searches" "HTTPS"
        qa -> aoai "Generates answers with" "HTTPS"
        loader -> articles "Reads new articles from"
        loader -> aoai "Embeds chunks with"
        loader -> idx "Writes chunks to"
        support -> articles "Publishes articles to"
    }
    views {
        systemContext kbassist {
            include *
            autoLayout
        }
        theme default
    }
}
