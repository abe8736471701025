#!/usr/bin/env bash
# infra/deploy.sh — deploy ScenarioForge to Google Cloud, idempotently.
#
#   PROJECT_ID=my-project infra/deploy.sh               # build, push, provision, deploy
#   BUILD=skip ORCHESTRATOR_IMAGE=… JOB_IMAGE=… infra/deploy.sh   # deploy images built elsewhere
#   DRY_RUN=1 PROJECT_ID=my-project infra/deploy.sh     # render the templates only (no gcloud, no docker)
#
# Every step converges: resources are `describe || create`, IAM bindings are
# add-binding (a no-op when present), the job and the service are `replace`d
# from infra/job.yaml and infra/service.yaml. Running it twice changes nothing
# the second time except a new revision when the image or a value changed.
#
# What it provisions (docs/cloud-run.md explains each):
#   - Artifact Registry repo; the two images, deployed by digest
#   - service accounts: orchestrator (the service) and job (the job's tasks)
#   - the runs bucket (uniform bucket-level access, public access prevention),
#     objectAdmin for both accounts conditioned on RUNS_PREFIX
#   - the Pub/Sub topic, publisher for both accounts
#   - Secret Manager secrets (API keys file, Gemini key), accessor per account,
#     referenced by pinned version numbers
#   - a custom role (run the ONE job with overrides, read/cancel its
#     executions) granted to the orchestrator on that job only
#   - the job, then the service; allUsers may invoke the service (PUBLIC=true)
#     because ScenarioForge authenticates API keys itself and judges open run
#     links with no key.
#   - a Cloud Scheduler job that POSTs /internal/reconcile every minute with
#     the reconcile token (Secret Manager; generated on first deploy), so dead
#     executions are recovered even while no instance is up (minScale 0).
#
# The caller needs, on the project: roles/run.admin, roles/iam.serviceAccountAdmin,
# roles/iam.roleAdmin, roles/iam.serviceAccountUser (to attach the two accounts),
# roles/storage.admin, roles/pubsub.admin, roles/secretmanager.admin,
# roles/artifactregistry.admin, roles/serviceusage.serviceUsageAdmin,
# roles/cloudscheduler.admin — or Owner.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA_DIR="${REPO_ROOT}/infra"

# The default image tag: the git commit, plus -dirty-<time> for an uncommitted tree.
default_tag() {
  local sha
  sha="$(git -C "${REPO_ROOT}" rev-parse --short=12 HEAD 2>/dev/null || true)"
  if [[ -z "${sha}" ]]; then date -u +%Y%m%d%H%M%S; return; fi
  if [[ -n "$(git -C "${REPO_ROOT}" status --porcelain 2>/dev/null || true)" ]]; then
    echo "${sha}-dirty-$(date -u +%Y%m%d%H%M%S)"
  else
    echo "${sha}"
  fi
}

# ---------------------------------------------------------------------------
# Variables. Each may be set in the environment; the default follows `:=`.
# ---------------------------------------------------------------------------

# Google Cloud project id. Default: the gcloud CLI's configured project.
: "${PROJECT_ID:=$(gcloud config get-value project 2>/dev/null || true)}"
# Region of the service, the job, the registry and the bucket.
: "${REGION:=europe-west1}"
# Runs bucket (globally unique name).
: "${BUCKET:=${PROJECT_ID}-scenarioforge-runs}"
# Object-name prefix of every run object (no leading or trailing slash). The
# service accounts' bucket access is conditioned on it.
: "${RUNS_PREFIX:=scenarioforge}"
# Pub/Sub topic id every committed event is published to.
: "${TOPIC:=scenarioforge-run-events}"
# Cloud Run job (job-runner) and service (orchestrator) names.
: "${JOB_NAME:=scenarioforge-job}"
: "${SERVICE_NAME:=scenarioforge}"
# Service account ids (the part before @).
: "${ORCHESTRATOR_SA:=sf-orchestrator}"
: "${JOB_SA:=sf-job}"
# Secret holding the API keys file: `tenant:key` pairs, comma-separated.
: "${API_KEYS_SECRET:=scenarioforge-api-keys}"
# Secret holding the Gemini API key.
: "${GEMINI_SECRET:=scenarioforge-gemini-api-key}"
# Secret holding RECONCILE_TOKEN, the bearer token of POST /internal/reconcile
# (a random one is added on the first deploy).
: "${RECONCILE_SECRET:=scenarioforge-reconcile-token}"
# Secret versions to deploy: a version number, or empty for the newest
# enabled version, resolved to its number now (the YAML never says `latest`).
: "${API_KEYS_SECRET_VERSION:=}"
: "${GEMINI_SECRET_VERSION:=}"
: "${RECONCILE_SECRET_VERSION:=}"
# Artifact Registry docker repository.
: "${AR_REPO:=scenarioforge}"
# Image tag: the git commit (plus -dirty-<time> for an uncommitted tree).
: "${IMAGE_TAG:=$(default_tag)}"
# Image references (tags; deployed by the digest they resolve to).
: "${ORCHESTRATOR_IMAGE:=${REGION}-docker.pkg.dev/${PROJECT_ID}/${AR_REPO}/orchestrator:${IMAGE_TAG}}"
: "${JOB_IMAGE:=${REGION}-docker.pkg.dev/${PROJECT_ID}/${AR_REPO}/job-runner:${IMAGE_TAG}}"
# docker: build locally and push; skip: the images already exist.
: "${BUILD:=docker}"
# SCENARIOOPS_VERSION (run.json appVersion, /health version).
: "${APP_VERSION:=${IMAGE_TAG}}"
# SCENARIOOPS_PIPELINE_VERSION — part of the dedup signature.
: "${PIPELINE_VERSION:=v1}"
# LLM_PROVIDER: gemini, or offline (no model calls; a demo without a key).
: "${LLM_PROVIDER:=gemini}"
# GEMINI_MODEL: model id (ids move between releases).
: "${GEMINI_MODEL:=gemini-2.5-flash}"
# Job tuning (DESIGN §5): parallel ready nodes, attempts per node, backoff base.
: "${NODE_CONCURRENCY:=4}"
: "${NODE_MAX_ATTEMPTS:=3}"
: "${NODE_RETRY_BASE_MS:=500}"
# Job task timeout per attempt, seconds (Cloud Run maximum 604800 = 168 h).
: "${TASK_TIMEOUT_SECONDS:=3600}"
# Service: concurrent requests per instance, instance bounds, request timeout
# (seconds, max 3600; an SSE stream lasts at most this long, then reconnects).
: "${CONTAINER_CONCURRENCY:=80}"
: "${MIN_INSTANCES:=0}"
: "${MAX_INSTANCES:=10}"
: "${REQUEST_TIMEOUT_SECONDS:=3600}"
# Resources.
: "${ORCHESTRATOR_CPU:=1}"
: "${ORCHESTRATOR_MEMORY:=512Mi}"
: "${JOB_CPU:=1}"
: "${JOB_MEMORY:=1Gi}"
# Role granted on the runs bucket (conditioned on RUNS_PREFIX).
: "${STORAGE_ROLE:=roles/storage.objectAdmin}"
# Custom role the orchestrator holds on the job. Set LAUNCHER_ROLE to
# roles/run.jobsExecutorWithOverrides where custom roles are not allowed
# (it lacks run.executions.get).
: "${LAUNCHER_ROLE_ID:=scenarioforgeJobLauncher}"
: "${LAUNCHER_ROLE:=projects/${PROJECT_ID}/roles/${LAUNCHER_ROLE_ID}}"
: "${LAUNCHER_PERMISSIONS:=run.jobs.run,run.jobs.runWithOverrides,run.executions.get,run.executions.cancel}"
# Bucket soft-delete retention, seconds: 0 (off) or 604800..7776000. Every
# events.jsonl append overwrites the object, and soft delete keeps (and bills)
# each overwritten generation, hence off by default.
: "${SOFT_DELETE_SECONDS:=0}"
# true: allUsers may invoke the service (API keys are checked by the app;
# judges open public run links). false: callers need roles/run.invoker.
: "${PUBLIC:=true}"
# Cloud Scheduler job calling POST /internal/reconcile (cron, in its own
# location, which must support Cloud Scheduler — REGION usually does).
: "${RECONCILE_JOB:=scenarioforge-reconcile}"
: "${RECONCILE_SCHEDULE:=* * * * *}"
: "${SCHEDULER_LOCATION:=${REGION}}"
# Where rendered templates are written (.tmp/ is git-ignored).
: "${RENDER_DIR:=${REPO_ROOT}/.tmp/infra-rendered}"
# 1: render the templates and check them, touch nothing in the cloud.
: "${DRY_RUN:=0}"

ORCHESTRATOR_SA_EMAIL="${ORCHESTRATOR_SA}@${PROJECT_ID}.iam.gserviceaccount.com"
JOB_SA_EMAIL="${JOB_SA}@${PROJECT_ID}.iam.gserviceaccount.com"

# Every ${NAME} the templates may contain. envsubst replaces only these, and
# scripts/check-deploy.ts fails on a placeholder missing from this list.
TEMPLATE_VARS=(
  PROJECT_ID REGION BUCKET RUNS_PREFIX TOPIC JOB_NAME SERVICE_NAME
  ORCHESTRATOR_SA_EMAIL JOB_SA_EMAIL ORCHESTRATOR_IMAGE JOB_IMAGE
  API_KEYS_SECRET API_KEYS_SECRET_VERSION GEMINI_SECRET GEMINI_SECRET_VERSION
  RECONCILE_SECRET RECONCILE_SECRET_VERSION
  APP_VERSION PIPELINE_VERSION LLM_PROVIDER GEMINI_MODEL
  NODE_CONCURRENCY NODE_MAX_ATTEMPTS NODE_RETRY_BASE_MS TASK_TIMEOUT_SECONDS
  CONTAINER_CONCURRENCY MIN_INSTANCES MAX_INSTANCES REQUEST_TIMEOUT_SECONDS
  ORCHESTRATOR_CPU ORCHESTRATOR_MEMORY JOB_CPU JOB_MEMORY
)
TEMPLATES=(service.yaml job.yaml bucket-condition.json)

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

log() { printf '[deploy] %s\n' "$*" >&2; }
die() { printf '[deploy] ERROR: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required on PATH"; }
gc() { gcloud --project="${PROJECT_ID}" --quiet "$@"; }

# retry N CMD…: IAM changes take up to a couple of minutes to propagate, so a
# deploy right after a grant can be refused once or twice.
retry() {
  local attempts="$1"; shift
  local n=1 delay=5
  until "$@"; do
    (( n >= attempts )) && return 1
    log "retrying in ${delay}s ($n/${attempts}): $*"
    sleep "${delay}"; n=$((n + 1)); delay=$((delay * 2))
  done
}

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

validate() {
  [[ -n "${PROJECT_ID}" ]] || die "PROJECT_ID is empty (set it or run: gcloud config set project ID)"
  [[ "${RUNS_PREFIX}" =~ ^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$ ]] \
    || die "RUNS_PREFIX='${RUNS_PREFIX}': non-empty, no leading/trailing slash"
  [[ "${BUCKET}" =~ ^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$ ]] || die "BUCKET='${BUCKET}' is not a valid bucket name"
  [[ "${LLM_PROVIDER}" == gemini || "${LLM_PROVIDER}" == offline ]] || die "LLM_PROVIDER must be gemini or offline"
  [[ "${BUILD}" == docker || "${BUILD}" == skip ]] || die "BUILD must be docker or skip"
  [[ "${PUBLIC}" == true || "${PUBLIC}" == false ]] || die "PUBLIC must be true or false"
  local v
  for v in NODE_CONCURRENCY NODE_MAX_ATTEMPTS NODE_RETRY_BASE_MS TASK_TIMEOUT_SECONDS \
           CONTAINER_CONCURRENCY MIN_INSTANCES MAX_INSTANCES REQUEST_TIMEOUT_SECONDS SOFT_DELETE_SECONDS; do
    is_uint "${!v}" || die "${v}='${!v}' must be a whole number"
  done
  (( TASK_TIMEOUT_SECONDS >= 1 && TASK_TIMEOUT_SECONDS <= 604800 )) || die "TASK_TIMEOUT_SECONDS must be 1..604800"
  (( REQUEST_TIMEOUT_SECONDS >= 1 && REQUEST_TIMEOUT_SECONDS <= 3600 )) || die "REQUEST_TIMEOUT_SECONDS must be 1..3600"
  (( CONTAINER_CONCURRENCY >= 1 && CONTAINER_CONCURRENCY <= 1000 )) || die "CONTAINER_CONCURRENCY must be 1..1000"
  (( SOFT_DELETE_SECONDS == 0 || (SOFT_DELETE_SECONDS >= 604800 && SOFT_DELETE_SECONDS <= 7776000) )) \
    || die "SOFT_DELETE_SECONDS must be 0 or 604800..7776000"
  [[ "${IMAGE_TAG}" != latest ]] || die "IMAGE_TAG=latest: deploy a commit tag (images are deployed by digest)"
  for v in API_KEYS_SECRET_VERSION GEMINI_SECRET_VERSION; do
    [[ -z "${!v}" ]] || is_uint "${!v}" || die "${v}='${!v}': a version number, or empty for the newest enabled one"
  done
}

# pinned_version SECRET [VERSION] → a version number. With no VERSION, the
# newest enabled version, so the deployed YAML pins it instead of `latest`.
pinned_version() {
  local secret="$1" wanted="${2:-}" name state
  if [[ -n "${wanted}" ]]; then
    state="$(gc secrets versions describe "${wanted}" --secret="${secret}" --format='value(state)')" \
      || die "secret ${secret} has no version ${wanted}"
    [[ "${state^^}" == ENABLED ]] || die "secret ${secret} version ${wanted} is ${state}, not ENABLED"
    echo "${wanted}"; return
  fi
  name="$(gc secrets versions list "${secret}" --filter='state:enabled' \
            --sort-by='~createTime' --limit=1 --format='value(name)')"
  [[ -n "${name}" ]] || die "secret ${secret} has no enabled version; add one, e.g.
    printf '%s' 'acme:CHANGE-ME' | gcloud secrets versions add ${secret} --data-file=- --project=${PROJECT_ID}"
  name="${name##*/}"
  is_uint "${name}" || die "could not read a version number for ${secret} (got '${name}')"
  echo "${name}"
}

# render: fill the templates into RENDER_DIR, then refuse what must never
# reach the cloud (an unfilled placeholder, a floating secret version).
render() {
  local shell_format="" v t out
  for v in "${TEMPLATE_VARS[@]}"; do
    export "${v?}"
    shell_format+="\${${v}} "
  done
  mkdir -p "${RENDER_DIR}"
  for t in "${TEMPLATES[@]}"; do
    out="${RENDER_DIR}/${t}"
    envsubst "${shell_format}" < "${INFRA_DIR}/${t}" > "${out}"
    if grep -n '\${' "${out}" >&2; then die "${t}: placeholder left unfilled (add it to TEMPLATE_VARS)"; fi
    if grep -nE "key: *['\"]?latest['\"]?" "${out}" >&2; then die "${t}: secret pinned to latest"; fi
  done
  log "rendered ${TEMPLATES[*]} into ${RENDER_DIR}"
}

# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------

enable_apis() {
  log "enabling APIs"
  gc services enable run.googleapis.com artifactregistry.googleapis.com \
    secretmanager.googleapis.com pubsub.googleapis.com storage.googleapis.com \
    iam.googleapis.com cloudscheduler.googleapis.com
}

ensure_registry() {
  gc artifacts repositories describe "${AR_REPO}" --location="${REGION}" >/dev/null 2>&1 \
    || gc artifacts repositories create "${AR_REPO}" --location="${REGION}" \
         --repository-format=docker --description="ScenarioForge images"
}

# digest_ref IMAGE → IMAGE@sha256:… so the service and job pin exactly what was built.
digest_ref() {
  local image="$1" digest
  if [[ "${image}" == *@sha256:* ]]; then echo "${image}"; return; fi
  digest="$(gc artifacts docker images describe "${image}" --format='value(image_summary.digest)')"
  [[ "${digest}" == sha256:* ]] || die "no digest found for ${image}"
  echo "${image%:*}@${digest}"
}

build_images() {
  if [[ "${BUILD}" == docker ]]; then
    need docker
    gcloud auth configure-docker "${REGION}-docker.pkg.dev" --quiet >/dev/null
    log "building ${ORCHESTRATOR_IMAGE}"
    docker build --platform=linux/amd64 -f "${REPO_ROOT}/Dockerfile.orchestrator" -t "${ORCHESTRATOR_IMAGE}" "${REPO_ROOT}"
    log "building ${JOB_IMAGE}"
    docker build --platform=linux/amd64 -f "${REPO_ROOT}/Dockerfile.job" -t "${JOB_IMAGE}" "${REPO_ROOT}"
    docker push "${ORCHESTRATOR_IMAGE}"
    docker push "${JOB_IMAGE}"
  fi
  ORCHESTRATOR_IMAGE="$(digest_ref "${ORCHESTRATOR_IMAGE}")"
  JOB_IMAGE="$(digest_ref "${JOB_IMAGE}")"
  log "images: ${ORCHESTRATOR_IMAGE} ${JOB_IMAGE}"
}

ensure_service_accounts() {
  gc iam service-accounts describe "${ORCHESTRATOR_SA_EMAIL}" >/dev/null 2>&1 \
    || gc iam service-accounts create "${ORCHESTRATOR_SA}" --display-name="ScenarioForge orchestrator"
  gc iam service-accounts describe "${JOB_SA_EMAIL}" >/dev/null 2>&1 \
    || gc iam service-accounts create "${JOB_SA}" --display-name="ScenarioForge job-runner"
}

ensure_bucket() {
  gc storage buckets describe "gs://${BUCKET}" >/dev/null 2>&1 \
    || gc storage buckets create "gs://${BUCKET}" --location="${REGION}" \
         --uniform-bucket-level-access --public-access-prevention
  # Enforced on every run, also for a bucket that existed before.
  local soft_delete=(--clear-soft-delete)
  (( SOFT_DELETE_SECONDS == 0 )) || soft_delete=(--soft-delete-duration="${SOFT_DELETE_SECONDS}s")
  gc storage buckets update "gs://${BUCKET}" --uniform-bucket-level-access \
    --public-access-prevention "${soft_delete[@]}" >/dev/null
  # IAM conditions need uniform bucket-level access. Listing is checked on the
  # bucket, so the condition also admits lists whose prefix is under RUNS_PREFIX.
  local sa
  for sa in "${ORCHESTRATOR_SA_EMAIL}" "${JOB_SA_EMAIL}"; do
    gc storage buckets add-iam-policy-binding "gs://${BUCKET}" \
      --member="serviceAccount:${sa}" --role="${STORAGE_ROLE}" \
      --condition-from-file="${RENDER_DIR}/bucket-condition.json" >/dev/null
  done
}

ensure_topic() {
  gc pubsub topics describe "${TOPIC}" >/dev/null 2>&1 || gc pubsub topics create "${TOPIC}"
  local sa
  for sa in "${ORCHESTRATOR_SA_EMAIL}" "${JOB_SA_EMAIL}"; do
    gc pubsub topics add-iam-policy-binding "${TOPIC}" \
      --member="serviceAccount:${sa}" --role=roles/pubsub.publisher >/dev/null
  done
}

ensure_secret() {
  gc secrets describe "$1" >/dev/null 2>&1 || gc secrets create "$1" --replication-policy=automatic
}

grant_secret() {
  gc secrets add-iam-policy-binding "$1" --member="serviceAccount:$2" \
    --role=roles/secretmanager.secretAccessor >/dev/null
}

ensure_secrets() {
  ensure_secret "${API_KEYS_SECRET}"
  ensure_secret "${GEMINI_SECRET}"
  # Orchestrator: the API keys file, and the Gemini key (Cloud Run resolves a
  # service's secret env with the service's own identity; the orchestrator
  # only reports the key's source and refuses live runs without one).
  grant_secret "${API_KEYS_SECRET}" "${ORCHESTRATOR_SA_EMAIL}"
  grant_secret "${GEMINI_SECRET}" "${ORCHESTRATOR_SA_EMAIL}"
  # Job: the Gemini key only.
  grant_secret "${GEMINI_SECRET}" "${JOB_SA_EMAIL}"
  # The reconcile token: the orchestrator checks it; the deploy hands it to Cloud Scheduler.
  ensure_secret "${RECONCILE_SECRET}"
  if [[ -z "$(gc secrets versions list "${RECONCILE_SECRET}" --filter='state:enabled' --limit=1 --format='value(name)')" ]]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | gc secrets versions add "${RECONCILE_SECRET}" --data-file=- >/dev/null
  fi
  grant_secret "${RECONCILE_SECRET}" "${ORCHESTRATOR_SA_EMAIL}"
  API_KEYS_SECRET_VERSION="$(pinned_version "${API_KEYS_SECRET}" "${API_KEYS_SECRET_VERSION}")"
  GEMINI_SECRET_VERSION="$(pinned_version "${GEMINI_SECRET}" "${GEMINI_SECRET_VERSION}")"
  RECONCILE_SECRET_VERSION="$(pinned_version "${RECONCILE_SECRET}" "${RECONCILE_SECRET_VERSION}")"
  log "secrets pinned: ${API_KEYS_SECRET}@${API_KEYS_SECRET_VERSION} ${GEMINI_SECRET}@${GEMINI_SECRET_VERSION} ${RECONCILE_SECRET}@${RECONCILE_SECRET_VERSION}"
}

ensure_launcher_role() {
  [[ "${LAUNCHER_ROLE}" == projects/* ]] || return 0
  local described
  if described="$(gc iam roles describe "${LAUNCHER_ROLE_ID}" 2>/dev/null)"; then
    if grep -q '^deleted: true' <<<"${described}"; then
      gc iam roles undelete "${LAUNCHER_ROLE_ID}" >/dev/null
    fi
    gc iam roles update "${LAUNCHER_ROLE_ID}" --permissions="${LAUNCHER_PERMISSIONS}" >/dev/null
  else
    gc iam roles create "${LAUNCHER_ROLE_ID}" --stage=GA \
      --title="ScenarioForge job launcher" \
      --description="Start executions of the ScenarioForge job with env overrides; read and cancel them." \
      --permissions="${LAUNCHER_PERMISSIONS}" >/dev/null
  fi
}

deploy_job() {
  log "deploying job ${JOB_NAME}"
  retry 4 gc run jobs replace "${RENDER_DIR}/job.yaml" --region="${REGION}"
  # The orchestrator may start executions of this job only (not of others).
  gc run jobs add-iam-policy-binding "${JOB_NAME}" --region="${REGION}" \
    --member="serviceAccount:${ORCHESTRATOR_SA_EMAIL}" --role="${LAUNCHER_ROLE}" >/dev/null
}

deploy_service() {
  log "deploying service ${SERVICE_NAME}"
  retry 4 gc run services replace "${RENDER_DIR}/service.yaml" --region="${REGION}"
  if [[ "${PUBLIC}" == true ]]; then
    gc run services add-iam-policy-binding "${SERVICE_NAME}" --region="${REGION}" \
      --member=allUsers --role=roles/run.invoker >/dev/null
  else
    gc run services remove-iam-policy-binding "${SERVICE_NAME}" --region="${REGION}" \
      --member=allUsers --role=roles/run.invoker >/dev/null 2>&1 || true
  fi
  log "service URL: $(gc run services describe "${SERVICE_NAME}" --region="${REGION}" --format='value(status.url)')"
}

# Cloud Scheduler → POST /internal/reconcile every minute, with the pinned
# reconcile token as its bearer (read from Secret Manager here, never logged).
ensure_reconcile_schedule() {
  local url token verb=create
  url="$(gc run services describe "${SERVICE_NAME}" --region="${REGION}" --format='value(status.url)')"
  token="$(gc secrets versions access "${RECONCILE_SECRET_VERSION}" --secret="${RECONCILE_SECRET}")"
  if gc scheduler jobs describe "${RECONCILE_JOB}" --location="${SCHEDULER_LOCATION}" >/dev/null 2>&1; then verb=update; fi
  log "${verb} scheduler job ${RECONCILE_JOB} (${RECONCILE_SCHEDULE}) → POST ${url}/internal/reconcile"
  gc scheduler jobs "${verb}" http "${RECONCILE_JOB}" --location="${SCHEDULER_LOCATION}" \
    --schedule="${RECONCILE_SCHEDULE}" --time-zone=UTC \
    --uri="${url}/internal/reconcile" --http-method=POST \
    "--$([[ "${verb}" == create ]] && echo headers || echo update-headers)=Authorization=Bearer ${token}" \
    --attempt-deadline=120s --max-retry-attempts=0 >/dev/null
}

main() {
  validate
  need envsubst
  if [[ "${DRY_RUN}" == 1 ]]; then
    # Nothing is looked up: unresolved secret versions render as 1.
    : "${API_KEYS_SECRET_VERSION:=1}"
    : "${GEMINI_SECRET_VERSION:=1}"
    : "${RECONCILE_SECRET_VERSION:=1}"
    render
    log "DRY_RUN=1: nothing deployed"
    return 0
  fi
  need gcloud
  enable_apis
  ensure_registry
  build_images
  ensure_service_accounts
  ensure_secrets
  render
  ensure_bucket
  ensure_topic
  ensure_launcher_role
  deploy_job
  deploy_service
  ensure_reconcile_schedule
  log "done: job ${JOB_NAME}, service ${SERVICE_NAME} (${REGION}), bucket gs://${BUCKET}/${RUNS_PREFIX}/, topic ${TOPIC}"
}

main "$@"
