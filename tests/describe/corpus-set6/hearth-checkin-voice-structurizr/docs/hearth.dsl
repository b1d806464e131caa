/*
 * Hearth - daily check-in voice companion
 * Brightwater Home Care, Digital Services
 * C4 model, kept next to the code. Render with Structurizr Lite.
 */
workspace "Hearth" "Voice check-in companion for people receiving home care" {

    !identifiers hierarchical

    model {
        resident = person "Resident" "Older person receiving home care; talks to the Hearth speaker."
        carer = person "Family carer" "Relative nominated by the resident to receive alerts."
        coordinator = person "Care coordinator" "Brightwater staff member responsible for a group of residents."

        group "Resident's home" {
            speaker = softwareSystem "Hearth speaker" "Raspberry Pi based smart speaker with microphone array." {
                tags "Device"
                wake = container "Wake-word model" "Detects 'Hello Hearth' locally; nothing is streamed before the wake word." "openWakeWord"
                client = container "Speaker client" "Captures audio after the wake word, plays responses." "Python"
            }
        }

        hearth = softwareSystem "Hearth platform" "Brightwater's check-in backend." {
            gateway = container "Voice Gateway" "Terminates device connections (mTLS, per-device certificates)." "Go"
            convo = container "Conversation Service" "Runs the check-in dialogue and small talk." "Python / FastAPI"
            risk = container "Wellbeing Risk Classifier" "Scores each check-in for signs of distress, confusion or a fall." "XGBoost"
            alerts = container "Alert Service" "Sends alerts to family carers and coordinators." "Node.js"
            profile = container "Resident Profile Store" "Per-resident memory: names of family, pets, routines, previous answers." "DynamoDB" {
                tags "Database"
            }
            transcripts = container "Transcript Archive" "Text transcripts of every check-in." "S3" {
                tags "Database"
            }
            dashboard = container "Coordinator Dashboard" "Shows check-in summaries and open alerts." "React"
        }

        deepgram = softwareSystem "Deepgram Nova-3" "Streaming speech-to-text." {
            tags "External"
        }
        openai = softwareSystem "OpenAI API" "GPT-4.1 mini for dialogue turns and summaries." {
            tags "External"
        }
        polly = softwareSystem "Amazon Polly" "Text-to-speech (neural voices)." {
            tags "External"
        }
        careplanner = softwareSystem "CarePlanner" "Brightwater's care management system (vendor-hosted)." {
            tags "External"
        }
        carerApp = softwareSystem "Hearth Carer app" "iOS/Android app for family carers." {
            tags "Mobile"
        }

        resident -> speaker.wake "Speaks to"
        speaker.wake -> speaker.client "Wake event"
        speaker.client -> hearth.gateway "Streams audio after wake word" "WebSocket over TLS (mTLS)"
        hearth.gateway -> deepgram "Audio stream" "HTTPS/WebSocket"
        deepgram -> hearth.gateway "Transcript"
        hearth.gateway -> hearth.convo "Transcribed utterance"
        hearth.convo -> hearth.profile "Reads and updates resident memory"
        hearth.convo -> openai "Prompt with utterance and profile facts" "HTTPS"
        openai -> hearth.convo "Reply text"
        hearth.convo -> polly "Reply text" "HTTPS"
        polly -> hearth.gateway "Synthesised speech"
        hearth.gateway -> speaker.client "Response audio"
        hearth.convo -> hearth.transcripts "Writes transcript"
        hearth.convo -> hearth.risk "Check-in transcript"
        hearth.risk -> hearth.alerts "Risk score above threshold"
        hearth.alerts -> carerApp "Push notification" "APNs / FCM"
        carerApp -> carer "Shows alert"
        hearth.alerts -> careplanner "Creates incident note" "HTTPS, API key"
        careplanner -> hearth.convo "Care plan: medication times, visit schedule" "HTTPS"
        coordinator -> hearth.dashboard "Reviews check-ins"
        hearth.dashboard -> hearth.transcripts "Reads summaries"

        deploymentEnvironment "Live" {
            deploymentNode "Resident's home" {
                deploymentNode "Hearth speaker" {
                    containerInstance speaker.wake
                    containerInstance speaker.client
                }
            }
            deploymentNode "AWS eu-west-2" "Brightwater production account" {
                deploymentNode "ECS Fargate" {
                    containerInstance hearth.gateway
                    containerInstance hearth.convo
                    containerInstance hearth.risk
                    containerInstance hearth.alerts
                    containerInstance hearth.dashboard
                }
                deploymentNode "DynamoDB" {
                    containerInstance hearth.profile
                }
                deploymentNode "S3" {
                    containerInstance hearth.transcripts
                }
            }
        }
    }

    views {
        container hearth "Containers" {
            include *
            autolayout lr
        }
        deployment hearth "Live" "Deployment" {
            include *
        }
        styles {
            element "External" {
                background #999999
            }
            element "Database" {
                shape cylinder
            }
        }
    }
}
