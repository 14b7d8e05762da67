"""NTM Explorer: the entry script. `streamlit run app/main.py` (see README)."""
from pathlib import Path

import streamlit as st

from app import controls, plotly_view

ICON = Path(__file__).resolve().parent.parent / "assets" / "icon.png"

st.set_page_config(
    page_title="NTM Explorer",
    page_icon=str(ICON),  # a local file: a Material icon here would make the browser fetch it from Google
    layout="wide",
    initial_sidebar_state="collapsed" if controls.lecture_requested() else "auto",
)
plotly_view.preload()
page = st.navigation([
    st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("views/step_through.py", title="Step through", icon=":material/play_circle:", url_path="step"),
])
controls.lecture_toggle()
page.run()
