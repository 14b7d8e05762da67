#!/usr/bin/env bash
# Set everything up (first time only) and start NTM Explorer on http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# app.launch = `streamlit run app/main.py`, with torch, Plotly and the models loaded before the server answers.
exec .venv/bin/python -m app.launch --browser.gatherUsageStats false "$@"
