workspace "Market Research Assistant" "Agents that research companies on the web and write briefings." {

    !identifiers hierarchical

    model {
        analyst = person "Equity Analyst" "Asks for a briefing on a company."

        mra = softwareSystem "Market Research Assistant" {
            ui = container "Briefing Web App" "Where analysts request and read briefings." "Vue.js" "Web Browser"
            planner = container "Planner Agent" "Breaks a request into research tasks." "Python, LangGraph" "Agent"
            browser = container "Web Browsing Tool" "Fetches and cleans web pages for the agents." "Playwright" "Tool"
            writer = container "Writer Agent" "Writes the briefing from the collected notes." "Python, LangGraph" "Agent"
            notes = container "Research Notes" "Notes collected during a run, shared by both agents." "Redis" "Database"
            briefings = container "Briefings Store" "Finished briefings." "PostgreSQL" "Database"
        }

        web = softwareSystem "Public Web" "News sites, company pages, filings." "External"
        claude = softwareSystem "Claude Sonnet 4" "Model used by both agents, through the Anthropic API." "External"

        analyst -> mra.ui "Requests briefings using" "HTTPS"
        mra.ui -> mra.planner "Sends research request to"
        mra.planner -> mra.browser "Asks to fetch pages"
        mra.browser -> web "Fetches pages from" "HTTPS"
        mra.browser -> mra.notes "Writes cleaned page text to"
        mra.writer -> mra.notes "Reads notes from"
        mra.planner -> claude "Plans with"
        mra.writer -> claude "Drafts with"
        mra.writer -> mra.briefings "Saves briefing to"
        mra.ui -> mra.briefings "Reads briefings from"
    }

    deploymentEnvironment "Production" {
        deploymentNode "Analyst laptop" {
            deploymentNode "Web browser" {
                containerInstance mra.ui
            }
        }
        deploymentNode "Research VPC" "" "AWS" {
            deploymentNode "EKS cluster" {
                containerInstance mra.planner
                containerInstance mra.browser
                containerInstance mra.writer
            }
            deploymentNode "ElastiCache" {
                containerInstance mra.notes
            }
            deploymentNode "RDS" {
                containerInstance mra.briefings
            }
        }
    }

    views {
        container mra {
            include *
            autolayout lr
        }
        styles {
            element "Database" {
                shape cylinder
            }
        }
    }
}
