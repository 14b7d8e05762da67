"""NTM Explorer's Streamlit app: pages in app/pages/, pure figure builders in app/figures.py."""
