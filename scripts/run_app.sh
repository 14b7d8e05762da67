#!/usr/bin/env bash
# Set everything up (first time only) and start NTM Explorer on http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app/main.py --browser.gatherUsageStats false "$@"
