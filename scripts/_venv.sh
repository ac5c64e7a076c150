# Sourced by scripts/run and scripts/test: make ./.venv (Python 3.11+) and install genolog into it.
# Usage: genolog_venv [EXTRAS]
genolog_venv() {
    local extras="${1:-}"
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local py="${PYTHON:-python3}"
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "genolog needs Python 3.11 or newer; '$py' is $("$py" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
        return 1
    fi
    if [ ! -x "$root/.venv/bin/python" ]; then
        echo "Creating $root/.venv ..." >&2
        "$py" -m venv "$root/.venv"
        "$root/.venv/bin/python" -m pip install -q --upgrade pip
    fi
    local spec="$root"
    [ -n "$extras" ] && spec="$root[$extras]"
    "$root/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$spec"
    export PATH="$root/.venv/bin:$PATH"
}
