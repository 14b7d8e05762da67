"""NTM Explorer's Streamlit app: one file per page in app/views/, pure figure builders in app/figures.py."""
