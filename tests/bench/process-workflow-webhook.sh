#!/usr/bin/env bash
# The benchmark's reference only: process-workflow-webhook as the sprint-7 design describes the bash
# original (bash + jq + openssl), so that the start-up of ./jbang process-workflow-webhook.java can be
# compared with it on one machine. Not a supported tool; the Java script is the real one.
#
#   process-workflow-webhook.sh [--file PATH] [--signature sha256=HEX] [--delivered ID] [--event NAME]
#                               [--secret-file PATH] [--runs-dir DIR] [--skip-verify]
#
# 1. verify X-Hub-Signature-256 (HMAC-SHA256 of the raw bytes with the secret from --secret-file,
#    GITHUB_WEBHOOK_SECRET or .webhook/webhook-secret); a bad signature exits 3 unless --skip-verify
# 2. require a workflow_run payload; take workflow_run.id, name, run_attempt, status
# 3. the correlation id from 'Dispatch Webhook (<uuid>)' in the run name (GitHub puts a workflow's
#    run-name into display_title; name is the workflow's name), else none
# 4. write runs/<uuid|unknown>/webhook/events/<UTC time>-<delivery>.json, append a row to index.json
# 5. add webhook_run_id and webhook_deliveries to runs/<uuid>.json with jq (prior keys kept), or
#    write runs/webhook_orphans/<run_id>.json when that file does not exist
# 6. print {"correlation_id", "run_id", "status", "verified"} on stdout
set -euo pipefail

file=- signature='' delivered='' event='' secret_file='' runs_dir=runs skip_verify=false
while [ $# -gt 0 ]; do
  case $1 in
    --file) file=$2; shift ;;
    --signature) signature=$2; shift ;;
    --delivered) delivered=$2; shift ;;
    --event) event=$2; shift ;;
    --secret-file) secret_file=$2; shift ;;
    --runs-dir) runs_dir=$2; shift ;;
    --skip-verify) skip_verify=true ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if [ "$file" = - ]; then cat > "$tmp"; else cat -- "$file" > "$tmp"; fi
[ -s "$tmp" ] || { echo "empty payload" >&2; exit 2; }

# 1. The signature, over the exact bytes.
verified=false
secret=
if [ -n "$secret_file" ]; then secret=$(<"$secret_file")
elif [ -n "${GITHUB_WEBHOOK_SECRET:-}" ]; then secret=$GITHUB_WEBHOOK_SECRET
elif [ -f .webhook/webhook-secret ]; then secret=$(<.webhook/webhook-secret); fi
if [ -n "$secret" ] && [ -n "$signature" ]; then
  expected="sha256=$(openssl dgst -sha256 -hmac "$secret" -r < "$tmp" | cut -d' ' -f1)"
  [ "$expected" = "$signature" ] && verified=true
fi
if [ "$verified" != true ] && [ "$skip_verify" != true ]; then
  echo "signature missing or invalid; nothing stored (--skip-verify to store anyway)" >&2
  exit 3
fi

# 2. A workflow_run delivery and what it says.
fields=$(jq -r 'if (.workflow_run | type) != "object" then "not-a-run" else
    [(.workflow_run.id | tostring), ((.workflow_run.display_title // "") + " " + (.workflow_run.name // "")),
     ((.workflow_run.run_attempt // 1) | tostring),
     (.workflow_run.status // ""), (.action // "")] | @tsv end' < "$tmp") || { echo "not JSON" >&2; exit 2; }
if [ "$fields" = not-a-run ] || { [ -n "$event" ] && [ "$event" != workflow_run ]; }; then
  echo "not a workflow_run delivery (a workflow_job? feed the workflow_run delivery of the same dispatch)" >&2
  exit 4
fi
IFS=$'\t' read -r run_id name attempt status action <<< "$fields"
case $run_id in ''|*[!0-9]*) echo "no workflow_run.id" >&2; exit 2 ;; esac

# 3. The correlation id.
correlation=
if [[ $name =~ Dispatch\ Webhook\ \(([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\) ]]; then
  correlation=$(tr '[:upper:]' '[:lower:]' <<< "${BASH_REMATCH[1]}")
fi

# 4. The event file and the index row.
[ -n "$delivered" ] || delivered="local-$(date -u +%s%N)"
case $delivered in *[!A-Za-z0-9._-]*|.*) echo "unsafe delivery id" >&2; exit 2 ;; esac
dir="$runs_dir/${correlation:-unknown}/webhook"
mkdir -p "$dir/events"
received=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
event_file="$dir/events/$(date -u +%Y%m%dT%H%M%S%3NZ)-$delivered.json"
cp "$tmp" "$event_file"
row=$(jq -nc --argjson run_id "$run_id" --argjson attempt "$attempt" --arg status "$status" --arg action "$action" \
  --arg received "$received" --arg delivery "$delivered" --argjson verified "$verified" \
  '{run_id: $run_id, run_attempt: $attempt, status: $status, action: $action, event: "workflow_run",
    received_at: $received, delivery_id: $delivery, verified: $verified}')
index="$dir/index.json"
[ -f "$index" ] || echo '[]' > "$index"
jq --argjson row "$row" '. + [$row]' "$index" > "$index.tmp" && mv "$index.tmp" "$index"

# 5. The dispatch metadata, or an orphan note.
if [ -n "$correlation" ] && [ -f "$runs_dir/$correlation.json" ]; then
  meta="$runs_dir/$correlation.json"
  jq --argjson run_id "$run_id" --arg delivery "$delivered" \
    '.webhook_run_id = $run_id | .webhook_deliveries = ((.webhook_deliveries // []) + [$delivery])' "$meta" > "$meta.tmp" \
    && mv "$meta.tmp" "$meta"
elif [ -n "$correlation" ]; then
  mkdir -p "$runs_dir/webhook_orphans"
  jq -n --arg correlation "$correlation" --argjson run_id "$run_id" --arg delivery "$delivered" --arg event_file "$event_file" \
    '{correlation_id: $correlation, run_id: $run_id, delivery_id: $delivery, event_file: $event_file}' \
    > "$runs_dir/webhook_orphans/$run_id.json"
fi

# 6. The summary.
jq -nc --arg correlation "$correlation" --argjson run_id "$run_id" --arg status "$status" --argjson verified "$verified" \
  '{correlation_id: (if $correlation == "" then null else $correlation end), run_id: $run_id, status: $status, verified: $verified}'
